// Underscores a PDF draws as short rules (LaTeX's \_ in most fonts), put back into the text pdf.js reads there as a space: "ruochen_zhang@brown.edu", not "ruochen zhang@brown.edu".
import { apply, walkOperators, type Matrix, type PdfjsOps } from './pdf-ops';
import type { PdfjsTextItem } from './pdf-layout';

/** A short horizontal rule on the page, in PDF user space. */
export interface Rule {
  x0: number;
  x1: number;
  y: number;
}

/** An underscore is at most this thick and at least this long, in points. */
const MAX_THICKNESS = 1.5;
const MIN_LENGTH = 1;
/** …and at most this long (points; its line's font size bounds it more tightly: LaTeX's \_ is about 0.3 em). */
const MAX_LENGTH = 24;
const MAX_EM = 0.8;
/** A page drawing more short rules than this is a chart or a dotted leader, not text with underscores: left alone. */
const MAX_RULES = 200;
/** A path of more values than a rectangle's (moveTo, three lineTo, close) is a drawing, not a rule. */
const MAX_PATH_VALUES = 13;
/** A rule stands for an underscore between this far below its line's baseline and this far above, in font sizes. */
const BELOW = 0.4;
const ABOVE = 0.15;
/** The space the rule stands for is found within this many characters of where the rule falls in the item. */
const REACH = 1;

/** The text after the last whitespace, and before the first (plain scans: linear on any text). */
function lastWord(s: string): string {
  let i = s.length;
  while (i > 0 && !/\s/.test(s[i - 1]!)) i--;
  return s.slice(i);
}
function firstWord(s: string): string {
  let i = 0;
  while (i < s.length && !/\s/.test(s[i]!)) i++;
  return s.slice(0, i);
}

/**
 * Whether the word an underscore joins is an e-mail address (one "@" with text before it and a dotted domain after):
 * underlines and strikethroughs elsewhere stay spaces.
 */
function isAddress(word: string): boolean {
  const at = word.indexOf('@');
  if (at <= 0 || at !== word.lastIndexOf('@')) return false;
  const dot = word.indexOf('.', at + 2);
  return dot > 0 && dot < word.length - 1;
}

/** The short horizontal rules a page draws (constructPath with a small, flat box), under their transforms. */
export function shortRules(list: { fnArray: ArrayLike<number>; argsArray: ArrayLike<unknown> }, ops: PdfjsOps): Rule[] {
  const rules: Rule[] = [];
  const construct = ops.constructPath;
  if (construct === undefined) return rules;
  // Only paths that paint: a clipping path (endPath) draws nothing.
  const painted = new Set([ops.stroke, ops.closeStroke, ops.fill, ops.eoFill].filter((op) => op !== undefined));
  walkOperators(list, ops, (fn, args, ctm) => {
    if (fn !== construct || !painted.has(args?.[0] as number)) return;
    // pdf.js 5: [paint operation, [path data], [minX, minY, maxX, maxY]].
    const path = (args?.[1] as ArrayLike<ArrayLike<number>> | undefined)?.[0];
    const box = args?.[2] as ArrayLike<number> | undefined;
    if (!path || !box || box.length !== 4 || path.length > MAX_PATH_VALUES) return;
    const rule = ruleOf(ctm, box);
    if (rule) rules.push(rule);
    // Past the cap the page is a drawing: no rule of it is read (stops the walk).
    return rules.length > MAX_RULES;
  });
  return rules.length > MAX_RULES ? [] : rules;
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
    const fits = (it: PdfjsTextItem) => rule.x1 - rule.x0 <= MAX_EM * sizeOf(it);
    const line = out.filter((it) => upright(it) && it.str.length > 0 && onLine(it, rule) && fits(it));
    // Inside an item: the space nearest where the rule falls, by the share of the item's width before it.
    const within = line.find((it) => it.transform[4]! < middle && middle < it.transform[4]! + it.width);
    if (within) {
      const str = within.str;
      const at = ((middle - within.transform[4]!) / within.width) * str.length;
      let best = -1;
      for (let i = 1; i < str.length - 1; i++) {
        if (str[i] !== ' ' || /\s/.test(str[i - 1]!) || /\s/.test(str[i + 1]!) || Math.abs(i + 0.5 - at) > REACH)
          continue;
        if (best < 0 || Math.abs(i + 0.5 - at) < Math.abs(best + 0.5 - at)) best = i;
      }
      const joined = best < 0 ? '' : `${lastWord(str.slice(0, best))}_${firstWord(str.slice(best + 1))}`;
      if (isAddress(joined)) within.str = `${str.slice(0, best)}_${str.slice(best + 1)}`;
      continue;
    }
    // Between two items: one ending where the rule starts, the next starting where it ends (a gap a space would fill).
    const near = (a: number, b: number, it: PdfjsTextItem) => Math.abs(a - b) <= sizeOf(it) * 0.3;
    const before = line.find((it) => near(it.transform[4]! + it.width, rule.x0, it));
    const after = line.find((it) => near(it.transform[4]!, rule.x1, it));
    if (!before || !after || before === after || /\s$/.test(before.str) || /^\s/.test(after.str)) continue;
    if (!isAddress(`${lastWord(before.str)}_${firstWord(after.str)}`)) continue;
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
