// Deep mode with the scripted LM: each source's reasoning streams in, the stage can be stopped, and the verdicts
// reorder the sources (scripted to invert the earlier order).
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';
import { useScriptedGenerator } from './harness/scripted';

const QUESTION = 'What did the lighthouse keepers write in the log about the lamp?';
/** Four one-passage documents, each with its own marker word, all about the question's words. */
const MARKERS = ['Amber', 'Birch', 'Cobalt', 'Dune'];
const DOCS = MARKERS.map((m, i) => ({
  name: `keepers-${i + 1}.txt`,
  mimeType: 'text/plain',
  buffer: Buffer.from(
    `${m} notes. The lighthouse keepers wrote in the log about the lamp${' and the lamp oil'.repeat(i)}. ` +
      `${m} keepers trimmed the lamp wick at night.`,
  ),
}));

async function setup(page: Page) {
  const scripted = await useScriptedGenerator(page);
  await openApp(page);
  await page.getByLabel('Add documents').setInputFiles(DOCS);
  await expect(page.getByRole('list', { name: 'Documents in your library' }).getByRole('listitem')).toHaveCount(4, {
    timeout: 120_000,
  });
  return scripted;
}

/** Deep mode on or off; 10 passages per answer either way, so the search asks for as many as deep mode judges. */
async function setDeepMode(page: Page, on: boolean) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.getByRole('checkbox', { name: /Deep mode/ }).setChecked(on);
  await dialog.getByRole('spinbutton', { name: 'Passages per answer' }).fill('10');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
}

async function ask(page: Page) {
  await page.getByRole('textbox', { name: 'Ask' }).fill(QUESTION);
  await page.getByRole('button', { name: 'Ask' }).click();
}

const sources = (page: Page) => page.getByRole('list', { name: 'Sources' }).getByRole('listitem');

/** The marker of each source shown, in order. */
async function shownOrder(page: Page): Promise<string[]> {
  const heads = await sources(page).getByRole('region').allTextContents();
  return heads.map((t) => MARKERS.find((m) => t.includes(`${m} notes`)) ?? '?');
}

/** axe's serious or critical violations (WCAG 2.2 target size on, as in a11y.spec.ts). */
async function seriousAxe(page: Page): Promise<string[]> {
  const axe = await new AxeBuilder({ page }).options({ rules: { 'target-size': { enabled: true } } }).analyze();
  const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  return bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Records every distinct reasoning text the judging source shows, to prove it streams. */
async function watchReasoning(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { reasoning: string[] };
    w.reasoning = [];
    new MutationObserver(() => {
      const el = document.querySelector(
        '[data-testid="deep-judgment"][data-state="judging"] [data-testid="deep-reasoning"]',
      );
      const t = el?.textContent ?? '';
      if (t && t !== w.reasoning.at(-1)) w.reasoning.push(t);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

test(
  'deep mode streams each reasoning, says how long, and its verdicts reorder the sources',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    const scripted = await setup(page);
    // The earlier order, without deep mode (the same search: 10 passages asked for).
    await setDeepMode(page, false);
    await ask(page);
    await expect(page.getByRole('button', { name: 'Ask' })).toBeVisible({ timeout: 120_000 });
    const earlier = await shownOrder(page);
    expect([...earlier].sort()).toEqual(MARKERS);
    expect(scripted.judged()).toBe(0);
    await expect(page.getByTestId('deep-stage')).toHaveCount(0);

    // Verdicts rising along the earlier order, steeply enough for the blend rule to invert it.
    const p = [0.001, 0.55, 0.75, 0.95];
    scripted.scriptJudge({ verdicts: earlier.map((m, i) => [`${m} notes`, p[i]!]), wordMs: 40 });
    await setDeepMode(page, true);
    // A new conversation: a follow-up would be rewritten (by the scripted answer) and search something else.
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await watchReasoning(page);
    await ask(page);
    await expect(page.getByTestId('deep-stage')).toContainText(/about \d+ s on this device/, { timeout: 60_000 });
    await expect(page.getByTestId('deep-stage')).toContainText(/took \d+ s/, { timeout: 120_000 });
    await expect(page.getByRole('button', { name: 'Ask' })).toBeVisible({ timeout: 120_000 });
    expect(scripted.judged()).toBe(4);
    expect(await shownOrder(page)).toEqual([...earlier].reverse());

    // The reasoning came in pieces, and stays collapsed (a <details>) with its verdict in the summary.
    const seen = await page.evaluate(() => (window as unknown as { reasoning: string[] }).reasoning);
    expect(seen.length).toBeGreaterThan(4);
    const first = sources(page).first().getByTestId('deep-judgment');
    await expect(first).not.toHaveAttribute('open');
    await expect(first).toContainText('relevant with probability 0.95');
    await first.locator('summary').click();
    await expect(first.getByTestId('deep-reasoning')).toHaveText(
      "The passage is about the question's subject. It answers the question.",
    );
    expect(await seriousAxe(page)).toEqual([]);

    // Asked again: the verdicts come from the judgment cache (IndexedDB), not the model, in the same order.
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await ask(page);
    await expect(page.getByTestId('deep-stage')).toContainText(/took \d+ s/, { timeout: 120_000 });
    await expect(page.getByRole('button', { name: 'Ask' })).toBeVisible({ timeout: 120_000 });
    expect(scripted.judged()).toBe(4);
    expect(await shownOrder(page)).toEqual([...earlier].reverse());
    await expect(sources(page).first().getByTestId('deep-judgment')).toContainText(
      'relevant with probability 0.95 (judged before)',
    );
    expect(externalRequests).toEqual([]);
  },
);

test(
  "deep mode's Stop keeps what was judged, leaves the rest in place, and the question goes on",
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    const scripted = await setup(page);
    // Slow reasoning, so Stop lands while the second passage is being judged.
    scripted.scriptJudge({ verdicts: MARKERS.map((m) => [`${m} notes`, 0.5]), wordMs: 300 });
    await setDeepMode(page, true);
    await ask(page);
    await expect(page.locator('[data-testid="deep-judgment"][data-state="done"]')).toHaveCount(1, { timeout: 60_000 });
    // While it runs: the stage line, its Stop and a panel being written pass axe.
    expect(await seriousAxe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Stop deep mode' }).click();
    await expect(page.getByTestId('deep-stage')).toContainText(/Deep mode stopped: took \d+ s/, { timeout: 30_000 });
    await expect(page.getByRole('button', { name: 'Ask' })).toBeVisible({ timeout: 120_000 });
    expect(scripted.judged()).toBe(2);
    // One judged, the one being judged stopped, and the rest not judged; the question did not stop.
    await expect(page.locator('[data-testid="deep-judgment"][data-state="done"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="deep-judgment"][data-state="stopped"]')).toHaveCount(3);
    await expect(page.getByRole('status')).not.toHaveText('Stopped.');
    expect(externalRequests).toEqual([]);
  },
);

test(
  'the Stop of the whole question during deep mode stops it all: no answer, no judgment left under way',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    const scripted = await setup(page);
    scripted.scriptJudge({ wordMs: 300 });
    await setDeepMode(page, true);
    await ask(page);
    await expect(page.locator('[data-testid="deep-judgment"][data-state="judging"]')).toHaveCount(1, {
      timeout: 60_000,
    });
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect(page.getByRole('status')).toHaveText('Stopped.');
    await expect(page.getByRole('button', { name: 'Ask' })).toBeVisible();
    await expect(page.locator('[data-testid="deep-judgment"][data-state="judging"]')).toHaveCount(0);
    await expect(page.locator('[data-testid="deep-judgment"][data-state="stopped"]')).toHaveCount(1);
    expect(scripted.calls()).toBe(0);
    expect(externalRequests).toEqual([]);
  },
);

test('the stand-in LM judges for real: reasoning from the model, each verdict read from its logits', async ({
  page,
  expectedDevice,
  externalRequests,
}) => {
  await openApp(page);
  await page.getByLabel('Add documents').setInputFiles(DOCS);
  await expect(page.getByRole('list', { name: 'Documents in your library' }).getByRole('listitem')).toHaveCount(4, {
    timeout: 120_000,
  });
  await setDeepMode(page, true);
  await ask(page);
  await expect(page.getByTestId('deep-stage')).toContainText(/took \d+ s/, { timeout: 180_000 });
  await expect(page.getByRole('button', { name: 'Ask' })).toBeVisible({ timeout: 180_000 });
  const judged = page.locator('[data-testid="deep-judgment"][data-state="done"]');
  await expect(judged).toHaveCount(4);
  // The stand-in LM's vocabulary has "yes" and "no": every verdict is a probability, none is missing.
  for (const summary of await judged.locator('summary').allTextContents())
    expect(summary).toMatch(/relevant with probability (0|1)\.\d\d/);
  for (const reasoning of await judged.getByTestId('deep-reasoning').allTextContents())
    expect(reasoning.trim().length).toBeGreaterThan(0);
  await expect(page.getByText(`Ready on ${expectedDevice}`)).toHaveCount(3);
  expect(externalRequests).toEqual([]);
});
