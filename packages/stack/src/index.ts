export { layout, PORTS, repoRoot, type Layout } from './layout.js';
export { registerScrapeTargets, unregisterScrapeTargets } from './prometheus.js';
export {
  startScratchKafka,
  startScratchPostgres,
  type ScratchKafkaOptions,
  type ScratchPostgresOptions,
  type ScratchService,
} from './scratch.js';
export { down, stackEnv, status, up } from './stack.js';
