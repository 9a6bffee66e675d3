/**
 * A token bucket per connection: `burst` tokens at most, refilled at
 * `perSecond`. Each client event takes one token; with none left the event is
 * refused with RATE_LIMITED. Refill is computed lazily from the clock on each
 * take, so an idle connection costs no timer.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAtMs: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.refilledAtMs = nowMs();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.nowMs();
    const elapsedMs = Math.max(0, now - this.refilledAtMs);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.perSecond) / 1000);
    this.refilledAtMs = now;

    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
