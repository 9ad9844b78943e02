export * from './values.js';
export * from './signature.js';
export * from './rules.js';
export * from './introspect.js';
