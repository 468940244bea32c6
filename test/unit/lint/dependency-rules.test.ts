// The dependency rules bite: `npm run lint`'s own dependency-cruiser config, on a fixture src/ that breaks each rule once.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { ESLint, Linter } from 'eslint';
import ts from 'typescript-eslint';

const CONFIG = 'test/dependency-cruiser.config.mjs';
const FIXTURES = resolve('test/fixtures/lint');

async function violations(): Promise<string[]> {
  const options = await extractDepcruiseOptions(resolve(CONFIG));
  const { output } = await cruise(['src'], { ...options, baseDir: FIXTURES });
  const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
  return result.summary.violations.map(
    (v) => `${v.rule.name}: ${v.cycle ? v.cycle.map((c) => c.name).join(' > ') : v.to}`,
  );
}

describe('dependency rules (test/dependency-cruiser.config.mjs)', () => {
  it('is the config npm run lint runs, on src/', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.lint).toContain(`depcruise -c ${CONFIG} src`);
  });

  it('reports each cycle and layer violation in the fixture tree, and nothing it allows', async () => {
    // Allowed there, so absent here: state's type-only import from answer, view.ts re-exporting an answer helper,
    // `new URL('../../workers/…', import.meta.url)`, a `?url` import, ./counter.svelte resolving to counter.svelte.ts.
    expect((await violations()).sort()).toEqual(
      [
        'no-circular: src/lib/answer/pong.ts > src/lib/answer/ping.ts',
        'ui-only-through-state: src/lib/answer/helper.ts',
        'main-only-ui-and-state: src/lib/config/defaults.ts',
        'state-not-ui-or-workers: src/workers/fixture.worker.ts',
        'state-values-from-allowed-layers: src/lib/answer/helper.ts',
        'state-view-pure: src/lib/persistence/db.ts',
        'pipelines-below-state: src/lib/services/handler.ts',
        'services-below-state: src/lib/state/store.ts',
        'workers-only-services-models-rpc: src/lib/persistence/db.ts',
        'lower-layers-stay-low: src/lib/state/store.ts',
        'no-app-settings-below-config: src/lib/config/defaults.ts',
        'errors-self-contained: src/lib/answer/helper.ts',
        'lower-layer-imports-ingest: src/lib/answer/helper.ts',
      ].sort(),
    );
  });
});

describe('ui imports (eslint no-restricted-imports: sees the type-only imports a compiled .svelte file drops)', () => {
  it('lets src/ui import only lib/state, svelte and ./X.svelte, types included', async () => {
    const eslint = new ESLint({ overrideConfigFile: 'test/eslint.config.js' });
    const uiConfig = (await eslint.calculateConfigForFile('src/ui/App.svelte')) as Linter.Config;
    const rule = uiConfig.rules?.['no-restricted-imports'];
    expect(rule).toBeDefined();
    const code = [
      "import { mount } from 'svelte';",
      "import { fade } from 'svelte/transition';",
      "import Child from './Child.svelte';",
      "import type { AppState } from '../lib/state/app.svelte';",
      "import { parseCitations } from '../lib/state/view';",
      "import type { DocumentKind } from '../lib/ingest/types';",
      "import { DEFAULT_SETTINGS } from '../lib/config/defaults';",
      "import { openDB } from 'idb';",
      "import x from '../lib/state/../rpc';",
      'export const all = [mount, fade, Child, parseCitations, DEFAULT_SETTINGS, openDB, x];',
      'export type Both = AppState | DocumentKind;',
    ].join('\n');
    const messages = new Linter().verify(
      code,
      [{ files: ['**/*.ts'], languageOptions: { parser: ts.parser }, rules: { 'no-restricted-imports': rule } }],
      'src/ui/probe.ts',
    );
    expect(messages.map((m) => m.line)).toEqual([6, 7, 8, 9]);
    expect(messages.every((m) => m.ruleId === 'no-restricted-imports')).toBe(true);
  });
});
