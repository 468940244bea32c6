// The owner's side of a watched worker: each call's deadline for its next sign of life; a call past it means stuck.
import type { OwnerMessage, ToMain, ToWorker } from './protocol';
import { DEFAULT_WITHIN_MS } from './server';

export interface Clock {
  now(): number;
  every(ms: number, tick: () => void): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  every: (ms, tick) => {
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  },
};

/** What a stuck worker was doing: the method of the call that overran and the budget it had. */
export interface Overrun {
  method: string;
  budgetMs: number;
}

/**
 * Reads a worker's `life` messages (see serve's `owner` option). Each message re-arms its call's deadline (a
 * heartbeat: progress counts); a call that ends is forgotten. When a call passes its deadline, `onStuck` runs once
 * and the watch stops: the owner replaces the worker.
 */
export class Watchdog {
  private readonly deadlines = new Map<number, { at: number } & Overrun>();
  /** Requests the owner sent that the worker has not taken up yet (by request id). */
  private readonly unanswered = new Map<number, { at: number } & Overrun>();
  private stopTimer: (() => void) | null;

  constructor(
    private readonly onStuck: (overrun: Overrun) => void,
    private readonly clock: Clock = realClock,
    tickMs = 1_000,
  ) {
    this.stopTimer = clock.every(tickMs, () => this.check());
  }

  /**
   * Feed every message the owner sends on its own line: a request must be taken up (its first life message) within
   * DEFAULT_WITHIN_MS, or by the time the calls running say they end, so a worker that died silently (`close()`) or
   * spins in a loop is caught even when no call of its own was running.
   */
  sent(msg: unknown): void {
    const req = msg as ToWorker | null;
    if (req?.kind !== 'request') return;
    const budgetMs = DEFAULT_WITHIN_MS;
    this.unanswered.set(req.id, { at: this.clock.now() + budgetMs, method: req.method, budgetMs });
  }

  /** Feed every message from the worker; anything but a life message or a reply is ignored. */
  read(msg: unknown): void {
    const reply = msg as ToMain | null;
    if ((reply?.kind === 'result' || reply?.kind === 'error') && typeof reply.id === 'number') {
      this.unanswered.delete(reply.id);
    }
    const life = msg as OwnerMessage | null;
    if (life?.kind !== 'life') return;
    if (life.id !== undefined) this.unanswered.delete(life.id);
    if (life.within === null) this.deadlines.delete(life.call);
    else
      this.deadlines.set(life.call, { at: this.clock.now() + life.within, method: life.method, budgetMs: life.within });
  }

  /** Calls still running. */
  get active(): number {
    return this.deadlines.size;
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
    this.deadlines.clear();
    this.unanswered.clear();
  }

  private check(): void {
    const now = this.clock.now();
    let busyUntil = -Infinity;
    for (const d of this.deadlines.values()) {
      busyUntil = Math.max(busyUntil, d.at);
      if (now <= d.at) continue;
      return this.overrun(d);
    }
    // A worker busy with a call that said how long it needs (a long index build) takes new requests after it.
    for (const u of this.unanswered.values()) if (now > u.at && now > busyUntil) return this.overrun(u);
  }

  private overrun({ method, budgetMs }: Overrun): void {
    this.stop();
    this.onStuck({ method, budgetMs });
  }
}
