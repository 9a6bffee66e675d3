import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { waitFor } from './wait.js';

/** Debian's Chromium; Playwright's own browser downloads are never used (they need the internet). */
export const CHROMIUM_PATH = '/usr/bin/chromium';
const INSTALL_COMMAND = 'apt-get install -y --no-install-recommends chromium';

/**
 * Installs Debian's chromium package when it is missing and we are root (the
 * test machines are); otherwise fails with the command to run.
 */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${CHROMIUM_PATH} is missing; install it with: sudo ${INSTALL_COMMAND}`);
  }

  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  const install = spawnSync('sh', ['-c', INSTALL_COMMAND], { encoding: 'utf8', env });
  if (install.status !== 0 || !existsSync(CHROMIUM_PATH)) {
    throw new Error(`\`${INSTALL_COMMAND}\` failed:\n${install.stderr.slice(-2000)}`);
  }
}

export interface HeadlessChromium {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a new empty profile and attaches Playwright
 * over the DevTools protocol. We start the process ourselves (rather than
 * `chromium.launch`) so that the flags and the profile directory are exactly
 * ours and the process is ours to end.
 */
export async function launchChromium(): Promise<HeadlessChromium> {
  const profile = await mkdtemp(join(tmpdir(), 'parley-chromium-'));
  const child: ChildProcess = spawn(
    CHROMIUM_PATH,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      `--user-data-dir=${profile}`,
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(profile, { recursive: true, force: true });
  };

  try {
    // Chromium writes the port it picked, and the browser target's path, into the profile.
    const endpoint = await waitFor(
      'Chromium to open its DevTools port',
      async () => {
        if (child.exitCode !== null) throw new Error(`chromium exited:\n${stderr}`);
        const text = await readFile(join(profile, 'DevToolsActivePort'), 'utf8').catch(() => '');
        const [port, path] = text.split('\n');
        return port && path ? `ws://127.0.0.1:${port}${path}` : undefined;
      },
      30_000,
    );
    const browser = await chromium.connectOverCDP(endpoint);
    const closeAll = async () => {
      await browser.close().catch(() => undefined);
      await close();
    };
    return { browser, close: closeAll };
  } catch (error) {
    await close();
    throw error;
  }
}
