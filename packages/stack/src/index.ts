export { layout, PORTS, repoRoot, type Layout } from './layout.js';
export { registerScrapeTargets, unregisterScrapeTargets } from './prometheus.js';
export { down, stackEnv, status, up } from './stack.js';
