/**
 * The expression tree the lint rules work on. Both syntaxes produce it: native HCL (`.tf`,
 * `.tfvars`, parsed by `hcl.ts`) and Terraform JSON (`.tf.json`, `cdk.tf.json`, whose strings
 * are templates parsed by the same template parser). A block body becomes an `object` whose
 * nested blocks are `tuple`s under the block type, so rules need not care which syntax a file
 * was written in.
 */

export interface SourceLocation {
  readonly file: string;
  /** 1-based; absent for JSON, whose findings carry an address instead. */
  readonly line?: number;
  readonly column?: number;
}

export type Expr = LiteralExpr | TemplateExpr | TraversalExpr | CallExpr | TupleExpr | ObjectExpr | OperationExpr;

export interface LiteralExpr {
  readonly kind: 'literal';
  readonly value: string | number | boolean | null;
  readonly loc: SourceLocation;
}

/** A string with interpolations: parts are literal text or expressions (`${…}`, `%{if …}`). */
export interface TemplateExpr {
  readonly kind: 'template';
  readonly parts: readonly (string | Expr)[];
  readonly loc: SourceLocation;
}

/** A step after the root: `.name`, `[index]`, `[*]`/`.*` (splat). */
export type TraversalStep = { readonly attr: string } | { readonly index: Expr } | { readonly splat: true };

/** `var.x`, `local.y`, `data.t.n.attr`, `each.value`, `aws_x.y[0].id`, … */
export interface TraversalExpr {
  readonly kind: 'traversal';
  readonly root: string;
  readonly steps: readonly TraversalStep[];
  readonly loc: SourceLocation;
}

export interface CallExpr {
  readonly kind: 'call';
  /** The function name, `provider::ns::fn` for provider functions. */
  readonly name: string;
  readonly args: readonly Expr[];
  readonly loc: SourceLocation;
}

export interface TupleExpr {
  readonly kind: 'tuple';
  readonly items: readonly Expr[];
  readonly loc: SourceLocation;
}

export interface ObjectItem {
  /** The key as written when it is a plain name or a literal string; otherwise undefined. */
  readonly key: string | undefined;
  readonly keyExpr: Expr;
  readonly value: Expr;
  readonly loc: SourceLocation;
}

export interface ObjectExpr {
  readonly kind: 'object';
  readonly items: readonly ObjectItem[];
  readonly loc: SourceLocation;
}

/** Anything else (operators, conditionals, for expressions, parentheses): only its operands matter here. */
export interface OperationExpr {
  readonly kind: 'operation';
  readonly operator: string;
  readonly operands: readonly Expr[];
  readonly loc: SourceLocation;
}

export function literal(value: LiteralExpr['value'], loc: SourceLocation): LiteralExpr {
  return { kind: 'literal', value, loc };
}

/** The literal string an expression is, when it has no interpolation at all. */
export function literalString(expr: Expr | undefined): string | undefined {
  if (expr === undefined) return undefined;
  if (expr.kind === 'literal') return typeof expr.value === 'string' ? expr.value : undefined;
  if (expr.kind === 'template' && expr.parts.every((p) => typeof p === 'string')) return expr.parts.join('');
  return undefined;
}

/** `true`, `false` or undefined (not a literal bool; `"true"` counts, as Terraform converts it). */
export function literalBool(expr: Expr | undefined): boolean | undefined {
  if (expr === undefined) return undefined;
  if (expr.kind === 'literal' && typeof expr.value === 'boolean') return expr.value;
  const text = literalString(expr);
  if (text === 'true') return true;
  if (text === 'false') return false;
  return undefined;
}

export function objectGet(expr: Expr | undefined, key: string): Expr | undefined {
  if (expr?.kind !== 'object') return undefined;
  for (let i = expr.items.length - 1; i >= 0; i--) if (expr.items[i]?.key === key) return expr.items[i]?.value;
  return undefined;
}

/** A nested block's bodies: `tuple` of objects (HCL, JSON arrays) or a single `object` (JSON). */
export function blockBodies(expr: Expr | undefined): ObjectExpr[] {
  if (expr === undefined) return [];
  if (expr.kind === 'object') return [expr];
  if (expr.kind === 'tuple') return expr.items.filter((i): i is ObjectExpr => i.kind === 'object');
  return [];
}

/** Calls `visit` for every expression in the tree, depth first, with the key path leading to it. */
export function walkExpr(
  expr: Expr,
  visit: (e: Expr, path: readonly string[]) => void,
  path: readonly string[] = [],
): void {
  visit(expr, path);
  switch (expr.kind) {
    case 'template':
      for (const part of expr.parts) if (typeof part !== 'string') walkExpr(part, visit, path);
      break;
    case 'traversal':
      for (const step of expr.steps) if ('index' in step) walkExpr(step.index, visit, path);
      break;
    case 'call':
      expr.args.forEach((a) => walkExpr(a, visit, path));
      break;
    case 'tuple':
      expr.items.forEach((item, i) => walkExpr(item, visit, [...path, `[${i}]`]));
      break;
    case 'object':
      for (const item of expr.items) {
        if (item.key === undefined) walkExpr(item.keyExpr, visit, path);
        walkExpr(item.value, visit, [...path, item.key ?? '(expr)']);
      }
      break;
    case 'operation':
      expr.operands.forEach((o) => walkExpr(o, visit, path));
      break;
    case 'literal':
      break;
  }
}

/** Formats a key path like HCL users write it: `env.GITHUB_TOKEN`, `item[0].value`. */
export function formatPath(path: readonly string[]): string {
  return path.reduce(
    (acc, part) => (part.startsWith('[') ? `${acc}${part}` : acc === '' ? part : `${acc}.${part}`),
    '',
  );
}
