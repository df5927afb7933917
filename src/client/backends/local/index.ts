export { LocalSecretStore, type LocalSecretStoreOptions } from './local-secret-store';
export { resolveCofferHome } from './paths';
