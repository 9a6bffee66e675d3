/**
 * `node consumer/dist/main.js`: the writer process. Settings come from the
 * environment (filled from .stack/env for the local stack); a bad setting exits
 * 2 naming every bad variable; SIGTERM or SIGINT drains and exits 0.
 */
import { fileURLToPath } from 'node:url';
import { ConfigError, createLogger, redactConfig, serviceEnv } from '@parley/runtime';
import { parseWriterConfig } from './config.js';
import { startWriter } from './writer.js';

const logger = createLogger({ service: 'writer' });

async function main(): Promise<void> {
  let config;
  try {
    // .stack/env is looked for from the working directory up, then from this file up.
    config = parseWriterConfig({
      ...serviceEnv(fileURLToPath(new URL('.', import.meta.url))),
      ...serviceEnv(),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`writer: ${error.message}\n`);
    process.exit(2);
  }

  if (process.argv.includes('--print-config')) {
    process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
    return;
  }
  logger.info({ config: redactConfig(config) }, 'starting');

  // Signals are handled from the first moment: a SIGTERM during start-up (a slow
  // group join, PostgreSQL still down) waits for the start, then drains as usual.
  const starting = startWriter(config, { logger });
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'draining');
    starting
      .then((writer) => writer.stop())
      .then(({ drained }) => process.exit(drained ? 0 : 1))
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  const writer = await starting;
  const error = await writer.fatal;
  logger.fatal({ err: error }, 'writer cannot continue');
  await Promise.race([writer.stop(), new Promise((resolve) => setTimeout(resolve, 5000))]);
  process.exit(1);
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'writer failed to start');
  process.exit(1);
});
