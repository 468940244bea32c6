// Accessibility and look: axe on each main view in both themes at 360 and 1280 px (no serious or critical violation), a screenshot of each, and the keyboard.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Page, TestInfo } from '@playwright/test';
import { expect, openApp, STANDIN_URL, test } from './fixtures';
import { useScriptedGenerator } from './harness/scripted';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));
const NARROW = 360;
const WIDE = 1280;
const narrow = (page: Page) => (page.viewportSize()?.width ?? WIDE) <= 800;

/**
 * One main view: `open` brings it up from where the previous one left the page (the table's order), `close` leaves it.
 * A new view is one more row. The steps use the keyboard where a user would (`/`, Enter, Esc), so the walk checks it too.
 */
interface View {
  name: string;
  open(page: Page): Promise<void>;
  close?(page: Page): Promise<void>;
}

const VIEWS: View[] = [
  { name: 'downloads', open: openFresh, close: agreeToDownloads },
  { name: 'first-run', open: firstRun },
  { name: 'consent', open: openWithForeignLibrary, close: declineForeignLibrary },
  { name: 'library', open: addDocuments, close: closeDrawer },
  { name: 'answer', open: askWithKeyboard },
  { name: 'citation', open: openCitation, close: closeCitation },
  { name: 'settings', open: openSettings, close: closeSettingsWithEsc },
];

/** A first visit: before any model is fetched, the dialog asks to download them (the fixture's consent is off here). */
async function openFresh(page: Page): Promise<void> {
  await page.goto(STANDIN_URL);
  await expect(page.getByRole('dialog', { name: 'Download the models?' })).toBeVisible();
}

async function agreeToDownloads(page: Page): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'Download the models?' });
  await dialog.getByRole('button', { name: /^Download/ }).click();
  await expect(dialog).toBeHidden();
}

/** The empty library's first-run panel: the sample library or your own documents. */
async function firstRun(page: Page): Promise<void> {
  const panel = page.getByTestId('first-run');
  await expect(panel.getByRole('button', { name: 'Add your own documents' })).toBeVisible();
}

/** A `?library=` link to another host (127.0.0.1 is another origin than localhost; nothing is fetched before a yes). */
async function openWithForeignLibrary(page: Page): Promise<void> {
  const other = new URL(test.info().project.use.baseURL!);
  other.hostname = '127.0.0.1';
  const library = encodeURIComponent(new URL('/nowhere/lectern-library.json', other).href);
  await page.goto(`${STANDIN_URL}&library=${library}`);
  await expect(page.getByRole('dialog', { name: 'Open a published library from another host?' })).toBeVisible();
}

async function declineForeignLibrary(page: Page): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'Open a published library from another host?' });
  await dialog.getByRole('button', { name: "Don't open it" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
}

/** The library with documents in it; at 360 px it lives in the drawer, opened by the header's Library button. */
async function addDocuments(page: Page): Promise<void> {
  if (narrow(page)) {
    await page.getByRole('button', { name: 'Library', exact: true }).click();
    await expect(
      page.getByRole('dialog', { name: 'Library', exact: true }).getByRole('button', { name: 'Close', exact: true }),
    ).toBeFocused();
  }
  await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
  const library = page.getByRole('list', { name: 'Documents in your library' });
  await expect(library.getByText('lighthouses.md')).toBeVisible();
  await expect(library.getByText('sourdough.txt')).toBeVisible();
}

/** Esc closes the drawer and gives focus back to the button that opened it. */
async function closeDrawer(page: Page): Promise<void> {
  if (!narrow(page)) return;
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Library', exact: true })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Library', exact: true })).toBeFocused();
}

/** `/` focuses Ask, Enter asks; then the arrow keys, Home and End move focus through the sources. */
async function askWithKeyboard(page: Page): Promise<void> {
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  await page.keyboard.press('/');
  const ask = page.getByRole('textbox', { name: 'Ask' });
  await expect(ask).toBeFocused();
  await expect(ask).toHaveValue('');
  await ask.pressSequentially('How does a Fresnel lens focus the lamp light?');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('region', { name: 'Answer' }).getByTestId('answer-meta')).toBeVisible({
    timeout: 120_000,
  });
  const sources = page.getByRole('list', { name: 'Sources' }).locator(':scope > li');
  const count = await sources.count();
  expect(count).toBeGreaterThan(1);
  await sources.first().focus();
  await page.keyboard.press('ArrowDown');
  await expect(sources.nth(1)).toBeFocused();
  await expect(sources.nth(1)).toHaveAttribute('tabindex', '0');
  await expect(sources.first()).toHaveAttribute('tabindex', '-1');
  await page.keyboard.press('End');
  await expect(sources.nth(count - 1)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(sources.first()).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(sources.first()).toBeFocused();
}

async function openCitation(page: Page): Promise<void> {
  await page.getByRole('region', { name: 'Answer' }).getByRole('link', { name: 'Source 1' }).first().click();
  await expect(page.getByRole('dialog', { name: /\[1\] lighthouses\.md/ }).getByTestId('cited-span')).toBeVisible();
}

async function closeCitation(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: /\[1\] lighthouses\.md/ })).toBeHidden();
}

async function openSettings(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('dialog', { name: 'Settings' })).toBeVisible();
}

async function closeSettingsWithEsc(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Settings' })).toBeHidden();
}

type AxeResults = Awaited<ReturnType<AxeBuilder['analyze']>>;
type Impact = 'critical' | 'serious' | 'moderate' | 'minor';
const IMPACTS: Impact[] = ['critical', 'serious', 'moderate', 'minor'];

/** One line per violation and failing node: impact, rule, what it means, where. */
function report(view: string, results: AxeResults): string {
  return results.violations
    .map(
      (v) =>
        `[${view}] ${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n` +
        v.nodes
          .map((n) => `    at ${n.target.join(' ')}\n      ${n.failureSummary?.replace(/\n/g, '\n      ')}`)
          .join('\n'),
    )
    .join('\n');
}

/** Writes the view's screenshot into <outputDir>/screenshots/ and attaches it to the report. */
async function screenshot(page: Page, info: TestInfo, file: string): Promise<void> {
  const dir = join(info.project.outputDir, 'screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${file}.png`);
  // A modal (a dialog, the drawer) covers the viewport only: the whole page behind it would show its edge.
  const modal = await page.locator('dialog:modal, [aria-modal="true"]').count();
  await page.screenshot({ path, fullPage: modal === 0 });
  await info.attach(file, { path, contentType: 'image/png' });
}

test.describe('each main view', () => {
  // The first view is the download consent of a first visit, so this walk starts without the fixture's consent.
  test.use({ downloadConsent: false });
  for (const theme of ['light', 'dark'] as const) {
    for (const width of [WIDE, NARROW]) {
      test(
        `axe finds no serious or critical violation in any main view, ${theme} theme at ${width} px`,
        { tag: '@device-independent' },
        async ({ page, externalRequests }, info) => {
          await useScriptedGenerator(page);
          await page.emulateMedia({ colorScheme: theme });
          await page.setViewportSize({ width, height: 800 });
          const serious: string[] = [];
          const counts: string[] = [];
          for (const view of VIEWS) {
            await view.open(page);
            // No horizontal scrolling, at 360 px least of all: neither the page nor an open dialog.
            const overflow = await page.evaluate(() =>
              [document.documentElement, ...document.querySelectorAll('dialog[open]')]
                .filter((el) => el.scrollWidth > el.clientWidth)
                .map((el) => `${el.tagName} ${el.scrollWidth} > ${el.clientWidth}`),
            );
            expect(overflow, `${view.name} scrolls sideways`).toEqual([]);
            // Every rule axe runs by default, plus WCAG 2.2's target size (24 px; off by default): touch must reach it all.
            const results = await new AxeBuilder({ page })
              .options({ rules: { 'target-size': { enabled: true } } })
              .analyze();
            const by = (i: Impact) => results.violations.filter((v) => v.impact === i);
            counts.push(`${view.name}: ${IMPACTS.map((i) => `${i} ${by(i).length}`).join(', ')}`);
            const found = report(view.name, results);
            if (found) console.log(found);
            if (by('critical').length || by('serious').length) serious.push(found);
            await screenshot(page, info, `${view.name}-${theme}-${width}`);
            await view.close?.(page);
          }
          console.log(`axe, ${theme} at ${width} px:\n  ${counts.join('\n  ')}`);
          expect(serious, serious.join('\n')).toEqual([]);
          expect(externalRequests).toEqual([]);
        },
      );
    }
  }
});

test(
  "the header's theme toggle overrides the system's and is kept across reloads",
  { tag: '@device-independent' },
  async ({ page }) => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(STANDIN_URL);
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    const light = await background();
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    expect(await background()).not.toBe(light);
    await page.reload();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    // Back to what the system shows: it follows the system again, and Settings says so.
    await toggle.click();
    await expect(page.locator('html')).not.toHaveAttribute('data-theme', /./);
    expect(await background()).toBe(light);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await expect(page.getByRole('radio', { name: 'System' })).toBeChecked();
  },
);

test('Esc stops a running answer and keeps what it wrote', { tag: '@device-independent' }, async ({ page }) => {
  await openApp(page);
  await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md')]);
  await expect(page.getByRole('list', { name: 'Documents in your library' }).getByText('lighthouses.md')).toBeVisible();
  // The stand-in LM can finish before a key press from outside lands: the page presses Esc itself the moment the
  // first words show (the same keydown a key makes, through the window's handler).
  await page.evaluate(() => {
    const answer = document.querySelector('[data-testid="answer-text"]')!;
    let pressed = false;
    new MutationObserver(() => {
      if (pressed || !(answer.textContent ?? '').trim()) return;
      pressed = true;
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    }).observe(answer, { subtree: true, childList: true, characterData: true });
  });
  const ask = page.getByRole('textbox', { name: 'Ask' });
  await ask.fill('How does a Fresnel lens focus the lamp light?');
  await ask.press('Enter');
  await expect(page.getByRole('status')).toHaveText('Stopped.', { timeout: 180_000 });
  await expect(page.getByRole('button', { name: 'Ask', exact: true })).toBeVisible();
  await expect(page.getByTestId('answer-text')).not.toBeEmpty();
});
