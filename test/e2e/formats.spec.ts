// EPUB, PPTX, ODT, RTF and spreadsheets end to end: a cited slide says its page, a chapter or RTF section its heading
// path, a spreadsheet row comes with its sheet and header; a damaged file of each format gets its own message and the queue goes on.
import type { Page } from '@playwright/test';
import { formatMessage } from '../../src/lib/errors/app-error';
import {
  makeEpub,
  makeOds,
  makeOdt,
  makePptx,
  makeXlsx,
  type PptxSlide,
  type XlsxCell,
} from '../unit/ingest/office-files';
import { makeZip } from '../unit/ingest/zip-writer';
import { expect, openApp, test } from './fixtures';
import { useScriptedGenerator } from './harness/scripted';
import { codeOf, queueRows } from './import-queue';

const queueRow = (page: Page, name: string) =>
  page.locator('[aria-label="Import queue"] li').filter({ has: page.getByText(name, { exact: false }) });
const sourceItems = (page: Page) => page.getByRole('list', { name: 'Sources' }).getByRole('listitem');

/** Eleven slides (slide10.xml sorts before slide2.xml by name); slide 10 alone is about tide gauges. */
const SLIDES: PptxSlide[] = Array.from({ length: 11 }, (_, i) =>
  i === 9
    ? {
        title: 'Tide gauges',
        body: ['Harbour tide gauges record sea level every six minutes'],
        notes: 'Mention the 1953 flood.',
      }
    : { title: `Agenda item ${i + 1}`, body: [`Budget line ${i + 1} stays as planned`] },
);

async function ask(page: Page, question: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Ask' }).fill(question);
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Answer' }).getByTestId('answer-meta')).toBeVisible({
    timeout: 120_000,
  });
}

test.describe('EPUB and PPTX', { tag: '@device-independent' }, () => {
  test('a slide is cited with its slide number as page, a chapter with its heading path', async ({
    page,
    externalRequests,
  }) => {
    await useScriptedGenerator(page);
    await openApp(page);
    const book = makeEpub('Harbour Almanac', [
      { file: 'b.xhtml', navTitle: 'Winter', body: '<p>Ice closes the inner basin in January.</p>' },
      {
        file: 'a.xhtml',
        body: '<h1>Spring</h1><h2>Lamps</h2><p>Keepers polish the brass lamps before the herring season.</p><script>window.__lecternPwned = 1</script>',
      },
    ]);
    await page.getByLabel('Add documents').setInputFiles([
      { name: 'almanac.epub', mimeType: 'application/epub+zip', buffer: Buffer.from(book) },
      {
        name: 'harbour.pptx',
        mimeType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
        buffer: Buffer.from(makePptx(SLIDES)),
      },
    ]);
    await expect(queueRow(page, 'almanac.epub')).toHaveText('almanac.epub: added', { timeout: 120_000 });
    await expect(queueRow(page, 'harbour.pptx')).toHaveText('harbour.pptx: added', { timeout: 120_000 });

    await ask(page, 'How often do the harbour tide gauges record sea level?');
    await expect(
      page.getByRole('region', { name: 'Answer' }).getByRole('link', { name: 'Source 1' }).first(),
    ).toBeVisible();
    const slide = sourceItems(page).first();
    await expect(slide).toContainText('[1] harbour.pptx');
    await expect(slide).toContainText('Tide gauges · page 10');
    await expect(slide).toContainText('Notes: Mention the 1953 flood.');

    await page.getByRole('region', { name: 'Answer' }).getByRole('button', { name: 'Clear', exact: true }).click();
    await ask(page, 'When do keepers polish the brass lamps?');
    const chapter = sourceItems(page).first();
    await expect(chapter).toContainText('[1] almanac.epub');
    await expect(chapter).toContainText('Spring › Lamps');
    expect(await page.evaluate(() => (window as { __lecternPwned?: number }).__lecternPwned)).toBeUndefined();
    expect(externalRequests).toEqual([]);
  });
});

/** Sixty lighthouses; row 48 alone is Bell Rock, far enough down that its passage is not the sheet's first. */
const LIGHTS: XlsxCell[][] = [
  ['Lighthouse', 'Keeper', 'Lit'],
  ...Array.from({ length: 60 }, (_, i): XlsxCell[] =>
    i === 46 ? ['Bell Rock', 'Robert Stevenson', 1811] : [`Skerry ${i + 1}`, `Assistant ${i + 1}`, 1850 + i],
  ),
];

test.describe('Spreadsheets', { tag: '@device-independent' }, () => {
  test('a cited spreadsheet row comes with its sheet name, header row and row number', async ({
    page,
    externalRequests,
  }) => {
    await useScriptedGenerator(page);
    await openApp(page);
    const book = makeXlsx([
      {
        name: 'Summary',
        rows: [
          ['Region', 'Lights'],
          ['North Sea', 60],
        ],
      },
      { name: 'Lights', rows: LIGHTS },
    ]);
    await page.getByLabel('Add documents').setInputFiles([
      {
        name: 'lights.xlsx',
        mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        buffer: Buffer.from(book),
      },
      { name: 'tides.csv', mimeType: 'text/csv', buffer: Buffer.from('port;high water\nLeith;"06:12"\n') },
    ]);
    await expect(queueRow(page, 'lights.xlsx')).toHaveText('lights.xlsx: added', { timeout: 120_000 });
    await expect(queueRow(page, 'tides.csv')).toHaveText('tides.csv: added', { timeout: 120_000 });

    await ask(page, 'Keeper of the Bell Rock lighthouse?');
    await expect(
      page.getByRole('region', { name: 'Answer' }).getByRole('link', { name: 'Source 1' }).first(),
    ).toBeVisible();
    const row = sourceItems(page).first();
    await expect(row).toContainText('[1] lights.xlsx');
    await expect(row).toContainText('Lights');
    // The passage starts with the header row although Bell Rock is far down the sheet, and names the row.
    await expect(row).toContainText('Row | Lighthouse | Keeper | Lit');
    await expect(row).toContainText('48 | Bell Rock | Robert Stevenson | 1811');
    await expect(row).not.toContainText('2 | Skerry 1 |');
    // The citation opens the workbook's text at that passage: its offsets hold the same header and row.
    await page.getByRole('region', { name: 'Answer' }).getByRole('link', { name: 'Source 1' }).first().click();
    const viewer = page.getByRole('dialog', { name: /\[1\] lights\.xlsx/ });
    await expect(viewer.getByTestId('cited-span')).toBeInViewport();
    const passage = viewer.locator('.passage');
    await expect(passage).toContainText('Row | Lighthouse | Keeper | Lit');
    await expect(passage).toContainText('48 | Bell Rock | Robert Stevenson | 1811');
    await expect(passage).not.toContainText('2 | Skerry 1 |');
    expect(externalRequests).toEqual([]);
  });

  test('damaged .xlsx, .ods and .csv files each get their own message and the queue goes on', async ({
    page,
    externalRequests,
  }) => {
    await openApp(page);
    const junk = Buffer.from(Uint8Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256));
    const noContent = makeZip([
      { name: 'mimetype', data: new TextEncoder().encode('application/vnd.oasis.opendocument.spreadsheet') },
      { name: 'META-INF/manifest.xml', data: new TextEncoder().encode('<manifest/>') },
    ]);
    const good = makeOds(
      '<table:table table:name="Crew"><table:table-row><table:table-cell office:value-type="string"><text:p>Name</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>Grace Darling</text:p></table:table-cell></table:table-row></table:table>',
    );
    await page.getByLabel('Add documents').setInputFiles([
      { name: 'broken.xlsx', mimeType: '', buffer: junk },
      { name: 'broken.ods', mimeType: '', buffer: Buffer.from(noContent) },
      { name: 'broken.csv', mimeType: 'text/csv', buffer: junk },
      { name: 'crew.ods', mimeType: 'application/vnd.oasis.opendocument.spreadsheet', buffer: Buffer.from(good) },
    ]);
    await expect(queueRow(page, 'crew.ods')).toHaveText('crew.ods: added', { timeout: 120_000 });
    const rows = await queueRows(page);
    const broken = (name: string) => rows.find((r) => r.name === name);
    expect(broken('broken.xlsx')?.state).toBe('error');
    expect(codeOf(broken('broken.xlsx')!.message)).toBe('XLSX_INVALID');
    expect(broken('broken.xlsx')!.message).toContain('not a ZIP archive');
    expect(broken('broken.ods')?.state).toBe('error');
    expect(codeOf(broken('broken.ods')!.message)).toBe('ODS_INVALID');
    expect(broken('broken.ods')!.message).toContain('content.xml');
    // A CSV is text: bytes that are not text are named as such (one not valid as CSV is read as plain text).
    expect(broken('broken.csv')?.state).toBe('error');
    expect(codeOf(broken('broken.csv')!.message)).toBe('FILE_UNSUPPORTED_TYPE');
    expect(broken('broken.csv')!.message).toContain('binary file');
    expect(externalRequests).toEqual([]);
  });
});

/** An RTF file as Word writes one: a style sheet naming the heading styles, then paragraphs that use them. */
const HARBOUR_LOG =
  String.raw`{\rtf1\ansi\ansicpg1252{\fonttbl{\f0\fswiss Arial;}}` +
  String.raw`{\stylesheet{\s0 Normal;}{\s1 heading 1;}{\s2 heading 2;}}{\info{\title Harbour Log}}` +
  String.raw`\pard\s1 Harbour Log\par \pard\s2 Moorings\par ` +
  String.raw`\pard\s0 The pilot boat moors at berth seven after the evening tide.\par ` +
  String.raw`\pard\s2 Fuel\par \pard\s0 Diesel is delivered on Thursdays\u8212?never on Sundays.\par}`;

test.describe('damaged files and RTF', { tag: '@device-independent' }, () => {
  test('a damaged file of each format gets its own message, the queue moves on, and an RTF section is cited', async ({
    page,
    externalRequests,
  }) => {
    await useScriptedGenerator(page);
    await openApp(page);
    const half = (bytes: Uint8Array) => Buffer.from(bytes.subarray(0, Math.floor(bytes.length / 2)));
    const damaged = [
      {
        name: 'cut.epub',
        mimeType: 'application/epub+zip',
        buffer: half(makeEpub('Cut', [{ file: 'a.xhtml', body: '<p>Half a book.</p>' }])),
        code: 'EPUB_INVALID' as const,
      },
      {
        name: 'cut.pptx',
        mimeType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
        buffer: half(makePptx(SLIDES)),
        code: 'PPTX_INVALID' as const,
      },
      {
        name: 'cut.odt',
        mimeType: 'application/vnd.oasis.opendocument.text',
        buffer: half(makeOdt('<text:p>Half a text.</text:p>')),
        code: 'ODT_INVALID' as const,
      },
      {
        name: 'renamed.rtf',
        mimeType: 'application/rtf',
        buffer: Buffer.from('This was saved as plain text and renamed.'),
        code: 'RTF_INVALID' as const,
      },
    ];
    await page
      .getByLabel('Add documents')
      .setInputFiles([
        ...damaged.map(({ name, mimeType, buffer }) => ({ name, mimeType, buffer })),
        { name: 'log.rtf', mimeType: 'application/rtf', buffer: Buffer.from(HARBOUR_LOG, 'latin1') },
      ]);
    await expect(queueRow(page, 'log.rtf')).toHaveText('log.rtf: added', { timeout: 120_000 });
    for (const file of damaged) {
      // The message names the file and says why, in its format's own words.
      const words = formatMessage(file.code, { fileName: file.name, reason: '' }).split(' (')[0]!;
      await expect(queueRow(page, file.name)).toContainText(`${file.name}: ${words} (`);
    }

    // The alert shows the last failure, by its code.
    await expect(page.locator('[role="alert"][data-code="RTF_INVALID"]')).toContainText(
      'does not start with an RTF header',
    );

    await ask(page, 'Where does the pilot boat moor after the evening tide?');
    const section = sourceItems(page).first();
    await expect(section).toContainText('[1] log.rtf');
    await expect(section).toContainText('Harbour Log › Moorings');
    expect(externalRequests).toEqual([]);
  });
});
