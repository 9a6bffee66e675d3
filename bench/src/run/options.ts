import { parseArgs } from 'node:util';

/**
 * Command-line options of `npm run bench` (docs/bench.md). The defaults fit a 2-core machine
 * that also runs Redis, Kafka and PostgreSQL, and finish in about a minute.
 */
export interface BenchOptions {
  /** Simulated users. Default 1000. */
  clients: number;
  /** Rooms; each has members on every node. Default 100. */
  rooms: number;
  /** Chat nodes to start (ignored with --targets). Default 2. */
  nodes: number;
  /** Length of the send phase in seconds. Default 30. */
  durationS: number;
  /** Messages per client per second. Default 0.5. */
  rate: number;
  /** Base URLs of running nodes; when set, nothing is started. */
  targets: string[] | undefined;
  /** Run parley, stock Socket.IO and raw uWS one after the other. Default false. */
  compare: boolean;
  /** The one built-in target to start without --compare. Default parley. */
  target: 'parley' | 'stock' | 'raw';
  /** JSON result. Default bench/results/latest.json. */
  out: string;
  /** HTML report. Default bench/results/latest.html. */
  html: string;
  /** Markdown table of the result, for docs. Default: none. */
  markdown: string | undefined;
  /** First node port; node i listens on basePort + i. Default 3001. */
  basePort: number;
  /** The writer's METRICS_PORT. Default 9464. */
  writerPort: number;
  /** Seconds to wait for late acks and deliveries after sending stops. Default 10. */
  drainS: number;
  /** Seconds of unmeasured sending before the measured phase. Default 3. */
  warmupS: number;
}

export const USAGE = `usage: npm run bench -- [options]

  --clients N       simulated users (default 1000)
  --rooms N         rooms, each with members on every node (default 100)
  --nodes N         chat nodes to start (default 2)
  --duration S      send phase in seconds (default 30)
  --rate R          messages per client per second (default 0.5)
  --targets URLS    comma-separated base URLs of running nodes; starts nothing
  --compare         the same workload against parley, stock Socket.IO and raw uWS
  --target NAME     run one of them alone: parley (default), stock or raw
  --out FILE        JSON result (default bench/results/latest.json)
  --html FILE       HTML report (default bench/results/latest.html)
  --markdown FILE   also the result as a Markdown table, for docs
  --base-port N     first node port (default 3001)
  --writer-port N   the writer's metrics port (default 9464)
  --drain S         seconds to wait for late acks and deliveries (default 10)
  --warmup S        seconds of unmeasured sending first, 0 for none (default 3)
  --help`;

export class UsageError extends Error {}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      clients: { type: 'string' },
      rooms: { type: 'string' },
      nodes: { type: 'string' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      targets: { type: 'string' },
      compare: { type: 'boolean' },
      target: { type: 'string' },
      out: { type: 'string' },
      html: { type: 'string' },
      markdown: { type: 'string' },
      'base-port': { type: 'string' },
      'writer-port': { type: 'string' },
      drain: { type: 'string' },
      warmup: { type: 'string' },
      prometheus: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) return 'help';

  const problems: string[] = [];
  const number = (
    name: string,
    raw: string | undefined,
    fallback: number,
    integer = true,
  ): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      problems.push(
        `--${name}: expected a positive ${integer ? 'integer' : 'number'} (got "${raw}")`,
      );
    }
    return value;
  };

  const targets = values.targets
    ?.split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  for (const url of targets ?? []) {
    if (!/^https?:\/\/[^/]+/.test(url))
      problems.push(`--targets: expected http(s) URLs (got "${url}")`);
  }
  const options: BenchOptions = {
    clients: number('clients', values.clients, 1000),
    rooms: number('rooms', values.rooms, 100),
    nodes: number('nodes', values.nodes, 2),
    durationS: number('duration', values.duration, 30, false),
    rate: number('rate', values.rate, 0.5, false),
    targets,
    compare: values.compare === true,
    target: (values.target ?? 'parley') as BenchOptions['target'],
    out: values.out ?? 'bench/results/latest.json',
    html: values.html ?? 'bench/results/latest.html',
    markdown: values.markdown,
    basePort: number('base-port', values['base-port'], 3001),
    writerPort: number('writer-port', values['writer-port'], 9464),
    drainS: number('drain', values.drain, 10, false),
    warmupS: values.warmup === '0' ? 0 : number('warmup', values.warmup, 3, false),
  };

  if (!['parley', 'stock', 'raw'].includes(options.target)) {
    problems.push(`--target: expected parley, stock or raw (got "${options.target}")`);
  }
  if (options.compare && targets !== undefined)
    problems.push('--compare starts its own targets; drop --targets');
  const nodes = targets?.length ?? options.nodes;
  if (options.clients < nodes * 2) problems.push('--clients: need at least two clients per node');
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return options;
}
