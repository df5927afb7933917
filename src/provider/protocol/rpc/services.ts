/**
 * Turns .proto texts into gRPC service definitions (paths, streaming flags, message codecs) for
 * `GrpcServer`, and gives tests a codec per message type.
 */
import { codecFor, type MessageCodec } from './protobuf';
import { parseProtoSchema, type MessageDescriptor, type ProtoSchema } from './proto-parser';

export interface MethodDefinition {
  /** Method name as declared, e.g. `GetProviderSchema`. */
  readonly name: string;
  /** Full service name, e.g. `tfplugin6.Provider`. */
  readonly service: string;
  /** HTTP/2 `:path`: `/tfplugin6.Provider/GetProviderSchema`. */
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestType: string;
  readonly responseType: string;
  readonly requestCodec: MessageCodec;
  readonly responseCodec: MessageCodec;
}

export interface ServiceDefinition {
  /** Full service name, e.g. `tfplugin6.Provider`. */
  readonly name: string;
  /** Methods by name. */
  readonly methods: Readonly<Record<string, MethodDefinition>>;
}

const schemaCache = new Map<string, ProtoSchema>();
/** Schemas loaded so far, newest first: where `messageCodec(fullName)` looks without a schema. */
const loadedSchemas: ProtoSchema[] = [];

/**
 * Parses .proto texts into one schema (cached per set of texts). Message fields are resolved on
 * first use (start-up cost), so the texts should be ones a test parses eagerly with `parseProtoSchema`.
 */
export function loadSchema(protoTexts: readonly string[]): ProtoSchema {
  const key = protoTexts.join('\u0000');
  let schema = schemaCache.get(key);
  if (schema === undefined) {
    schema = parseProtoSchema(protoTexts, undefined, { lazy: true });
    schemaCache.set(key, schema);
    loadedSchemas.unshift(schema);
  }
  return schema;
}

function messageDescriptor(schema: ProtoSchema, fullName: string): MessageDescriptor {
  const descriptor = schema.messages.get(fullName);
  if (descriptor === undefined) throw new Error(`unknown message type ${fullName}`);
  return descriptor;
}

const definitionCache = new WeakMap<ProtoSchema, Record<string, ServiceDefinition>>();

/** Service definitions of a schema by full service name. */
export function serviceDefinitions(schema: ProtoSchema): Record<string, ServiceDefinition> {
  const cached = definitionCache.get(schema);
  if (cached !== undefined) return cached;
  const result: Record<string, ServiceDefinition> = {};
  for (const service of schema.services.values()) {
    const methods: Record<string, MethodDefinition> = {};
    for (const method of service.methods) {
      methods[method.name] = {
        name: method.name,
        service: service.fullName,
        path: method.path,
        requestStream: method.requestStream,
        responseStream: method.responseStream,
        requestType: method.requestType,
        responseType: method.responseType,
        requestCodec: codecFor(messageDescriptor(schema, method.requestType)),
        responseCodec: codecFor(messageDescriptor(schema, method.responseType)),
      };
    }
    result[service.fullName] = { name: service.fullName, methods };
  }
  definitionCache.set(schema, result);
  return result;
}

/**
 * Parses the .proto texts (once per set of texts) and returns their services by full name:
 * `loadServices([tfplugin6Proto, pluginProto, healthProto])['tfplugin6.Provider']`.
 */
export function loadServices(protoTexts: readonly string[]): Record<string, ServiceDefinition> {
  return serviceDefinitions(loadSchema(protoTexts));
}

/**
 * The codec of one message type by full name (e.g. `tfplugin6.GetProviderSchema.Response`), from
 * `schema` or else from the schemas loaded so far by `loadSchema`/`loadServices` (newest first).
 */
export function messageCodec(fullName: string, schema?: ProtoSchema): MessageCodec {
  if (schema !== undefined) return codecFor(messageDescriptor(schema, fullName));
  for (const loaded of loadedSchemas) {
    const descriptor = loaded.messages.get(fullName);
    if (descriptor !== undefined) return codecFor(descriptor);
  }
  throw new Error(`unknown message type ${fullName} (load its .proto with loadServices or loadSchema first)`);
}
