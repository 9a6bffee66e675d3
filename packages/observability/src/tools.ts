import { spawnSync } from 'node:child_process';

/**
 * Runs a command to completion and returns its combined output; a missing
 * binary is reported with the Debian package that brings it (`npm test` brings
 * the stack up with Prometheus, which installs it).
 */
export function run(
  cmd: string,
  args: string[],
  aptPackage: string,
): { status: number; output: string } {
  const result = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${cmd} is not installed: apt-get install -y ${aptPackage}`);
  }
  if (result.error) throw result.error;
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}
