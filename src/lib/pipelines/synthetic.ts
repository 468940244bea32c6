// The synthetic-question job: sample passages by document → the answer model writes questions → filter → save.
import { parseQuestions, SYNTHETIC_PROMPT, SYNTHETIC_TEMPLATE } from '../answer/synthetic-questions';
import { renderPrompt } from '../answer/prompts';
import { AppError, toAppError } from '../errors';
import { samplePassages, type SampleDocument } from '../evaluation/sample';
import {
  NO_DROPS,
  questionKey,
  RETRIEVE_DEPTH,
  retrievedInTop,
  screenQuestions,
  type DropCounts,
} from '../evaluation/synthetic';
import type { EvalQuestionRecord } from '../persistence/eval-schema';
import type { PassageRow } from '../retrieval/search-types';
import type { AskSettings, GeneratorAccess, SearchAccess } from './ask';
import { untilAborted } from './until-aborted';

/** Longest output read per passage: three short questions fit well within it. */
export const QUESTION_TOKENS = 128;

export interface SyntheticPorts {
  /** The user's own documents with their passage ids (a published library is not the user's to evaluate). */
  documents(): Promise<(SampleDocument & { name: string })[]>;
  passages(ids: string[]): Promise<(PassageRow | undefined)[]>;
  search(): Promise<SearchAccess>;
  /** Loads the answer model on first use. */
  generator(): Promise<GeneratorAccess>;
  /** The questions already in the evaluation set (a new one that repeats one of them is a duplicate). */
  existing(): Promise<string[]>;
  /** Stores one passage's kept questions (one transaction). */
  save(rows: EvalQuestionRecord[]): Promise<void>;
  newId(): string;
  now(): number;
}

export interface SyntheticRequest {
  settings: AskSettings;
  /** Passages sampled per document (stratified; see samplePassages). */
  perDocument: number;
  /** Passages in all at most. */
  max: number;
  seed: number;
}

export interface SyntheticProgress {
  /** Passages finished, of `total` sampled. */
  done: number;
  total: number;
  /** Questions saved to the evaluation set. */
  kept: number;
  /** Questions (and, for `unparsed`, passages) dropped, by reason. */
  dropped: DropCounts;
}

/**
 * Runs the job. Each passage's kept questions are saved as soon as its turn ends, so a cancel (the signal, checked
 * by the generator between tokens and here between steps) keeps everything saved before it and nothing after.
 * Throws SYNTHETIC_NO_DOCUMENTS for an empty library, SYNTHETIC_NEEDS_ANSWER_MODEL when the answer model cannot run,
 * SEARCH_NOT_READY when search is not open, ABORTED when cancelled.
 */
export async function generateSyntheticQuestions(
  req: SyntheticRequest,
  ports: SyntheticPorts,
  onProgress: (p: SyntheticProgress) => void,
  signal: AbortSignal,
): Promise<SyntheticProgress> {
  const docs = await ports.documents();
  const sample = samplePassages(docs, { perDocument: req.perDocument, max: req.max, seed: req.seed });
  if (sample.length === 0) throw new AppError('SYNTHETIC_NO_DOCUMENTS');
  const progress: SyntheticProgress = { done: 0, total: sample.length, kept: 0, dropped: { ...NO_DROPS } };
  const report = () => onProgress({ ...progress, dropped: { ...progress.dropped } });
  report();
  const search = await untilAborted(ports.search(), signal);
  if (!search.retrieve) throw new AppError('SEARCH_NOT_READY');
  let generator: GeneratorAccess;
  try {
    generator = await untilAborted(ports.generator(), signal);
  } catch (err) {
    if (signal.aborted) throw new AppError('ABORTED');
    throw new AppError('SYNTHETIC_NEEDS_ANSWER_MODEL', undefined, { cause: toAppError(err).message });
  }
  const seen = new Set((await ports.existing()).map(questionKey));
  const { settings } = req;
  const { embedder, late } = search;
  const abort = () => {
    if (signal.aborted) throw new AppError('ABORTED');
  };
  for (const { chunkId } of sample) {
    abort();
    const [passage] = await ports.passages([chunkId]);
    if (passage) {
      const source = docs.find((d) => d.docId === passage.docId)?.name ?? '';
      const messages = renderPrompt(SYNTHETIC_TEMPLATE, { passage: [{ n: 1, source, text: passage.text }] });
      const output = (await generator.generate(messages, QUESTION_TOKENS, signal)).text;
      abort();
      const parsed = parseQuestions(output);
      if (parsed.length === 0) progress.dropped.unparsed++;
      const rows: EvalQuestionRecord[] = [];
      for (const text of screenQuestions(parsed, passage.text, seen, progress.dropped)) {
        const found = await search.retrieve(
          {
            queries: [text],
            instructions: embedder?.instructions ? settings.searchInstructions.trim() : '',
            candidates: late ? Math.max(settings.rerankCandidates, RETRIEVE_DEPTH) : RETRIEVE_DEPTH,
            topK: RETRIEVE_DEPTH,
            filters: {},
            weights: { dense: settings.denseWeight, keyword: settings.keywordWeight },
            rerank: late ? { gpu: late.gpu, skip: [...late.skiplist] } : null,
          },
          signal,
        );
        if (
          !retrievedInTop(
            passage.id,
            found.passages.map((p) => p.id),
          )
        ) {
          progress.dropped.notRetrieved++;
          continue;
        }
        seen.add(questionKey(text));
        rows.push({
          id: ports.newId(),
          text,
          docId: passage.docId,
          chunkIds: [passage.id],
          origin: 'synthetic',
          createdAt: ports.now(),
          prompt: { ...SYNTHETIC_PROMPT },
        });
      }
      abort();
      await ports.save(rows);
      progress.kept += rows.length;
    }
    progress.done++;
    report();
  }
  return progress;
}
