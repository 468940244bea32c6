// --synthesize <n> --out <dir>: synthetic questions for a BEIR corpus, written as queries.jsonl and qrels, with the
// app's prompt, parser and filters, so `--adapter <dir>/qrels.tsv --adapter-queries <dir>/queries.jsonl` can train on
// what a real user has (questions the answer model wrote about their documents) instead of human judgments.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseQuestions, SYNTHETIC_TEMPLATE } from '../../src/lib/answer/synthetic-questions';
import { renderPrompt, type PromptTemplate } from '../../src/lib/answer/prompts';
import { samplePassages } from '../../src/lib/evaluation/sample';
import {
  NO_DROPS,
  questionKey,
  RETRIEVE_DEPTH,
  retrievedInTop,
  screenQuestions,
  type DropCounts,
} from '../../src/lib/evaluation/synthetic';
import { QUESTION_TOKENS } from '../../src/lib/pipelines/synthetic';
import type { EvalDoc, GeneratorBackend, Searcher } from './searchers';

export interface SynthesizeResult {
  /** Documents the model was asked about. */
  documents: number;
  /** Questions kept (one qrels row each). */
  kept: number;
  /** The synthetic-questions prompt's version used. */
  prompt: number;
  dropped: DropCounts;
  ms: number;
}

/**
 * Samples `n` documents (seeded, as the app samples passages), asks the generator for questions about each, screens
 * them as the app does (not pointing at the passage, not a copy, not a duplicate, found in the first RETRIEVE_DEPTH
 * by `searcher`, which must have indexed `corpus`), and writes `<out>/queries.jsonl` and `<out>/qrels.tsv`.
 */
export async function synthesize(
  corpus: readonly EvalDoc[],
  n: number,
  generator: GeneratorBackend,
  searcher: Searcher,
  out: string,
  options: { seed?: number; log?: (line: string) => void; prompt?: PromptTemplate } = {},
): Promise<SynthesizeResult> {
  const start = performance.now();
  const byId = new Map(corpus.map((d) => [d.id, d]));
  const sample = samplePassages(
    corpus.map((d) => ({ docId: d.id, chunkIds: [d.id] })),
    { perDocument: 1, max: n, seed: options.seed ?? 1 },
  );
  const dropped: DropCounts = { ...NO_DROPS };
  const seen = new Set<string>();
  const queries: string[] = [];
  const qrels: string[] = ['query-id\tcorpus-id\tscore'];
  for (const [i, { docId }] of sample.entries()) {
    const doc = byId.get(docId)!;
    const text = doc.title ? `${doc.title}\n\n${doc.text}` : doc.text;
    const template = options.prompt ?? SYNTHETIC_TEMPLATE;
    const messages = renderPrompt(template, { passage: [{ n: 1, source: doc.title || doc.id, text }] });
    const parsed = parseQuestions(await generator.complete(messages, QUESTION_TOKENS));
    if (parsed.length === 0) dropped.unparsed++;
    for (const q of screenQuestions(parsed, text, seen, dropped)) {
      const found = await searcher.search(q, RETRIEVE_DEPTH);
      if (
        !retrievedInTop(
          docId,
          found.map((h) => h.id),
        )
      ) {
        dropped.notRetrieved++;
        continue;
      }
      seen.add(questionKey(q));
      const id = `synthetic-${queries.length + 1}`;
      queries.push(JSON.stringify({ _id: id, text: q }));
      qrels.push(`${id}\t${docId}\t1`);
    }
    if ((i + 1) % 25 === 0) options.log?.(`synthesized questions for ${i + 1}/${sample.length} documents`);
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'queries.jsonl'), queries.length ? `${queries.join('\n')}\n` : '');
  writeFileSync(join(out, 'qrels.tsv'), `${qrels.join('\n')}\n`);
  return {
    documents: sample.length,
    kept: queries.length,
    prompt: (options.prompt ?? SYNTHETIC_TEMPLATE).version,
    dropped,
    ms: Math.round(performance.now() - start),
  };
}
