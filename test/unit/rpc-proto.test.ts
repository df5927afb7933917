import healthProto from '../../src/provider/protocol/proto/health.proto';
import pluginProto from '../../src/provider/protocol/proto/plugin.proto';
import tfplugin6Proto from '../../src/provider/protocol/proto/tfplugin6.proto';
import {
  parseProtoFile,
  parseProtoSchema,
  ProtoParseError,
  ProtoSchemaError,
  type FieldDescriptor,
  type ProtoSchema,
} from '../../src/provider/protocol/rpc';

const REAL = [tfplugin6Proto, pluginProto, healthProto];

function field(schema: ProtoSchema, message: string, name: string): FieldDescriptor {
  const descriptor = schema.messages.get(message);
  if (descriptor === undefined) throw new Error(`no message ${message}`);
  const found = descriptor.fieldsByName.get(name);
  if (found === undefined) throw new Error(`no field ${message}.${name}`);
  return found;
}

function typeName(f: FieldDescriptor): string {
  return f.type.kind === 'scalar' ? f.type.scalar : f.type.fullName;
}

describe('proto parser: the real .proto files', () => {
  const schema = parseProtoSchema(REAL, ['tfplugin6.proto', 'plugin.proto', 'health.proto']);

  test('parses all three files into messages, enums and services', () => {
    expect([...schema.services.keys()].sort()).toEqual([
      'grpc.health.v1.Health',
      'plugin.GRPCBroker',
      'plugin.GRPCController',
      'plugin.GRPCStdio',
      'tfplugin6.Provider',
    ]);
    expect(schema.messages.size).toBeGreaterThan(90);
    expect(schema.enums.get('tfplugin6.Schema.NestedBlock.NestingMode')?.values.get('GROUP')).toBe(5);
    expect(schema.enums.get('tfplugin6.StringKind')?.namesByNumber.get(1)).toBe('MARKDOWN');
    expect(schema.enums.get('grpc.health.v1.HealthCheckResponse.ServingStatus')?.values.get('SERVING')).toBe(1);
  });

  test('resolves nested and relative type names like protoc', () => {
    const attributes = field(schema, 'tfplugin6.Schema.Block', 'attributes');
    expect(attributes).toMatchObject({ label: 'repeated', number: 2, packed: false });
    expect(typeName(attributes)).toBe('tfplugin6.Schema.Attribute');
    // "Object" inside Schema.Attribute is the sibling Schema.Object, not a global.
    expect(typeName(field(schema, 'tfplugin6.Schema.Attribute', 'nested_type'))).toBe('tfplugin6.Schema.Object');
    expect(typeName(field(schema, 'tfplugin6.Schema.NestedBlock', 'block'))).toBe('tfplugin6.Schema.Block');
    expect(typeName(field(schema, 'tfplugin6.Schema.NestedBlock', 'nesting'))).toBe(
      'tfplugin6.Schema.NestedBlock.NestingMode',
    );
    expect(typeName(field(schema, 'tfplugin6.Schema.Object', 'nesting'))).toBe('tfplugin6.Schema.Object.NestingMode');
    expect(typeName(field(schema, 'tfplugin6.Schema.Block', 'description_kind'))).toBe('tfplugin6.StringKind');
    expect(field(schema, 'tfplugin6.Schema.Block', 'description_kind').type.kind).toBe('enum');
    expect(typeName(field(schema, 'tfplugin6.Function', 'return'))).toBe('tfplugin6.Function.Return');
    expect(typeName(field(schema, 'plugin.ConnInfo', 'knock'))).toBe('plugin.ConnInfo.Knock');

    const resourceSchemas = field(schema, 'tfplugin6.GetProviderSchema.Response', 'resource_schemas');
    expect(resourceSchemas).toMatchObject({ label: 'map', mapKey: 'string', number: 2 });
    expect(typeName(resourceSchemas)).toBe('tfplugin6.Schema');
    const flatmap = field(schema, 'tfplugin6.RawState', 'flatmap');
    expect(flatmap).toMatchObject({ label: 'map', mapKey: 'string', type: { kind: 'scalar', scalar: 'string' } });

    // Field names keep their case.
    expect(field(schema, 'tfplugin6.StopProvider.Response', 'Error')).toMatchObject({
      number: 1,
      label: 'singular',
      type: { scalar: 'string' },
    });
  });

  test('oneofs and proto3 optional (synthetic oneofs)', () => {
    const step = schema.messages.get('tfplugin6.AttributePath.Step')!;
    expect(step.oneofs).toEqual([
      { name: 'selector', fields: ['attribute_name', 'element_key_string', 'element_key_int'], synthetic: false },
    ]);
    expect(step.fieldsByNumber.get(3)).toMatchObject({
      name: 'element_key_int',
      label: 'oneof',
      oneof: 'selector',
      type: { scalar: 'int64' },
    });

    const open = schema.messages.get('tfplugin6.OpenEphemeralResource.Response')!;
    expect(open.fieldsByName.get('renew_at')).toMatchObject({ label: 'optional', oneof: '_renew_at' });
    expect(open.fieldsByName.get('private')).toMatchObject({
      label: 'optional',
      oneof: '_private',
      type: { scalar: 'bytes' },
    });
    expect(open.fieldsByName.get('result')).toMatchObject({ label: 'singular', oneof: undefined });
    expect(open.oneofs.map((o) => [o.name, o.synthetic])).toEqual([
      ['_renew_at', true],
      ['_private', true],
    ]);
    expect(field(schema, 'tfplugin6.FunctionError', 'function_argument')).toMatchObject({
      label: 'optional',
      type: { scalar: 'int64' },
    });
  });

  test('fields in number order for the encoder', () => {
    const attribute = schema.messages.get('tfplugin6.Schema.Attribute')!;
    expect(attribute.fields.map((f) => f.number)).toEqual([1, 2, 10, 3, 4, 5, 6, 7, 8, 9, 11, 12]);
    expect(attribute.fieldsInNumberOrder.map((f) => f.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  test('services: paths, request/response types and stream flags', () => {
    const provider = schema.services.get('tfplugin6.Provider')!;
    expect(provider.methods).toHaveLength(22);
    expect(provider.methods.find((m) => m.name === 'GetMetadata')).toEqual({
      name: 'GetMetadata',
      path: '/tfplugin6.Provider/GetMetadata',
      requestType: 'tfplugin6.GetMetadata.Request',
      responseType: 'tfplugin6.GetMetadata.Response',
      requestStream: false,
      responseStream: false,
    });
    expect(schema.services.get('tfplugin6.Provider')!.methods.find((m) => m.name === 'StopProvider')).toMatchObject({
      requestType: 'tfplugin6.StopProvider.Request',
      responseType: 'tfplugin6.StopProvider.Response',
    });
    expect(schema.services.get('plugin.GRPCStdio')!.methods[0]).toMatchObject({
      path: '/plugin.GRPCStdio/StreamStdio',
      requestType: 'plugin.Empty',
      responseType: 'plugin.StdioData',
      requestStream: false,
      responseStream: true,
    });
    expect(schema.services.get('plugin.GRPCBroker')!.methods[0]).toMatchObject({
      requestStream: true,
      responseStream: true,
    });
    expect(schema.services.get('grpc.health.v1.Health')!.methods[0]).toMatchObject({
      path: '/grpc.health.v1.Health/Check',
      requestType: 'grpc.health.v1.HealthCheckRequest',
    });
  });

  test('parses all three files in well under 5 ms (warm; a regression guard, not a benchmark)', () => {
    let best = Infinity;
    for (let i = 0; i < 10; i++) {
      const started = process.hrtime.bigint();
      parseProtoSchema(REAL);
      best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
    }
    expect(best).toBeLessThan(5);
  });
});

describe('proto parser: the rest of the subset', () => {
  test('comments, options, reserved, packed, imports, cross-package references', () => {
    const a = `
      /* block
         comment */ syntax = "proto3"; // trailing
      package a.b;
      option go_package = "example.com/a;b";
      message T { string url = 1 [json_name = "u"]; reserved 5, 7 to 9; reserved "old"; }
      enum E { option allow_alias = true; Z = 0; ONE = 1; UNO = 1; NEG = -2; HEX = 0x10; }
    `;
    const b = `
      syntax = 'proto3';
      package c;
      import "a.proto";
      message U {
        a.b.T t = 1;
        .a.b.E e = 2;
        repeated int32 packed_ints = 3;
        repeated sint64 unpacked = 4 [packed = false];
        repeated a.b.E enums = 5;
        repeated string names = 6;
        map<int64, bytes> by_id = 7;
        optional bool flag = 8;
      }
      service S { rpc Do(stream U) returns (stream .a.b.T) { option deprecated = true; } }
    `;
    const schema = parseProtoSchema([b, a]);
    expect(typeName(field(schema, 'c.U', 't'))).toBe('a.b.T');
    expect(field(schema, 'c.U', 'e').type.kind).toBe('enum');
    expect(field(schema, 'c.U', 'packed_ints').packed).toBe(true);
    expect(field(schema, 'c.U', 'unpacked').packed).toBe(false);
    expect(field(schema, 'c.U', 'enums').packed).toBe(true);
    expect(field(schema, 'c.U', 'names').packed).toBe(false);
    expect(field(schema, 'c.U', 'by_id')).toMatchObject({ label: 'map', mapKey: 'int64', type: { scalar: 'bytes' } });
    expect(schema.enums.get('a.b.E')!.values).toEqual(
      new Map([
        ['Z', 0],
        ['ONE', 1],
        ['UNO', 1],
        ['NEG', -2],
        ['HEX', 16],
      ]),
    );
    expect(schema.enums.get('a.b.E')!.namesByNumber.get(1)).toBe('ONE');
    expect(schema.services.get('c.S')!.methods[0]).toEqual({
      name: 'Do',
      path: '/c.S/Do',
      requestType: 'c.U',
      responseType: 'a.b.T',
      requestStream: true,
      responseStream: true,
    });
  });

  test('the innermost scope wins, and a found first component must contain the rest', () => {
    const shadow = `syntax = "proto3"; package p;
      message X { int32 outer = 1; }
      message M { message X { int32 inner = 1; } X a = 1; .p.X b = 2; }`;
    const schema = parseProtoSchema([shadow]);
    expect(typeName(field(schema, 'p.M', 'a'))).toBe('p.M.X');
    expect(typeName(field(schema, 'p.M', 'b'))).toBe('p.X');

    const partial = `syntax = "proto3"; package p;
      message A { message B {} }
      message C { message A {} A.B x = 1; }`;
    expect(() => parseProtoSchema([partial], ['partial.proto'])).toThrow(
      /partial\.proto:3:32: "A\.B" in field p\.C\.x resolves to "p\.C\.A\.B", which is not defined/,
    );
  });

  test('empty messages, nested enums, keywords as field names', () => {
    const schema = parseProtoSchema([
      `syntax = "proto3"; package k; message Empty {} message W { message message {} W.message m = 1; bool optional = 2; int32 map = 3; string syntax = 4; }`,
    ]);
    expect(schema.messages.get('k.Empty')!.fields).toEqual([]);
    expect(typeName(field(schema, 'k.W', 'm'))).toBe('k.W.message');
    expect(field(schema, 'k.W', 'optional')).toMatchObject({ label: 'singular', type: { scalar: 'bool' } });
    expect(field(schema, 'k.W', 'map')).toMatchObject({ label: 'singular', type: { scalar: 'int32' } });
  });
});

describe('proto parser: errors name the file, line and column', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['missing syntax', 'package p; message M {}', /missing 'syntax = "proto3";'/],
    ['proto2', 'syntax = "proto2"; message M {}', /t\.proto:1:10: unsupported syntax "proto2"/],
    [
      'missing semicolon',
      'syntax = "proto3";\nmessage M {\n  string a = 1\n}',
      /t\.proto:4:1: expected ';', found '}'/,
    ],
    ['bad field number', 'syntax = "proto3"; message M { string a = 0; }', /field number 0 out of range/],
    ['reserved field number', 'syntax = "proto3"; message M { string a = 19500; }', /reserved for protobuf/],
    [
      'non-zero first enum value',
      'syntax = "proto3";\nenum E {\n  A = 1;\n}',
      /t\.proto:3:3: the first value of enum E must be 0/,
    ],
    ['bad map key', 'syntax = "proto3"; message M { map<double, string> m = 1; }', /invalid map key type 'double'/],
    [
      'repeated in oneof',
      'syntax = "proto3"; message M { oneof o { repeated string a = 1; } }',
      /'repeated' fields are not allowed in a oneof/,
    ],
    ['group', 'syntax = "proto3"; message M { group G = 1 {} }', /'group' is not supported/],
    ['required', 'syntax = "proto3"; message M { required string a = 1; }', /'required' is not supported/],
    [
      'unterminated string',
      'syntax = "proto3"; option x = "abc;\n',
      /expected a constant, found an unterminated string/,
    ],
    [
      'unterminated comment',
      'syntax = "proto3"; /* never closed\nmessage M {}',
      /t\.proto:1:20: expected a top-level statement, found '\/'/,
    ],
    [
      'stray character',
      'syntax = "proto3"; message M { string a = 1; } @',
      /t\.proto:1:48: expected a top-level statement, found '@'/,
    ],
    ['unexpected end', 'syntax = "proto3"; message M { string a = 1;', /expected a field or '}', found end of file/],
    [
      'rpc without returns',
      'syntax = "proto3"; message M {} service S { rpc A(M) (M); }',
      /expected 'returns', found '\('/,
    ],
  ];
  test.each(cases)('%s', (_name, text, expected) => {
    let error: unknown;
    try {
      parseProtoSchema([text], ['t.proto']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtoParseError);
    expect((error as Error).message).toMatch(expected);
  });

  const schemaCases: Array<[string, string, RegExp]> = [
    [
      'unknown type',
      'syntax = "proto3"; package p;\nmessage M {\n  Nope a = 1;\n}',
      /t\.proto:3:3: unknown type "Nope" in field p\.M\.a/,
    ],
    [
      'duplicate number',
      'syntax = "proto3"; message M { string a = 1; string b = 1; }',
      /field number 1 of field M\.b is already used by a/,
    ],
    [
      'duplicate name',
      'syntax = "proto3"; message M { string a = 1; int32 a = 2; }',
      /duplicate field name in field M\.a/,
    ],
    ['duplicate message', 'syntax = "proto3"; package p; message M {} message M {}', /"p\.M" is already defined/],
    [
      'rpc with an enum',
      'syntax = "proto3"; enum E { Z = 0; } service S { rpc A(E) returns (E); }',
      /"E" in rpc S\.A is an enum, not a message/,
    ],
    [
      'packed on strings',
      'syntax = "proto3"; message M { repeated string a = 1 [packed = true]; }',
      /\[packed\] only applies to repeated numeric fields/,
    ],
    ['unknown absolute type', 'syntax = "proto3"; message M { .q.M a = 1; }', /unknown type "\.q\.M" in field M\.a/],
  ];
  test.each(schemaCases)('%s', (_name, text, expected) => {
    expect(() => parseProtoSchema([text], ['t.proto'])).toThrow(ProtoSchemaError);
    expect(() => parseProtoSchema([text], ['t.proto'])).toThrow(expected);
  });

  test('a lazy schema reports a bad reference when the message is first used', () => {
    const text = 'syntax = "proto3"; package p; message Good { int32 a = 1; } message Bad { Nope n = 1; }';
    const schema = parseProtoSchema([text], ['lazy.proto'], { lazy: true });
    expect(schema.messages.get('p.Good')!.fields).toHaveLength(1);
    expect(() => schema.messages.get('p.Bad')!.fields).toThrow(
      /lazy\.proto:1:\d+: unknown type "Nope" in field p\.Bad\.n/,
    );
    expect(() => parseProtoSchema([text])).toThrow(ProtoSchemaError);
  });

  test('parseProtoFile alone does not resolve types', () => {
    const file = parseProtoFile('syntax = "proto3"; package p; message M { Unknown u = 1; }', 'x.proto');
    expect(file).toMatchObject({ fileName: 'x.proto', packageName: 'p' });
    expect(file.messages).toHaveLength(1);
  });
});
