// The watchdog: each life message re-arms its call's deadline, an ended call is forgotten, an overrun is reported once.
import { describe, expect, it } from 'vitest';
import { DEFAULT_WITHIN_MS, Watchdog, type Clock, type Overrun } from '../../../src/lib/rpc';

function manualClock() {
  let now = 0;
  let tick: () => void = () => {};
  const clock: Clock = {
    now: () => now,
    every: (_ms, t) => {
      tick = t;
      return () => (tick = () => {});
    },
  };
  return { clock, advance: (ms: number) => ((now += ms), tick()) };
}

const life = (call: number, within: number | null, method = 'embed') => ({ kind: 'life', call, method, within });

describe('Watchdog', () => {
  it('reports a call silent past its deadline, once, with its method and budget', () => {
    const { clock, advance } = manualClock();
    const stuck: Overrun[] = [];
    const dog = new Watchdog((o) => stuck.push(o), clock);
    dog.read(life(1, 1_000));
    advance(1_000);
    expect(stuck).toEqual([]);
    advance(1);
    expect(stuck).toEqual([{ method: 'embed', budgetMs: 1_000 }]);
    advance(10_000);
    expect(stuck).toHaveLength(1);
  });

  it('a heartbeat re-arms the deadline, a new budget replaces the old, and an ended call is forgotten', () => {
    const { clock, advance } = manualClock();
    const stuck: Overrun[] = [];
    const dog = new Watchdog((o) => stuck.push(o), clock);
    dog.read(life(7, 1_000, 'generate'));
    for (let i = 0; i < 5; i++) {
      advance(900);
      dog.read(life(7, 1_000, 'generate'));
    }
    expect(stuck).toEqual([]);
    dog.read(life(7, 5_000, 'generate'));
    advance(4_000);
    expect(stuck).toEqual([]);
    dog.read(life(7, null, 'generate'));
    expect(dog.active).toBe(0);
    advance(60_000);
    expect(stuck).toEqual([]);
  });

  it('ignores replies and other messages', () => {
    const { clock, advance } = manualClock();
    const stuck: Overrun[] = [];
    const dog = new Watchdog((o) => stuck.push(o), clock);
    for (const msg of [null, { kind: 'result', id: 1, result: 2 }, { kind: 'event', event: {} }]) dog.read(msg);
    advance(1e9);
    expect(stuck).toEqual([]);
  });

  it('reports a request the worker never takes up (dead or spinning), and forgets one taken up or answered', () => {
    const { clock, advance } = manualClock();
    const stuck: Overrun[] = [];
    const dog = new Watchdog((o) => stuck.push(o), clock);
    const request = (id: number, method: string) => ({ kind: 'request', id, method, params: {} });
    dog.sent(request(1, 'open'));
    dog.sent(request(2, 'search'));
    dog.sent({ kind: 'cancel', id: 3 });
    dog.read({ ...life(10, 5_000, 'open'), id: 1 });
    dog.read({ kind: 'result', id: 1, result: null });
    dog.read(life(10, null, 'open'));
    advance(DEFAULT_WITHIN_MS);
    expect(stuck).toEqual([]);
    advance(1);
    expect(stuck).toEqual([{ method: 'search', budgetMs: DEFAULT_WITHIN_MS }]);

    const replied: Overrun[] = [];
    const other = new Watchdog((o) => replied.push(o), clock);
    other.sent(request(4, 'attach'));
    other.read({ kind: 'error', id: 4, error: { code: 'UNKNOWN' } });
    advance(10 * DEFAULT_WITHIN_MS);
    expect(replied).toEqual([]);
  });

  it('lets a request wait while the worker is busy with a call that said it needs longer', () => {
    const { clock, advance } = manualClock();
    const stuck: Overrun[] = [];
    const dog = new Watchdog((o) => stuck.push(o), clock);
    dog.read(life(1, 3 * DEFAULT_WITHIN_MS, 'open'));
    dog.sent({ kind: 'request', id: 9, method: 'retrieve', params: {} });
    advance(2 * DEFAULT_WITHIN_MS);
    expect(stuck).toEqual([]);
    dog.read(life(1, null, 'open'));
    advance(1);
    expect(stuck).toEqual([{ method: 'retrieve', budgetMs: DEFAULT_WITHIN_MS }]);
  });
});
