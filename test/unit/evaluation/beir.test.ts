// BEIR files as the CLI and the app's benchmark import read them: corpus, queries, qrels, and the judged questions.
import { describe, expect, it } from 'vitest';
import {
  BeirFormatError,
  beirQuestions,
  parseBeirCorpus,
  parseBeirQueries,
  parseQrels,
} from '../../../src/lib/evaluation/beir';

describe('BEIR files', () => {
  it('reads the corpus: numeric ids as text, missing title or text as empty, blank and CRLF lines', () => {
    const corpus = parseBeirCorpus(
      '{"_id": 4983, "title": "Lenses", "text": "A lens bends light."}\r\n\n{"_id": "d2", "text": "No title."}\n',
    );
    expect(corpus).toEqual([
      { id: '4983', title: 'Lenses', text: 'A lens bends light.' },
      { id: 'd2', title: '', text: 'No title.' },
    ]);
  });

  it('names the file and line of a bad record', () => {
    expect(() => parseBeirCorpus('{"_id": "a"}\n[1, 2]\n')).toThrow(
      new BeirFormatError('corpus.jsonl', 2, 'not a JSON object'),
    );
    expect(() => parseBeirCorpus('{"title": "x"}')).toThrow(/line 1: no "_id"/);
    expect(() => parseBeirQueries('{"_id": "1"}')).toThrow(/queries.jsonl, line 1: no "text"/);
  });

  it('reads qrels with or without the header, graded, and rejects a line that is not three tab-separated fields', () => {
    const qrels = parseQrels('query-id\tcorpus-id\tscore\n1\t31715818\t1\n1\t14717500\t2\n3\t23389795\t0\n');
    expect([...qrels].map(([q, j]) => [q, [...j]])).toEqual([
      [
        '1',
        [
          ['31715818', 1],
          ['14717500', 2],
        ],
      ],
      ['3', [['23389795', 0]]],
    ]);
    expect(parseQrels('1\td1\t1\n').get('1')?.get('d1')).toBe(1);
    expect(() => parseQrels('q\td\t1\nq\td 1\n')).toThrow(/line 2: not "query-id, corpus-id, score"/);
    expect(() => parseQrels('q\td\t1\nq\td\tmany\n')).toThrow(/line 2: score "many" is not a number/);
  });

  it('keeps the judged queries that have a text, in qrels order', () => {
    const qrels = parseQrels('2\td1\t1\n1\td2\t1\n9\td3\t1\n');
    const queries = parseBeirQueries(
      '{"_id": "1", "text": "first"}\n{"_id": 2, "text": "second"}\n{"_id": "5", "text": "unjudged"}\n',
      new Set(qrels.keys()),
    );
    expect([...queries.keys()]).toEqual(['1', '2']);
    expect(beirQuestions(qrels, queries).map((q) => [q.id, q.text])).toEqual([
      ['2', 'second'],
      ['1', 'first'],
    ]);
  });
});
