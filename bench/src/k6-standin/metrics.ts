// STAND-IN for `k6/metrics`, tests only: see registry.ts.
import { recorded } from './registry.js';

class Metric {
  constructor(readonly name: string) {
    if (!recorded.metrics.has(name)) recorded.metrics.set(name, []);
  }

  add(value: number | boolean): void {
    const list = recorded.metrics.get(this.name) ?? [];
    list.push(Number(value));
    recorded.metrics.set(this.name, list);
  }
}

export class Counter extends Metric {}
export class Trend extends Metric {}
export class Gauge extends Metric {}
export class Rate extends Metric {}
