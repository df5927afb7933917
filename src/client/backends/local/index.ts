export { LocalSecretStore, type LocalSecretStoreOptions } from './local-secret-store';
export { resolveCofferHome } from './paths';
export { backupStore, recoverStore, verifyStoreDir, type RecoverResult, type StoreReport } from './maintenance';
export { storeLayout } from './paths';
