// The walking skeleton end to end: add files, ask, read a cited answer, reload and still have it all.
import { fileURLToPath } from 'node:url';
import { expect, openApp, test } from './fixtures';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));

test('file to cited answer, surviving a reload', async ({ page, externalRequests, expectedDevice }) => {
  await openApp(page);
  await expect(page.getByTestId('device')).toHaveText(expectedDevice);

  await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
  const library = page.getByRole('list', { name: 'Documents in your library' });
  await expect(library.getByText('lighthouses.md')).toBeVisible();
  await expect(library.getByText('sourdough.txt')).toBeVisible();

  await page.getByRole('textbox', { name: 'Ask' }).fill('How does a Fresnel lens focus the lamp light?');
  await page.getByRole('button', { name: 'Ask' }).click();

  const sources = page.getByRole('list', { name: 'Sources' });
  await expect(sources.getByRole('listitem').first()).toContainText('lighthouses.md');
  await expect(sources.getByRole('listitem').first()).toContainText('Fresnel');
  await expect(sources.getByRole('listitem').first()).toContainText(/match\s+\d\.\d{3}/);

  const answer = page.getByRole('region', { name: 'Answer' });
  const cite = answer.getByRole('link', { name: 'Source 1' });
  await expect(cite).toBeVisible({ timeout: 180_000 });
  await cite.click();
  const viewer = page.getByRole('dialog', { name: /\[1\] lighthouses\.md/ });
  await expect(viewer.getByTestId('cited-span')).toBeVisible();
  await expect(viewer.getByRole('region', { name: 'Text of lighthouses.md' })).toContainText('Fresnel lens focuses');
  await viewer.getByRole('button', { name: 'Close' }).click();
  await expect(viewer).toBeHidden();
  await expect(page.getByText(`Ready on ${expectedDevice}`)).toHaveCount(3);

  await page.reload();
  await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
  await expect(library.getByText('lighthouses.md')).toBeVisible();
  // The conversation survived the reload, so this is a follow-up: the generator first rewrites it (slow on SwiftShader).
  await expect(page.getByRole('region', { name: 'Answer' })).toContainText('Q: How does a Fresnel lens');
  await page.getByRole('textbox', { name: 'Ask' }).fill('sourdough starter wild yeast');
  await page.getByRole('button', { name: 'Ask' }).click();
  await expect(sources.getByRole('listitem').first()).toContainText('sourdough.txt', { timeout: 180_000 });

  expect(externalRequests).toEqual([]);
});
