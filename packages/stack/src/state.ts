import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * What `up` started, so that `down` stops exactly that and nothing else. Each
 * entry keeps the process's start time as the kernel reports it; a PID reused by
 * another program after a reboot never matches and is left alone.
 */
export interface ServiceProcess {
  pid: number;
  startTicks: string;
  port: number;
  command: string;
}

export type StackState = Record<string, ServiceProcess>;

export function readState(file: string): StackState {
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as StackState;
}

export function writeState(file: string, state: StackState): void {
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

/** Field 22 of /proc/PID/stat: the start time in clock ticks after boot. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** True while the recorded process runs; a zombie (exited, not yet reaped) counts as gone. */
export function isAlive(entry: ServiceProcess): boolean {
  try {
    const stat = readFileSync(`/proc/${entry.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] === entry.startTicks && fields[0] !== 'Z' && fields[0] !== 'X';
  } catch {
    return false;
  }
}
