export * from './expr';
export * from './hcl';
export * from './detect';
export * from './model';
export * from './secret-sources';
export * from './rules';
export * from './lint';
export * from './required';
