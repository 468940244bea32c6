// The first run: the sample library (offered while nothing else is there, kept open across reloads until closed), and adding files dropped anywhere or text pasted as a note.
import { noteFile, SAMPLE_MANIFEST, sampleAvailable } from './first-run';

export interface FirstRunPorts {
  /** Whether the private library is listed and empty (false until it is listed). */
  libraryEmpty(): boolean;
  /** The names of the private library's documents (a note's name must not replace one). */
  documentNames(): string[];
  /** Whether the app has started its models: a published library opened before then would not know them. */
  started(): boolean;
  /** Whether a published library is open or opening (the site's own, a `?library=` link, or the sample). */
  publishedOpen(): boolean;
  /** Opens a published library beside the private one (absolute URL). */
  openPublished(url: string): Promise<void>;
  /** The saved choice: whether the sample stays open across reloads. */
  loadChoice(): Promise<boolean>;
  saveChoice(open: boolean): Promise<void>;
  /** Whether an import or an answer is running (closing the sample restarts the page). */
  busy(): boolean;
  /** Whether files may be added now (not while a library export or import runs). */
  canAdd(): boolean;
  add(files: File[]): void;
  /** A fresh start without the sample (its index lives in the search worker, which a reload clears). */
  reload(): void;
  info(text: string): void;
}

export class FirstRunState {
  /** Whether this build ships the sample (null: not known yet). */
  sample = $state<boolean | null>(null);
  /** Whether the sample is the published library open now (the user chose it, here or before a reload). */
  sampleOpen = $state(false);
  /** The first-run panel: the library is empty and no published library is open. */
  visible = $derived.by(() => this.ports.libraryEmpty() && !this.ports.publishedOpen());
  private checked: Promise<boolean> | null = null;

  constructor(private readonly ports: FirstRunPorts) {}

  /** The sample's manifest, absolute. */
  get sampleUrl(): string {
    return new URL(SAMPLE_MANIFEST, document.baseURI).href;
  }

  /** Looks once whether the sample is there. */
  available(): Promise<boolean> {
    this.checked ??= sampleAvailable(this.sampleUrl).then((ok) => (this.sample = ok));
    return this.checked;
  }

  /** At start, when no other published library is asked for: the sample's URL if the user left it open, else null. */
  async restore(): Promise<string | null> {
    // Not checked again: offline, or in a build without it, opening it says why, and it can be closed.
    if (!(await this.ports.loadChoice().catch(() => false))) return null;
    this.sampleOpen = true;
    return this.sampleUrl;
  }

  /** "Try it on a sample library": opens it beside the private library and remembers the choice. */
  async trySample(): Promise<void> {
    if (!this.ports.started() || this.ports.publishedOpen() || !(await this.available())) return;
    this.sampleOpen = true;
    await this.ports.saveChoice(true).catch(() => {});
    await this.ports.openPublished(this.sampleUrl);
  }

  /** Closes the sample: forgotten for the next start, which follows at once. */
  async closeSample(): Promise<void> {
    // The start that follows would cut an import or an answer short.
    if (this.ports.busy()) {
      this.ports.info('The sample library can be closed once the import or the answer has finished.');
      return;
    }
    await this.ports.saveChoice(false).catch(() => {});
    this.ports.reload();
  }

  /** Files dropped anywhere on the window: the library's ordinary import (refused while an export or import runs). */
  addFiles(files: File[]): boolean {
    if (!files.length) return false;
    if (!this.ports.canAdd()) {
      this.ports.info('Files can be added once the library export or import has finished.');
      return false;
    }
    this.ports.add(files);
    return true;
  }

  /** Text pasted (or written in the note dialog) becomes a "Note <date> <time>.txt" document; false when blank. */
  addNote(text: string, at = new Date()): boolean {
    const file = noteFile(text, at, new Set(this.ports.documentNames()));
    return file ? this.addFiles([file]) : false;
  }
}
