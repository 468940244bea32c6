// Deep mode's scoring: a relevance verdict read from the verdict tokens' probabilities (as Rank1 does), and the rules
// that combine it with the earlier stages' order.
import { reciprocalRankFusion } from './fusion';

/** log Σ exp(x) over the given entries of `logits`, computed stably; −Infinity when `ids` is empty. */
function logSumExp(logits: ArrayLike<number>, ids: readonly number[]): number {
  let max = -Infinity;
  for (const id of ids) max = Math.max(max, logits[id]!);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const id of ids) sum += Math.exp(logits[id]! - max);
  return max + Math.log(sum);
}

/**
 * P(yes) / (P(yes) + P(no)) for the next token after the verdict cue, from its logits: each side's probability is the
 * sum over its token variants (" yes", "Yes", …). Parsed text never counts: a model that writes "yes" with 51 %
 * scores 0.51, not 1. Returns null when the ids are missing, a logit is NaN or +Infinity, or both sides are masked.
 */
export function verdictProbability(
  logits: ArrayLike<number>,
  yesIds: readonly number[],
  noIds: readonly number[],
): number | null {
  const valid = (ids: readonly number[]) =>
    ids.length > 0 && ids.every((id) => Number.isInteger(id) && id >= 0 && id < logits.length);
  if (!valid(yesIds) || !valid(noIds)) return null;
  const yes = logSumExp(logits, yesIds);
  const no = logSumExp(logits, noIds);
  // One side masked (−Infinity) is a sure verdict; both masked, or NaN or +Infinity anywhere, is no verdict.
  if (Number.isNaN(yes) || Number.isNaN(no) || yes === Infinity || no === Infinity) return null;
  if (yes === -Infinity && no === -Infinity) return null;
  return 1 / (1 + Math.exp(no - yes));
}

/**
 * How the verdicts order the judged candidates:
 * - 'verdict': by verdict alone (ties keep the earlier order);
 * - 'fusion': reciprocal-rank fusion of the earlier order and the verdict order;
 * - 'blend': weight × verdict + (1 − weight) × the earlier order's reciprocal rank 1 / (1 + place), both in [0, 1].
 * Which one Lectern uses is measured (eval's deep mode rows), not assumed.
 */
export type VerdictRule = 'verdict' | 'fusion' | 'blend';

export const VERDICT_RULES: readonly VerdictRule[] = ['verdict', 'fusion', 'blend'];

/**
 * The judged candidates in final order. `earlier` is every candidate in the order the earlier stages gave;
 * `verdicts` the probability for those judged (a candidate without one keeps its earlier place after the judged).
 */
export function orderByVerdict(
  earlier: readonly string[],
  verdicts: ReadonlyMap<string, number>,
  rule: VerdictRule,
  weight = 0.5,
): string[] {
  const judged = earlier.filter((id) => verdicts.has(id));
  const rest = earlier.filter((id) => !verdicts.has(id));
  const place = new Map(judged.map((id, i) => [id, i]));
  const byVerdict = [...judged].sort((a, b) => verdicts.get(b)! - verdicts.get(a)! || place.get(a)! - place.get(b)!);
  let ordered: string[];
  if (rule === 'verdict') ordered = byVerdict;
  else if (rule === 'fusion') {
    const lists = [byVerdict, judged].map((ids) => ids.map((id) => ({ id })));
    ordered = reciprocalRankFusion(lists, { limit: judged.length }).map((h) => h.id);
  } else {
    const score = (id: string) => weight * verdicts.get(id)! + (1 - weight) / (1 + place.get(id)!);
    ordered = [...judged].sort((a, b) => score(b) - score(a) || place.get(a)! - place.get(b)!);
  }
  return [...ordered, ...rest];
}
