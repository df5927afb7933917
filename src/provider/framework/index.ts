export * from './diagnostics';
export * from './provider';
export * from './resource';
export * from './schema';
export * from './values';
export type { Logger } from '../protocol/logger';
