// Parses search queries out of a model's output: several rewrites (multi-query) or one stand-alone query.

/** Most rewrites kept: each one costs an embedding and a search. */
export const MAX_QUERIES = 3;

/** Longest line accepted as a query; longer means the model started answering instead. */
const MAX_QUERY_CHARS = 300;

const LEAD =
  /^\s*(?:[-*•·–—>]+\s*|\(?\d{1,2}\s*[.):\]]\s*|\(?[a-c][.)]\s+|(?:(?:stand-alone|standalone|rewritten|search|alternative)\s+)*(?:query|queries|question|rewrite)\s*\d*\s*[:.\-–—]\s*|q\d+\s*[:.]\s*)/i;
const QUOTES = '"\'“”‘’`«»';
/** Rounds of stripping labels, bullets and quotes ("1. Query: "…"") on an overlong line (each round copies it). */
const CLEAN_ROUNDS = 4;

/** `s` without the given characters at either end (a loop: /[…]+$/ is quadratic on a long run of them). */
export function trimChars(s: string, chars: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && chars.includes(s[start]!)) start++;
  while (end > start && chars.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

function clean(line: string): string {
  let s = line.replace(/\*\*|__/g, '').trim();
  // Stripping repeats until nothing changes; on a line far too long to be a query, a few rounds are enough.
  const rounds = s.length <= 4 * MAX_QUERY_CHARS ? Infinity : CLEAN_ROUNDS;
  for (let round = 0, prev = ''; round < rounds && prev !== s; round++) {
    prev = s;
    s = trimChars(s.replace(LEAD, ''), QUOTES).trim();
  }
  return s.replace(/\s+/g, ' ');
}

function key(query: string): string {
  const s = query.toLowerCase();
  let end = s.length;
  while (end > 0 && '?.!'.includes(s[end - 1]!)) end--;
  return s.slice(0, end).trim();
}

// "Here are three queries:" and the like introduce the list; they are not queries.
const PREAMBLE = /^(?:here\s+(?:are|is)|sure|okay|certainly)\b|:$/i;

export interface ParseQueriesOptions {
  /** Default MAX_QUERIES. */
  max?: number;
  /** Queries to leave out, compared like duplicates (the original question, usually). */
  exclude?: readonly string[];
}

/**
 * Queries from a multi-query output: one per line (numbered "1. a 2. b" on one line is split too), bullets,
 * numbering, labels and quotes stripped, duplicates dropped ignoring case and end punctuation, capped.
 */
export function parseQueries(output: string, options: ParseQueriesOptions = {}): string[] {
  const max = options.max ?? MAX_QUERIES;
  const seen = new Set((options.exclude ?? []).map((q) => key(clean(q))));
  const out: string[] = [];
  const lines = output
    .split(/\r?\n/)
    .flatMap((line) => (/^\s*1[.)]\s/.test(line) ? line.split(/\s+(?=\d[.)]\s)/) : [line]));
  for (const line of lines) {
    if (out.length >= max) break;
    const query = clean(line);
    if (!query || query.length > MAX_QUERY_CHARS || PREAMBLE.test(query)) continue;
    const k = key(query);
    if (!k || seen.has(k)) continue;
    seen.add(k);
    out.push(query);
  }
  return out;
}

/** The stand-alone query from a query-rewrite output (its first usable line), or the fallback. */
export function parseRewrite(output: string, fallback: string): string {
  for (const line of output.split(/\r?\n/)) {
    const query = clean(line);
    if (!query || PREAMBLE.test(query)) continue;
    return query.length > MAX_QUERY_CHARS ? fallback : query;
  }
  return fallback;
}
