export * from './keys.js';
export * from './patterns.js';
export * from './redactor.js';
