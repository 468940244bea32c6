// Ingestion end to end: pages and heading paths, failure messages, inert HTML, and a consistent library after edits.
//
// Real PDF, DOCX, HTML and Markdown files are added; their passages must keep page numbers and heading paths, failures
// must get their own messages, HTML must never run, and deleting, re-adding, duplicates and a reload mid-import must
// leave every document whole (a reload's unsaved files are imported again). Parsing does not depend on the device and
// ingesting on WebGPU (SwiftShader) is slow (about a second a passage), so the webgpu project runs only the first test
// (one short chapter through the device's embedder); the rest run on wasm, sharing one page that has the library added,
// like retrieval.spec.ts. A failed test tears the worker down, so the next test gets a fresh page. Every test fails if
// a request left localhost.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from '@playwright/test';
import { ERROR_CODES } from '../../src/lib/errors/codes';
import { DB_NAME, type ChunkRecord, type DocumentRecord } from '../../src/lib/persistence/schema';
import { expect, guardLocalhost, openApp, test as base } from './fixtures';
import { queueRows } from './import-queue';

const fixture = (path: string) => fileURLToPath(new URL(`../fixtures/docs/${path}`, import.meta.url));
const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

const PDF = fixture('ingest/tracemonkey.pdf');
const RC = fixture('rust/ch15-04-rc.md');
const VECTORS = fixture('ingest/ch08-01-vectors.md');
const STRINGS = fixture('ingest/ch08-02-strings.md');
const LIBRARY = [
  PDF,
  fixture('ingest/docx-tables.docx'),
  fixture('ingest/page-breaks.docx'),
  fixture('ingest/example-10k-1p.html'),
  VECTORS,
  STRINGS,
  RC,
];
const PAPER = 'Trace-based Just-in-Time Type Specialization for Dynamic Languages';

/** Globals the scripts of example-with-scripts.html (FundraiseUp's is valid JS) and hostile-scripts.html would set. */
const SCRIPT_GLOBALS = ['__lecternPwned', 'FundraiseUp', 'GoogleAnalyticsObject', 'ga', 'switchTo5x', 'stLight'];
/** Same-origin resources those files reference: a rendered copy would request them from our server. */
const PROBE_PATHS = /^\/(?:__lectern_probe|sites|modules|misc)\//;

interface Library {
  page: Page;
  /** Requests the shared page tried to send anywhere but localhost (they are blocked). */
  external: string[];
  /** Every URL the shared page requested. */
  requested: string[];
}

/** A page whose context blocks and records requests that leave localhost, like ./fixtures does. */
async function guardedPage(browser: Browser, baseURL: string | undefined): Promise<Library> {
  const context = await browser.newContext({ baseURL });
  const requested: string[] = [];
  context.on('request', (request) => requested.push(request.url()));
  const external = await guardLocalhost(context);
  return { page: await context.newPage(), external, requested };
}

const test = base.extend<object, { library: Library }>({
  library: [
    async ({ browser }, use, workerInfo) => {
      const library = await guardedPage(browser, workerInfo.project.use.baseURL);
      await openApp(library.page);
      await addFiles(library.page, LIBRARY);
      for (const path of LIBRARY) await expectAdded(library.page, nameOf(path));
      await use(library);
      await library.page.context().close();
    },
    { scope: 'worker', timeout: 300_000 },
  ],
});

const docList = (page: Page) => page.getByRole('list', { name: 'Documents in your library' });
const docEntry = (page: Page, name: string) =>
  docList(page)
    .getByRole('listitem')
    .filter({ has: page.getByText(name, { exact: true }) });
/** A file's queue row: its name stands as a word in every stage (not in quotes, as in another row's message). */
const queueItem = (page: Page, name: string) =>
  page
    .locator('[aria-label="Import queue"] li')
    .filter({ hasText: new RegExp(`(?:^|\\s)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?::|\\s|$)`) });
const alertFor = (page: Page, code: keyof typeof ERROR_CODES) => page.locator(`[role="alert"][data-code="${code}"]`);
const sourceItems = (page: Page) => page.getByRole('list', { name: 'Sources' }).getByRole('listitem');

async function addFiles(page: Page, files: Parameters<Page['setInputFiles']>[1]): Promise<void> {
  await page.getByLabel('Add documents').setInputFiles(files);
}

async function expectAdded(page: Page, name: string): Promise<void> {
  await expect(queueItem(page, name)).toHaveText(`${name}: added`, { timeout: 120_000 });
  await expect(docEntry(page, name)).toBeVisible();
}

/** Empties the import queue's finished rows (so a file name matches one row) and dismisses an earlier error. */
async function resetLibraryPanel(page: Page): Promise<void> {
  const clear = page.getByRole('button', { name: 'Clear list' });
  if (await clear.isVisible()) await clear.click();
  await expect(page.locator('[aria-label="Import queue"]')).toHaveCount(0);
  const dismiss = page.getByRole('button', { name: 'Dismiss error' });
  if (await dismiss.isVisible()) await dismiss.click();
  await expect(page.locator('[role="alert"][data-code]')).toHaveCount(0);
}

type StoredChunk = Pick<ChunkRecord, 'id' | 'docId' | 'ordinal' | 'text' | 'headingPath' | 'pageStart' | 'pageEnd'>;
/** What the checks need of a vector, keyword or token-vector row. */
interface DerivedRow {
  docId: string;
  chunkId: string;
  /** Vectors only: dimensions, byte length, encoding (8: int8 with a scale) and scale of the stored embedding. */
  dims?: number;
  bytes?: number;
  bits?: number;
  scale?: number;
}
interface Snapshot {
  documents: Omit<DocumentRecord, 'text'>[];
  chunks: StoredChunk[];
  derived: Record<'vectors' | 'keywords' | 'tokenVectors', DerivedRow[]>;
}

/** Reads the Lectern database directly, through a second connection (the app keeps its own open). */
async function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(async (dbName) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(dbName);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const stores = ['documents', 'chunks', 'vectors', 'keywords', 'tokenVectors'] as const;
    const tx = db.transaction([...stores]);
    const [documents, chunks, vectors, keywords, tokenVectors] = await Promise.all(
      stores.map(
        (s) =>
          new Promise<Record<string, unknown>[]>((resolve, reject) => {
            const req = tx.objectStore(s).getAll();
            req.onsuccess = () => resolve(req.result as Record<string, unknown>[]);
            req.onerror = () => reject(req.error);
          }),
      ),
    );
    db.close();
    const row = (r: Record<string, unknown>) => ({ docId: r.docId as string, chunkId: r.chunkId as string });
    return {
      documents: documents!.map(({ text: _text, ...d }) => d as Omit<DocumentRecord, 'text'>),
      chunks: chunks!.map((c) => {
        const { id, docId, ordinal, text, headingPath, pageStart, pageEnd } = c as unknown as StoredChunk;
        return { id, docId, ordinal, text, headingPath, pageStart, pageEnd };
      }),
      derived: {
        vectors: vectors!.map((v) => ({
          ...row(v),
          dims: v.dims as number,
          bytes: (v.data as ArrayBuffer).byteLength,
          bits: v.bits as number | undefined,
          scale: v.scale as number | undefined,
        })),
        keywords: keywords!.map(row),
        tokenVectors: tokenVectors!.map(row),
      },
    };
  }, DB_NAME);
}

/** The stored passages of one document, in order. */
async function chunksOf(page: Page, name: string): Promise<StoredChunk[]> {
  const db = await snapshot(page);
  const doc = db.documents.find((d) => d.name === name);
  expect(doc, `document ${name}`).toBeDefined();
  const chunks = db.chunks.filter((c) => c.docId === doc!.id).sort((a, b) => a.ordinal - b.ordinal);
  expect(chunks.length, `passages of ${name}`).toBeGreaterThan(0);
  return chunks;
}

const flat = (s: string) => s.replace(/\s+/g, ' ');
/** The passages containing a phrase (overlap can put it in two); fails when none does. */
function withPhrase(chunks: StoredChunk[], phrase: string): StoredChunk[] {
  const hits = chunks.filter((c) => flat(c.text).includes(phrase));
  expect(hits.length, `passages containing "${phrase}"`).toBeGreaterThan(0);
  return hits;
}

interface Audit {
  docs: Pick<DocumentRecord, 'name' | 'chunkCount'>[];
  /** One line per inconsistency: a document missing derived rows, or rows whose document is gone. */
  problems: string[];
}

/** Checks every document has exactly one chunk, vector, keyword and token-vector row per passage, and no orphans. */
async function audit(page: Page): Promise<Audit> {
  const db = await snapshot(page);
  const problems: string[] = [];
  const ids = new Set(db.documents.map((d) => d.id));
  const stores = Object.entries(db.derived);
  for (const [store, rows] of [['chunks', db.chunks] as const, ...stores]) {
    for (const r of rows) if (!ids.has(r.docId)) problems.push(`${store} row without a document: ${r.docId}`);
  }
  for (const doc of db.documents) {
    const chunkIds = db.chunks.filter((c) => c.docId === doc.id).map((c) => c.id);
    if (chunkIds.length !== doc.chunkCount) {
      problems.push(`${doc.name}: ${chunkIds.length} of ${doc.chunkCount} chunks`);
    }
    for (const [store, rows] of stores) {
      const got = rows.filter((r) => r.docId === doc.id).map((r) => r.chunkId);
      if (got.sort().join() !== [...chunkIds].sort().join()) {
        problems.push(`${doc.name}: ${got.length} ${store} rows for ${chunkIds.length} chunks`);
      }
    }
    for (const v of db.derived.vectors.filter((r) => r.docId === doc.id)) {
      // Imports store int8 with one scale: one byte a dimension.
      const fits = v.bits === 8 && v.bytes === v.dims && Number.isFinite(v.scale);
      if (!(v.dims! > 0) || !fits) problems.push(`${doc.name}: malformed vector ${v.chunkId}`);
    }
  }
  return { docs: db.documents.map((d) => ({ name: d.name, chunkCount: d.chunkCount })), problems };
}

/** Stops an answer still being written (on-topic questions go on to the generator) and clears the conversation,
 * so the next question is not a follow-up that the generator would rewrite. */
async function idle(page: Page): Promise<void> {
  const stop = page.getByRole('button', { name: 'Stop' });
  const askButton = page.getByRole('button', { name: 'Ask', exact: true });
  await expect(async () => {
    if (await stop.isVisible()) await stop.click({ timeout: 1_000 });
    await expect(askButton).toBeVisible({ timeout: 1_000 });
  }).toPass();
  const clear = page.getByRole('region', { name: 'Answer' }).getByRole('button', { name: 'Clear', exact: true });
  if (await clear.isVisible()) await clear.click();
  await expect(sourceItems(page)).toHaveCount(0);
}

/** Asks and waits until the search is over: sources listed or a refusal shown. */
async function ask(page: Page, question: string): Promise<void> {
  await idle(page);
  await page.getByRole('textbox', { name: 'Ask' }).fill(question);
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Answer' }).getByText(`Q: ${question}`)).toBeVisible();
  await expect(sourceItems(page).first().or(page.getByTestId('refusal')).first()).toBeVisible();
}

const sourceDocs = async (page: Page) =>
  (await sourceItems(page).locator('.src-head strong').allInnerTexts()).map((t) => t.replace(/^\[\d+\]\s*/, ''));

test('a chapter goes through the device embedder with its heading paths and a vector per passage', async ({
  page,
  externalRequests,
  expectedDevice,
}) => {
  await openApp(page);
  await expect(page.getByTestId('device')).toHaveText(expectedDevice);
  await addFiles(page, [RC]);
  await expectAdded(page, 'ch15-04-rc.md');

  const chunks = await chunksOf(page, 'ch15-04-rc.md');
  const title = '`Rc<T>`, the Reference-Counted Smart Pointer';
  expect(chunks[0]!.headingPath).toEqual([title]);
  for (const c of withPhrase(chunks, 'Let’s change our working example in Listing 15-18')) {
    expect(c.headingPath).toEqual([title, 'Cloning to Increase the Reference Count']);
  }
  expect(chunks.every((c) => c.pageStart === null && c.pageEnd === null)).toBe(true);
  const { docs, problems } = await audit(page);
  expect(docs).toEqual([{ name: 'ch15-04-rc.md', chunkCount: chunks.length }]);
  expect(problems).toEqual([]);
  expect(externalRequests).toEqual([]);
});

// None of this depends on the device (parsing runs on the CPU in a worker; the device's embedder is covered above),
// so the webgpu project leaves the tag out (projects.ts) rather than ingest it all again on SwiftShader.
test.describe('device-independent', { tag: '@device-independent' }, () => {
  test('PDF passages keep their page numbers and section headings', async ({ library: { page, external } }) => {
    await expect(docEntry(page, 'tracemonkey.pdf')).toContainText('14 pages');
    const chunks = await chunksOf(page, 'tracemonkey.pdf');
    expect(chunks[0]).toMatchObject({ headingPath: [PAPER], pageStart: 1 });
    // Sections, and subsections set at body size in the headings' font (3.3 and 4.1 are: found by font, not size).
    const cases: [phrase: string, page: number, section: string | string[]][] = [
      ['are more difficult to compile than statically typed ones', 1, 'Abstract'],
      [
        'TraceMonkey does not currently support recording throwing and catching',
        6,
        ['3. Trace Trees', '3.3 Blacklisting'],
      ],
      [
        'The key insight is that if each loop is represented by its own trace tree',
        7,
        ['4. Nested Trace Tree Formation', '4.1 Nesting Algorithm'],
      ],
      ['MacBook Pro with 2.2 GHz Core 2 processor', 10, '7. Evaluation'],
      ['Figure 13. Detailed trace recording statistics', 12, '7. Evaluation'],
      ['LuaJIT roadmap', 14, 'References'],
    ];
    for (const [phrase, pageNumber, section] of cases) {
      for (const c of withPhrase(chunks, phrase)) {
        expect(c.headingPath, phrase).toEqual([PAPER, ...[section].flat()]);
        expect(c.pageStart!, phrase).toBeLessThanOrEqual(pageNumber);
        expect(c.pageEnd!, phrase).toBeGreaterThanOrEqual(pageNumber);
        // A passage is a few hundred tokens: it may cross one page break, never span the paper.
        expect(c.pageEnd! - c.pageStart!, phrase).toBeLessThanOrEqual(1);
      }
    }
    // Pages only grow through the paper and end on its last page.
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i]!.pageStart!).toBeGreaterThanOrEqual(chunks[i - 1]!.pageStart!);
    }
    expect(chunks[chunks.length - 1]!.pageEnd).toBe(14);

    // What the reader sees: the source names its section and page.
    await ask(page, 'LuaJIT roadmap 2008');
    const source = sourceItems(page).filter({ hasText: 'LuaJIT roadmap' }).first();
    await expect(source).toContainText('tracemonkey.pdf');
    await expect(source).toContainText(`${PAPER} › References · page 14`);
    await idle(page);
    expect(external, 'requests that left localhost').toEqual([]);
  });

  test('DOCX, HTML and Markdown passages keep their structure', async ({ library: { page, external } }) => {
    const vectors = await chunksOf(page, 'ch08-01-vectors.md');
    const strings = await chunksOf(page, 'ch08-02-strings.md');
    const markdown: [StoredChunk[], string, string[]][] = [
      [vectors, 'we call the `Vec::new` function', ['Storing Lists of Values with Vectors', 'Creating a New Vector']],
      [
        vectors,
        'Like any other `struct`, a vector is freed when it goes out of scope',
        ['Storing Lists of Values with Vectors', 'Dropping a Vector Drops Its Elements'],
      ],
      [
        strings,
        'We can grow a `String` by using the `push_str` method',
        ['Storing UTF-8 Encoded Text with Strings', 'Updating a String', 'Appending with `push_str` or `push`'],
      ],
    ];
    for (const [chunks, phrase, path] of markdown) {
      for (const c of withPhrase(chunks, phrase)) expect(c.headingPath, phrase).toEqual(path);
    }
    expect([...vectors, ...strings].every((c) => c.pageStart === null)).toBe(true);

    const tables = await chunksOf(page, 'docx-tables.docx');
    withPhrase(tables, 'Header Col 1 | Header Col 2');
    withPhrase(tables, 'a | >b< | c');
    // Word's page breaks number the DOCX passages: the text says which page it is on.
    const breaks = await chunksOf(page, 'page-breaks.docx');
    for (const c of withPhrase(breaks, 'Text on second page')) {
      expect(c.pageStart).toBeLessThanOrEqual(2);
      expect(c.pageEnd).toBeGreaterThanOrEqual(2);
    }
    for (const c of withPhrase(breaks, 'to get from page-3 to page-5')) expect(c.pageEnd).toBeGreaterThanOrEqual(5);
    const filing = await chunksOf(page, 'example-10k-1p.html');
    withPhrase(filing, 'Common stock | GLXZ | OTCQB marketplace');
    withPhrase(filing, 'Commission file number: 000-30653');
    // Only PDFs, and DOCX files with page breaks, have pages.
    for (const name of ['docx-tables.docx', 'example-10k-1p.html', 'ch08-01-vectors.md']) {
      await expect(docEntry(page, name)).not.toContainText(/\bpages?\b/);
    }

    await ask(page, 'create a new empty vector with Vec::new');
    const source = sourceItems(page).filter({ hasText: 'Vec::new' }).first();
    await expect(source).toContainText('ch08-01-vectors.md');
    await expect(source).toContainText('Storing Lists of Values with Vectors › Creating a New Vector');
    await idle(page);
    expect(external, 'requests that left localhost').toEqual([]);
  });

  test('a password-protected PDF asks, says when the password is wrong, and opens with the right one', async ({
    library: { page, external },
  }) => {
    await resetLibraryPanel(page);
    await addFiles(page, [fixture('ingest/password.pdf')]);
    const item = queueItem(page, 'password.pdf');
    await expect(item.getByLabel('This PDF is protected. Password for password.pdf')).toBeVisible();
    await item.getByRole('button', { name: 'Skip' }).click();
    await expect(item).toHaveText(`password.pdf: ${ERROR_CODES.PDF_PASSWORD_REQUIRED}`);
    await expect(alertFor(page, 'PDF_PASSWORD_REQUIRED')).toContainText(ERROR_CODES.PDF_PASSWORD_REQUIRED);
    await expect(docEntry(page, 'password.pdf')).toHaveCount(0);

    await resetLibraryPanel(page);
    await addFiles(page, [fixture('ingest/password.pdf')]);
    await item.getByLabel('This PDF is protected. Password for password.pdf').fill('not-the-password');
    await item.getByRole('button', { name: 'Open' }).click();
    const retry = item.getByLabel('Wrong password. Try again for password.pdf');
    await expect(retry).toBeVisible();
    await expect(retry).toHaveValue('');
    await retry.fill('password');
    await item.getByRole('button', { name: 'Open' }).click();
    await expectAdded(page, 'password.pdf');
    await expect(docEntry(page, 'password.pdf')).toContainText(/\b1 page\b/);
    withPhrase(await chunksOf(page, 'password.pdf'), 'File with password');
    expect(external, 'requests that left localhost').toEqual([]);
  });

  test('an image-only PDF is offered OCR; declined, it says it has no text and is not added', async ({
    library: { page, external },
  }) => {
    await resetLibraryPanel(page);
    await addFiles(page, [fixture('ingest/single_table.pdf')]);
    await queueItem(page, 'single_table.pdf').getByRole('button', { name: 'Skip those pages' }).click();
    await expect(queueItem(page, 'single_table.pdf')).toHaveText(`single_table.pdf: ${ERROR_CODES.PDF_NO_TEXT}`);
    await expect(alertFor(page, 'PDF_NO_TEXT')).toContainText(ERROR_CODES.PDF_NO_TEXT);
    await expect(docEntry(page, 'single_table.pdf')).toHaveCount(0);
    expect((await audit(page)).docs.map((d) => d.name)).not.toContain('single_table.pdf');
    expect(external, 'requests that left localhost').toEqual([]);
  });

  test('HTML is read, never run: no script, handler or resource of the file executes or loads', async ({
    library: { page, external, requested },
  }) => {
    await resetLibraryPanel(page);
    await addFiles(page, [fixture('ingest/example-with-scripts.html'), fixture('ingest/hostile-scripts.html')]);
    await expectAdded(page, 'example-with-scripts.html');
    await expectAdded(page, 'hostile-scripts.html');

    const article = await chunksOf(page, 'example-with-scripts.html');
    withPhrase(article, 'Lukashenko ordered a snap comprehensive readiness check');
    for (const code of ['FundraiseUp', 'GoogleAnalyticsObject', 'jQuery(', 'switchTo5x']) {
      expect(article.filter((c) => c.text.includes(code)).length, code).toBe(0);
    }
    const hostile = await chunksOf(page, 'hostile-scripts.html');
    for (const c of withPhrase(hostile, 'The keeper trimmed the quillwort wicks')) {
      expect(c.headingPath).toEqual(['Harbour lantern log', 'Night watch']);
    }
    withPhrase(hostile, `<img src=x onerror="window.__lecternPwned = 'escaped markup'">`);
    expect(hostile.filter((c) => /inline script|body script|svg script|module script/.test(c.text))).toEqual([]);

    // The escaped markup reaches the screen as text, not as an element.
    await ask(page, 'quillwort wicks harbour lantern keeper');
    const sources = page.getByRole('list', { name: 'Sources' });
    await expect(sources).toContainText(`<img src=x onerror="window.__lecternPwned = 'escaped markup'">`);
    await expect(sources.locator('img, iframe, svg, object, script')).toHaveCount(0);
    await idle(page);

    const unset = (names: string[]) =>
      names.filter((n) => (globalThis as Record<string, unknown>)[n] !== undefined).map((n) => `${n} is set`);
    expect(await page.evaluate(unset, SCRIPT_GLOBALS)).toEqual([]);
    const workers = page.workers();
    expect(workers.length, 'app workers (the ingest worker parsed the HTML)').toBeGreaterThan(0);
    for (const worker of workers) expect(await worker.evaluate(unset, SCRIPT_GLOBALS), worker.url()).toEqual([]);
    expect(requested.filter((url) => PROBE_PATHS.test(new URL(url).pathname))).toEqual([]);
    expect(external, 'requests that left localhost').toEqual([]);
  });

  test('the same bytes under any name are a duplicate and add nothing', async ({ library: { page, external } }) => {
    await resetLibraryPanel(page);
    const before = await audit(page);
    const bytes = readFileSync(RC);
    await addFiles(page, [{ name: 'rc-copy.md', mimeType: 'text/markdown', buffer: bytes }]);
    await expect(queueItem(page, 'rc-copy.md')).toHaveText(
      'rc-copy.md: "rc-copy.md" is already in your library as "ch15-04-rc.md".',
    );
    await expect(alertFor(page, 'FILE_DUPLICATE')).toBeVisible();

    // Same name and same bytes: a duplicate too, not a "replace?" question.
    await resetLibraryPanel(page);
    await addFiles(page, [RC]);
    await expect(queueItem(page, 'ch15-04-rc.md')).toHaveText(
      'ch15-04-rc.md: "ch15-04-rc.md" is already in your library as "ch15-04-rc.md".',
    );
    await expect(page.getByRole('group', { name: 'Replace ch15-04-rc.md?' })).toHaveCount(0);

    await expect(docEntry(page, 'rc-copy.md')).toHaveCount(0);
    await expect(docEntry(page, 'ch15-04-rc.md')).toHaveCount(1);
    const after = await audit(page);
    expect(after.docs).toEqual(before.docs);
    expect(after.problems).toEqual([]);
    expect(external, 'requests that left localhost').toEqual([]);
  });

  test('a deleted document is gone from the library and from search, and can be added again', async ({
    library: { page, external },
  }) => {
    const name = 'ch08-02-strings.md';
    const question = 'Internal Representation of a String: bytes, scalar values and grapheme clusters';
    await resetLibraryPanel(page);
    const passages = (await chunksOf(page, name)).length;
    await page.getByRole('button', { name: `Delete ${name}` }).click();
    await expect(page.getByRole('status')).toHaveText(`Deleted "${name}".`);
    await expect(docEntry(page, name)).toHaveCount(0);
    const afterDelete = await audit(page);
    expect(afterDelete.docs.map((d) => d.name)).not.toContain(name);
    expect(afterDelete.problems).toEqual([]);

    await ask(page, question);
    expect(await sourceDocs(page)).not.toContain(name);
    await idle(page);

    // Not a duplicate, not a replacement: a plain add.
    await addFiles(page, [STRINGS]);
    await expectAdded(page, name);
    await expect(page.getByRole('group', { name: `Replace ${name}?` })).toHaveCount(0);
    await expect(alertFor(page, 'FILE_DUPLICATE')).toHaveCount(0);
    await expect(docEntry(page, name)).toContainText(`${passages} passages`);
    expect((await audit(page)).problems).toEqual([]);

    await ask(page, question);
    expect(await sourceDocs(page)).toContain(name);
    await idle(page);
    expect(external, 'requests that left localhost').toEqual([]);
  });

  test('a reload during ingestion leaves a consistent library and resumes the files that were not saved', async ({
    page,
    externalRequests,
  }) => {
    await openApp(page);
    // Reload from inside the page the moment the PDF is being embedded: the closest a test gets to closing the tab.
    await page.evaluate(() => {
      new MutationObserver((_, observer) => {
        const row = [...document.querySelectorAll('[aria-label="Import queue"] li')].find(
          (li) => li.textContent?.includes('tracemonkey.pdf') && li.textContent.includes('Embedding'),
        );
        if (!row) return;
        observer.disconnect();
        sessionStorage.setItem('e2e-reloaded-at', row.textContent ?? '');
        location.reload();
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const reloaded = page.waitForEvent('load');
    await addFiles(page, [RC, PDF, VECTORS]);
    await reloaded;
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    expect(await page.evaluate(() => sessionStorage.getItem('e2e-reloaded-at'))).toMatch(/Embedding/);

    // The chapter finished before the reload; the PDF was mid-way and the next chapter still waiting: both were kept
    // and are imported again, in their order, without being added again by hand.
    await expect(docEntry(page, 'ch15-04-rc.md')).toBeVisible();
    const notice = page.getByTestId('resumed-notice');
    await expect(notice).toHaveText(/Resuming the import of 2 files that a closed tab left unfinished\./);
    expect((await queueRows(page)).map((r) => r.name)).toEqual(['tracemonkey.pdf', 'ch08-01-vectors.md']);
    await expect(page.getByTestId('interrupted-notice')).toHaveCount(0);
    await expectAdded(page, 'tracemonkey.pdf');
    await expectAdded(page, 'ch08-01-vectors.md');
    const { docs, problems } = await audit(page);
    expect(docs.map((d) => d.name).sort()).toEqual(['ch08-01-vectors.md', 'ch15-04-rc.md', 'tracemonkey.pdf']);
    expect(problems).toEqual([]);
    await expect(alertFor(page, 'FILE_DUPLICATE')).toHaveCount(0);

    // A reload with nothing in flight tells nothing: the notice was shown once and finished imports leave no marker.
    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    await expect(docEntry(page, 'tracemonkey.pdf')).toBeVisible();
    await expect(page.getByTestId('resumed-notice')).toHaveCount(0);
    await expect(page.getByTestId('interrupted-notice')).toHaveCount(0);
    await expect(page.locator('[aria-label="Import queue"]')).toHaveCount(0);
    expect(externalRequests).toEqual([]);
  });
});
