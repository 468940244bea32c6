// With the default registry and no route to the hub (as on our build machines), the app explains and stays usable.
import { expect, test } from './fixtures';

test('explains an unreachable model hub with the self-hosting hint', async ({ page, externalRequests }) => {
  await page.goto('/');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('could not be downloaded', { timeout: 120_000 });
  await expect(alert).toContainText(/self-host/i);
  await expect(page.getByText('No documents yet.')).toBeVisible();
  await expect(page.getByTestId('keyword-only')).toContainText('search uses keywords only');

  // Only model files were asked for, and only from the registry's model host.
  expect(externalRequests.length).toBeGreaterThan(0);
  for (const url of externalRequests) {
    expect(url).toMatch(/^https:\/\/huggingface\.co\/[\w.-]+\/[\w.-]+\/resolve\/main\/[\w./-]+$/);
  }

  // Things that need no model still work: Settings opens and shows the registry's models.
  await page.getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await expect(dialog.getByRole('combobox', { name: 'Embedding model' })).toContainText('BGE small');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
});
