// EPUB and PPTX end to end: generated files are added, and a cited slide says its page (slide number), a chapter its heading.
import type { Page } from '@playwright/test';
import { makeEpub, makePptx, type PptxSlide } from '../unit/ingest/office-files';
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
