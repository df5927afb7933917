export {
  CoderDouble,
  type CoderDoubleOptions,
  type CoderDoubleUser,
  type CoderDoubleVersion,
  type DoubleFault,
  type DoubleRequest,
  type WireUserSecret,
} from './server';
export {
  parseEnv,
  parseJson,
  parseYaml,
  parseSecretsFile,
  ParseError,
  type ImportFormat,
  type ParsedEntry,
} from './parsers';
export * as limits from './validation';
