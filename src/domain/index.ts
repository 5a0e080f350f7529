export * from './errors.js';
export * from './types.js';
export * from './validation.js';
export * from './vm-state.js';
export * from './agent-state.js';
export * from './keys.js';
