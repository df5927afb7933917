/**
 * Coffer's protobuf definitions, loaded into our own RPC runtime. The .proto texts are bundled
 * as strings (esbuild text loader; a jest transform in tests), so start-up reads no files.
 */
import { loadServices, messageCodec as codecByName, type ServiceDefinition, type WireMessage } from '../rpc';
import healthProto from './health.proto';
import pluginProto from './plugin.proto';
import tfplugin6Proto from './tfplugin6.proto';

export type { WireMessage };

const PROTO_TEXTS = [tfplugin6Proto, pluginProto, healthProto];

let services: Record<string, ServiceDefinition> | undefined;

/** The definition of one service (`tfplugin6.Provider`, `plugin.GRPCController`, …). */
export function serviceDefinition(fullName: string): ServiceDefinition {
  services ??= loadServices(PROTO_TEXTS);
  const definition = services[fullName];
  if (definition === undefined) throw new Error(`no service ${fullName} in Coffer's proto definitions`);
  return definition;
}

/** Serializer/deserializer pair of one message type, for tests that act as the client. */
export function messageCodec(fullName: string) {
  services ??= loadServices(PROTO_TEXTS);
  const codec = codecByName(fullName);
  return {
    serialize: (message: WireMessage): Buffer => codec.encode(message),
    deserialize: (bytes: Buffer): WireMessage => codec.decode(bytes),
  };
}
