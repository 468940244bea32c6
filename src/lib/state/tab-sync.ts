// Tab sync: a BroadcastChannel tells the other tabs on this database which documents changed; theirs apply here.
import { toAppError, type AppError } from '../errors';
import { getDocument, listDocumentIds, type LecternDatabase } from '../persistence';
import type { DocumentSummary } from '../pipelines/ingest';
import {
  applyChange,
  channelName,
  diffLibrary,
  isEmpty,
  message,
  readMessage,
  type LibraryChange,
  type SyncPorts,
} from '../pipelines/library-sync';

export interface TabSyncContext {
  db(): LecternDatabase | null;
  library: { documents: DocumentSummary[]; ready(): Promise<void> };
  models: { syncIndex(change: LibraryChange): Promise<DocumentSummary[] | null> };
  chat: { forgetDocument(docId: string): Promise<void> };
  fail(err: AppError): void;
}

/**
 * The channel lives here, on the main thread, and nowhere else: this is the one place that sees every outcome of this
 * tab (imports, replacements, deletes) and holds all three things another tab's change must reach (the document
 * list, the conversation, the search worker). One channel object per tab also means no other object of this tab hears
 * its messages; the tab id guards that anyway. Messages are a few ids: the search worker reads the rows itself.
 */
export class TabSync {
  /** This tab's id on the channel: its own messages are ignored. */
  private readonly tab = crypto.randomUUID();
  private channel: BroadcastChannel | null = null;
  /** Changes apply one at a time, in the order they came. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: TabSyncContext) {}

  /** Joins the database's channel; checks the list against storage whenever the tab comes back (missed messages). */
  open(dbName: string): void {
    if (typeof BroadcastChannel === 'undefined') return;
    this.channel = new BroadcastChannel(channelName(dbName));
    this.channel.onmessage = (e: MessageEvent) => {
      const change = readMessage(e.data, this.tab);
      if (change) this.enqueue(() => this.apply(change));
    };
    // A hidden tab may have been frozen or discarded and a frozen one hears nothing: compare ids when it is back.
    document.addEventListener('visibilitychange', () => void (document.visibilityState === 'visible' && this.check()));
    document.addEventListener('resume', () => this.check());
  }

  /** Tells the other tabs what this tab changed (ids only). */
  announce(change: LibraryChange): void {
    if (!isEmpty(change)) this.channel?.postMessage(message(this.tab, change));
  }

  /** Cheap consistency check: the stored document ids (keys only) against the listed ones; applies any difference. */
  check(): void {
    this.enqueue(async () => {
      const db = this.ctx.db();
      if (!db || !(await this.libraryOpen())) return;
      const listed = this.ctx.library.documents.map((d) => d.id);
      await this.apply(diffLibrary(listed, await listDocumentIds(db)));
    });
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch((err: unknown) => this.ctx.fail(toAppError(err, 'TAB_SYNC_FAILED')));
  }

  private async libraryOpen(): Promise<boolean> {
    return this.ctx.library.ready().then(
      () => true,
      () => false, // The library could not open: that was said already.
    );
  }

  private async apply(change: LibraryChange): Promise<void> {
    if (!(await this.libraryOpen())) return;
    const { library, models, chat } = this.ctx;
    const ports: SyncPorts = {
      index: async (c) => (await models.syncIndex(c)) ?? this.summaries(c.added),
      documents: () => library.documents,
      setDocuments: (docs) => (library.documents = docs),
      forget: (docId) => void chat.forgetDocument(docId),
    };
    await applyChange(change, ports);
  }

  /** Only when search could not open: the summaries read here, on the main thread. */
  private async summaries(ids: string[]): Promise<DocumentSummary[]> {
    const db = this.ctx.db();
    if (!db) return [];
    const docs = await Promise.all(ids.map((id) => getDocument(db, id)));
    return docs.flatMap((d) => (d ? [(({ text: _text, ...summary }) => summary)(d)] : []));
  }
}
