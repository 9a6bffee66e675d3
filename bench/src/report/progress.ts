import type { Tick } from '../run/workload.js';

/**
 * Live progress while a target runs: one line rewritten in place on a terminal, or a plain line
 * every `plainEverySeconds` when stdout is a file or a pipe (CI logs stay readable).
 */
export function createProgress(
  stream: NodeJS.WriteStream,
  plainEverySeconds = 5,
): { tick: (target: string, tick: Tick) => void; done: () => void } {
  const tty = stream.isTTY === true;
  let drawn = false;

  const format = (target: string, t: Tick): string =>
    `[${target}] ${String(t.second).padStart(3)}s  sent ${t.sentPerSec}/s  delivered ${t.deliveredPerSec}/s  ` +
    `p50 ${t.p50Ms} ms  p99 ${t.p99Ms} ms  connections ${t.connections}  errors ${t.errors}`;

  return {
    tick(target, t) {
      if (tty) {
        stream.write(`\r\x1b[2K${format(target, t)}`);
        drawn = true;
      } else if (t.second % plainEverySeconds === 0) {
        stream.write(`${format(target, t)}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
