// Public surface of ingestion: parse any supported file, cut it into chunks, and build the text to embed.
// Heavy dependencies (pdf.js, mammoth) load on demand inside the parsers, so importing this stays cheap.
export { parseFile, detectKind, DEFAULT_MAX_BYTES, type ParseOptions } from './parse-file';
export { chunkDocument, contextualText } from './chunker';
export { parseText, decodeText } from './text';
export { parseMarkdown } from './markdown';
export { parseHtml } from './html';
export { parsePdf, loadPdfjsInWorker, type PdfOptions, type PdfjsLoader, type PdfjsModule } from './pdf';
export { parseDocx, type DocxOptions } from './docx';
export { parseEpub } from './epub';
export { parsePptx } from './pptx';
export { parseOdt } from './odt';
export { parseRtf } from './rtf';
export type { ZipFormatOptions } from './archive';
export { INGEST_KINDS } from './types';
export type { Block, BlockKind, ChunkDraft, ChunkOptions, DocumentKind, ParsedDocument } from './types';
