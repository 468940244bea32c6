// The root app state: settings, registry, capabilities and device; it wires the models, the library and the chat.
import { AppError, toAppError } from '../errors';
import { chooseDevice, detectCapabilities, type Capabilities } from '../config/capabilities';
import { DEFAULT_SETTINGS, type Settings } from '../config/defaults';
import { DEFAULT_REGISTRY_URL, defaultRegistry, fetchRegistry, pickModel } from '../config/registry';
import type { Registry } from '../config/registry-types';
import type { RuntimeConfig } from '../models/runtime';
import { DB_NAME } from '../persistence/schema';
import {
  getChunks,
  getSetting,
  openLecternDB,
  repairOnStartup,
  setSetting,
  type LecternDatabase,
} from '../persistence';
import type { AskPorts } from '../pipelines/ask';
import type { FeedbackModel } from '../pipelines/feedback';
import { ModelsState } from './models.svelte';
import { LibraryState } from './library.svelte';
import { ChatState } from './chat.svelte';
import { ArchiveState } from './archive.svelte';
import { EvaluateState } from './evaluate.svelte';
import { originOf } from '../config/provenance';
import { keywordOnlyDocs } from './keyword-only';
import { OriginConsent } from './origin-consent.svelte';
import { TabSync } from './tab-sync';
import { PublishedState } from './published.svelte';
import { docIdOf } from '../pipelines/records';
import { OfflineState } from './offline.svelte';
import { FirstRunState } from './first-run.svelte';
import { DownloadsState, type ModelChoice } from './downloads.svelte';
import { FeedbackState } from './feedback.svelte';
import { AdapterState } from './adapter.svelte';
import { PromptsState } from './prompts.svelte';
import { EvalSetState } from './eval-set.svelte';
import { deepPorts } from './deep-ports';

/** Failures told once, calmly, as a dismissible notice (not red, not repeated): the app keeps working without models. */
const CALM = new Set([
  'MODEL_HUB_UNREACHABLE',
  'MODEL_DOWNLOAD_DECLINED',
  'MODEL_DOWNLOAD_CANCELLED',
  'MODEL_DOWNLOAD_PAUSED',
]);

/** The longest a question waits for a published library's manifest (a stuck host must not hold up the user's own). */
const PUBLISHED_WAIT_MS = 10_000;
const SETTINGS_KEY = 'settings';
/** Whether the user left the sample library open (it reopens at the next start until closed). */
const SAMPLE_KEY = 'sampleLibrary';
/** Settings that pick models, devices or indexes: the workers hold them, so changing one reloads the page. */
const RELOAD_ON: (keyof Settings)[] = [
  'registryUrl',
  'modelBaseUrl',
  'embedderKey',
  'lateInteractionKey',
  'generatorKey',
  'device',
  'denseIndex',
];

export class AppState {
  settings = $state<Settings>({ ...DEFAULT_SETTINGS });
  registry = $state<Registry | null>(null);
  registryError = $state<AppError | null>(null);
  caps = $state<Capabilities | null>(null);
  /** The latest progress or confirmation line (role=status). */
  status = $state('');
  /** The latest error (role=alert); stays until dismissed or replaced by another error. */
  error = $state<AppError | null>(null);
  started = $state(false);
  /** A calm, dismissible notice (the model host is unreachable, …): each kind shown once per visit. */
  notice = $state<AppError | null>(null);
  private noticed = new Set<string>();

  readonly models: ModelsState;
  readonly library: LibraryState;
  readonly chat: ChatState;
  /** A published library searched beside the private one (`?library=`, or the site's default). */
  readonly published: PublishedState;
  /** Library export and import (one zip; see pipelines/library-archive.ts). */
  readonly archive: ArchiveState;
  /** "Evaluate my library": the evaluation set through each search configuration and the answers. */
  readonly evaluate: EvaluateState;
  /** Feedback on answers, kept in this browser, and the training-data export. */
  readonly feedback: FeedbackState;
  /** The relevance adapter trained on that feedback (and the synthetic questions), in the search worker. */
  readonly adapter: AdapterState;
  /** The first run (the sample library), files dropped anywhere on the window, and pasted notes. */
  readonly firstRun: FirstRunState;
  /** The answer template's versions with their figures in use, and which one new questions get (Settings → Prompts). */
  readonly prompts = new PromptsState({
    db: () => this.db,
    info: (text) => this.info(text),
    fail: (err) => this.fail(err),
  });
  /** The evaluation set: synthetic questions and the user's own, with their gold passages. */
  readonly evalSet: EvalSetState;
  /** Asks before models come from a host a `?registry=` link names (see loadRegistry). */
  readonly consent = new OriginConsent({
    trusted: () => this.settings.trustedOrigins,
    remember: (origin) =>
      this.saveSettings({ ...this.settings, trustedOrigins: [...this.settings.trustedOrigins, origin] }),
    info: (text) => this.info(text),
  });
  private readonly tabs: TabSync;
  /** The offline copy: service worker, what is cached, clearing it. */
  readonly offline = new OfflineState({ info: (text) => this.info(text) });
  /** Consent before model downloads: what they are, how big on this device, "Not now" (keyword search only). */
  readonly downloads = new DownloadsState({
    registry: () => this.registry,
    registryUrl: () => new URL(this.registrySource, document.baseURI).href,
    modelBaseUrl: () => this.runtime().modelBaseUrl,
    device: () => this.models.device ?? 'wasm',
    shaderF16: () => this.caps?.shaderF16 ?? false,
    chosen: () => ({
      embedder: this.embedderSpec ? (this.embedderSpec.key ?? this.embedderSpec.id) : '',
      'late-interaction': this.lateSpec ? (this.lateSpec.key ?? this.lateSpec.id) : '',
      generator: this.generatorSpec ? (this.generatorSpec.key ?? this.generatorSpec.id) : '',
    }),
    choose: (c: ModelChoice) =>
      this.saveSettings({
        ...this.settings,
        embedderKey: c.embedder,
        lateInteractionKey: c['late-interaction'],
        generatorKey: c.generator,
      }),
  });

  embedderSpec = $derived(this.registry ? pickModel(this.registry, 'embedder', this.settings.embedderKey) : null);
  lateSpec = $derived(
    this.registry ? pickModel(this.registry, 'late-interaction', this.settings.lateInteractionKey) : null,
  );
  generatorSpec = $derived(this.registry ? pickModel(this.registry, 'generator', this.settings.generatorKey) : null);
  /** Documents search finds by keywords only, with why and its kind (see keywordOnlyDocs); the backfill gives them vectors. */
  keywordOnly = $derived.by(() => {
    const key = this.embedderSpec && this.registry ? this.models.key(this.embedderSpec) : null;
    return keywordOnlyDocs(this.library.documents, key);
  });

  private db: LecternDatabase | null = null;
  private registryOverride = $state<string | null>(null);
  private registryLoaded: () => void = () => {};
  private readonly registryReady = new Promise<void>((resolve) => (this.registryLoaded = resolve));
  /** The registry actually in use (the built-in one when the chosen one failed): part of vector provenance. */
  private registrySource = DEFAULT_REGISTRY_URL;
  /** Why this tab's storage connection closed (another tab's upgrade), once it has. */
  private closed: AppError | null = null;

  constructor(private readonly dbName = DB_NAME) {
    const common = { info: (t: string) => this.info(t), fail: (e: AppError) => this.fail(e) };
    this.models = new ModelsState({
      settings: () => this.settings,
      runtime: () => this.runtime(),
      registryUrl: () => new URL(this.registrySource, document.baseURI).href,
      peerFailed: (peer, error) => this.library.peerFailed(peer, error),
      peerRestored: (peer, port, error) => this.library.peerRestored(peer, port, error),
      searchReplaced: (port, error) => this.library.searchReplaced(port, error),
      ...common,
    });
    this.published = new PublishedState({
      open: (url) => this.models.openPublished(url),
      loadIndex: (onProgress) => this.models.loadPublished(onProgress),
      passages: (ids) => this.models.publishedPassages(ids),
    });
    const db = () => this.db;
    this.firstRun = new FirstRunState({
      libraryEmpty: () => this.library.listed && this.library.documents.length === 0,
      documentNames: () => this.library.documents.map((d) => d.name),
      started: () => this.started,
      publishedOpen: () => this.published.url !== null,
      openPublished: (url) => this.published.open(url),
      loadChoice: async () => (this.db ? getSetting(this.db, SAMPLE_KEY, false) : false),
      saveChoice: async (open) => {
        if (this.db) await setSetting(this.db, SAMPLE_KEY, open);
      },
      busy: () => this.library.busy || this.chat.busy,
      canAdd: () => this.archive.running === 'idle',
      add: (files) => this.library.add(files),
      reload: () => location.reload(),
      info: (text) => this.info(text),
    });
    this.library = new LibraryState({
      db,
      settings: () => this.settings,
      // Files queued the moment the page loads wait for the registry, which names the embedder.
      embedderSpec: async () => (await this.registryReady, this.embedderSpec),
      removed: (docId) => {
        void this.chat.forgetDocument(docId);
        this.evalSet.forgetDocument(docId);
      },
      changed: (change) => this.tabs.announce(change),
      reindexOnAttach: () => this.registryOverride === null,
      searchLine: () => this.models.searchLine(),
      modelLines: async () => {
        await this.models.settled;
        return this.models.ingestLines();
      },
      ...common,
    });
    this.feedback = new FeedbackState({ db, models: () => this.modelsInUse(), ...common });
    this.adapter = new AdapterState({
      call: (method, params, options) => this.models.adapter(method, params, options),
      info: (text) => this.info(text),
    });
    this.chat = new ChatState({
      db,
      settings: () => ({ ...this.settings }),
      ports: this.askPorts(),
      feedback: { shown: (s) => this.feedback.shown(s), signal: (id, s) => void this.feedback.signal(id, s) },
      ...common,
    });
    // Writing questions is not use either: no A/B turn, no prompt figures.
    const { answerPrompt: _setAssigned, promptUsed: _setCounted, ...setPorts } = this.measuringPorts();
    this.evalSet = new EvalSetState({
      db,
      settings: () => ({ ...this.settings }),
      ports: setPorts,
      documents: () => this.library.documents.map((d) => ({ id: d.id, name: d.name })),
      importFiles: async (files) => {
        this.library.add(files);
        await this.library.settled();
      },
      importsSettled: () => this.library.settled(),
      ...common,
    });
    this.tabs = new TabSync({ db, library: this.library, models: this.models, chat: this.chat, ...common });
    // An evaluation's answers are not use: they neither take an A/B turn nor count in the prompt figures.
    const { answerPrompt: _assigned, promptUsed: _counted, ...evalPorts } = this.measuringPorts();
    this.evaluate = new EvaluateState({
      db,
      settings: () => ({ ...this.settings }),
      ports: evalPorts,
      // The adapter searches use now (read fresh: another tab may have retrained it); none when it is off.
      adapterTrainedOn: async () => {
        const a = await this.models.adapter('loadAdapter', {}).catch(() => null);
        return a?.enabled ? (a.trainedOn ?? []) : [];
      },
      ...common,
    });
    this.archive = new ArchiveState({
      client: () => this.library.client(),
      importing: () => this.library.busy,
      setDocuments: (docs) => (this.library.documents = docs),
      syncIndex: (change) => this.models.syncIndex(change),
      announce: (change) => this.tabs.announce(change),
      check: () => this.tabs.check(),
      forget: (docId) => void this.chat.forgetDocument(docId),
      back: (docIds) => {
        this.chat.documentsBack(docIds);
        // An import (merge or replace) may bring feedback records, and an adapter (the search worker reads it again).
        void this.feedback.load();
        void this.adapter.load();
      },
      reloadSaved: async () => {
        await this.chat.restore();
        await this.evalSet.load();
        await this.reloadSettings();
      },
      ...common,
    });
  }

  /** Starts the app: storage, settings, the library, registry, capabilities, then the models and the indexes. */
  async start(url: URL): Promise<void> {
    this.registryOverride = url.searchParams.get('registry');
    const libraryLink = url.searchParams.get('library');
    try {
      this.db = await openLecternDB(this.dbName, {
        onBlocked: () => this.fail(new AppError('STORAGE_BLOCKED')),
        // Another tab's upgrade (or the browser) closed this connection: say so rather than fail silently later.
        onClosed: (why) => {
          this.closed = new AppError(why === 'versionchange' ? 'STORAGE_UPGRADED_ELSEWHERE' : 'STORAGE_CLOSED');
          this.fail(this.closed);
        },
      });
      if (this.error?.code === 'STORAGE_BLOCKED') this.dismissError();
      // First, before any file can be queued, so this tab's own marker is never read back as lost.
      await this.library.resumeInterrupted();
      const repaired = await repairOnStartup(this.db);
      const saved = await getSetting<Partial<Settings>>(this.db, SETTINGS_KEY, {});
      this.settings = { ...DEFAULT_SETTINGS, ...saved };
      this.library.open(this.dbName);
      this.tabs.open(this.dbName);
      if (repaired.orphanDocIds.length) {
        this.info(`Removed ${repaired.orphanDocIds.length} incomplete import(s) left by an interrupted session.`);
      }
      await this.chat.restore();
      await this.feedback.load();
      // After the library lists its documents (names beside each question), without holding up the start.
      void this.library.ready().then(
        () => this.evalSet.load(),
        () => {},
      );
    } catch (err) {
      this.library.unavailable(toAppError(err, 'STORAGE_FAILED'));
    }
    this.caps = await detectCapabilities();
    const choice = chooseDevice(this.caps, this.settings.device);
    Object.assign(this.models, { device: choice.device, deviceReason: choice.reason });
    await this.loadRegistry().finally(() => this.registryLoaded());
    const specs = { embedder: this.embedderSpec, late: this.lateSpec, generator: this.generatorSpec };
    // Nothing is downloaded before the user agrees (cached models and earlier yeses need no question); meanwhile,
    // or after "Not now", search opens on keywords at once.
    const allowed = await this.downloads.allowedNow().catch(() => false);
    // `settled` resolves even when loading throws, so the ingest worker always learns the models' outcome.
    void this.models.load(this.dbName, specs, this.caps, allowed).catch((err: unknown) => this.fail(toAppError(err)));
    // Only now do the models' names reach search, so a published library (the sample) opened from here is compared
    // with them rather than with none.
    this.started = true;
    if (!allowed) void this.askToDownload();
    void this.openPublished(libraryLink);
    // Back online: load what could not be downloaded, and give the documents stored meanwhile their vectors.
    globalThis.addEventListener?.('online', () => void this.retryModels());
    // After the app's own start, so caching its files for offline use never delays the first question.
    void this.offline.start();
  }

  /**
   * Opens the published library a `?library=` link names (once the user allows its host, when it is not this site's),
   * else the one the site was published with (its `lectern-library` meta tag); none when neither is set.
   */
  private async openPublished(link: string | null): Promise<void> {
    const fallback = document.querySelector('meta[name="lectern-library"]')?.getAttribute('content') ?? null;
    let target = link ?? fallback;
    if (link && !(await this.consent.allow(link, 'published library'))) target = fallback;
    // Neither: the sample library, if the user opened it before and has not closed it.
    target ??= await this.firstRun.restore();
    if (!target) return;
    let href: string;
    try {
      href = new URL(target, document.baseURI).href;
    } catch {
      this.published.error = new AppError('PUBLISHED_URL_INVALID', undefined, { url: target });
      return;
    }
    await this.published.open(href);
  }

  /** Shows what the models would download and, once the user agrees, loads them (imports then get vectors). */
  async askToDownload(): Promise<void> {
    if (!(await this.downloads.ask())) {
      this.info('Not downloading the models: search uses keywords only. Download them from the Models panel.');
      return;
    }
    this.models.downloadsAllowed = true;
    if (this.notice?.code === 'MODEL_DOWNLOAD_DECLINED') this.notice = null;
    await this.retryModels();
  }

  /** Continues the paused (or cancelled) downloads: the kept bytes are not fetched again (Range requests). */
  async resumeDownloads(): Promise<void> {
    const answer = this.models.generator.status;
    if (answer === 'paused' || answer === 'error') this.models.loadAnswerModel();
    await this.retryModels();
  }

  /** Loads again the models that failed; when one loads, imports use it and the backfill adds the missing vectors. */
  async retryModels(): Promise<void> {
    if (this.error && this.error.code.startsWith('MODEL_')) this.dismissError();
    // A retry the user asked for may tell its outcome again.
    this.notice = null;
    this.noticed.clear();
    if (await this.models.retry()) {
      this.library.modelsChanged();
      this.info('The models loaded. Adding the vectors your documents lack…');
    }
  }

  /** What the ask pipeline calls: the library's state, search and the answer model, passages and document names. */
  /**
   * The ask ports for measuring (the evaluation and the synthetic-question filter): search waits for the models to
   * settle, where a question gets keyword results at once, so a run never measures keywords alone by accident.
   */
  private measuringPorts(): AskPorts {
    return {
      ...this.askPorts(),
      search: async () => {
        await this.models.settled;
        return this.models.searchAccess();
      },
    };
  }

  private askPorts(): AskPorts {
    return {
      library: async () => {
        await this.library.ready();
        // A question asked while the published library's manifest is read waits for it, rather than find nothing.
        await this.published.settled(PUBLISHED_WAIT_MS);
        const empty = this.library.documents.length === 0 && !this.published.library?.passages;
        return { empty, importing: this.library.busy };
      },
      search: async () => {
        // Search open while the embedder is still to come: keyword results now, rather than after the models.
        const waiting = this.models.embedder.status === 'loading' || this.models.embedder.status === 'idle';
        if (!(this.models.searchReady && waiting)) await this.models.settled;
        return this.models.searchAccess();
      },
      generator: () => this.models.generatorAccess(),
      passages: async (ids) => {
        const own = ids.filter((id) => !this.published.owns(docIdOf(id)));
        if (own.length === ids.length) {
          if (!this.db) throw new AppError('STORAGE_FAILED');
          return getChunks(this.db, ids);
        }
        const [stored, published] = await Promise.all([
          own.length && this.db ? getChunks(this.db, own) : [],
          this.published.passages(ids),
        ]);
        const byId = new Map(stored.flatMap((c) => (c ? [[c.id, c] as const] : [])));
        return ids.map((id, i) => byId.get(id) ?? published[i]);
      },
      docName: (docId) =>
        this.library.documents.find((d) => d.id === docId)?.name ?? this.published.docName(docId) ?? 'Unknown',
      libraryOf: (docId) => (this.published.owns(docId) ? this.published.name : null),
      documents: () => this.library.documents.map((d) => ({ id: d.id, name: d.name })),
      answerPrompt: () => this.prompts.take(),
      promptUsed: (use) => this.prompts.used(use),
      deep: async () => {
        const spec = this.generatorSpec;
        const access = await this.models.generatorAccess();
        // Another device or dtype judges (and paces) differently, so it is part of the judgment key and the pace's.
        const model = spec
          ? `${spec.key ?? spec.id}@${spec.revision}${access.runsOn ? ` (${access.runsOn})` : ''}`
          : '';
        return deepPorts(this.db, access, model);
      },
    };
  }

  /** The models loaded now, by registry id and revision (what a feedback record names). */
  private modelsInUse(): FeedbackModel[] {
    const slots = [
      ['embedder', this.embedderSpec, this.models.embedder],
      ['reranker', this.lateSpec, this.models.lateInteraction],
      ['generator', this.generatorSpec, this.models.generator],
    ] as const;
    return slots.flatMap(([role, spec, slot]) =>
      spec && slot.status === 'ready' ? [{ role, id: spec.id, revision: spec.revision || null }] : [],
    );
  }

  get registryUrl(): string {
    if (this.registryOverride) return this.registryOverride;
    // A published site names the registry its library was built with; the user's own choice in Settings wins.
    const site = document.querySelector('meta[name="lectern-registry"]')?.getAttribute('content');
    return site && this.settings.registryUrl === DEFAULT_REGISTRY_URL ? site : this.settings.registryUrl;
  }

  /** The registry a `?registry=` link set for this visit (overriding Settings), once allowed; null when none. */
  get registryLink(): string | null {
    return this.registryOverride;
  }

  runtime(): RuntimeConfig {
    const base = this.settings.modelBaseUrl.trim() || this.registry?.modelBaseUrl || 'https://huggingface.co/';
    return {
      modelBaseUrl: new URL(base.endsWith('/') ? base : `${base}/`, document.baseURI).href,
      wasmBaseUrl: new URL('ort/', document.baseURI).href,
    };
  }

  /**
   * Loads the registry. One from a `?registry=` link is fetched only once the user allows its host, and its model
   * files only once the user allows theirs; a refusal falls back to the registry in Settings.
   */
  private async loadRegistry(): Promise<void> {
    const link = this.registryOverride;
    if (link && !(await this.consent.allow(link, 'registry'))) this.registryOverride = null;
    try {
      this.registry = await this.offline.registry(this.registryUrl, () =>
        fetchRegistry(this.registryUrl, document.baseURI),
      );
      this.registryError = null;
      this.registrySource = this.registryUrl;
    } catch (err) {
      this.registryError = toAppError(err, 'REGISTRY_FETCH_FAILED');
      this.fail(this.registryError);
      this.registry = defaultRegistry();
      this.registrySource = DEFAULT_REGISTRY_URL;
    }
    // Settings' own model host wins over the registry's, and the user chose it: only the link's needs a yes.
    const files = this.registry.modelBaseUrl;
    // Files beside the registry the user allowed need no second yes; files on a third host do.
    const third = link !== null && originOf(files) !== originOf(link, document.baseURI);
    if (
      this.registryOverride &&
      !this.settings.modelBaseUrl.trim() &&
      third &&
      !(await this.consent.allow(files, 'model files'))
    ) {
      this.registryOverride = null;
      return this.loadRegistry();
    }
  }

  async saveSettings(next: Settings): Promise<void> {
    const reload = RELOAD_ON.some((key) => next[key] !== this.settings[key]);
    this.settings = { ...next };
    if (this.db) await setSetting(this.db, SETTINGS_KEY, $state.snapshot(this.settings));
    this.info('Settings saved.');
    // Models live in workers created at start: a clean restart is the simplest correct switch.
    if (reload) location.reload();
  }

  /** Settings a library import stored: applied; a change to those the workers hold reloads the page (see saveSettings). */
  private async reloadSettings(): Promise<void> {
    if (!this.db) return;
    const next = { ...DEFAULT_SETTINGS, ...(await getSetting<Partial<Settings>>(this.db, SETTINGS_KEY, {})) };
    const reload = RELOAD_ON.some((key) => next[key] !== this.settings[key]);
    this.settings = next;
    if (reload) location.reload();
  }

  info(text: string): void {
    this.status = text;
  }

  fail(err: AppError): void {
    if (CALM.has(err.code)) {
      // Told once per visit: the same failure from every model (and every question) is one notice, not a wall of red.
      if (!this.noticed.has(err.code)) this.notice = err;
      this.noticed.add(err.code);
      return;
    }
    // Once storage was closed under this tab, later storage failures are that one cause: keep saying what to do.
    this.error = this.closed && err.code.startsWith('STORAGE_') ? this.closed : err;
  }

  dismissError(): void {
    this.error = null;
  }

  /** Whether a failure is one of the calm kind (shown as a state or notice, not in red). */
  calm(err: AppError): boolean {
    return CALM.has(err.code);
  }

  dismissNotice(): void {
    this.notice = null;
  }
}
