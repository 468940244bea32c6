// Published-library visit bench: a 100k-passage synthetic library served from localhost, opened cold (empty caches)
// then warm (same profile): bytes and time to the first ranked sources, and when its whole index has arrived.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { guardLocalhost, serveApp, STANDIN_URL } from '../../e2e/fixtures';
import { writeSyntheticSite } from '../published-corpus';
import { emit, label, round2 } from '../report';
import { rng } from '../synthetic';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PASSAGES = Number(process.env.BENCH_PUBLISHED_PASSAGES ?? 100_000);
const MB = 1024 * 1024;

function goal(name: string, value: number, target: number | null, extra: Record<string, unknown> = {}) {
  emit({
    group: 'published',
    goal: name,
    passages: PASSAGES,
    value: round2(value),
    target,
    met: target === null ? null : value <= target,
    ...extra,
  });
}

type Bytes = Record<string, number>;
const total = (b: Bytes) => Object.values(b).reduce((n, x) => n + x, 0);
/** What keyword results need: the manifest, passage lengths and keyword buckets (dense, passages, tokens come after). */
const keywordPart = (b: Bytes) => (b.manifest ?? 0) + (b.lengths ?? 0) + (b.keywords ?? 0);
const mb = (n: number) => round2(n / MB);
const inMb = (b: Bytes) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, mb(v)]));

/** One visit: open the site, ask, time the first sources; bytes of the library read from the network, by part. */
async function visit(page: Page, origin: string, question: string, libraryBytes: () => Bytes) {
  const t0 = Date.now();
  await page.goto(`${origin}${STANDIN_URL}`);
  await expect(page.getByTestId('published-library').getByRole('heading', { level: 2 })).toContainText('Synthetic', {
    timeout: 60_000,
  });
  const manifestMs = Date.now() - t0;
  await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
  const modelsMs = Date.now() - t0;
  const asked = Date.now();
  await page.getByRole('textbox', { name: 'Ask' }).fill(question);
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  const sources = page.getByRole('list', { name: 'Sources' }).getByRole('listitem');
  await expect(sources.first()).toBeVisible({ timeout: 120_000 });
  const sourcesAt = Date.now();
  const bytesAtSources = { ...libraryBytes() };
  await expect(page.getByTestId('published-index-ready')).toBeVisible({ timeout: 600_000 });
  return {
    manifestMs,
    modelsMs,
    askToSourcesMs: sourcesAt - asked,
    openToSourcesMs: sourcesAt - t0,
    bytesAtSources,
    indexReadyMs: Date.now() - t0,
    bytesAll: { ...libraryBytes() },
  };
}

test(
  `cold and warm visit to a ${label(PASSAGES)}-passage published library`,
  { tag: '@device-independent' },
  async ({ browser }) => {
    test.setTimeout(1_200_000);
    const dir = mkdtempSync(join(tmpdir(), 'lectern-published-bench-'));
    try {
      const t = Date.now();
      const site = await writeSyntheticSite(ROOT, dir, PASSAGES);
      emit({
        group: 'published',
        name: 'synthetic site written',
        passages: PASSAGES,
        ms: Date.now() - t,
        mb: mb(site.bytes),
        buckets: site.buckets,
      });
      const served = await serveApp({ LECTERN_DIST: dir });
      const context = await browser.newContext();
      const external = await guardLocalhost(context);
      let network: Bytes = {};
      // Every response under /library/ that came over the network (not a cache), workers' fetches included, by part.
      context.on('requestfinished', (req) => {
        const path = new URL(req.url()).pathname;
        if (!path.startsWith('/library/')) return;
        const part = /\/shards\/([a-z]+)-/.exec(path)?.[1] ?? 'manifest';
        void req
          .sizes()
          .then((s) => (network[part] = (network[part] ?? 0) + s.responseBodySize))
          .catch(() => {});
      });
      const question = site.zipf.query(rng(42));
      try {
        const cold = await visit(await context.newPage(), served.origin, question, () => network);
        const times = { manifestMs: cold.manifestMs, modelsMs: cold.modelsMs };
        goal('cold: open to first sources (ms)', cold.openToSourcesMs, 2_000, times);
        goal('cold: ask to first sources (ms)', cold.askToSourcesMs, null);
        goal('cold: keyword-result bytes by first sources (MB)', mb(keywordPart(cold.bytesAtSources)), 10, {
          byPart: inMb(cold.bytesAtSources),
        });
        goal('cold: all library bytes by first sources (MB)', mb(total(cold.bytesAtSources)), null);
        goal('cold: background index read, from open (ms)', cold.indexReadyMs, null, { byPart: inMb(cold.bytesAll) });
        network = {};
        const warm = await visit(await context.newPage(), served.origin, question, () => network);
        goal('warm: open to first sources (ms)', warm.openToSourcesMs, null, {
          manifestMs: warm.manifestMs,
          modelsMs: warm.modelsMs,
        });
        goal('warm: ask to first sources (ms)', warm.askToSourcesMs, null);
        goal('warm: library bytes from the network (MB)', mb(total(warm.bytesAll)), null, {
          byPart: inMb(warm.bytesAll),
        });
      } finally {
        served.stop();
        await context.close();
      }
      expect(external).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
