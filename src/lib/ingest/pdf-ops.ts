// Walks a pdf.js operator list with the current transform tracked through save/restore, `cm` and form XObjects: what scan detection and drawn underscores both read.

/** A PDF transform [a b c d e f]: x' = a x + c y + e, y' = b x + d y + f. */
export type Matrix = [number, number, number, number, number, number];
export const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

/** m × n as PDF composes them (n applied first, then m): the new current transform after `cm n`. */
const times = (n: Matrix, m: Matrix): Matrix => [
  n[0] * m[0] + n[1] * m[2],
  n[0] * m[1] + n[1] * m[3],
  n[2] * m[0] + n[3] * m[2],
  n[2] * m[1] + n[3] * m[3],
  n[4] * m[0] + n[5] * m[2] + m[4],
  n[4] * m[1] + n[5] * m[3] + m[5],
];

const asMatrix = (v: unknown): Matrix | null =>
  Array.isArray(v) || ArrayBuffer.isView(v)
    ? ((a) => (a.length === 6 && a.every(Number.isFinite) ? (a as Matrix) : null))(Array.from(v as ArrayLike<number>))
    : null;

/** The point (x, y) under transform m. */
export const apply = (m: Matrix, x: number, y: number): [number, number] => [
  m[0] * x + m[2] * y + m[4],
  m[1] * x + m[3] * y + m[5],
];

/** pdf.js's operation codes by name (its OPS): the walk follows save, restore, transform and form XObjects. */
export type PdfjsOps = Readonly<Record<string, number>>;

/**
 * Calls `visit` with each operation, its arguments and the transform it draws under; stops early when `visit` returns
 * true (and then returns true).
 */
export function walkOperators(
  list: { fnArray: ArrayLike<number>; argsArray: ArrayLike<unknown> },
  ops: PdfjsOps,
  visit: (fn: number, args: unknown[] | undefined, ctm: Matrix) => boolean | void,
): boolean {
  const stack: Matrix[] = [];
  let ctm = IDENTITY;
  for (let i = 0; i < list.fnArray.length; i++) {
    const fn = list.fnArray[i]!;
    const args = list.argsArray[i] as unknown[] | undefined;
    if (fn === ops.save) stack.push(ctm);
    else if (fn === ops.restore) ctm = stack.pop() ?? IDENTITY;
    else if (fn === ops.transform) ctm = times(asMatrix(args) ?? IDENTITY, ctm);
    else if (fn === ops.paintFormXObjectBegin) {
      stack.push(ctm);
      ctm = times(asMatrix(args?.[0]) ?? IDENTITY, ctm);
    } else if (fn === ops.paintFormXObjectEnd) ctm = stack.pop() ?? IDENTITY;
    if (visit(fn, args, ctm) === true) return true;
  }
  return false;
}
