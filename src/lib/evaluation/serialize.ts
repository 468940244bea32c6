// An evaluation's results as one typed report, and its JSON and CSV forms (the panel's exports).
import type { AnswerFigures } from './answers';
import type { RetrievalReport } from './runner';

/** Everything one evaluation run found. */
export interface EvaluationReport {
  /** The report's format version. */
  format: 1;
  /** When it ran (ms since epoch). */
  at: number;
  /** Where the questions came from, e.g. { synthetic: 12, feedback: 3 } or { beir: 300 }. */
  sources: Record<string, number>;
  retrieval: RetrievalReport;
  /** Null when answers were not evaluated. */
  answers: AnswerFigures | null;
  /** What was left out of this run and why, in plain words (e.g. the answer model could not load). */
  notes?: string[];
}

export function reportToJson(report: EvaluationReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break; a leading = + - @ is defused for spreadsheets. */
function field(value: string | number | boolean | null): string {
  if (value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_HEADER = ['section', 'configuration', 'mode', 'multi_query', 'metric', 'value'] as const;

/**
 * Long format, one figure per row (section, configuration, mode, multi_query, metric, value): the retrieval rows
 * (recall@k, mrr@10, ndcg@10, queries, unjudged, and `<stage>_p50_ms` / `<stage>_p95_ms`), then the answer figures
 * (section `answers`, configuration the prompt as name@version). Empty value: not computed.
 */
export function reportToCsv(report: EvaluationReport): string {
  const rows: (string | number | boolean | null)[][] = [[...CSV_HEADER]];
  for (const c of report.retrieval.configs) {
    const row = (metric: string, value: number | null) =>
      rows.push(['retrieval', c.config.id, c.config.mode, c.config.multiQuery, metric, value]);
    for (const m of ['recall@5', 'recall@10', 'recall@100', 'mrr@10', 'ndcg@10'] as const) row(m, c[m]);
    row('queries', c.queries);
    row('unjudged', c.unjudged);
    for (const [stage, s] of Object.entries(c.latency)) {
      row(`${stage}_p50_ms`, s.p50);
      row(`${stage}_p95_ms`, s.p95);
    }
  }
  const a = report.answers;
  if (a) {
    const name = `${a.prompt.name}@${a.prompt.version}`;
    const row = (metric: string, value: number | null) => rows.push(['answers', name, '', '', metric, value]);
    row('questions', a.questions);
    row('answered', a.answered);
    row('refused', a.refused);
    row('declined', a.declined);
    row('sentences', a.sentences);
    row('groundedness', a.groundedness);
    row('citations', a.citations);
    row('citation_validity', a.citationValidity);
    row('answer_relevance', a.answerRelevance);
    row('generate_p50_ms', a.latency.generate.p50);
    row('generate_p95_ms', a.latency.generate.p95);
    row('first_token_p50_ms', a.latency.firstToken.p50);
    row('first_token_p95_ms', a.latency.firstToken.p95);
  }
  return rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
