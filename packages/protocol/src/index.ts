export * from './events.js';
export * from './limits.js';
export * from './record.js';
export * from './rooms.js';
export * from './validate.js';
export * from './recovery.js';
