// Fuzzing the import queue (#11): hundreds of seeded mutations of the fixture PDF, DOCX, HTML and Markdown files go
// through the real app; each must end added or with its own plain error, none may stay queued, the tab must not stall.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import type { ErrorCode } from '../../src/lib/errors/codes';
import { expect, openApp, test } from './fixtures';
import { fuzzCases, type FuzzCase, type FuzzKind, type Seed } from './fuzz-mutations';
import { codeOf, queueRows, type Row } from './import-queue';

/** Fixed so CI is reproducible; FUZZ_SEED=<n> explores another run, FUZZ_COUNT=<n> sizes it. */
const RUN_SEED = Number(process.env.FUZZ_SEED ?? 20_261_202);
const COUNT = Number(process.env.FUZZ_COUNT ?? 360);
const BATCH = 40;
/** A batch waits at most this long: the stall watchdog ends a stuck file after 30 s, so this is far past a hang. */
const BATCH_TIMEOUT_MS = 150_000;
/** The longest the main thread may be busy at once. */
const MAX_STALL_MS = 2_000;

const SEEDS: [FuzzKind, string][] = [
  ['md', 'ingest/ch08-01-vectors.md'],
  ['md', 'ingest/codeblock.md'],
  ['md', 'ingest/simple-table.md'],
  ['md', 'skeleton/lighthouses.md'],
  ['md', 'rust/ch09-00-error-handling.md'],
  ['html', 'ingest/example-10k-1p.html'],
  ['html', 'ingest/fake-html.html'],
  ['html', 'ingest/hostile-scripts.html'],
  ['docx', 'ingest/docx-tables.docx'],
  ['docx', 'ingest/page-breaks.docx'],
  ['docx', 'ingest/fake.docx'],
  // password.pdf is left out: it asks for its password, which is a question to the user, not a terminal state.
  ['pdf', 'ingest/alphatrans.pdf'],
  ['pdf', 'ingest/single_table.pdf'],
];

const MIME: Record<FuzzKind, string> = {
  md: 'text/markdown',
  html: 'text/html',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  pdf: 'application/pdf',
};

/** Codes that mean the app did not understand what went wrong, or that a parser hung or took its worker down. */
const UNCLEAR: ErrorCode[] = ['UNKNOWN', 'WORKER_CRASHED', 'IMPORT_STALLED'];

/** Stops (or restarts) the heartbeat's clock around the test's own work on the page's main thread. */
async function pauseHeartbeat(page: Page, paused: boolean): Promise<void> {
  await page.evaluate((p) => {
    const beat = (window as unknown as { __heartbeat: { last: number; paused: boolean } }).__heartbeat;
    beat.paused = p;
    beat.last = performance.now();
  }, paused);
}

/**
 * Counts main-thread stalls in the page: a 50 ms timer that notes the longest gap between its runs. It pauses while
 * the test sets files: Playwright turns the buffers into File objects on the page's main thread (base64 decoding,
 * up to 2 s for a batch here), which is the harness at work, not the app.
 */
async function startHeartbeat(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __heartbeat: { last: number; max: number; long: string[]; paused: boolean } };
    w.__heartbeat = { last: performance.now(), max: 0, long: [], paused: false };
    setInterval(() => {
      const now = performance.now();
      if (w.__heartbeat.paused) return;
      const gap = now - w.__heartbeat.last;
      w.__heartbeat.max = Math.max(w.__heartbeat.max, gap);
      if (gap > 500) w.__heartbeat.long.push(`${Math.round(gap)} ms gap ending at ${Math.round(now)}`);
      w.__heartbeat.last = now;
    }, 50);
  });
}

const describe = (c: FuzzCase) => `${c.name} (from ${c.seed}: ${c.steps.join(' | ')})`;

test(
  'hundreds of mutated PDF, DOCX, HTML and Markdown files each end added or with a plain error, and the tab never stalls',
  { tag: '@wasm-only' },
  async ({ page, externalRequests }, testInfo) => {
    test.setTimeout(600_000);
    const seeds: Seed[] = SEEDS.map(([kind, path]) => ({
      kind,
      name: path,
      bytes: new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/docs/${path}`, import.meta.url)))),
    }));
    const cases = fuzzCases(seeds, COUNT, RUN_SEED);
    console.log(`FUZZ seed=${RUN_SEED} count=${COUNT} (rerun: FUZZ_SEED=${RUN_SEED} FUZZ_COUNT=${COUNT})`);

    await openApp(page);
    await startHeartbeat(page);
    // Round trips from the test to the page's main thread, timed while the imports run.
    let maxRoundTrip = 0;
    let polling = true;
    /** Counts the starts and ends of setting files: a round trip that overlaps one waits behind Playwright's own work
     * (see startHeartbeat), so it is not counted. */
    let setEdges = 0;
    const poller = (async () => {
      while (polling) {
        const t = Date.now();
        const edges = setEdges;
        await page.evaluate(() => performance.now());
        if (edges === setEdges && edges % 2 === 0) maxRoundTrip = Math.max(maxRoundTrip, Date.now() - t);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const started = Date.now();
    /** When each batch was set, in the page's clock, to place the main thread's long gaps. */
    const timeline: string[] = [];
    const outcomes = new Map<string, Row>();
    const byName = new Map(cases.map((c) => [c.name, c]));
    try {
      for (let b = 0; b < cases.length; b += BATCH) {
        const batch = cases.slice(b, b + BATCH);
        setEdges++;
        await pauseHeartbeat(page, true);
        const setAt = await page.evaluate(() => performance.now());
        await page
          .getByLabel('Add documents')
          .setInputFiles(batch.map((c) => ({ name: c.name, mimeType: MIME[c.kind], buffer: Buffer.from(c.bytes) })));
        await pauseHeartbeat(page, false);
        setEdges++;
        timeline.push(`batch ${b / BATCH} set at ${Math.round(setAt)}`);
        const deadline = Date.now() + BATCH_TIMEOUT_MS;
        let rows: Row[] = [];
        for (;;) {
          // A scan among the mutants is offered OCR: declined, it ends as it did before OCR (no text, or added with
          // a warning), so every file still reaches a terminal state. A password prompt stays a prompt.
          for (const skip of await page
            .locator('[aria-label="Import queue"]')
            .getByRole('button', { name: 'Skip those pages' })
            .all())
            await skip.click().catch(() => {});
          // A prompt row's name sits inside its question.
          rows = (await queueRows(page))
            .map((r) =>
              byName.has(r.name) ? r : { ...r, name: batch.find((c) => r.name.includes(c.name))?.name ?? '' },
            )
            .filter((r) => byName.has(r.name));
          const finished = rows.filter((r) => !['pending', 'prompt'].includes(r.state));
          if (finished.length === batch.length || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        for (const r of rows) outcomes.set(r.name, r);
        const open = rows.filter((r) => ['pending', 'prompt'].includes(r.state));
        expect(
          open.map((r) => `${r.state}: ${r.name} ${byName.get(r.name) ? describe(byName.get(r.name)!) : r.message}`),
          `files still queued ${BATCH_TIMEOUT_MS / 1000} s after their batch was added (seed ${RUN_SEED})`,
        ).toEqual([]);
        expect(rows.length, `rows of batch ${b / BATCH}`).toBe(batch.length);
        await page.getByRole('button', { name: 'Clear list' }).click();
      }
    } finally {
      polling = false;
      await poller;
    }
    const seconds = (Date.now() - started) / 1000;
    const { max: heartbeat, long } = await page.evaluate(
      () => (window as unknown as { __heartbeat: { max: number; long: string[] } }).__heartbeat,
    );
    console.log(`FUZZ timeline: ${[...timeline, ...long].join('; ')}`);

    const tally = new Map<string, number>();
    const unclear: string[] = [];
    for (const c of cases) {
      const row = outcomes.get(c.name)!;
      const code = row.state === 'error' ? (codeOf(row.message) ?? 'unmatched') : row.state;
      const key = `${c.kind} ${code}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      if (code === 'unmatched' || UNCLEAR.includes(code as ErrorCode)) {
        unclear.push(`${code}: ${describe(c)}: ${row.message}`);
      }
    }
    const summary = [...tally].sort().map(([k, n]) => `${k}: ${n}`);
    console.log(
      `FUZZ ${COUNT} files in ${seconds.toFixed(1)} s; longest main-thread gap ${Math.round(heartbeat)} ms, ` +
        `longest round trip ${maxRoundTrip} ms\n  ${summary.join('\n  ')}`,
    );
    await testInfo.attach('fuzz-summary', { body: summary.join('\n'), contentType: 'text/plain' });

    expect(unclear, `files that failed without a clear message (seed ${RUN_SEED})`).toEqual([]);
    expect(outcomes.size).toBe(COUNT);
    expect(heartbeat, 'longest gap between 50 ms timer runs on the main thread').toBeLessThan(MAX_STALL_MS);
    expect(maxRoundTrip, 'longest round trip to the main thread').toBeLessThan(MAX_STALL_MS);
    expect(externalRequests).toEqual([]);
  },
);
