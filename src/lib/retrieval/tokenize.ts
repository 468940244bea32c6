// Word tokenizer for BM25 and grounding: Unicode words, case and accent folding, stop words, Porter stems, CJK bigrams.
import { stemmer } from 'stemmer';
import { segmentBounded } from '../ingest/segments';

export interface TokenizeOptions {
  /**
   * Stop words to drop: true for Lucene's English list (ENGLISH_STOP_WORDS), false for none, or a set of
   * lowercase words of one's own (grounding uses a longer list). Default true.
   */
  stopWords?: boolean | ReadonlySet<string>;
  /** Porter-stem tokens written in Latin letters. Default true. */
  stem?: boolean;
  /**
   * Fold accents on Latin and Greek letters (é→e, ά→α) plus a few letters NFKC leaves alone (ß, æ, ø, ł…).
   * Default true: queries are often typed without accents, and BM25 here is a recall-first candidate source
   * fused with dense retrieval, so conflating "résumé" with "resume" costs little. Cyrillic letters such as
   * й are letters of their own and are kept (only ё→е, as Russian text writes both).
   */
  foldDiacritics?: boolean;
}

/** Lucene's EnglishAnalyzer stop set, the one the Anserini BM25 baselines use. */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be but by for if in into is it no not of on or such that the their then there these they ' +
    'this to was will with'
  ).split(' '),
);

// A word is a run of letters/digits/marks; like UAX #29, "don't", "e.g", "1.5" and "1,000" stay whole.
const WORD =
  /[\p{L}\p{M}\p{N}\p{Pc}]+(?:(?:(?<=\p{L}\p{M}*)['’.](?=\p{L})|(?<=\p{N})[.,'’](?=\p{N}))[\p{L}\p{M}\p{N}\p{Pc}]+)*/gu;
// eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL by definition
const ASCII_ONLY = /^[\x00-\x7f]*$/;
const ASCII_LETTERS = /^[a-z]+$/;
const LATIN_OR_GREEK_MARKS = /(?<=[\p{Script=Latin}\p{Script=Greek}])\p{Mn}+/gu;
// Scripts written without spaces: CJK becomes overlapping bigrams, the South-East Asian ones go to Intl.Segmenter.
const SPLIT_SCRIPTS =
  /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc]+)|([\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]+)/u;
const SPLIT_SCRIPTS_G = new RegExp(SPLIT_SCRIPTS.source, 'gu');
const ARABIC = /[\u0600-\u06ff]/;
const FOLD_LETTERS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ς: 'σ',
  ё: 'е',
};
const FOLD_LETTERS_RE = /[ßæœøłđðþıςё]/g;

let segmenter: Intl.Segmenter | null | undefined;
function wordSegmenter(): Intl.Segmenter | null {
  if (segmenter === undefined) {
    segmenter =
      typeof Intl !== 'undefined' && 'Segmenter' in Intl
        ? new Intl.Segmenter(undefined, { granularity: 'word' })
        : null;
  }
  return segmenter;
}

// Stemming is the hot spot when indexing; the vocabulary repeats, so memoize (bounded).
const stemCache = new Map<string, string>();
function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    if (stemCache.size >= 200_000) stemCache.clear();
    s = stemmer(word);
    stemCache.set(word, s);
  }
  return s;
}

function foldRun(run: string, fold: boolean): string {
  run = run.replace(/’/g, "'");
  if (fold) {
    run = run.normalize('NFD').replace(LATIN_OR_GREEK_MARKS, '').normalize('NFC');
    run = run.replace(FOLD_LETTERS_RE, (c) => FOLD_LETTERS[c] ?? c);
  } else {
    run = run.replace(/ς/g, 'σ');
  }
  // Arabic: drop harakat and tatweel, unify alef forms (as Lucene's ArabicNormalizer does).
  if (ARABIC.test(run)) run = run.replace(/[\u064b-\u065f\u0670\u0640]/g, '').replace(/[أإآ]/g, 'ا');
  return run;
}

/** Splits text into index terms; the same call must be used for documents and queries. */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  const stopWords = options.stopWords ?? true;
  const stop = stopWords === true ? ENGLISH_STOP_WORDS : stopWords === false ? null : stopWords;
  const useStem = options.stem ?? true;
  const fold = options.foldDiacritics ?? true;
  const out: string[] = [];

  const emitWord = (word: string): void => {
    if (word.endsWith("'s")) word = word.slice(0, -2); // English possessive, as Lucene's EnglishPossessiveFilter
    if (word.length === 0) return;
    if (stop?.has(word)) return;
    if (useStem && ASCII_LETTERS.test(word)) word = stem(word);
    out.push(word);
  };

  const normalized = text.normalize('NFKC').toLowerCase();
  for (const match of normalized.matchAll(WORD)) {
    const raw = match[0];
    if (ASCII_ONLY.test(raw)) {
      emitWord(raw);
      continue;
    }
    const run = foldRun(raw, fold);
    if (!SPLIT_SCRIPTS.test(run)) {
      emitWord(run);
      continue;
    }
    let last = 0;
    for (const part of run.matchAll(SPLIT_SCRIPTS_G)) {
      const start = part.index;
      if (start > last) emitWord(run.slice(last, start));
      last = start + part[0].length;
      if (part[1] !== undefined) {
        const chars = Array.from(part[1]);
        if (chars.length === 1) out.push(chars[0]!);
        for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
      } else {
        const seg = wordSegmenter();
        if (seg === null) out.push(part[0]);
        else for (const s of segmentBounded(seg, part[0])) if (s.isWordLike) out.push(s.segment);
      }
    }
    if (last < run.length) emitWord(run.slice(last));
  }
  return out;
}
