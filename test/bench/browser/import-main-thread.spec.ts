// Main-thread busy time while the app imports 100 files (stand-in models, WASM): Chrome's own TaskDuration metric.
import { expect, test } from '@playwright/test';
import { guardLocalhost, openApp } from '../../e2e/fixtures';
import { emit, round2 } from '../report';

const FILES = 100;
/** Paragraphs per file: each file makes a few passages at the default chunk size. */
const PARAGRAPHS = 12;
const WORDS = (
  'harbour lantern granite tide ferry orchard meadow copper kettle willow saddle thimble ' +
  'compass anchor beacon quarry timber furnace glacier pebble lichen heron otter badger'
).split(' ');

/** A deterministic markdown file, different for every index (so no two files share a hash). */
function file(i: number): { name: string; mimeType: string; buffer: Buffer } {
  let seed = i * 7919 + 17;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const paragraph = (p: number) =>
    Array.from({ length: 60 }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ') + ` (file ${i}, part ${p}).`;
  const body = Array.from({ length: PARAGRAPHS }, (_, p) => (p % 4 === 0 ? `## Part ${p}\n\n` : '') + paragraph(p));
  return {
    name: `note-${String(i).padStart(3, '0')}.md`,
    mimeType: 'text/markdown',
    buffer: Buffer.from(`# Note ${i}\n\n${body.join('\n\n')}\n`),
  };
}

interface Metrics {
  /** Seconds the renderer's main thread spent running tasks (CDP Performance.getMetrics). */
  TaskDuration: number;
  ScriptDuration: number;
  Timestamp: number;
}

// Only the wasm project: the figure is about the main thread, not the device.
test('100-file import: main-thread busy time', { tag: '@wasm-only' }, async ({ page, context }) => {
  test.setTimeout(900_000);
  const external = await guardLocalhost(context);
  await openApp(page);
  // Long tasks on the main thread (≥ 50 ms), recorded from here on.
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  const read = async (): Promise<Metrics> => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((m) => [m.name, m.value])) as unknown as Metrics;
  };
  const files = Array.from({ length: FILES }, (_, i) => file(i));
  const before = await read();
  const t0 = Date.now();
  await page.getByLabel('Add documents').setInputFiles(files);
  // The list renders only the rows in view: its count line says how many documents it holds.
  await expect(page.getByTestId('library-count')).toHaveText(`${FILES} documents`, { timeout: 840_000 });
  await expect(page.getByText(`${files[FILES - 1]!.name}: added`)).toBeVisible();
  const wallS = (Date.now() - t0) / 1000;
  const after = await read();
  const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  const busyS = after.TaskDuration - before.TaskDuration;
  emit({
    bench: 'import-main-thread',
    files: FILES,
    wall_s: round2(wallS),
    main_busy_s: round2(busyS),
    main_script_s: round2(after.ScriptDuration - before.ScriptDuration),
    busy_fraction: round2(busyS / wallS),
    long_tasks: longTasks.length,
    long_task_ms_total: Math.round(longTasks.reduce((a, b) => a + b, 0)),
    long_task_ms_max: Math.round(Math.max(0, ...longTasks)),
  });
  expect(external).toEqual([]);
});
