/**
 * Coffer's dependency-free RPC runtime: a proto3 parser, a protobuf codec (protobufjs `toObject`
 * shape) and a gRPC server on `node:http2`.
 *
 *   const services = loadServices([tfplugin6Proto, pluginProto, healthProto]);
 *   const server = new GrpcServer({ log: (level, message, fields) => logger[level](message, fields) });
 *   server.addService(services['tfplugin6.Provider'], { GetProviderSchema: async (request) => ({ ... }) });
 *   server.addService(services['plugin.GRPCStdio'], {
 *     StreamStdio: { serverStreaming: (_request, stream) => stream.onCancel(() => undefined) },
 *   });
 *   await server.listen({ path: socketPath, tls: { key, cert, clientCaPem } });
 *   ...
 *   server.forceShutdown();
 */
export {
  buildSchema,
  isScalarType,
  parseProtoFile,
  parseProtoSchema,
  ProtoParseError,
  ProtoSchemaError,
} from './proto-parser';
export type {
  BuildOptions,
  EnumDescriptor,
  FieldDescriptor,
  FieldLabel,
  FieldType,
  MessageDescriptor,
  MethodDescriptor,
  OneofDescriptor,
  ProtoFile,
  ProtoSchema,
  ScalarType,
  ServiceDescriptor,
} from './proto-parser';
export { codecFor, decodeMessage, encodeMessage, ProtobufDecodeError } from './protobuf';
export type { MessageCodec, WireMessage } from './protobuf';
export { loadSchema, loadServices, messageCodec, serviceDefinitions } from './services';
export type { MethodDefinition, ServiceDefinition } from './services';
export { GrpcError, GrpcServer, percentEncodeGrpcMessage, Status } from './grpc-server';
export type {
  BidiStreamingHandler,
  CallContext,
  ClientStream,
  ClientStreamingHandler,
  DuplexStream,
  GrpcLog,
  GrpcServerOptions,
  ListenOptions,
  LogFieldValue,
  MethodImplementation,
  ServerStream,
  ServerStreamingHandler,
  ServiceImplementation,
  StatusCode,
  UnaryHandler,
} from './grpc-server';
