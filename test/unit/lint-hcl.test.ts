import {
  HclSyntaxError,
  literalString,
  objectGet,
  parseHcl,
  parseHclExpression,
  parseTemplate,
  type Expr,
} from '../../src/lint';

function attr(source: string, name = 'a'): Expr {
  const file = parseHcl(source, 't.tf');
  const found = file.attributes.find((a) => a.name === name);
  if (!found) throw new Error(`no attribute ${name}`);
  return found.value;
}

describe('HCL parser', () => {
  test('blocks with labels, nested blocks, one-line blocks, comments', () => {
    const file = parseHcl(
      [
        '# hash comment',
        '// slash comment',
        '/* block',
        '   comment */',
        'resource "coffer_user_secret" "npm" {',
        '  name = "npm-token" # trailing',
        '  lifecycle { ignore_changes = [description] }',
        '  item {',
        '    key = "a"',
        '  }',
        '  item {',
        '    key = "b"',
        '  }',
        '}',
        'locals {',
        '  x = 1',
        '}',
      ].join('\n'),
      'main.tf',
    );
    expect(file.blocks.map((b) => [b.type, b.labels])).toEqual([
      ['resource', ['coffer_user_secret', 'npm']],
      ['locals', []],
    ]);
    const body = file.blocks[0]!.body;
    expect(literalString(objectGet(body, 'name'))).toBe('npm-token');
    const items = objectGet(body, 'item');
    expect(items?.kind).toBe('tuple');
    expect(items?.kind === 'tuple' && items.items.length).toBe(2);
    // A block comment counts on its last line (the line "above" what follows it).
    expect(file.comments.map((c) => [c.line, c.standalone])).toEqual([
      [1, true],
      [2, true],
      [4, true],
      [6, false],
    ]);
    expect(file.blocks[0]!.loc.line).toBe(5);
  });

  test('templates: interpolation, escapes, $${ and directives', () => {
    const t = attr('a = "x ${var.y} \\"q\\" \\u00e9 $${not} %{ if var.c }yes%{ else }no%{ endif }"');
    expect(t.kind).toBe('template');
    if (t.kind !== 'template') return;
    expect(t.parts.filter((p) => typeof p === 'string').join('|')).toBe('x | "q" é ${not} |yes|no');
    const refs = t.parts
      .filter((p): p is Expr => typeof p !== 'string')
      .map((p) =>
        p.kind === 'traversal' ? `${p.root}.${p.steps.map((s) => ('attr' in s ? s.attr : '?')).join('.')}` : p.kind,
      );
    expect(refs).toEqual(['var.y', 'var.c']);
  });

  test('heredocs, plain and indented', () => {
    const plain = attr('a = <<EOT\n  line ${var.x}\nEOT\nb = 1\n');
    expect(plain.kind === 'template' && plain.parts[0]).toBe('  line ');
    const indented = attr('a = <<-EOT\n    one\n      two\n    EOT\n');
    expect(literalString(indented)).toBe('one\n  two\n');
  });

  test('expressions: operators, conditionals, calls, splats, for, provider functions', () => {
    const e = parseHclExpression('var.a ? [for s in var.l : upper(s) if s != ""] : {for k, v in var.m : k => v...}');
    expect(e.kind).toBe('operation');
    expect(parseHclExpression('-1').kind).toBe('literal');
    const trav = parseHclExpression('aws_instance.web[0].tags["Name"]');
    expect(trav.kind === 'traversal' && trav.steps.length).toBe(4);
    const splat = parseHclExpression('var.list[*].id');
    expect(splat.kind === 'traversal' && splat.steps.some((s) => 'splat' in s)).toBe(true);
    const call = parseHclExpression('provider::coffer::fingerprint(var.x, [1, 2]...)');
    expect(call.kind === 'call' && call.name).toBe('provider::coffer::fingerprint');
    const obj = parseHclExpression('{ a = 1, "b": 2\n c = { for = 3 } }');
    expect(obj.kind === 'object' && obj.items.map((i) => i.key)).toEqual(['a', 'b', 'c']);
  });

  test('multi-line expressions inside brackets', () => {
    const e = attr('a = [\n  1,\n  2,\n]\nb = merge(\n  var.x,\n  { y = 1 }\n)\n');
    expect(e.kind === 'tuple' && e.items.length).toBe(2);
  });

  test('syntax errors carry file, line and column', () => {
    expect(() => parseHcl('resource "x" "y" {\n  a = \n}\n', 'bad.tf')).toThrow(HclSyntaxError);
    try {
      parseHcl('a = "unterminated\n', 'bad.tf');
    } catch (error) {
      expect(error).toBeInstanceOf(HclSyntaxError);
      expect((error as HclSyntaxError).line).toBe(1);
      expect((error as Error).message).toMatch(/^bad\.tf:1:\d+: /);
    }
    expect(() => parseHcl('resource "x" {\n', 'bad.tf')).toThrow(/missing "}"/);
  });

  test('JSON-syntax strings are templates', () => {
    const t = parseTemplate('Bearer ${var.token}', { file: 'x.tf.json' });
    expect(t.parts[0]).toBe('Bearer ');
    expect(parseTemplate('plain', { file: 'x' }).parts).toEqual(['plain']);
    // Not a valid template: kept as text.
    expect(parseTemplate('${', { file: 'x' }).parts).toEqual(['${']);
  });
});
