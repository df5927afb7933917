export * from './features';
export * from './secret-value';
export * from './user-secret';
export * from './secret-check';
export * from './dynamic-secret';
export * from './sensitive-metadata';
export * from './guard';
export { secretReasonOf } from './secret-analysis';
/** The generated L1 bindings (`npm run gen`): `coder.agent.Agent`, `coffer.provider.CofferProvider`, … */
export * as coder from './.gen/providers/coder';
export * as coffer from './.gen/providers/coffer';
