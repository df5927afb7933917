/**
 * Conversions between the wire (cty values, tfplugin6 messages) and the framework's plain
 * values. This file and `rpc-adapter.ts` are the only framework files that see protocol types.
 */
import { CtyBigNumber, CtyDynamic, isUnknown as isCtyUnknown, unknown as ctyUnknown, type CtyType, type CtyValue } from '../protocol/cty/types';
import type { WireMessage } from '../protocol/proto';
import type { Diagnostic, AttributePath } from './diagnostics';
import type { PrivateData } from './resource';
import type { AttributeKind, AttributeSpec, Attributes, Schema } from './schema';
import { attributeMode } from './schema';
import { Unknown, type Value } from './values';

const KIND_TYPES: Record<Exclude<AttributeKind, 'object_list'>, CtyType> = {
  string: 'string',
  bool: 'bool',
  number: 'number',
  string_list: ['list', 'string'],
  string_map: ['map', 'string'],
};

/** The cty type of one attribute (an `object_list` is `["list",["object",{field: kind}]]`). */
export function attributeType(spec: AttributeSpec): CtyType {
  if (spec.kind !== 'object_list') return KIND_TYPES[spec.kind];
  const fields: Record<string, CtyType> = {};
  for (const name of Object.keys(spec.fields ?? {}).sort()) fields[name] = (spec.fields ?? {})[name] as CtyType;
  return ['list', ['object', fields]];
}

export function objectType(attributes: Attributes): CtyType {
  const attrs: Record<string, CtyType> = {};
  for (const [name, spec] of Object.entries(attributes)) attrs[name] = attributeType(spec);
  return ['object', attrs];
}

export function fromCty(value: CtyValue): Value {
  if (value === null) return null;
  if (isCtyUnknown(value)) return Unknown;
  if (value instanceof CtyBigNumber) return Number(value.text);
  if (value instanceof CtyDynamic) return fromCty(value.value);
  if (Array.isArray(value)) return value.map(fromCty);
  if (typeof value === 'object') {
    const out: Record<string, Value> = {};
    for (const [k, v] of Object.entries(value as Record<string, CtyValue>)) out[k] = fromCty(v);
    return out;
  }
  return value as string | number | boolean;
}

export function toCty(value: Value): CtyValue {
  if (value === Unknown) return ctyUnknown;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(toCty);
  const out: Record<string, CtyValue> = {};
  for (const [k, v] of Object.entries(value as Record<string, Value>)) out[k] = toCty(v);
  return out;
}

function attributeToWire(name: string, spec: AttributeSpec): WireMessage {
  const mode = attributeMode(spec);
  return {
    name,
    type: Buffer.from(JSON.stringify(attributeType(spec))),
    description: spec.description,
    description_kind: 0,
    required: mode === 'required',
    optional: mode === 'optional' || mode === 'optional_computed',
    computed: mode === 'computed' || mode === 'optional_computed',
    sensitive: Boolean(spec.sensitive),
    write_only: Boolean(spec.writeOnly),
    deprecated: spec.deprecationMessage !== undefined,
    deprecation_message: spec.deprecationMessage ?? '',
  };
}

export function schemaToWire(schema: Schema): WireMessage {
  const names = Object.keys(schema.attributes).sort();
  return {
    version: schema.version,
    block: {
      version: schema.version,
      attributes: names.map((name) => attributeToWire(name, schema.attributes[name] as AttributeSpec)),
      block_types: [],
      description: schema.description,
      description_kind: 0,
      deprecated: false,
    },
  };
}

/** Attribute names become attribute steps, numbers list-index steps. */
export function pathToWire(path: AttributePath): WireMessage {
  return {
    steps: path.map((step) => (typeof step === 'number' ? { element_key_int: step } : { attribute_name: step })),
  };
}

export function diagnosticsToWire(diagnostics: readonly Diagnostic[]): WireMessage[] {
  return diagnostics.map((d) => ({
    severity: d.severity === 'error' ? 1 : 2,
    summary: d.summary,
    detail: d.detail,
    ...(d.path ? { attribute: pathToWire(d.path) } : {}),
  }));
}

export function decodePrivate(bytes: unknown): PrivateData {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as PrivateData) : {};
  } catch {
    return {};
  }
}

export function encodePrivate(data: PrivateData | undefined): Buffer {
  return data === undefined || Object.keys(data).length === 0 ? Buffer.alloc(0) : Buffer.from(JSON.stringify(data));
}
