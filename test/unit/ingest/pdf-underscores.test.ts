// Underscores drawn as short rules: which rules count, and where in the text they go (inside an item's space, or between two items).
import { describe, expect, it } from 'vitest';
import { shortRules, withUnderscores } from '../../../src/lib/ingest/pdf-underscores';
import type { PdfjsTextItem } from '../../../src/lib/ingest/pdf-layout';

const item = (str: string, x: number, width: number, y = 500, size = 9): PdfjsTextItem => ({
  str,
  transform: [size, 0, 0, size, x, y],
  width,
  height: size,
});

describe('drawn underscores', () => {
  it('fills the gap between two items on the line, in reading order, and only a gap that is where the rule is', () => {
    const items = [item('ruochen', 100, 30), item('zhang@brown.edu', 133, 60), item('next line', 100, 40, 488)];
    const out = withUnderscores(items, [{ x0: 130.2, x1: 132.8, y: 499.5 }]);
    expect(out.map((i) => i.str)).toEqual(['ruochen', '_', 'zhang@brown.edu', 'next line']);
    expect(out[1]!.transform[4]).toBe(130.2);
    // A rule on another line, or under a word rather than in a gap, changes nothing.
    expect(withUnderscores(items, [{ x0: 130.2, x1: 132.8, y: 470 }]).map((i) => i.str)).toEqual(
      items.map((i) => i.str),
    );
    expect(withUnderscores(items, [{ x0: 140, x1: 150, y: 499 }]).map((i) => i.str)).toEqual(items.map((i) => i.str));
    // Only a word that becomes an e-mail address: an underline in a gap between other words is not an underscore.
    const words = [item('click', 100, 30), item('here', 133, 20), item('ada@example.org', 160, 60)];
    expect(withUnderscores(words, [{ x0: 130.2, x1: 132.8, y: 499.5 }]).map((i) => i.str)).toEqual(
      words.map((i) => i.str),
    );
  });

  it('reads a page that draws hundreds of short rules (a chart) as drawing, not underscores', () => {
    const OPS = { save: 10, restore: 11, transform: 12, constructPath: 91, stroke: 20 };
    const ticks = Array.from({ length: 201 }, (_, i) => [
      20,
      [new Float32Array(6)],
      new Float32Array([i, 0, i + 2, 0]),
    ]);
    expect(shortRules({ fnArray: ticks.map(() => 91), argsArray: ticks }, OPS)).toEqual([]);
    expect(shortRules({ fnArray: ticks.slice(1).map(() => 91), argsArray: ticks.slice(1) }, OPS)).toHaveLength(200);
  });

  it('finds short flat rules under their transforms, not long lines, thick bars, rotated or complex paths', () => {
    const OPS = {
      save: 10,
      restore: 11,
      transform: 12,
      constructPath: 91,
      paintFormXObjectBegin: 74,
      paintFormXObjectEnd: 75,
      ...{ stroke: 20, fill: 22, endPath: 28 },
    };
    const path = (box: number[], values = 6, paint = 20) => [paint, [new Float32Array(values)], new Float32Array(box)];
    const list = {
      fnArray: [10, 12, 91, 91, 11, 91, 91, 12, 91, 91],
      argsArray: [
        null,
        [1, 0, 0, 1, 287.7, 548.1],
        path([0, 0, 2.8, 0]),
        // The same box as a clipping path: it paints nothing.
        path([0, 0, 2.8, 0], 6, 28),
        null,
        path([0, 0, 200, 0]),
        path([0, 0, 3, 5]),
        [0, 1, -1, 0, 0, 0],
        path([0, 0, 2.8, 0]),
        path([0, 0, 2.8, 0], 40),
      ],
    };
    expect(shortRules(list, OPS)).toEqual([{ x0: 287.7, x1: expect.closeTo(290.5, 3), y: 548.1 }]);
  });
});
