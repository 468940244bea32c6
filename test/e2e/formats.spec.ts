// EPUB, PPTX, ODT and RTF end to end: a cited slide says its page (slide number), a chapter or RTF section its heading path, and a damaged file of each format gets its own message while the queue moves on.
import type { Page } from '@playwright/test';
import { formatMessage } from '../../src/lib/errors/app-error';
import { makeEpub, makeOdt, makePptx, type PptxSlide } from '../unit/ingest/office-files';
import { expect, openApp, test } from './fixtures';
import { useScriptedGenerator } from './harness/scripted';

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
