import { ConfigError, createLogger, redactConfig, serviceEnv } from '@parley/runtime';
import { loadConfig, type NodeConfig } from './config.js';
import { startNode, StartupError } from './node.js';

/**
 * `node server/dist/main.js [--print-config]`. Settings come from the
 * environment (missing ones from the local stack's .stack/env); a bad setting
 * exits 2 naming every bad variable, SIGTERM/SIGINT drain and exit 0.
 */
async function main(): Promise<void> {
  let config: NodeConfig;
  try {
    config = loadConfig(serviceEnv());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`chat node: ${error.message}\n`);
    process.exit(2);
  }
  if (process.argv.includes('--print-config')) {
    process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
    return;
  }

  const log = createLogger({ service: 'chat-node', node: config.NODE_ID });
  let node;
  try {
    node = await startNode(config, log);
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    log.fatal({ code: error.code }, error.message);
    process.exit(1);
  }

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error({ elapsedMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    void node.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`chat node: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
