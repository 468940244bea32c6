// The README.md of a training-data export: what each file holds, how it was made, the counts and the models.
import { HARD_TOP_K } from './mine';

export interface ReadmeFacts {
  /** ISO time of the export. */
  exportedAt: string;
  records: number;
  queries: number;
  pairs: number;
  triplets: number;
  colbert: number;
  /** Passages left out because their document was deleted. */
  missing: number;
  /** Models that answered the questions, by role, with their revisions ("id@revision"). */
  models: string[];
}

export function trainingReadme(f: ReadmeFacts): string {
  const models = f.models.length ? f.models.map((m) => `- ${m}`).join('\n') : '- (none recorded)';
  return `# Lectern training data

Exported ${f.exportedAt} from ${f.records} feedback record(s) kept in this browser, for ${f.queries} query(ies).

| file | rows | layout |
|---|---|---|
| pairs.jsonl | ${f.pairs} | \`{"query", "positive"}\` |
| triplets.jsonl | ${f.triplets} | \`{"query", "positive", "negative"}\` |
| colbert.jsonl | ${f.colbert} | \`{"query", "positive", "negatives": [...]}\` |

Sentence-Transformers matches columns by order, not name: pairs.jsonl and triplets.jsonl load with
\`datasets.load_dataset("json", data_files=...)\` and train with MultipleNegativesRankingLoss (query = anchor).
PyLate's contrastive training reads triplets.jsonl's \`query\`, \`positive\`, \`negative\` columns as they are; for
several negatives a query, spread colbert.jsonl's \`negatives\` into columns (\`negative_1\`, \`negative_2\`, ...).

## How it was made

- The query is the stand-alone query that was searched (a follow-up rewritten), not the follow-up as typed.
- Positives: sources marked "relevant", and passages cited by an answer given a thumbs up (unless marked
  "not relevant").
- Hard negatives: sources marked "not relevant" that search ranked high (within the first ${HARD_TOP_K} shown, or above
  the lowest positive); and, in an answer given a thumbs up, passages ranked above a cited positive that were not
  cited, never opened, never expanded and not marked relevant.
- Records with the same query (case and spacing ignored) are merged. Each (query, positive[, negative]) appears once,
  and passages with the same text count once. A passage that is a positive for a query is never one of its negatives.
- Texts were read from the library at export time: ${f.missing} passage(s) whose document was deleted were left out.

## Models in use when the questions were asked

${models}
`;
}
