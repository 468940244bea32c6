// Types for the pdf.js worker module, which ships without declarations; we only hand it back to pdf.js.
declare module 'pdfjs-dist/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
