// The watchdog: each life message re-arms its call's deadline, an ended call is forgotten, an overrun is reported once.
import { describe, expect, it } from 'vitest';
import { Watchdog, type Clock, type Overrun } from '../../../src/lib/rpc';

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
});
