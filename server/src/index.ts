export { configSchema, loadConfig, type NodeConfig } from './config.js';
export { startNode, StartupError, type ChatNode } from './node.js';
export { createMetrics, type Metrics } from './metrics.js';
export { LingerBatcher, BatcherError } from './kafka/batcher.js';
export { TokenBucket } from './chat/rate-limiter.js';
