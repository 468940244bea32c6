// Character error rate for the OCR measurement: edit distance over the reference's length, whitespace and compatibility forms normalised.
/** Whitespace collapsed, compatibility forms folded (ligatures, full-width), so layout is not counted as error. */
export const normalise = (text: string): string => text.normalize('NFKC').replace(/\s+/g, ' ').trim();

/** Edit distance by characters (code points), two rows of a dynamic programme. */
export function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Int32Array.from({ length: y.length + 1 }, (_, j) => j);
  let cur = new Int32Array(y.length + 1);
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    [prev, cur] = [cur, prev];
  }
  return prev[y.length]!;
}

/** Character error rate: edits to turn the recognised text into the reference, over the reference's length. */
export const cer = (reference: string, recognised: string): number => {
  const ref = normalise(reference);
  return ref.length === 0 ? 0 : levenshtein(ref, normalise(recognised)) / [...ref].length;
};
