/**
 * One Terraform module (a directory of `.tf` / `.tf.json` files, or one synthesized
 * `cdk.tf.json`) as the rules see it: variables, outputs, locals and blocks, each with an
 * address, whatever syntax it was written in.
 */
import type { Expr, ObjectExpr, ObjectItem, SourceLocation } from './expr';
import { literal, literalBool, objectGet } from './expr';
import type { HclFile } from './hcl';
import { parseTemplate } from './hcl';

export type BlockKind = 'resource' | 'data' | 'ephemeral' | 'provider' | 'module' | 'terraform' | 'other';

export interface ConfigBlock {
  readonly kind: BlockKind;
  /** Resource/data/ephemeral type, provider or module name, or the block type for `other`. */
  readonly type: string;
  readonly name: string;
  /** As users write it in HCL: `coffer_user_secret.npm`, `data.coder_workspace.me`, `provider.coder`. */
  readonly address: string;
  readonly body: ObjectExpr;
  readonly loc: SourceLocation;
  /** The construct path (cdk.tf.json only, from the `//` metadata). */
  readonly constructPath?: string;
}

export interface VariableDecl {
  readonly name: string;
  readonly sensitive: boolean;
  readonly ephemeral: boolean;
  readonly default?: Expr;
  readonly loc: SourceLocation;
  readonly sensitiveLoc?: SourceLocation;
}

export interface OutputDecl {
  readonly name: string;
  readonly value?: Expr;
  readonly sensitive: boolean;
  readonly ephemeral: boolean;
  readonly loc: SourceLocation;
}

export interface LocalDecl {
  readonly name: string;
  readonly value: Expr;
  readonly loc: SourceLocation;
}

/** A `.tfvars` / `.tfvars.json` file: plain assignments. */
export interface VarsFile {
  readonly file: string;
  readonly items: readonly ObjectItem[];
}

export interface ModuleModel {
  readonly variables: VariableDecl[];
  readonly outputs: OutputDecl[];
  readonly locals: LocalDecl[];
  readonly blocks: ConfigBlock[];
  readonly varsFiles: VarsFile[];
  /** `coffer:ignore` comments: file → line → rule ids (empty = every rule) and whether the comment stands on its own line. */
  readonly suppressions: Map<string, Map<number, { rules: Set<string>; standalone: boolean }>>;
}

export function emptyModule(): ModuleModel {
  return { variables: [], outputs: [], locals: [], blocks: [], varsFiles: [], suppressions: new Map() };
}

function addressOf(kind: BlockKind, type: string, name: string): string {
  switch (kind) {
    case 'resource':
      return `${type}.${name}`;
    case 'data':
    case 'ephemeral':
      return `${kind}.${type}.${name}`;
    case 'provider':
      return name === '' ? `provider.${type}` : `provider.${type}.${name}`;
    case 'module':
      return `module.${type}`;
    default:
      return name === '' ? type : `${type}.${name}`;
  }
}

const IGNORE_COMMENT = /coffer:ignore(?:[ \t]+([a-z0-9-]+(?:[ \t]*,[ \t]*[a-z0-9-]+)*))?/;

// ------------------------------------------------------------------ native syntax

export function addHclFile(model: ModuleModel, parsed: HclFile): void {
  for (const comment of parsed.comments) {
    const m = IGNORE_COMMENT.exec(comment.text);
    if (!m) continue;
    const byLine =
      model.suppressions.get(parsed.file) ?? new Map<number, { rules: Set<string>; standalone: boolean }>();
    byLine.set(comment.line, {
      rules: new Set(m[1] ? m[1].split(',').map((r) => r.trim()) : []),
      standalone: comment.standalone,
    });
    model.suppressions.set(parsed.file, byLine);
  }
  for (const block of parsed.blocks) {
    const [first = '', second = ''] = block.labels;
    switch (block.type) {
      case 'resource':
      case 'data':
      case 'ephemeral':
        model.blocks.push({
          kind: block.type,
          type: first,
          name: second,
          address: addressOf(block.type, first, second),
          body: block.body,
          loc: block.loc,
        });
        break;
      case 'provider': {
        const alias = objectGet(block.body, 'alias');
        const aliasName = alias?.kind === 'template' ? alias.parts.filter((p) => typeof p === 'string').join('') : '';
        model.blocks.push({
          kind: 'provider',
          type: first,
          name: aliasName,
          address: addressOf('provider', first, aliasName),
          body: block.body,
          loc: block.loc,
        });
        break;
      }
      case 'module':
        model.blocks.push({
          kind: 'module',
          type: first,
          name: '',
          address: addressOf('module', first, ''),
          body: block.body,
          loc: block.loc,
        });
        break;
      case 'variable':
        model.variables.push(variableFrom(first, block.body, block.loc));
        break;
      case 'output':
        model.outputs.push(outputFrom(first, block.body, block.loc));
        break;
      case 'locals':
        for (const item of block.body.items) {
          if (item.key !== undefined) model.locals.push({ name: item.key, value: item.value, loc: item.loc });
        }
        break;
      default:
        model.blocks.push({
          kind: block.type === 'terraform' ? 'terraform' : 'other',
          type: block.type,
          name: block.labels.join('.'),
          address: addressOf('other', block.type, block.labels.join('.')),
          body: block.body,
          loc: block.loc,
        });
    }
  }
}

export function addHclVarsFile(model: ModuleModel, parsed: HclFile): void {
  addHclFile(model, { ...parsed, blocks: [] });
  model.varsFiles.push({
    file: parsed.file,
    items: parsed.attributes.map((a) => ({ key: a.name, keyExpr: literal(a.name, a.loc), value: a.value, loc: a.loc })),
  });
}

function variableFrom(name: string, body: ObjectExpr, loc: SourceLocation): VariableDecl {
  const sensitiveItem = body.items.find((i) => i.key === 'sensitive');
  return {
    name,
    sensitive: literalBool(objectGet(body, 'sensitive')) === true,
    ephemeral: literalBool(objectGet(body, 'ephemeral')) === true,
    default: objectGet(body, 'default'),
    loc,
    sensitiveLoc: sensitiveItem?.loc,
  };
}

function outputFrom(name: string, body: ObjectExpr, loc: SourceLocation): OutputDecl {
  return {
    name,
    value: objectGet(body, 'value'),
    sensitive: literalBool(objectGet(body, 'sensitive')) === true,
    ephemeral: literalBool(objectGet(body, 'ephemeral')) === true,
    loc,
  };
}

// ------------------------------------------------------------------ JSON syntax

/** Converts a JSON value to an expression: strings are templates, as Terraform reads them. */
export function jsonToExpr(value: unknown, loc: SourceLocation): Expr {
  if (typeof value === 'string') return parseTemplate(value, loc);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return literal(value, loc);
  if (Array.isArray(value)) return { kind: 'tuple', items: value.map((v) => jsonToExpr(v, loc)), loc };
  if (typeof value === 'object') {
    const items: ObjectItem[] = [];
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === '//') continue; // comments (cdktn writes its metadata here)
      items.push({ key, keyExpr: literal(key, loc), value: jsonToExpr(v, loc), loc });
    }
    return { kind: 'object', items, loc };
  }
  return literal(null, loc);
}

function asObjects(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value))
    return value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
  if (typeof value === 'object' && value !== null) return [value as Record<string, unknown>];
  return [];
}

function constructPathOf(body: Record<string, unknown>): string | undefined {
  const meta = (body['//'] as { metadata?: { path?: unknown } } | undefined)?.metadata;
  return typeof meta?.path === 'string' ? meta.path : undefined;
}

function bodyExpr(body: Record<string, unknown>, loc: SourceLocation): ObjectExpr {
  return jsonToExpr(body, loc) as ObjectExpr;
}

/** Adds a Terraform JSON document (`*.tf.json`, `cdk.tf.json`). */
export function addJsonConfig(model: ModuleModel, doc: unknown, file: string): void {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new Error(`${file}: a Terraform JSON file must contain an object`);
  const root = doc as Record<string, unknown>;
  const loc: SourceLocation = { file };
  for (const kind of ['resource', 'data', 'ephemeral'] as const) {
    for (const byType of asObjects(root[kind])) {
      for (const [type, byName] of Object.entries(byType)) {
        for (const named of asObjects(byName)) {
          for (const [name, body] of Object.entries(named)) {
            for (const b of asObjects(body)) {
              model.blocks.push({
                kind,
                type,
                name,
                address: addressOf(kind, type, name),
                body: bodyExpr(b, loc),
                loc,
                constructPath: constructPathOf(b),
              });
            }
          }
        }
      }
    }
  }
  for (const byName of asObjects(root.provider)) {
    for (const [type, bodies] of Object.entries(byName)) {
      for (const b of asObjects(bodies)) {
        const alias = typeof b.alias === 'string' ? b.alias : '';
        model.blocks.push({
          kind: 'provider',
          type,
          name: alias,
          address: addressOf('provider', type, alias),
          body: bodyExpr(b, loc),
          loc,
        });
      }
    }
  }
  for (const byName of asObjects(root.module)) {
    for (const [name, b] of Object.entries(byName)) {
      for (const body of asObjects(b))
        model.blocks.push({
          kind: 'module',
          type: name,
          name: '',
          address: addressOf('module', name, ''),
          body: bodyExpr(body, loc),
          loc,
          constructPath: constructPathOf(body),
        });
    }
  }
  for (const byName of asObjects(root.variable)) {
    for (const [name, b] of Object.entries(byName)) {
      for (const body of asObjects(b)) model.variables.push(variableFrom(name, bodyExpr(body, loc), loc));
    }
  }
  for (const byName of asObjects(root.output)) {
    for (const [name, b] of Object.entries(byName)) {
      for (const body of asObjects(b)) model.outputs.push(outputFrom(name, bodyExpr(body, loc), loc));
    }
  }
  for (const locals of asObjects(root.locals)) {
    for (const [name, value] of Object.entries(locals)) model.locals.push({ name, value: jsonToExpr(value, loc), loc });
  }
  for (const terraform of asObjects(root.terraform)) {
    model.blocks.push({
      kind: 'terraform',
      type: 'terraform',
      name: '',
      address: 'terraform',
      body: bodyExpr(terraform, loc),
      loc,
    });
  }
}

/** Adds a `.tfvars.json` file. */
export function addJsonVarsFile(model: ModuleModel, doc: unknown, file: string): void {
  const loc: SourceLocation = { file };
  const items = asObjects(doc).flatMap((o) =>
    Object.entries(o).map(([key, value]) => ({ key, keyExpr: literal(key, loc), value: jsonToExpr(value, loc), loc })),
  );
  model.varsFiles.push({ file, items });
}
