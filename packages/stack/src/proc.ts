import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, processStartTicks, type ServiceProcess } from './state.js';

export class StackError extends Error {
  override name = 'StackError';
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(cmd: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (result.error !== undefined) throw new StackError(`${cmd}: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${String(result.stdout ?? '')}${String(result.stderr ?? '')}`.trim();
    throw new StackError(
      `${cmd} ${args.join(' ')} exited ${result.status}:\n${output.slice(-4000)}`,
    );
  }
  return String(result.stdout ?? '');
}

export function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Starts a long-running service detached from this process, its output appended to `logFile`. */
export function startDetached(
  cmd: string,
  args: string[],
  logFile: string,
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): ServiceProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new StackError(`could not start ${cmd}`);
    child.unref();
    const startTicks = processStartTicks(child.pid) ?? '';
    return { pid: child.pid, startTicks, port, command: [cmd, ...args].join(' ') };
  } finally {
    closeSync(fd);
  }
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `check` until it returns true or `timeoutMs` passes; `describe` names what was awaited. */
export async function waitFor(
  describe: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  const why = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new StackError(`timed out after ${timeoutMs} ms waiting for ${describe}${why}`);
}

/** Sends SIGTERM, then SIGKILL after `graceMs`, and waits for the process to go. */
export async function stopProcess(entry: ServiceProcess, graceMs = 10000): Promise<void> {
  const alive = (): boolean => isAlive(entry);
  if (!alive()) return;

  process.kill(entry.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await sleep(100);
  if (alive()) process.kill(entry.pid, 'SIGKILL');
  while (alive()) await sleep(50);
}
