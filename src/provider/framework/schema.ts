/**
 * A small schema DSL: a resource declares its attributes once, and the framework derives the
 * wire schema, the plan rules (defaults, computed, replace, write-only) and validation from it.
 */
import type { Unknown } from './values';

export type AttributeKind = 'string' | 'bool' | 'number' | 'string_list' | 'string_map' | 'object_list';

/** The kinds an element of an `object_list` attribute may have per field. */
export type FieldKind = 'string' | 'bool' | 'number';

/** The fields of each element of an `object_list` attribute: name → kind. */
export type ObjectFields = { readonly [field: string]: FieldKind };

/** One element of an `object_list` value: every field present, null when unset. */
export type ObjectElement = { readonly [field: string]: string | number | boolean | null };

interface KindValue {
  string: string;
  bool: boolean;
  number: number;
  string_list: readonly string[];
  string_map: { readonly [key: string]: string };
  object_list: readonly ObjectElement[];
}

/** Checks a known, non-null value; returns a sentence naming the rule, or undefined. */
export type Validator<T> = {
  // Method syntax makes validators bivariant, so a string validator fits the generic attribute spec.
  check(value: T): string | undefined;
}['check'];

export interface AttributeOptions<T> {
  /** Shown in docs and `providers schema -json`. */
  readonly description: string;
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
  readonly sensitive?: boolean;
  /** Never stored: read from config at plan/apply, null everywhere else (tofu/terraform ≥ 1.11). */
  readonly writeOnly?: boolean;
  /** Value planned when the configuration leaves the attribute null; makes it optional+computed. */
  readonly default?: T;
  /** A change to this attribute replaces the resource. */
  readonly requiresReplace?: boolean;
  /** For computed attributes that change on every update (e.g. `updated_at`). */
  readonly unknownOnUpdate?: boolean;
  readonly validators?: readonly Validator<T>[];
  readonly deprecationMessage?: string;
}

export interface AttributeSpec<K extends AttributeKind = AttributeKind> extends AttributeOptions<KindValue[K]> {
  readonly kind: K;
  /** `object_list` only: the fields every element has (wire type `["list",["object",{…}]]`). */
  readonly fields?: ObjectFields;
}

export type Attributes = { readonly [name: string]: AttributeSpec };

export type ValueOf<S> = S extends AttributeSpec<infer K> ? KindValue[K] : never;

/** A resource's stored state: every attribute present, null when unset. */
export type StateModel<A extends Attributes> = { -readonly [K in keyof A]: ValueOf<A[K]> | null };
/** Configuration or plan: values may still be unknown. */
export type PlanModel<A extends Attributes> = { -readonly [K in keyof A]: ValueOf<A[K]> | null | Unknown };

function define<K extends AttributeKind>(kind: K) {
  return (options: AttributeOptions<KindValue[K]>): AttributeSpec<K> => ({ ...options, kind });
}

export const attribute = {
  string: define('string'),
  bool: define('bool'),
  number: define('number'),
  stringList: define('string_list'),
  stringMap: define('string_map'),
  /** A list of objects with the given primitive fields (e.g. a data source's result rows). */
  objectList: (fields: ObjectFields, options: AttributeOptions<KindValue['object_list']>): AttributeSpec<'object_list'> => ({
    ...options,
    kind: 'object_list',
    fields: { ...fields },
  }),
};

export interface Schema<A extends Attributes = Attributes> {
  /** Bumped when stored state changes shape; `upgradeState` migrates older versions. */
  readonly version: number;
  readonly description: string;
  readonly attributes: A;
}

export type AttributeMode = 'required' | 'optional' | 'optional_computed' | 'computed';

export function attributeMode(spec: AttributeSpec): AttributeMode {
  if (spec.required) return 'required';
  if (spec.default !== undefined || (spec.optional && spec.computed)) return 'optional_computed';
  if (spec.computed) return 'computed';
  return 'optional';
}

/** Checks the schema itself, once, so a mistake shows at start-up and not inside tofu. */
export function assertValidSchema(typeName: string, schema: Schema): void {
  for (const [name, spec] of Object.entries(schema.attributes)) {
    const where = `${typeName}.${name}`;
    if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`${where}: attribute names must match ^[a-z0-9_]+$`);
    if (spec.required && (spec.optional || spec.computed || spec.default !== undefined)) {
      throw new Error(`${where}: a required attribute cannot be optional, computed or defaulted`);
    }
    if (!spec.required && !spec.optional && !spec.computed && spec.default === undefined) {
      throw new Error(`${where}: set required, optional, computed or a default`);
    }
    if (spec.writeOnly && (spec.computed || spec.default !== undefined)) {
      throw new Error(`${where}: a write-only attribute cannot be computed`);
    }
    if (spec.unknownOnUpdate && attributeMode(spec) !== 'computed') {
      throw new Error(`${where}: unknownOnUpdate is for computed-only attributes`);
    }
    if (spec.kind === 'object_list') {
      const fields = Object.entries(spec.fields ?? {});
      if (fields.length === 0) throw new Error(`${where}: an object_list attribute needs at least one field`);
      for (const [field, kind] of fields) {
        if (!/^[a-z0-9_]+$/.test(field)) throw new Error(`${where}.${field}: field names must match ^[a-z0-9_]+$`);
        if (!['string', 'bool', 'number'].includes(kind)) throw new Error(`${where}.${field}: fields are string, bool or number`);
      }
      if (spec.writeOnly) throw new Error(`${where}: an object_list attribute cannot be write-only`);
    } else if (spec.fields !== undefined) {
      throw new Error(`${where}: fields are for object_list attributes only`);
    }
  }
}
