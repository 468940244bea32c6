// Types for pdf.js's legacy worker module, which ships without declarations; the ingest bench registers it in-thread.
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
