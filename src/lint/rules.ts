/**
 * The guard rules, shared by the CDK aspect (`SecretGuard`) and `coffer lint`. Each rule reads a
 * `ModuleModel` and reports findings; no finding ever quotes a value.
 */
import type { Expr, ObjectExpr, SourceLocation } from './expr';
import { blockBodies, formatPath, literalBool, literalString, objectGet, walkExpr } from './expr';
import { findCredential, isSecretName, isWriteOnlyName } from './detect';
import type { ConfigBlock, ModuleModel } from './model';
import { isSensitiveAttribute, SecretSources } from './secret-sources';

export const RULES = {
  'credential-literal': 'A credential-looking literal sits in the configuration (it ends up in files, plan and state).',
  'secret-output': 'An output derives from a secret but is not sensitive.',
  'secret-metadata': 'A coder_metadata item (or agent metadata script) derives from a secret but is not sensitive.',
  'secret-variable-not-sensitive': 'A variable named like a secret is not marked sensitive.',
  'unsafe-plaintext':
    'SecretValue.unsafePlainText() put a plaintext secret into the synthesized configuration (CDK only).',
  'parse-error': 'A file could not be parsed (lint only).',
} as const;

export type RuleId = keyof typeof RULES;
export type Severity = 'error' | 'warning';
export type RuleSetting = Severity | 'off';

export interface Finding {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** `coffer_user_secret.npm`, `output.token`, `var.github_token`… */
  readonly address?: string;
  /** Attribute path inside the block: `value_wo`, `env.GITHUB_TOKEN`, `item[0].value`. */
  readonly attribute?: string;
  /** cdk.tf.json only: the construct that wrote the block. */
  readonly constructPath?: string;
}

export interface RuleOptions {
  /** Per-rule severity or `off`. Every rule is an error by default. */
  readonly rules?: Partial<Record<RuleId, RuleSetting>>;
}

interface Draft {
  readonly rule: RuleId;
  readonly message: string;
  readonly loc: SourceLocation;
  readonly address?: string;
  readonly attribute?: string;
  readonly constructPath?: string;
}

const FIX_LITERAL = 'pass it in from a sensitive variable (TF_VAR_…), a secret store or an ephemeral resource instead';

/** Runs every rule over one module. */
export function checkModule(model: ModuleModel, options: RuleOptions = {}): Finding[] {
  const sources = new SecretSources(model);
  const drafts: Draft[] = [
    ...credentialLiterals(model),
    ...secretOutputs(model, sources),
    ...secretMetadata(model, sources),
    ...secretVariables(model),
  ];
  return finalize(drafts, model, options);
}

export function finalize(drafts: readonly Draft[], model: ModuleModel | undefined, options: RuleOptions): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const d of drafts) {
    const setting = options.rules?.[d.rule] ?? 'error';
    if (setting === 'off') continue;
    if (model && suppressed(model, d)) continue;
    const key = `${d.rule}|${d.loc.file}|${d.loc.line ?? ''}|${d.address ?? ''}|${d.attribute ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({
      rule: d.rule,
      severity: setting,
      message: d.message,
      file: d.loc.file,
      ...(d.loc.line !== undefined ? { line: d.loc.line, column: d.loc.column } : {}),
      ...(d.address !== undefined ? { address: d.address } : {}),
      ...(d.attribute !== undefined ? { attribute: d.attribute } : {}),
      ...(d.constructPath !== undefined ? { constructPath: d.constructPath } : {}),
    });
  }
  return findings;
}

function suppressed(model: ModuleModel, d: Draft): boolean {
  const line = d.loc.line;
  if (line === undefined) return false;
  const byLine = model.suppressions.get(d.loc.file);
  if (!byLine) return false;
  // A comment on the finding's line, or a comment line of its own just above it.
  for (const [l, mustStandAlone] of [
    [line, false],
    [line - 1, true],
  ] as const) {
    const entry = byLine.get(l);
    if (entry && (!mustStandAlone || entry.standalone) && (entry.rules.size === 0 || entry.rules.has(d.rule)))
      return true;
  }
  return false;
}

// ------------------------------------------------------------------ credential-literal

/** Whether the attribute at `path` of a block holds secrets by schema, name or convention. */
function secretAttribute(
  block: ConfigBlock | undefined,
  path: readonly string[],
  siblings: ObjectExpr | undefined,
): string | undefined {
  const last = path[path.length - 1];
  if (last === undefined || last.startsWith('[')) return undefined;
  const schemaPath = path.filter((p) => !p.startsWith('[')).join('.');
  if (
    block &&
    (block.kind === 'resource' || block.kind === 'data' || block.kind === 'ephemeral') &&
    isSensitiveAttribute(block.kind, block.type, schemaPath)
  ) {
    return `${schemaPath} is a sensitive attribute of ${block.type}`;
  }
  if (isWriteOnlyName(last)) return `${last} is a write-only attribute`;
  if (isSecretName(last)) return `${last} is named like a secret`;
  // { name = "GITHUB_TOKEN", value = "…" } (coder_env, container env, metadata items)
  if (last === 'value' && siblings) {
    for (const k of ['name', 'key', 'env_name']) {
      const label = literalString(objectGet(siblings, k));
      if (label !== undefined && isSecretName(label)) return `its ${k} "${label}" is named like a secret`;
    }
  }
  return undefined;
}

/**
 * True for an expression that is fixed text: a non-empty literal string, or functions of
 * literals only (`sensitive("hunter2")`, `base64encode("…")`): no reference anywhere.
 */
function isConstantText(e: Expr): boolean {
  let reference = false;
  let text = false;
  walkExpr(e, (inner) => {
    if (inner.kind === 'traversal') reference = true;
    else if (inner.kind === 'template' && inner.parts.some((p) => typeof p === 'string' && p !== '')) text = true;
    else if (inner.kind === 'literal' && typeof inner.value === 'string' && inner.value !== '') text = true;
  });
  return text && !reference;
}

function literalFindings(
  expr: Expr,
  block: ConfigBlock | undefined,
  where: { address?: string; constructPath?: string; basePath?: readonly string[] },
): Draft[] {
  const drafts: Draft[] = [];
  const visit = (e: Expr, path: readonly string[], parent: ObjectExpr | undefined): void => {
    if (e.kind === 'object') {
      for (const item of e.items) visit(item.value, [...path, item.key ?? '(expr)'], e);
      return;
    }
    if (e.kind === 'tuple') {
      e.items.forEach((item, i) => visit(item, [...path, `[${i}]`], parent));
      return;
    }
    const attribute = formatPath(path);
    const secretAttr = isConstantText(e) ? secretAttribute(block, path, parent) : undefined;
    // Every literal piece of text, also inside templates, heredocs and function arguments.
    let kind: string | undefined;
    let at = e.loc;
    walkExpr(e, (inner) => {
      if (kind !== undefined) return;
      const texts =
        inner.kind === 'template'
          ? inner.parts.filter((p): p is string => typeof p === 'string')
          : inner.kind === 'literal' && typeof inner.value === 'string'
            ? [inner.value]
            : [];
      for (const text of texts) {
        const found = findCredential(text);
        if (found !== undefined) {
          kind = found;
          at = inner.loc;
          return;
        }
      }
    });
    if (kind !== undefined || secretAttr !== undefined) {
      const what = kind !== undefined ? `a credential-looking literal (${kind})` : `a literal value (${secretAttr})`;
      drafts.push({
        rule: 'credential-literal',
        message: `${where.address ?? 'configuration'}${attribute ? ` attribute ${attribute}` : ''} holds ${what}: ${FIX_LITERAL}`,
        loc: kind !== undefined ? at : e.loc,
        address: where.address,
        attribute: attribute || undefined,
        constructPath: where.constructPath,
      });
    }
  };
  visit(expr, [...(where.basePath ?? [])], undefined);
  return drafts;
}

function credentialLiterals(model: ModuleModel): Draft[] {
  const drafts: Draft[] = [];
  for (const block of model.blocks) {
    drafts.push(...literalFindings(block.body, block, { address: block.address, constructPath: block.constructPath }));
  }
  for (const v of model.variables) {
    if (v.default === undefined) continue;
    const address = `var.${v.name}`;
    const value = literalString(v.default);
    if (value !== undefined && value !== '' && (v.sensitive || isSecretName(v.name))) {
      drafts.push({
        rule: 'credential-literal',
        message: `${address} has a literal default for a ${v.sensitive ? 'sensitive' : 'secret-named'} variable: remove the default and pass the value at run time (TF_VAR_${v.name})`,
        loc: v.default.loc,
        address,
        attribute: 'default',
      });
    } else {
      drafts.push(...literalFindings(v.default, undefined, { address, basePath: ['default'] }));
    }
  }
  for (const l of model.locals)
    drafts.push(...literalFindings(l.value, undefined, { address: `local.${l.name}`, basePath: [l.name] }));
  for (const o of model.outputs)
    if (o.value)
      drafts.push(...literalFindings(o.value, undefined, { address: `output.${o.name}`, basePath: ['value'] }));
  for (const vars of model.varsFiles) {
    for (const item of vars.items) {
      if (item.key === undefined) continue;
      drafts.push(
        ...literalFindings(item.value, undefined, { address: `${item.key} (in ${vars.file})`, basePath: [item.key] }),
      );
    }
  }
  return drafts;
}

// ------------------------------------------------------------------ secret-output

function secretOutputs(model: ModuleModel, sources: SecretSources): Draft[] {
  const drafts: Draft[] = [];
  for (const o of model.outputs) {
    if (o.value === undefined || o.sensitive || o.ephemeral) continue;
    const why = sources.secretReason(o.value);
    if (why === undefined) continue;
    const laundered = sources.declassifies(o.value) ? ' (nonsensitive() does not make a secret safe to show)' : '';
    drafts.push({
      rule: 'secret-output',
      message: `output.${o.name} derives from ${why} but is not sensitive${laundered}: set sensitive = true, or do not output it`,
      loc: o.loc,
      address: `output.${o.name}`,
      attribute: 'value',
    });
  }
  return drafts;
}

// ------------------------------------------------------------------ secret-metadata

function secretMetadata(model: ModuleModel, sources: SecretSources): Draft[] {
  const drafts: Draft[] = [];
  for (const block of model.blocks) {
    if (block.kind !== 'resource') continue;
    if (block.type === 'coder_metadata') {
      blockBodies(objectGet(block.body, 'item')).forEach((item, i) => {
        const value = objectGet(item, 'value');
        if (value === undefined || literalBool(objectGet(item, 'sensitive')) === true) return;
        const why = sources.secretReason(value);
        if (why === undefined) return;
        const key = literalString(objectGet(item, 'key'));
        drafts.push({
          rule: 'secret-metadata',
          message: `${block.address} item[${i}]${key !== undefined ? ` ("${key}")` : ''} shows ${why} in the Coder dashboard: set sensitive = true on the item (it hides the value in the UI; it is not access control — anyone who can read the workspace's resources through the API still sees it)`,
          loc: item.loc,
          address: block.address,
          attribute: `item[${i}].value`,
          constructPath: block.constructPath,
        });
      });
    }
    if (block.type === 'coder_agent') {
      blockBodies(objectGet(block.body, 'metadata')).forEach((item, i) => {
        const script = objectGet(item, 'script');
        const why = script === undefined ? undefined : sources.secretReason(script);
        if (why === undefined) return;
        drafts.push({
          rule: 'secret-metadata',
          message: `${block.address} metadata[${i}].script uses ${why}; agent metadata output is shown in the dashboard and cannot be marked sensitive: do not put secrets into metadata scripts`,
          loc: item.loc,
          address: block.address,
          attribute: `metadata[${i}].script`,
          constructPath: block.constructPath,
        });
      });
    }
  }
  return drafts;
}

// ------------------------------------------------------------------ secret-variable-not-sensitive

function secretVariables(model: ModuleModel): Draft[] {
  return model.variables
    .filter((v) => isSecretName(v.name) && !v.sensitive)
    .map((v) => ({
      rule: 'secret-variable-not-sensitive' as const,
      message: `var.${v.name} is named like a secret but is not sensitive: add sensitive = true${v.ephemeral ? '' : ' (and ephemeral = true where the engine allows)'}, or rename it if it holds no secret`,
      loc: v.sensitiveLoc ?? v.loc,
      address: `var.${v.name}`,
    }));
}

export type { Draft };
