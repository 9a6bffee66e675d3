export * from './clients.js';
export * from './config.js';
export * from './logger.js';
export * from './stack-env.js';
export * from './migrate.js';
export * from './wait.js';
