import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

/** The repository root, from web/src/test/ (tests run from source). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const NODE_MAIN = `${REPO_ROOT}server/dist/main.js`;
export const WRITER_MAIN = `${REPO_ROOT}consumer/dist/main.js`;

/** Why the chat node or the writer cannot be started from this checkout, or undefined. */
export function missingBuilds(): string | undefined {
  const missing = [NODE_MAIN, WRITER_MAIN].filter((file) => !existsSync(file));
  if (missing.length === 0) return undefined;
  return `${missing.join(' and ')} not built (run \`npm run build\`)`;
}

/** Lines of output kept per process, shown when it fails to come up. */
const LOG_LINES = 40;

/**
 * A Parley process (chat node or writer) run as a child, as an operator would
 * run it. `stop` sends SIGTERM (the processes drain and exit 0) and kills it
 * if it has not exited by the deadline.
 */
export class Service {
  #child: ChildProcess | undefined;
  readonly #log: string[] = [];

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: Record<string, string>,
  ) {}

  start(): void {
    if (this.#child !== undefined) throw new Error(`${this.name} is already running`);
    const child = spawn(process.execPath, [this.script], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => this.#remember(chunk));
    }
    child.once('exit', (code, signal) => {
      this.#remember(`[exited with ${code ?? signal}]`);
      if (this.#child === child) this.#child = undefined;
    });
    this.#child = child;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** The last lines the process printed, for failure messages. */
  get log(): string {
    return this.#log.join('\n');
  }

  async stop(deadlineMs = 15_000): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;

    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    await exited;
    clearTimeout(timer);
  }

  /** Waits until GET `url` answers 200, failing early (with the log) if the process exits. */
  async waitHttpOk(url: string, deadlineMs = 30_000): Promise<void> {
    try {
      await waitFor(
        `${this.name} to answer 200 on ${url}`,
        async () => {
          if (!this.running) throw new Error(`${this.name} exited`);
          const response = await fetch(url).catch(() => undefined);
          return response?.status === 200;
        },
        deadlineMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- ${this.name} output ---\n${this.log}`);
    }
  }

  #remember(chunk: string): void {
    this.#log.push(...chunk.trimEnd().split('\n'));
    this.#log.splice(0, Math.max(0, this.#log.length - LOG_LINES));
  }
}
