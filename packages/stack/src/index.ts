export type { KafkaSecurity } from './kafka.js';
export { layout, PORTS, repoRoot, type Layout } from './layout.js';
export { registerScrapeTargets, unregisterScrapeTargets } from './prometheus.js';
export {
  startScratchKafka,
  startScratchPostgres,
  startScratchRedisCluster,
  type ScratchKafkaOptions,
  type ScratchPostgresOptions,
  type ScratchRedisOptions,
  type ScratchService,
} from './scratch.js';
export { down, stackEnv, status, up } from './stack.js';
export { makeTestCertificates, type TestCertificates } from './tls.js';
