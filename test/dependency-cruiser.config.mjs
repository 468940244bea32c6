// Dependency rules for src/ (run by `npm run lint`): no import cycles, and each layer imports only the layers below it.

/** src/lib folders below the app's own orchestration (state, pipelines, services). */
const LOWER =
  '^src/lib/(answer|retrieval|ingest|models|persistence|published|rpc|errors|config|offline|evaluation|learn)/';

/**
 * Which other lower layers each lower layer may import (the README's code map); errors imports nothing, and
 * config/defaults.ts (app settings) has its own rule below.
 */
const LOWER_IMPORTS = {
  answer: ['retrieval', 'ingest', 'models', 'errors'],
  retrieval: ['ingest', 'errors'],
  ingest: ['errors'],
  models: ['config', 'rpc', 'errors'],
  persistence: ['ingest', 'errors'],
  published: ['retrieval', 'ingest', 'errors'],
  config: ['retrieval', 'errors'],
  rpc: ['errors'],
  offline: ['config', 'errors'],
  evaluation: ['retrieval', 'answer', 'errors'],
  learn: ['retrieval', 'evaluation', 'errors'],
};

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles among src/ modules, type-only imports included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', circular: true },
    },
    {
      name: 'ui-only-through-state',
      comment:
        'src/ui imports only src/lib/state (view helpers and types too: src/lib/state/view.ts), svelte and other ui files. ' +
        'Type-only imports in .svelte files vanish when compiled: eslint no-restricted-imports checks those.',
      severity: 'error',
      from: { path: '^src/ui/' },
      to: { pathNot: ['^src/ui/', '^src/lib/state/', '(^|/)node_modules/svelte/'] },
    },
    {
      name: 'main-only-ui-and-state',
      comment: 'src/main.ts mounts the ui and starts the state; nothing else.',
      severity: 'error',
      from: { path: '^src/main\\.ts$' },
      to: { pathNot: ['^src/ui/', '^src/lib/state/', '(^|/)node_modules/svelte/'] },
    },
    {
      name: 'state-not-ui-or-workers',
      comment: 'src/lib/state never imports ui or workers (it starts workers with new URL(…, import.meta.url)).',
      severity: 'error',
      from: { path: '^src/lib/state/' },
      to: { path: '^src/(ui|workers)/' },
    },
    {
      name: 'state-values-from-allowed-layers',
      comment:
        'src/lib/state imports values only from pipelines, rpc, errors, config, persistence, offline (and itself); ' +
        'from the rest of lib, types only (`import type`). view.ts has its own rule.',
      severity: 'error',
      from: { path: '^src/lib/state/', pathNot: '^src/lib/state/view\\.ts$' },
      to: {
        path: '^src/lib/',
        pathNot: '^src/lib/(state|pipelines|rpc|errors|config|persistence|offline)/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'state-view-pure',
      comment: 'src/lib/state/view.ts re-exports pure view helpers and types from the lower layers only.',
      severity: 'error',
      from: { path: '^src/lib/state/view\\.ts$' },
      to: { path: '^src/', pathNot: '^src/lib/(answer|retrieval|ingest|config|errors)/' },
    },
    {
      name: 'pipelines-below-state',
      comment: 'src/lib/pipelines imports the lower layers only: never state, services, ui or workers.',
      severity: 'error',
      from: { path: '^src/lib/pipelines/' },
      to: { path: ['^src/(ui|workers)/', '^src/lib/(state|services)/', '^src/main\\.ts$'] },
    },
    {
      name: 'services-below-state',
      comment: 'src/lib/services (worker-side handlers) imports pipelines and lower: never state, ui or workers.',
      severity: 'error',
      from: { path: '^src/lib/services/' },
      to: { path: ['^src/(ui|workers)/', '^src/lib/state/', '^src/main\\.ts$'] },
    },
    {
      name: 'workers-only-services-models-rpc',
      comment: 'src/workers import only services, models and rpc from src/.',
      severity: 'error',
      from: { path: '^src/workers/' },
      to: { path: '^src/', pathNot: '^src/lib/(services|models|rpc)/' },
    },
    {
      name: 'lower-layers-stay-low',
      comment:
        'answer, retrieval, ingest, models, persistence, published, rpc, errors, config never import state, pipelines, services, ui or workers.',
      severity: 'error',
      from: { path: LOWER },
      to: { path: ['^src/(ui|workers)/', '^src/lib/(state|pipelines|services)/', '^src/main\\.ts$'] },
    },
    {
      name: 'no-app-settings-below-config',
      comment: 'config/defaults.ts holds app settings: the layers below it take what they need as parameters.',
      severity: 'error',
      from: { path: '^src/lib/(answer|retrieval|ingest|models|persistence|rpc|errors)/' },
      to: { path: '^src/lib/config/defaults\\.ts$' },
    },
    ...Object.entries(LOWER_IMPORTS).map(([layer, allowed]) => ({
      name: `lower-layer-imports-${layer}`,
      comment: `${layer} imports, among the lower layers, only ${allowed.join(', ')} (the README's code map).`,
      severity: 'error',
      from: { path: `^src/lib/${layer}/` },
      to: {
        path: LOWER,
        pathNot: [`^src/lib/(${[layer, ...allowed].join('|')})/`, '^src/lib/config/defaults\\.ts$'],
      },
    })),
    {
      name: 'errors-self-contained',
      comment: 'src/lib/errors imports nothing from src/ but itself.',
      severity: 'error',
      from: { path: '^src/lib/errors/' },
      to: { path: '^src/', pathNot: '^src/lib/errors/' },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'svelte', 'browser', 'default'],
      mainFields: ['svelte', 'module', 'browser', 'main'],
      extensions: ['.ts', '.js', '.mjs', '.svelte', '.json', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
  },
};
