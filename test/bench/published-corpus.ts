// A synthetic published site for the cold/warm visit bench: the built app and a library of N passages (Zipf keywords,
// random unit vectors and token vectors in the stand-in models' sizes), written with the publish CLI's own writers.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLibrary, type PublishInput } from '../../src/lib/published/build';
import { tokenVectorRows, vectorRows } from '../../src/lib/pipelines/records';
import { emitApp, writeLibrary } from '../../tools/publish/site';
import { rng, unitRows, ZipfCorpus } from './synthetic';

const PER_DOC = 100;

interface StandinModel {
  id: string;
  role: string;
  revision: string;
  dims: number;
}

/** The stand-in embedder and reranker, as the app names them: the library's vectors are searched with them. */
function standinModels(root: string) {
  const registry = JSON.parse(readFileSync(join(root, 'test/fixtures/standin/registry.json'), 'utf8')) as {
    models: StandinModel[];
  };
  const pick = (role: string) => {
    const m = registry.models.find((x) => x.role === role)!;
    return { id: m.id, revision: m.revision, dims: m.dims, dtype: 'fp32', origin: 'synthetic', registry: 'synthetic' };
  };
  return { embedder: pick('embedder'), late: pick('late-interaction') };
}

/** The site's folder holds the app (from dist/) and a library of `passages` synthetic passages; returns its stats. */
export async function writeSyntheticSite(
  root: string,
  out: string,
  passages: number,
  seed = 1,
): Promise<{ bytes: number; buckets: number; zipf: ZipfCorpus }> {
  const models = standinModels(root);
  const zipf = new ZipfCorpus();
  const next = rng(seed);
  const inputs: PublishInput[] = [];
  for (let d = 0; d * PER_DOC < passages; d++) {
    const n = Math.min(PER_DOC, passages - d * PER_DOC);
    const id = `pub-${d.toString(16).padStart(16, '0')}`;
    const chunks = Array.from({ length: n }, (_, o) => {
      const words = Array.from({ length: 120 }, () => zipf.words[zipf.sample(next)]!);
      const text = words.join(' ');
      return {
        id: `${id}:${o}`,
        docId: id,
        ordinal: o,
        text,
        start: o * 800,
        end: o * 800 + text.length,
        headingPath: [`Section ${o}`],
        pageStart: null,
        pageEnd: null,
        tokenCount: words.length,
        hash: `${d}-${o}`,
      };
    });
    const dense = unitRows(n, models.embedder.dims, seed * 7919 + d);
    const tokenCounts = chunks.map(() => 32 + Math.floor(next() * 32));
    inputs.push({
      doc: {
        id,
        name: `doc-${d}.md`,
        title: `Document ${d}`,
        kind: 'markdown',
        size: n * 800,
        hash: id,
        pageCount: null,
      },
      chunks,
      keywords: chunks.map((c) => zipf.document(c.id, next)),
      vectors: vectorRows(chunks, { key: 'synthetic', dims: models.embedder.dims, vectors: dense }),
      tokenVectors: tokenVectorRows(chunks, {
        modelId: 'synthetic',
        vectors: tokenCounts.map((tokens, i) => ({
          data: unitRows(tokens, models.late.dims, seed * 104729 + d * PER_DOC + i),
          tokens,
          dims: models.late.dims,
          tokenTexts: Array.from({ length: tokens }, () => zipf.words[zipf.sample(next)]!),
          tokenIds: new Int32Array(tokens),
        })),
      }),
    });
  }
  const built = await buildLibrary(inputs, {
    name: `Synthetic library (${passages} passages)`,
    generator: 'test/bench/published-corpus.ts',
    models,
    chunking: { maxTokens: 256, overlapTokens: 32 },
  });
  mkdirSync(out, { recursive: true });
  emitApp(join(root, 'dist'), out, null);
  writeLibrary(out, built);
  return { bytes: built.manifest.counts.bytes, buckets: built.manifest.keywords.buckets, zipf };
}
