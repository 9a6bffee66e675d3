#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { DEFAULT_PARTITIONS, layout } from './layout.js';
import { StackError } from './proc.js';
import { down, status, up } from './stack.js';

const USAGE = `usage: npm run stack -- <up|down|status> [options]

  up        start Redis Cluster, Kafka and PostgreSQL on loopback (idempotent),
            apply migrations, write .stack/env
  down      stop exactly what up started
  status    show each service, its port and whether it runs

options (up):
  --prometheus          also run Prometheus on 127.0.0.1:19090
  --partitions N        partitions of the chat topic (default ${DEFAULT_PARTITIONS}, env KAFKA_PARTITIONS)
  --topic NAME          the chat topic (default chat.messages)`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      prometheus: { type: 'boolean', default: false },
      partitions: { type: 'string' },
      topic: { type: 'string', default: 'chat.messages' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }

  const paths = layout();
  const log = (line: string): void => console.log(`stack: ${line}`);
  switch (command) {
    case 'up': {
      const partitions = Number(
        values.partitions ?? process.env.KAFKA_PARTITIONS ?? DEFAULT_PARTITIONS,
      );
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1000) {
        throw new StackError(
          `--partitions must be a whole number from 1 to 1000, got ${String(partitions)}`,
        );
      }
      const t0 = Date.now();
      await up(paths, { prometheus: values.prometheus, partitions, topic: values.topic, log });
      log(`up in ${Date.now() - t0} ms; settings in ${paths.envFile}`);
      return 0;
    }
    case 'down':
      await down(paths, log);
      return 0;
    case 'status': {
      const rows = await status(paths);
      for (const row of rows) {
        const state = row.running ? 'running' : 'stopped';
        console.log(
          `${row.name.padEnd(12)} 127.0.0.1:${String(row.port).padEnd(6)} ${state.padEnd(8)} ${row.pid ?? ''}`,
        );
      }
      return rows.every((r) => r.running) ? 0 : 3;
    }
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof StackError ? `stack: ${error.message}` : error);
    process.exit(1);
  },
);
