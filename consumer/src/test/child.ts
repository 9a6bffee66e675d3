import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { env, waitFor } from './harness.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface ChildWriter {
  process: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** Starts `node consumer/dist/main.js` as a real process with `overrides` on top of the stack's env. */
export function spawnWriter(overrides: Record<string, string>): ChildWriter {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn', ...overrides },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { process: child, exited, stderr: () => stderr };
}

export async function waitHealthy(port: number, deadlineMs = 30_000): Promise<void> {
  await waitFor(
    `writer on :${port}`,
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false;
      }
    },
    deadlineMs,
  );
}

/** Stops a child for good, politely first. */
export async function stopChild(child: ChildWriter): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 20_000);
  await child.exited;
  clearTimeout(timer);
}
