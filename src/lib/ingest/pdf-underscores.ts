// Underscores a PDF draws as short rules (LaTeX's \_ in most fonts), put back into the text pdf.js reads there as a space: "ruochen_zhang@brown.edu", not "ruochen zhang@brown.edu".
import { apply, walkOperators, type Matrix, type PdfjsOps } from './pdf-ops';
import type { PdfjsTextItem } from './pdf-layout';

/** A short horizontal rule on the page, in PDF user space. */
export interface Rule {
  x0: number;
  x1: number;
  y: number;
}

/** An underscore is at most this thick and this long (in points: several underscores in a row stay under it). */
const MAX_THICKNESS = 1.5;
const MIN_LENGTH = 1;
const MAX_LENGTH = 24;
/** A path of more values than a rectangle's (moveTo, three lineTo, close) is a drawing, not a rule. */
const MAX_PATH_VALUES = 13;
/** A rule stands for an underscore between this far below its line's baseline and this far above, in font sizes. */
const BELOW = 0.4;
const ABOVE = 0.3;
/** The space the rule stands for is found within this many characters of where the rule falls in the item. */
const REACH = 2.5;

/** The short horizontal rules a page draws (constructPath with a small, flat box), under their transforms. */
export function shortRules(list: { fnArray: ArrayLike<number>; argsArray: ArrayLike<unknown> }, ops: PdfjsOps): Rule[] {
  const rules: Rule[] = [];
  const construct = ops.constructPath;
  if (construct === undefined) return rules;
  walkOperators(list, ops, (fn, args, ctm) => {
    if (fn !== construct) return;
    // pdf.js 5: [paint operation, [path data], [minX, minY, maxX, maxY]].
    const path = (args?.[1] as ArrayLike<ArrayLike<number>> | undefined)?.[0];
    const box = args?.[2] as ArrayLike<number> | undefined;
    if (!path || !box || box.length !== 4 || path.length > MAX_PATH_VALUES) return;
    const rule = ruleOf(ctm, box);
    if (rule) rules.push(rule);
  });
  return rules;
}

function ruleOf(ctm: Matrix, box: ArrayLike<number>): Rule | undefined {
  // Only an upright drawing (no rotation or skew) draws a horizontal rule.
  if (Math.abs(ctm[1]) > 1e-6 || Math.abs(ctm[2]) > 1e-6) return undefined;
  const [ax, ay] = apply(ctm, box[0]!, box[1]!);
  const [bx, by] = apply(ctm, box[2]!, box[3]!);
  const [x0, x1, y0, y1] = [Math.min(ax, bx), Math.max(ax, bx), Math.min(ay, by), Math.max(ay, by)];
  const length = x1 - x0;
  if (![x0, x1, y0, y1].every(Number.isFinite) || y1 - y0 > MAX_THICKNESS) return undefined;
  return length >= MIN_LENGTH && length <= MAX_LENGTH ? { x0, x1, y: (y0 + y1) / 2 } : undefined;
}

/**
 * The page's text items with each rule that stands on a line's baseline where the text has a space (inside an item, or
 * as the gap between two items) read as an underscore there. Rotated items are left as they are.
 */
export function withUnderscores(items: readonly PdfjsTextItem[], rules: readonly Rule[]): PdfjsTextItem[] {
  if (rules.length === 0) return [...items];
  const out = items.map((item) => ({ ...item }));
  /** New underscore items, each to stand right after the item it follows. */
  const added = new Map<PdfjsTextItem, PdfjsTextItem[]>();
  const upright = (it: PdfjsTextItem) => Math.abs(it.transform[1]!) < 1e-6 && Math.abs(it.transform[2]!) < 1e-6;
  const sizeOf = (it: PdfjsTextItem) => Math.abs(it.transform[3]!) || it.height || 1;
  const onLine = (it: PdfjsTextItem, rule: Rule) => {
    const size = sizeOf(it);
    return rule.y >= it.transform[5]! - BELOW * size && rule.y <= it.transform[5]! + ABOVE * size;
  };
  for (const rule of rules) {
    const middle = (rule.x0 + rule.x1) / 2;
    const line = out.filter((it) => upright(it) && it.str.length > 0 && onLine(it, rule));
    // Inside an item: the space nearest where the rule falls, by the share of the item's width before it.
    const within = line.find((it) => it.transform[4]! < middle && middle < it.transform[4]! + it.width);
    if (within) {
      const at = ((middle - within.transform[4]!) / within.width) * within.str.length;
      let best = -1;
      for (let i = 0; i < within.str.length; i++) {
        if (within.str[i] !== ' ' || Math.abs(i + 0.5 - at) > REACH) continue;
        if (best < 0 || Math.abs(i + 0.5 - at) < Math.abs(best + 0.5 - at)) best = i;
      }
      if (best >= 0) within.str = `${within.str.slice(0, best)}_${within.str.slice(best + 1)}`;
      continue;
    }
    // Between two items: one ending where the rule starts, the next starting where it ends (a gap a space would fill).
    const size = line.length > 0 ? sizeOf(line[0]!) : 0;
    const before = line.find((it) => Math.abs(it.transform[4]! + it.width - rule.x0) <= size * 0.3);
    const after = line.find((it) => Math.abs(it.transform[4]! - rule.x1) <= size * 0.3);
    if (!before || !after || before === after || /\s$/.test(before.str) || /^\s/.test(after.str)) continue;
    added.set(before, [
      ...(added.get(before) ?? []),
      {
        ...before,
        str: '_',
        transform: [before.transform[0]!, 0, 0, before.transform[3]!, rule.x0, before.transform[5]!],
        width: rule.x1 - rule.x0,
      },
    ]);
  }
  return added.size === 0 ? out : out.flatMap((it) => [it, ...(added.get(it) ?? [])]);
}
