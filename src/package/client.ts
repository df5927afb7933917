/** `@cofferhq/coffer/client`: the SecretStore client (backend selection, errors, rules, SecretText). */
export * from '../client/secret-store';
export * from '../client/open-store';
export * from '../client/errors';
export * from '../client/secret-text';
export * from '../client/rules';
