// The relevance adapter end to end (#15): seeded judged feedback, Train in Settings → Feedback, its held-out result,
// kept across a reload and loaded on start (dense scores change with it on, not off), switched off, reset.
import type { Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { expect, openApp, test } from './fixtures';
import { useScriptedGenerator } from './harness/scripted';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));
const QUESTION = 'How does a Fresnel lens focus the lamp light?';
const JUDGED = 10;

interface StoredAdapter {
  embedderId: string;
  dims: number;
  weights: Float32Array;
  enabled: boolean;
}

/** Page helpers for reading and writing the app's database (IndexedDB `lectern`) from the test. */
interface DbHelpers {
  open(): Promise<IDBDatabase>;
  request<R>(r: IDBRequest<R>): Promise<R>;
  done(tx: IDBTransaction): Promise<unknown>;
}
declare global {
  interface Window {
    lecternTestDb: DbHelpers;
  }
}

async function dbHelpers(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const request = <R>(r: IDBRequest<R>) =>
      new Promise<R>(
        (resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))),
      );
    window.lecternTestDb = {
      open: () => request(indexedDB.open('lectern')),
      request,
      done: (tx) =>
        new Promise((resolve, reject) => ((tx.oncomplete = resolve), (tx.onerror = () => reject(tx.error)))),
    };
  });
}

/** `n` questions, each with one passage marked relevant (and another not), as the app writes feedback records. */
const seed = (page: Page, n: number) =>
  page.evaluate(async (n) => {
    const { open, request, done } = window.lecternTestDb;
    const db = await open();
    const chunks = await request(db.transaction('chunks').objectStore('chunks').getAll());
    const tx = db.transaction('feedback', 'readwrite');
    for (let i = 0; i < n; i++) {
      const right = chunks[i % chunks.length].id as string;
      const wrong = chunks[(i + 1) % chunks.length].id as string;
      const text = chunks[i % chunks.length].text as string;
      const words = text
        .split(/\s+/)
        .slice(i % 3, (i % 3) + 6)
        .join(' ');
      const question = `Question ${i}: ${words}?`;
      const stage = { ids: [wrong, right], scores: [1, 0.5] };
      tx.objectStore('feedback').put({
        id: `seed-${i}`,
        at: 1000 + i,
        question,
        query: question,
        queries: [question],
        stages: { dense: stage, keyword: null, fused: stage, reranked: null, final: stage },
        shown: [wrong, right],
        cited: [],
        models: [],
        prompt: null,
        outcome: 'done',
        thumbs: null,
        reason: '',
        sources: { [right]: 'relevant', [wrong]: 'not-relevant' },
        opened: [],
        expanded: [],
        copied: false,
      });
    }
    await done(tx);
    db.close();
    return chunks.length;
  }, n);

const readAdapters = (page: Page) =>
  page.evaluate(async () => {
    const { open, request } = window.lecternTestDb;
    const db = await open();
    const rows = (await request(db.transaction('adapters').objectStore('adapters').getAll())) as StoredAdapter[];
    db.close();
    // Plain numbers: a Float32Array does not come back from the page as one.
    return rows.map((r) => ({ ...r, weights: Array.from(r.weights) }));
  });

/** Gives the stored adapter weights that clearly move queries: I + ½·(the axes rotated by one), switched on. */
const moveQueries = (page: Page, embedderId: string) =>
  page.evaluate(async (id) => {
    const { open, request, done } = window.lecternTestDb;
    const db = await open();
    const tx = db.transaction('adapters', 'readwrite');
    const store = tx.objectStore('adapters');
    const a = (await request(store.get(id))) as StoredAdapter;
    const d = a.dims;
    const weights = new Float32Array(d * d);
    for (let i = 0; i < d; i++) {
      weights[i * d + i] = 1;
      weights[i * d + ((i + 1) % d)] = 0.5;
    }
    store.put({ ...a, weights, enabled: true });
    await done(tx);
    db.close();
  }, embedderId);

/** The dense stage of the newest feedback record (the question just asked): its query, ids and scores. */
const newestDense = (page: Page) =>
  page.evaluate(async () => {
    const { open, request } = window.lecternTestDb;
    const db = await open();
    type Row = { at: number; query: string; stages: { dense: { ids: string[]; scores: number[] } | null } };
    const rows = (await request(db.transaction('feedback').objectStore('feedback').getAll())) as Row[];
    db.close();
    const r = rows.sort((a, b) => b.at - a.at)[0];
    return { query: r?.query ?? '', ids: r?.stages.dense?.ids ?? [], scores: r?.stages.dense?.scores ?? [] };
  });

async function openFeedback(page: Page) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await expect(dialog).toBeVisible();
  return dialog.getByTestId('feedback').getByTestId('adapter');
}

const closeSettings = (page: Page) =>
  page.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Cancel' }).click();

async function ask(page: Page) {
  const clear = page.getByRole('button', { name: 'Clear', exact: true });
  if (await clear.isVisible()) await clear.click();
  await page.getByRole('textbox', { name: 'Ask' }).fill(QUESTION);
  await page.getByRole('button', { name: 'Ask' }).click();
  await expect(page.getByRole('region', { name: 'Answer' }).getByTestId('answer-meta')).toBeVisible({
    timeout: 120_000,
  });
  // The record is written when the sources show; its last signal when the answer ends.
  await expect.poll(async () => (await newestDense(page)).query).toBe(QUESTION);
  return newestDense(page);
}

// The training runs on the CPU in the search worker whatever the device: once, on wasm (like feedback.spec.ts).
test(
  'trains the relevance adapter on judged feedback, keeps it, applies it while on, resets it',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    test.setTimeout(420_000);
    await useScriptedGenerator(page);
    await dbHelpers(page);
    await openApp(page);
    await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
    const library = page.getByRole('list', { name: 'Documents in your library' });
    await expect(library.getByText('sourdough.txt')).toBeVisible();
    await expect(library.getByText('lighthouses.md')).toBeVisible();
    expect(await seed(page, 3)).toBeGreaterThanOrEqual(2);

    // Too few judged questions: its own message, and nothing stored.
    let adapter = await openFeedback(page);
    await expect(adapter.getByTestId('adapter-none')).toContainText('No adapter');
    await adapter.getByRole('button', { name: 'Train the adapter' }).click();
    await expect(adapter.getByRole('alert')).toContainText('needs at least 8; there are 3');
    expect(await readAdapters(page)).toEqual([]);
    await closeSettings(page);

    await seed(page, JUDGED);
    adapter = await openFeedback(page);
    await adapter.getByRole('button', { name: 'Train the adapter' }).click();
    const result = adapter.getByTestId('adapter-result');
    // Ten questions: two held out (20 %, at least 2), eight trained on.
    await expect(result).toContainText('Held-out nDCG@10 on 2 question(s):', { timeout: 120_000 });
    await expect(result).toContainText(/\d\.\d{3} → \d\.\d{3}\.\s+(It improved|Kept off: it did not improve)/);
    await expect(adapter).toContainText(`Trained on 8 question(s) (${JUDGED} from your feedback, 0 synthetic)`);
    const shown = (await result.textContent())!.replace(/\s+/g, ' ').trim();
    const switcher = adapter.getByRole('switch', { name: 'Use the adapter in searches' });
    const [stored] = await readAdapters(page);
    expect(stored).toMatchObject({ embedderId: expect.any(String), enabled: shown.includes('It improved') });
    expect(stored!.weights).toHaveLength(stored!.dims * stored!.dims);
    // Trained: not the identity it starts from.
    expect(stored!.weights.some((w, k) => w !== (k % (stored!.dims + 1) === 0 ? 1 : 0))).toBe(true);
    await expect(switcher).toBeChecked({ checked: stored!.enabled });

    // Kept across a reload, as trained, and switched on from the keyboard.
    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    adapter = await openFeedback(page);
    await expect(adapter.getByTestId('adapter-result')).toHaveText(shown);
    const again = adapter.getByRole('switch', { name: 'Use the adapter in searches' });
    await expect(again).toBeChecked({ checked: stored!.enabled });
    if (!stored!.enabled) {
      await again.focus();
      await page.keyboard.press('Space');
      await expect(again).toBeChecked();
    }
    await expect.poll(async () => (await readAdapters(page))[0]?.enabled).toBe(true);

    // Applied on start: weights that clearly move queries (I + ½·a rotation of the axes) are read by the next start,
    // and the dense scores of one question differ with the adapter on and off (and not between two runs off).
    await moveQueries(page, stored!.embedderId);
    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    const on = await ask(page);
    adapter = await openFeedback(page);
    await adapter.getByRole('switch', { name: 'Use the adapter in searches' }).uncheck();
    await expect(adapter.getByRole('switch', { name: 'Use the adapter in searches' })).not.toBeChecked();
    await expect.poll(async () => (await readAdapters(page))[0]?.enabled).toBe(false);
    await closeSettings(page);
    const off = await ask(page);
    const offAgain = await ask(page);
    expect(off.scores).toEqual(offAgain.scores);
    expect(on.scores.length).toBeGreaterThan(0);
    expect(on.scores).not.toEqual(off.scores);

    // Reset: the record is gone, and stays gone after a reload.
    adapter = await openFeedback(page);
    await adapter.getByRole('button', { name: 'Reset the adapter' }).click();
    await expect(adapter.getByTestId('adapter-none')).toContainText('searches use the embedding model as it is');
    expect(await readAdapters(page)).toEqual([]);
    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    adapter = await openFeedback(page);
    await expect(adapter.getByTestId('adapter-none')).toBeVisible();
    expect(externalRequests).toEqual([]);
  },
);
