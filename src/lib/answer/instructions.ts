// Search instructions: recognises one written inline after a question ("…, only from the 2023 reports") and combines it with the conversation's.
import { trimChars } from './multi-query';

/** Longest instruction kept (inline, per conversation, or both combined); longer text is clipped at a word. */
export const MAX_INSTRUCTION_CHARS = 500;

/** A question with the instruction that was written after it ('' when none). */
export interface QuestionWithInstruction {
  question: string;
  instruction: string;
}

/** A word of the text: lower-cased letters and digits, and where it stands in the original. */
interface Word {
  text: string;
  start: number;
  end: number;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** Words as runs of letters and digits; apostrophes, hyphens and everything else split them ("don't" → don, t). */
function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const isWord = i < text.length && WORD_CHAR.test(text[i]!);
    if (isWord && start < 0) start = i;
    else if (!isWord && start >= 0) {
      words.push({ text: text.slice(start, i).toLowerCase(), start, end: i });
      start = -1;
    }
  }
  return words;
}

/**
 * Words that open an instruction clause. Each is checked only at the start of a clause that runs to the end of the
 * text, and (except the explicit "instruction:" label) only when that clause also names documents or dates, so that
 * "Why did sales fall, not rise?" or "Is it only sold in blue?" stay whole questions.
 */
const CUES: readonly (readonly string[])[] = [
  ['only'],
  ['just'],
  ['exclude'],
  ['excluding'],
  ['except'],
  ['but', 'not'],
  ['not'],
  ['ignore'],
  ['ignoring'],
  ['skip'],
  ['without'],
  ['leave', 'out'],
  ['don', 't', 'include'],
  ['don', 't', 'use'],
  ['do', 'not', 'include'],
  ['do', 'not', 'use'],
  ['use', 'only'],
  ['search', 'only'],
  ['look', 'only'],
  ['limit', 'to'],
  ['limited', 'to'],
  ['restrict', 'to'],
  ['restricted', 'to'],
  ['focus', 'on'],
  ['prefer'],
  ['published'],
  ['written'],
  ['dated'],
  ['added'],
];

/** An explicit label: "…? Instructions: only PDFs". The clause after its colon is the instruction, evidence or not. */
const LABELS = new Set(['instruction', 'instructions']);

/** Words that show a clause is about which documents to use: document nouns and the app's file types. */
const DOCUMENT_WORDS = new Set([
  'document',
  'documents',
  'doc',
  'docs',
  'report',
  'reports',
  'paper',
  'papers',
  'study',
  'studies',
  'article',
  'articles',
  'file',
  'files',
  'source',
  'sources',
  'note',
  'notes',
  'post',
  'posts',
  'memo',
  'memos',
  'manual',
  'manuals',
  'slides',
  'presentation',
  'presentations',
  'ebook',
  'ebooks',
  'epub',
  'pptx',
  'odt',
  'rtf',
  'spreadsheet',
  'spreadsheets',
  'xlsx',
  'ods',
  'csv',
  'tsv',
  'excel',
  'pdf',
  'pdfs',
  'docx',
  'word',
  'html',
  'markdown',
  'webpage',
  'webpages',
  'older',
  'newer',
  'recent',
]);

/** A clause-final "only" after documents: "…, the 2023 reports only". */
const TAIL_ONLY = 'only';

function isYear(word: string): boolean {
  return word.length === 4 && (word.startsWith('19') || word.startsWith('20')) && /^\d{4}$/.test(word);
}

function isEvidence(words: readonly Word[], i: number): boolean {
  const w = words[i]!.text;
  if (DOCUMENT_WORDS.has(w) || isYear(w)) return true;
  // "last year", "this month", "past week"…
  const next = words[i + 1]?.text;
  return (
    (w === 'last' || w === 'this' || w === 'past') &&
    (next === 'year' || next === 'month' || next === 'week' || next === 'years' || next === 'months')
  );
}

/** Whether `cue` is spelled by the words from index `i` on. */
function cueAt(words: readonly Word[], i: number, cue: readonly string[]): boolean {
  return cue.every((c, k) => words[i + k]?.text === c);
}

const CLAUSE_BREAKS = ',;:(';
const SENTENCE_ENDS = '.?!';
const DASHES = '-–—';

/** Whether a clause may start after the character at `i`: a comma, semicolon, colon, '(', a sentence end or a spaced dash. */
function isBreak(text: string, i: number): boolean {
  const c = text[i]!;
  if (CLAUSE_BREAKS.includes(c)) return true;
  const spaceAfter = i + 1 < text.length && /\s/.test(text[i + 1]!);
  if (SENTENCE_ENDS.includes(c)) return spaceAfter;
  if (DASHES.includes(c)) return spaceAfter && i > 0 && /\s/.test(text[i - 1]!);
  return false;
}

function tidy(s: string, ends: string): string {
  return trimChars(s.replace(/\s+/g, ' ').trim(), ends).trim();
}

/** `text` cut to at most `max` characters, at a word when one is near. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return (space > max / 2 ? cut.slice(0, space) : cut).trimEnd();
}

/** Fewest words left for the question once an instruction is split off. */
const MIN_QUESTION_WORDS = 2;

/**
 * Splits an instruction written after the question: "What did revenue do, only from the 2023 reports" →
 * { question: 'What did revenue do', instruction: 'only from the 2023 reports' }. Conservative: the instruction is
 * the tail of the text after a clause break (comma, semicolon, colon, '(', a sentence end, a spaced dash); it opens
 * with a cue ("only", "exclude", "not", "ignore", "published"…) or ends with "only", and it names documents, a file
 * type or a date ("reports", "PDFs", "2020", "last year"); or it follows an explicit "Instructions:" label. The
 * earliest such break wins, so "…; exclude anything before 2020, only PDFs" keeps both parts. Ordinary questions
 * that merely contain "only" or "not" come back whole with instruction ''. One pass over the text (linear time).
 */
export function splitInstruction(text: string): QuestionWithInstruction {
  const whole = { question: text.trim(), instruction: '' };
  const words = wordsOf(text);
  // evidenceFrom[i]: some word at index ≥ i names documents or dates (one backward pass).
  const evidenceFrom = new Array<boolean>(words.length + 1).fill(false);
  for (let i = words.length - 1; i >= 0; i--) evidenceFrom[i] = evidenceFrom[i + 1]! || isEvidence(words, i);
  const lastOnly = words.length > 0 && words[words.length - 1]!.text === TAIL_ONLY;
  const asks = text.trimEnd().endsWith('?');

  // nextMark[i]: the first character at or after i that is not white space (one backward pass).
  const nextMark = new Array<number>(text.length + 1).fill(text.length);
  for (let i = text.length - 1; i >= 0; i--) nextMark[i] = /\s/.test(text[i]!) ? nextMark[i + 1]! : i;
  // A parenthesised instruction must close the text, bar end punctuation: its ')' is the last one, and no other
  // ')' stands between it and its '('.
  let end = text.length;
  while (end > 0 && ' \t\n\r.?!'.includes(text[end - 1]!)) end--;
  const finalClose = text[end - 1] === ')' ? end - 1 : -1;
  const closeBefore = finalClose > 0 ? text.lastIndexOf(')', finalClose - 1) : -1;

  let w = 0; // index of the first word after the current character
  for (let i = 0; i < text.length; i++) {
    while (w < words.length && words[w]!.start <= i) w++;
    if (!isBreak(text, i) || w < MIN_QUESTION_WORDS || w >= words.length) continue;
    const first = words[w]!;
    // Only white space between the break and the clause's first word (", only…", not ", 'only'…").
    if (nextMark[i + 1] !== first.start) continue;

    if (LABELS.has(first.text) && text[first.end] === ':') {
      // Everything after the label is the instruction; when that is empty, no later clause has a word either.
      const instruction = text.slice(first.end + 1);
      return tidy(instruction, ' .;,)') ? result(text.slice(0, i), instruction, text[i]!) : whole;
    }
    if (!evidenceFrom[w] || !(lastOnly || CUES.some((cue) => cueAt(words, w, cue)))) continue;
    if (text[i] === '(') {
      // "What was revenue (only the 2023 reports)?"
      if (finalClose < i || closeBefore > i) continue;
      const rest = text.slice(finalClose + 1).trim();
      return result(`${text.slice(0, i).trimEnd()}${rest}`, text.slice(first.start, finalClose), '(');
    }
    // A clause that ends with '?' belongs to the question: "Which reports, only from 2023, mention revenue?"
    if (asks) continue;
    return result(text.slice(0, i), text.slice(first.start), text[i]!);
  }
  return whole;
}

function result(head: string, instruction: string, breakChar: string): QuestionWithInstruction {
  // The question keeps its own '?' ("Define MaxSim? Only use the papers."), not the comma or dash before the clause.
  const kept = breakChar === '?' || breakChar === '!' ? `${head}${breakChar}` : head;
  const question = trimEndChars(kept.replace(/\s+/g, ' ').trim(), ' ,;:-–—(');
  return { question, instruction: clip(tidy(instruction, ' .;,)'), MAX_INSTRUCTION_CHARS) };
}

function trimEndChars(s: string, chars: string): string {
  let end = s.length;
  while (end > 0 && chars.includes(s[end - 1]!)) end--;
  return s.slice(0, end);
}

/**
 * The instruction a search follows: the conversation's standing one and the question's inline one, joined by "; ".
 * Either may be empty; an inline instruction that the conversation's already holds (ignoring case) is not repeated.
 */
export function combineInstructions(conversation: string, inline: string): string {
  const a = tidy(conversation, ' ;,');
  const b = tidy(inline, ' ;,');
  if (!a || !b) return clip(a || b, MAX_INSTRUCTION_CHARS);
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la.includes(lb)) return clip(a, MAX_INSTRUCTION_CHARS);
  if (lb.includes(la)) return clip(b, MAX_INSTRUCTION_CHARS);
  return clip(`${trimChars(a, '.')}; ${b}`, MAX_INSTRUCTION_CHARS);
}
