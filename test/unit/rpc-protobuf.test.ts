import * as crypto from 'node:crypto';
import * as protobuf from 'protobufjs';
import healthProto from '../../src/provider/protocol/proto/health.proto';
import pluginProto from '../../src/provider/protocol/proto/plugin.proto';
import tfplugin6Proto from '../../src/provider/protocol/proto/tfplugin6.proto';
import {
  decodeMessage,
  encodeMessage,
  loadSchema,
  messageCodec,
  parseProtoSchema,
  ProtobufDecodeError,
  type ProtoSchema,
  type WireMessage,
} from '../../src/provider/protocol/rpc';

/** The options the current code (src/provider/protocol/proto) decodes with. */
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: Number,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

/** Everything the codec supports, for edge cases the real files do not exercise. */
const TEST_PROTO = `
syntax = "proto3";
package t;
enum E { Z = 0; A = 1; NEG = -1; }
message S {
  double d = 1; float f = 2; int32 i32 = 3; int64 i64 = 4; uint32 u32 = 5; uint64 u64 = 6;
  sint32 s32 = 7; sint64 s64 = 8; fixed32 f32 = 9; fixed64 f64 = 10; sfixed32 sf32 = 11; sfixed64 sf64 = 12;
  bool b = 13; string s = 14; bytes by = 15; E e = 16;
  repeated int32 ri32 = 17; repeated sint64 rs64 = 18; repeated double rd = 19; repeated E re = 20;
  repeated string rs = 21; repeated bytes rby = 22; repeated int32 unpacked = 23 [packed = false];
  map<int32, string> mi = 24; map<string, S> ms = 25; map<bool, int64> mb = 26;
  optional int32 oi = 27; optional string os = 28;
  oneof choice { string cs = 29; S cm = 30; int64 ci = 31; }
  S child = 32;
  repeated fixed64 rf64 = 33; repeated float rf = 34; repeated bool rb = 35; repeated uint64 ru64 = 36;
  map<string, E> me = 37; map<uint32, bytes> mu = 38;
  uint32 big_number_field = 536870911;
}
`;

function protobufjsRoot(texts: string[]): protobuf.Root {
  const root = new protobuf.Root();
  for (const text of texts) protobuf.parse(text, root, { keepCase: true });
  root.resolveAll();
  return root;
}

const REAL_TEXTS = [tfplugin6Proto, pluginProto, healthProto];
const realSchema = loadSchema(REAL_TEXTS);
const testSchema = parseProtoSchema([TEST_PROTO]);
const pbReal = protobufjsRoot(REAL_TEXTS);
const pbTest = protobufjsRoot([TEST_PROTO]);

function pbEncode(root: protobuf.Root, name: string, object: WireMessage): Buffer {
  const type = root.lookupType(name);
  return Buffer.from(type.encode(type.fromObject(object)).finish());
}

function pbDecode(root: protobuf.Root, name: string, bytes: Uint8Array): WireMessage {
  const type = root.lookupType(name);
  return type.toObject(type.decode(bytes), TO_OBJECT) as WireMessage;
}

/** Both directions must give exactly what protobufjs toObject gives. */
function expectCompatible(schema: ProtoSchema, root: protobuf.Root, name: string, object: WireMessage): Buffer {
  const descriptor = schema.messages.get(name)!;
  const ours = encodeMessage(descriptor, object);
  const reference = pbDecode(root, name, ours);
  // ours → ours and ours → protobufjs agree
  expect(decodeMessage(descriptor, ours)).toStrictEqual(reference);
  // protobufjs → ours agrees with protobufjs → protobufjs
  const theirs = pbEncode(root, name, object);
  expect(decodeMessage(descriptor, theirs)).toStrictEqual(pbDecode(root, name, theirs));
  // and both encodings mean the same thing
  expect(reference).toStrictEqual(pbDecode(root, name, theirs));
  return ours;
}

const real = (name: string, object: WireMessage): Buffer => expectCompatible(realSchema, pbReal, name, object);
const t = (object: WireMessage): Buffer => expectCompatible(testSchema, pbTest, 't.S', object);

const stringType = Buffer.from('"string"');
function attribute(name: string, extra: WireMessage = {}): WireMessage {
  return { name, type: stringType, description: `the ${name}`, description_kind: 1, ...extra };
}

describe('protobuf codec: compatible with protobufjs toObject on the real messages', () => {
  test('GetProviderSchema.Response: nested maps, repeated, bytes, enums, defaults', () => {
    const block = {
      version: 2,
      attributes: [
        attribute('id', { computed: true }),
        attribute('name', { required: true }),
        attribute('value', {
          optional: true,
          sensitive: true,
          write_only: true,
          deprecated: true,
          deprecation_message: 'use x',
        }),
        attribute('nested', {
          type: Buffer.alloc(0),
          nested_type: {
            attributes: [attribute('inner', { optional: true })],
            nesting: 3,
            min_items: 1,
            max_items: 10,
          },
        }),
      ],
      block_types: [
        {
          type_name: 'rule',
          block: { attributes: [attribute('pattern')], description: '' },
          nesting: 2,
          min_items: 0,
          max_items: 5,
        },
      ],
      description: 'A user secret — ünïcødé 🔐',
      description_kind: 0,
    };
    const response = {
      provider: { version: 0, block: { attributes: [attribute('address', { optional: true })] } },
      resource_schemas: {
        coffer_user_secret: { version: 1, block },
        coffer_other: { version: 0, block: { attributes: [] } },
      },
      data_source_schemas: { coffer_user_secret: { version: 0, block } },
      diagnostics: [
        { severity: 2, summary: 'careful', detail: '', attribute: { steps: [{ attribute_name: 'value' }] } },
      ],
      server_capabilities: { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false },
      functions: {
        redact: {
          parameters: [{ name: 'input', type: stringType, allow_null_value: true, description_kind: 1 }],
          variadic_parameter: { name: 'rest', type: stringType, allow_unknown_values: true },
          return: { type: stringType },
          summary: 'Redacts',
        },
      },
      ephemeral_resource_schemas: {
        coffer_token: { version: 3, block: { attributes: [attribute('token', { computed: true, sensitive: true })] } },
      },
    };
    const bytes = real('tfplugin6.GetProviderSchema.Response', response);
    const decoded = messageCodec('tfplugin6.GetProviderSchema.Response').decode(bytes);
    // Spot-check the shape the handlers rely on.
    expect(decoded.provider_meta).toBeNull();
    expect((decoded.resource_schemas as Record<string, WireMessage>).coffer_other).toEqual({
      version: 0,
      block: {
        version: 0,
        attributes: [],
        block_types: [],
        description: '',
        description_kind: 0,
        deprecated: false,
        deprecation_message: '',
      },
    });
    // An empty message decodes to all defaults.
    real('tfplugin6.GetProviderSchema.Response', {});
  });

  test('PlanResourceChange.Request/Response: DynamicValue bytes, AttributePath oneofs', () => {
    const msgpack = crypto.randomBytes(4096);
    real('tfplugin6.PlanResourceChange.Request', {
      type_name: 'coffer_user_secret',
      prior_state: { msgpack: Buffer.from([0xc0]) },
      proposed_new_state: { msgpack },
      config: { json: Buffer.from('{"a":1}') },
      prior_private: Buffer.from('private'),
      provider_meta: {},
      client_capabilities: { deferral_allowed: true, write_only_attributes_allowed: true },
    });
    real('tfplugin6.PlanResourceChange.Response', {
      planned_state: { msgpack },
      requires_replace: [
        { steps: [{ attribute_name: 'name' }] },
        { steps: [{ attribute_name: 'list' }, { element_key_int: 0 }, { element_key_string: '' }] },
      ],
      planned_private: Buffer.alloc(0),
      legacy_type_system: false,
      deferred: { reason: 2 },
    });
  });

  test.each([0, 1, -1, -5, 2 ** 31, -(2 ** 31), 2 ** 32 + 3, 2 ** 40, 2 ** 53 - 1, -(2 ** 53 - 1)])(
    'Diagnostic with element_key_int %d',
    (key) => {
      const bytes = real('tfplugin6.Diagnostic', {
        severity: 1,
        summary: 'bad element',
        detail: 'détail',
        attribute: { steps: [{ attribute_name: 'tags' }, { element_key_int: key }, { element_key_string: 'k' }] },
      });
      const decoded = messageCodec('tfplugin6.Diagnostic').decode(bytes) as { attribute: { steps: WireMessage[] } };
      expect(decoded.attribute.steps[1]).toStrictEqual({ element_key_int: key, selector: 'element_key_int' });
      expect(decoded.attribute.steps[0]).toStrictEqual({ attribute_name: 'tags', selector: 'attribute_name' });
    },
  );

  test('OpenEphemeralResource.Response: proto3 optional fields present (even default) and absent', () => {
    const codec = messageCodec('tfplugin6.OpenEphemeralResource.Response');
    const present = real('tfplugin6.OpenEphemeralResource.Response', {
      diagnostics: [],
      renew_at: { seconds: 1_767_225_600, nanos: 500_000_000 },
      result: { msgpack: Buffer.from([0x80]) },
      private: Buffer.from('{"lease":"abc"}'),
    });
    expect(codec.decode(present)).toMatchObject({ _renew_at: 'renew_at', _private: 'private' });
    const emptyPrivate = real('tfplugin6.OpenEphemeralResource.Response', { private: Buffer.alloc(0), renew_at: {} });
    expect(codec.decode(emptyPrivate)).toStrictEqual({
      diagnostics: [],
      result: null,
      deferred: null,
      renew_at: { seconds: 0, nanos: 0 },
      _renew_at: 'renew_at',
      private: Buffer.alloc(0),
      _private: 'private',
    });
    const absent = real('tfplugin6.OpenEphemeralResource.Response', { result: { msgpack: Buffer.from([0x80]) } });
    const decoded = codec.decode(absent);
    expect('renew_at' in decoded).toBe(false);
    expect('private' in decoded).toBe(false);
    expect('_private' in decoded).toBe(false);
    real('tfplugin6.RenewEphemeralResource.Request', { type_name: 'x', private: Buffer.from([1, 2, 3]) });
    real('tfplugin6.CloseEphemeralResource.Request', { type_name: 'x' });
  });

  test('StopProvider, FunctionError, RawState map, CallFunction, plugin and health messages', () => {
    real('tfplugin6.StopProvider.Response', { Error: 'could not stop' });
    real('tfplugin6.StopProvider.Response', { Error: '' });
    real('tfplugin6.StopProvider.Request', {});
    // An optional int64 holding 0 is sent and comes back.
    const zeroArg = real('tfplugin6.FunctionError', { text: 'bad', function_argument: 0 });
    expect(messageCodec('tfplugin6.FunctionError').decode(zeroArg)).toStrictEqual({
      text: 'bad',
      function_argument: 0,
      _function_argument: 'function_argument',
    });
    real('tfplugin6.UpgradeResourceState.Request', {
      type_name: 'coffer_user_secret',
      version: 3,
      raw_state: { json: Buffer.from('{}'), flatmap: { 'a.%': '1', 'a.0': 'x', '': '', __proto__x: 'y' } },
    });
    real('tfplugin6.CallFunction.Request', {
      name: 'f',
      arguments: [{ msgpack: Buffer.from([1]) }, {}, { json: Buffer.from('null') }],
    });
    real('tfplugin6.CallFunction.Response', { error: { text: 'nope', function_argument: 2 } });
    real('tfplugin6.ImportResourceState.Response', {
      imported_resources: [
        {
          type_name: 'a',
          state: { msgpack: Buffer.from([0x80]) },
          private: Buffer.from('p'),
          identity: { identity_data: {} },
        },
      ],
      deferred: { reason: 0 },
    });
    real('tfplugin6.GetMetadata.Response', {
      server_capabilities: { plan_destroy: true },
      resources: [{ type_name: 'coffer_user_secret' }],
      data_sources: [],
      ephemeral_resources: [{ type_name: 'coffer_token' }],
      functions: [{ name: 'redact' }],
    });
    real('plugin.StdioData', { channel: 2, data: Buffer.from('line\n') });
    real('plugin.ConnInfo', {
      service_id: 4294967295,
      network: 'unix',
      address: '/tmp/x',
      knock: { knock: true, ack: false, error: '' },
    });
    real('plugin.Empty', {});
    real('grpc.health.v1.HealthCheckRequest', { service: 'plugin' });
    real('grpc.health.v1.HealthCheckResponse', { status: 1 });
  });

  test('accepts protobufjs-style input leniency: enum names, int64 strings/bigints, Uint8Array, number[]', () => {
    const codec = messageCodec('tfplugin6.Schema.NestedBlock');
    const bytes = codec.encode({ type_name: 'r', nesting: 'LIST', min_items: '3', max_items: 7n });
    expect(codec.decode(bytes)).toStrictEqual({ type_name: 'r', block: null, nesting: 2, min_items: 3, max_items: 7 });
    const dv = messageCodec('tfplugin6.DynamicValue');
    expect(dv.decode(dv.encode({ msgpack: new Uint8Array([1, 2]), json: [3, 4] }))).toStrictEqual({
      msgpack: Buffer.from([1, 2]),
      json: Buffer.from([3, 4]),
    });
    // unknown properties (like protobufjs's virtual oneof names) are ignored
    const step = messageCodec('tfplugin6.AttributePath.Step');
    expect(step.decode(step.encode({ attribute_name: 'a', selector: 'attribute_name', extra: 1 }))).toStrictEqual({
      attribute_name: 'a',
      selector: 'attribute_name',
    });
  });
});

describe('protobuf codec: every scalar kind, packed/unpacked, maps, oneofs (test proto)', () => {
  const EDGE_INTS = [
    0,
    1,
    -1,
    127,
    128,
    300,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 32 - 1,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    2 ** 35 + 7,
  ];

  test('explicit values of every type', () => {
    t({
      d: 3.141592653589793,
      f: Math.fround(1.5),
      i32: -42,
      i64: -(2 ** 40),
      u32: 4294967295,
      u64: 2 ** 52 + 1,
      s32: -2147483648,
      s64: -(2 ** 50),
      f32: 4294967295,
      f64: 2 ** 53 - 1,
      sf32: -2147483648,
      sf64: -(2 ** 53 - 1),
      b: true,
      s: 'héllo, 世界 🌍',
      by: Buffer.from([0, 255, 1]),
      e: -1,
      ri32: [1, -1, 0, 300, -(2 ** 31)],
      rs64: [0, -1, 1, -(2 ** 53 - 1), 2 ** 53 - 1],
      rd: [0, -0.5, 1e300, Number.MIN_VALUE],
      re: [0, 1, -1, 7],
      rs: ['', 'a', 'ü'],
      rby: [Buffer.alloc(0), Buffer.from('x')],
      unpacked: [5, -5, 0],
      mi: { '1': 'one', '-7': 'minus seven', '0': '' },
      ms: { a: { s: 'nested', ms: { deeper: { i32: 1 } } }, b: {} },
      mb: { true: -(2 ** 33) }, // (protobufjs encodes a "false" key as true; see below)
      oi: 0,
      os: '',
      cm: { s: 'chosen' },
      child: { child: { child: { e: 1 } } },
      rf64: [0, 2 ** 53 - 1],
      rf: [Math.fround(0.1), -2],
      rb: [true, false, true],
      ru64: [0, 2 ** 53 - 1, 2 ** 32],
      me: { x: 1, y: 0, z: -1 },
      mu: { '4294967295': Buffer.from('max'), '0': Buffer.alloc(0) },
      big_number_field: 9,
    });
  });

  test('bool and integer map keys round-trip as their string forms', () => {
    const codec = messageCodec('t.S', testSchema);
    const decoded = codec.decode(
      codec.encode({ mb: { true: 1, false: 2 }, mi: { '-1': 'a', '7': 'b' }, mu: { '4294967295': Buffer.from('x') } }),
    );
    expect(decoded.mb).toStrictEqual({ true: 1, false: 2 });
    expect(decoded.mi).toStrictEqual({ '-1': 'a', '7': 'b' });
    expect(decoded.mu).toStrictEqual({ '4294967295': Buffer.from('x') });
  });

  test('a "__proto__" map key is an ordinary entry', () => {
    const flatmap = JSON.parse('{"__proto__": "z", "a": "b"}') as Record<string, string>;
    const bytes = real('tfplugin6.RawState', { flatmap });
    const decoded = messageCodec('tfplugin6.RawState').decode(bytes) as { flatmap: Record<string, string> };
    expect(Object.keys(decoded.flatmap)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(decoded.flatmap)).toBe(Object.prototype);
  });

  test('all defaults encode to nothing and decode to defaults', () => {
    const bytes = t({
      d: 0,
      i32: 0,
      i64: 0,
      s: '',
      by: Buffer.alloc(0),
      b: false,
      e: 0,
      ri32: [],
      mi: {},
      child: null,
      oi: undefined,
    });
    expect(bytes.length).toBe(0);
  });

  test('oneof: the last member on the wire wins; the virtual property names it', () => {
    t({ cs: 'text' });
    t({ ci: 0 });
    t({ ci: -(2 ** 53 - 1) });
    const codec = messageCodec('t.S', testSchema);
    const two = Buffer.concat([codec.encode({ cs: 'first' }), codec.encode({ ci: 5 })]);
    const decoded = codec.decode(two);
    expect(decoded.ci).toBe(5);
    expect(decoded.choice).toBe('ci');
    expect('cs' in decoded).toBe(false);
  });

  test.each(EDGE_INTS)('integer edge case %d in every integer type', (value) => {
    const object: WireMessage = {
      i32: value,
      i64: value,
      sf64: value,
      s64: value,
      ri32: [value, value],
      rs64: [value],
      oi: value,
      ci: value,
    };
    if (value >= 0) Object.assign(object, { u64: value, f64: value, ru64: [value], rf64: [value] });
    if (value >= -(2 ** 31) && value < 2 ** 32)
      Object.assign(object, { u32: value, f32: value >>> 0, sf32: value | 0, s32: value | 0 });
    t(object);
  });

  test('random round trips', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const strings = ['', 'a', 'ascii only', 'ü', '世界', '🔐 emoji', 'x'.repeat(100), 'é'.repeat(70), '\u0000nul'];
    for (let i = 0; i < 200; i++) {
      const int = pick(EDGE_INTS);
      const object: WireMessage = {};
      if (random() < 0.5) object.i32 = int | 0;
      if (random() < 0.5) object.i64 = int;
      if (random() < 0.5) object.s64 = int;
      if (random() < 0.5) object.u32 = int >>> 0;
      if (random() < 0.5) object.d = (random() - 0.5) * 10 ** Math.floor(random() * 20);
      if (random() < 0.5) object.f = Math.fround(random() * 1000);
      if (random() < 0.5) object.s = pick(strings);
      if (random() < 0.5) object.by = crypto.randomBytes(Math.floor(random() * 300));
      if (random() < 0.3) object.rs = [pick(strings), pick(strings)];
      if (random() < 0.3) object.ri32 = Array.from({ length: Math.floor(random() * 200) }, () => pick(EDGE_INTS) | 0);
      if (random() < 0.3) object.ms = { [pick(strings)]: { s: pick(strings), i64: int } };
      if (random() < 0.3) object.mi = { [String(int | 0)]: pick(strings) };
      if (random() < 0.3) object.os = pick(strings);
      const choice = random();
      if (choice < 0.3) object.cs = pick(strings);
      else if (choice < 0.6) object.cm = { b: true };
      t(object);
    }
  });

  test('both packed and unpacked repeated encodings decode', () => {
    const codec = messageCodec('t.S', testSchema);
    // field 17 (ri32) unpacked: tag 17<<3|0 = 136 (varint 0x88 0x01)
    const unpacked = Buffer.from([0x88, 0x01, 0x05, 0x88, 0x01, 0x06]);
    expect(codec.decode(unpacked).ri32).toEqual([5, 6]);
    // field 23 (unpacked) sent packed: tag 23<<3|2 = 186 (0xba 0x01), length 2
    const packed = Buffer.from([0xba, 0x01, 0x02, 0x07, 0x08]);
    expect(codec.decode(packed).unpacked).toEqual([7, 8]);
    // our encoder packs ri32 and does not pack `unpacked`
    expect(codec.encode({ ri32: [1, 2] })).toEqual(Buffer.from([0x8a, 0x01, 0x02, 0x01, 0x02]));
    expect(codec.encode({ unpacked: [1, 2] })).toEqual(Buffer.from([0xb8, 0x01, 0x01, 0xb8, 0x01, 0x02]));
  });

  test('negative int32 and enums are 10-byte varints; sint32 is zigzag', () => {
    const codec = messageCodec('t.S', testSchema);
    expect(codec.encode({ i32: -1 })).toEqual(
      Buffer.from([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    );
    expect(codec.encode({ e: -1 }).length).toBe(2 + 10);
    expect(codec.encode({ s32: -1 })).toEqual(Buffer.from([0x38, 0x01]));
    expect(codec.encode({ u32: 2 ** 32 - 1 })).toEqual(Buffer.from([0x28, 0xff, 0xff, 0xff, 0xff, 0x0f]));
  });
});

describe('protobuf codec: unknown fields and malformed input', () => {
  const codec = messageCodec('tfplugin6.DynamicValue');

  test('skips unknown fields of every wire type', () => {
    const unknown = Buffer.from([
      0x18,
      0x96,
      0x01, // field 3 varint 150
      0x20,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0x01, // field 4 varint 10 bytes
      0x29,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // field 5 fixed64
      0x32,
      0x03,
      0x61,
      0x62,
      0x63, // field 6 length-delimited
      0x3d,
      1,
      2,
      3,
      4, // field 7 fixed32
      0xf8,
      0xff,
      0xff,
      0xff,
      0x0f,
      0x01, // field 536870911 varint
    ]);
    const known = codec.encode({ msgpack: Buffer.from([0xc0]), json: Buffer.from('{}') });
    const mixed = Buffer.concat([unknown, known, unknown]);
    expect(codec.decode(mixed)).toStrictEqual({ msgpack: Buffer.from([0xc0]), json: Buffer.from('{}') });
    // protobufjs agrees
    expect(pbDecode(pbReal, 'tfplugin6.DynamicValue', mixed)).toStrictEqual(codec.decode(mixed));
    // a known field with the wrong wire type is skipped as unknown (as Go does)
    expect(codec.decode(Buffer.from([0x08, 0x01]))).toStrictEqual({ msgpack: Buffer.alloc(0), json: Buffer.alloc(0) });
  });

  test.each([
    ['group start', [0x0b, 0x00]],
    ['group end', [0x0c]],
    ['wire type 7', [0x0f]],
    ['field number 0', [0x02, 0x00]],
    ['truncated varint', [0x18, 0x96]],
    ['truncated length', [0x0a, 0x05, 0x01]],
    ['truncated fixed64', [0x29, 1, 2, 3]],
    ['truncated fixed32', [0x3d, 1]],
    ['varint too long', [0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
  ])('rejects %s', (_name, bytes) => {
    expect(() => codec.decode(Buffer.from(bytes))).toThrow(ProtobufDecodeError);
  });

  test('a nested message may not overrun its parent', () => {
    const response = messageCodec('tfplugin6.ValidateProviderConfig.Request');
    // config (field 1) claims 3 bytes, but holds a field whose length runs past them
    expect(() => response.decode(Buffer.from([0x0a, 0x03, 0x0a, 0x05, 0x01, 0x02, 0x03, 0x04]))).toThrow(
      ProtobufDecodeError,
    );
  });

  test('encode rejects shapes that cannot be encoded', () => {
    const schema = messageCodec('tfplugin6.Schema.Block');
    expect(() => schema.encode({ attributes: 'nope' })).toThrow(/array expected/);
    expect(() => schema.encode({ attributes: [null] })).toThrow(/object expected/);
    expect(() => messageCodec('tfplugin6.Schema').encode({ block: 5 })).toThrow(/object expected/);
    expect(() => messageCodec('tfplugin6.DynamicValue').encode({ msgpack: 5 })).toThrow(/bytes expected/);
    expect(() => messageCodec('tfplugin6.Diagnostic').encode({ severity: 'LOUD' })).toThrow(
      /unknown tfplugin6\.Diagnostic\.Severity value "LOUD"/,
    );
    expect(() => messageCodec('tfplugin6.UpgradeResourceState.Request').encode({ version: 'x' })).toThrow(
      /integer expected/,
    );
    expect(() => messageCodec('no.Such')).toThrow(/unknown message type no\.Such/);
  });

  test('encodes with head room for a frame header', () => {
    const bytes = codec.encode({ json: Buffer.from('{}') }, 5);
    expect(bytes.subarray(5)).toEqual(codec.encode({ json: Buffer.from('{}') }));
    expect(bytes.length).toBe(5 + 4);
  });

  test('20 MiB values round-trip without per-byte work', () => {
    const big = crypto.randomBytes(20 * 1024 * 1024);
    const request = messageCodec('tfplugin6.PlanResourceChange.Request');
    const started = process.hrtime.bigint();
    const bytes = request.encode({ type_name: 'x', proposed_new_state: { msgpack: big }, config: { json: big } });
    const decoded = request.decode(bytes) as { proposed_new_state: { msgpack: Buffer }; config: { json: Buffer } };
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(decoded.proposed_new_state.msgpack.equals(big)).toBe(true);
    expect(decoded.config.json.equals(big)).toBe(true);
    expect(ms).toBeLessThan(1000);
    // Large strings too (native UTF-8 path).
    const description = 'é'.repeat(3 * 1024 * 1024);
    const block = messageCodec('tfplugin6.Schema.Block');
    expect(block.decode(block.encode({ description })).description).toBe(description);
  });
});
