// The published library beside the private one: opening it (read-only), its vectors' progress, names of its documents.
import { toAppError, type AppError } from '../errors';
import type { PassageRow, PublishedOpened } from '../retrieval/search-types';
import { docIdOf } from '../pipelines/records';

export interface PublishedPorts {
  open(url: string): Promise<PublishedOpened>;
  loadIndex(onProgress: (p: { done: number; total: number }) => void): Promise<{ passages: number }>;
  passages(ids: string[]): Promise<(PassageRow | undefined)[]>;
}

export class PublishedState {
  /** The address asked for (`?library=` or the site's default); null when none. */
  url = $state<string | null>(null);
  /** The library once its manifest is read. */
  library = $state<PublishedOpened | null>(null);
  opening = $state(false);
  /** Its index arriving in the background (files read of all: keyword buckets, then vectors); null when not loading. */
  indexProgress = $state<{ done: number; total: number } | null>(null);
  indexReady = $state(false);
  error = $state<AppError | null>(null);
  private names = new Map<string, string>();
  /** The manifest being read, if it is: a question asked meanwhile waits for it. */
  private reading: Promise<unknown> | null = null;

  constructor(private readonly ports: PublishedPorts) {}

  /** Opens the library at `url` (absolute); its vectors then load in the background, keyword search first. */
  async open(url: string): Promise<void> {
    this.url = url;
    this.opening = true;
    this.error = null;
    try {
      const reading = this.ports.open(url);
      this.reading = reading;
      const library = await reading;
      this.names = new Map(library.documents.map((d) => [d.id, d.name]));
      this.library = library;
    } catch (err) {
      this.error = toAppError(err);
      return;
    } finally {
      this.opening = false;
      this.reading = null;
    }
    this.indexProgress = { done: 0, total: 1 };
    try {
      await this.ports.loadIndex((p) => (this.indexProgress = p));
      this.indexReady = true;
    } catch (err) {
      // Keyword search over it goes on; what failed is said beside it.
      this.error = toAppError(err);
    } finally {
      this.indexProgress = null;
    }
  }

  /** Resolves once the manifest being read (if any) is in or has failed, or after `maxMs` (a stuck host). */
  async settled(maxMs: number): Promise<void> {
    if (!this.reading) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.reading.catch(() => {}),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, maxMs))),
    ]).finally(() => clearTimeout(timer));
  }

  /** Whether a document id is one of the published library's. */
  owns(docId: string): boolean {
    return this.names.has(docId);
  }

  docName(docId: string): string | undefined {
    return this.names.get(docId);
  }

  /** The passages behind `ids` that are published (undefined for the others). */
  async passages(ids: string[]): Promise<(PassageRow | undefined)[]> {
    const mine = ids.filter((id) => this.owns(docIdOf(id)));
    if (!mine.length) return ids.map(() => undefined);
    const rows = new Map((await this.ports.passages(mine)).flatMap((r) => (r ? [[r.id, r] as const] : [])));
    return ids.map((id) => rows.get(id));
  }

  get name(): string | null {
    return this.library?.name ?? null;
  }
}
