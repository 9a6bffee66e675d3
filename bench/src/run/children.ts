import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Child processes the bench starts (chat nodes, the writer, raw targets). Every one is
 * registered here so that a normal end, an error and SIGINT all stop them: the bench must never
 * leave servers behind on a shared 2-core machine.
 */
export interface Child {
  name: string;
  process: ChildProcess;
  /** Where its stdout and stderr go. */
  logPath: string;
  exited: Promise<number | null>;
}

const running = new Set<Child>();

export function startChild(
  name: string,
  script: string,
  env: Record<string, string | undefined>,
  logDir: string,
): Child {
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `${name}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);

  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const entry: Child = { name, process: child, logPath, exited };
  running.add(entry);
  void exited.then(() => running.delete(entry));
  return entry;
}

/** SIGTERM (the processes drain and exit 0), then SIGKILL after `graceMs`. */
export async function stopChild(child: Child, graceMs = 5000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** Last resort on an abrupt exit: no time to wait for a drain. */
export function killAllNow(): void {
  for (const child of running) child.process.kill('SIGKILL');
}

/**
 * Polls `url` until it answers 200; fails early when the child exits, pointing at its log.
 */
export async function waitHttpOk(
  url: string,
  child: Child | undefined,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer';
  while (Date.now() < deadline) {
    if (child !== undefined && child.process.exitCode !== null) {
      throw new Error(
        `${child.name} exited with code ${child.process.exitCode}; see ${child.logPath}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      lastProblem = `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const where = child === undefined ? '' : `; see ${child.logPath}`;
  throw new Error(`${url} not ready after ${timeoutMs} ms (${lastProblem})${where}`);
}
