// The owner's side of a watched worker: each call's deadline for its next sign of life; a call past it means stuck.
import type { OwnerMessage } from './protocol';

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
  private stopTimer: (() => void) | null;

  constructor(
    private readonly onStuck: (overrun: Overrun) => void,
    private readonly clock: Clock = realClock,
    tickMs = 1_000,
  ) {
    this.stopTimer = clock.every(tickMs, () => this.check());
  }

  /** Feed every message from the worker; anything but a life message is ignored. */
  read(msg: unknown): void {
    const life = msg as OwnerMessage | null;
    if (life?.kind !== 'life') return;
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
  }

  private check(): void {
    const now = this.clock.now();
    for (const d of this.deadlines.values()) {
      if (now <= d.at) continue;
      this.stop();
      this.onStuck({ method: d.method, budgetMs: d.budgetMs });
      return;
    }
  }
}
