/**
 * `@cofferhq/coffer` (and `@cofferhq/coffer/constructs`): the CDK Terrain construct library,
 * its generated coder/coffer L1 bindings, and `projectApp()` to synthesize with the project's
 * own cdktf.json.
 */
export * from '../constructs';
export * from './project-app';
