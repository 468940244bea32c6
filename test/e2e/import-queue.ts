// Reads the import queue's rows in one go and names the error code behind a row's message, for the e2e specs.
import type { Page } from '@playwright/test';
import { ERROR_CODES, type ErrorCode } from '../../src/lib/errors/codes';

/** The code whose template produced a message ("{name}" matches anything), or null when none did. */
export function codeOf(message: string): ErrorCode | null {
  for (const [code, template] of Object.entries(ERROR_CODES) as [ErrorCode, string][]) {
    const pattern = template
      .split(/\{\w+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[\\s\\S]*');
    // UNKNOWN and the other fallbacks append "(cause)" to their template.
    if (new RegExp(`^${pattern}(?: \\([\\s\\S]*\\))?$`).test(message)) return code;
  }
  return null;
}

export interface Row {
  name: string;
  state: 'added' | 'error' | 'cancelled' | 'skipped' | 'prompt' | 'pending';
  message: string;
}

/** Every row of the import queue, read in one go. */
export async function queueRows(page: Page): Promise<Row[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[aria-label="Import queue"] li')].map((li): Row => {
      const text = (li as HTMLElement).innerText.trim();
      const err = li.querySelector('p.err');
      if (err) {
        const name = err.querySelector('strong')?.textContent ?? '';
        return { name, state: 'error', message: text.slice(name.length + 2) };
      }
      const done = /^(.*): (added|cancelled|kept the existing version)$/.exec(text);
      if (done) {
        const state = done[2] === 'added' ? 'added' : done[2] === 'cancelled' ? 'cancelled' : 'skipped';
        return { name: done[1]!, state, message: '' };
      }
      const prompt = li.querySelector('form, [role="group"]');
      const label = li.querySelector('progress')?.getAttribute('aria-label') ?? '';
      return { name: prompt ? text : label, state: prompt ? 'prompt' : 'pending', message: text };
    }),
  );
}
