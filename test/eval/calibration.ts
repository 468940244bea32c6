// Refusal calibration: top-1 cosine of on-topic queries versus off-topic questions, summarised for picking a threshold.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const OFF_TOPIC_FILE = fileURLToPath(new URL('./off-topic-questions.txt', import.meta.url));

/** One question per line; blank lines and lines starting with # are skipped. */
export function parseQuestions(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export function loadOffTopicQuestions(path = OFF_TOPIC_FILE): string[] {
  return parseQuestions(readFileSync(path, 'utf8'));
}

/** Percentile p (0–100) by linear interpolation between closest ranks (numpy's default), on unsorted input. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of nothing');
  if (!(p >= 0 && p <= 100)) throw new RangeError('p must be within 0..100');
  const s = [...values].sort((a, b) => a - b);
  const at = (p / 100) * (s.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return s[lo]! + (s[hi]! - s[lo]!) * (at - lo);
}

export interface RefusalCalibration {
  onTopic: { n: number; min: number; p5: number; median: number };
  offTopic: { n: number; max: number; p95: number; median: number };
  /** onTopic.min − offTopic.max: positive means one threshold separates every question here. */
  margin: number;
  /** onTopic.p5 − offTopic.p95. */
  margin95: number;
  /** On-topic queries at or below the highest off-topic score (they would be refused by a threshold above it). */
  onTopicAtOrBelowOffTopicMax: number;
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** Summarises the top-1 scores of on-topic queries and of off-topic questions. */
export function calibrate(onTopic: readonly number[], offTopic: readonly number[]): RefusalCalibration {
  const on = {
    n: onTopic.length,
    min: Math.min(...onTopic),
    p5: percentile(onTopic, 5),
    median: percentile(onTopic, 50),
  };
  const off = {
    n: offTopic.length,
    max: Math.max(...offTopic),
    p95: percentile(offTopic, 95),
    median: percentile(offTopic, 50),
  };
  return {
    onTopic: { n: on.n, min: r4(on.min), p5: r4(on.p5), median: r4(on.median) },
    offTopic: { n: off.n, max: r4(off.max), p95: r4(off.p95), median: r4(off.median) },
    margin: r4(on.min - off.max),
    margin95: r4(on.p5 - off.p95),
    onTopicAtOrBelowOffTopicMax: onTopic.filter((s) => s <= off.max).length,
  };
}
