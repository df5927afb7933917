/**
 * Loads Coffer's protobuf definitions and turns each RPC into a grpc-js method definition.
 * The .proto texts are bundled as strings (esbuild text loader; a jest transform in tests), so
 * start-up reads no files.
 */
import * as protobuf from 'protobufjs';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import healthProto from './health.proto';
import pluginProto from './plugin.proto';
import tfplugin6Proto from './tfplugin6.proto';

/** A decoded protobuf message: snake_case field names as in the .proto files. */
export type WireMessage = { [field: string]: unknown };

let root: protobuf.Root | undefined;

function loadRoot(): protobuf.Root {
  if (root === undefined) {
    const next = new protobuf.Root();
    for (const text of [tfplugin6Proto, pluginProto, healthProto]) {
      protobuf.parse(text, next, { keepCase: true });
    }
    next.resolveAll();
    root = next;
  }
  return root;
}

const DECODE_OPTIONS: protobuf.IConversionOptions = {
  longs: Number,
  enums: Number,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

function codecFor(type: protobuf.Type) {
  return {
    serialize: (message: WireMessage): Buffer => Buffer.from(type.encode(type.fromObject(message)).finish()),
    deserialize: (bytes: Buffer): WireMessage => type.toObject(type.decode(bytes), DECODE_OPTIONS) as WireMessage,
  };
}

/** grpc-js definitions of every RPC of a service, keyed by method name. */
export function serviceDefinition(serviceName: string): ServiceDefinition {
  const service = loadRoot().lookupService(serviceName);
  const definition: Record<string, MethodDefinition<WireMessage, WireMessage>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = codecFor(method.resolvedRequestType as protobuf.Type);
    const response = codecFor(method.resolvedResponseType as protobuf.Type);
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: request.serialize,
      requestDeserialize: request.deserialize,
      responseSerialize: response.serialize,
      responseDeserialize: response.deserialize,
      originalName: method.name,
    };
  }
  return definition;
}

/** Encodes/decodes one message type by full name; used by tests that act as the client. */
export function messageCodec(fullName: string) {
  return codecFor(loadRoot().lookupType(fullName));
}
