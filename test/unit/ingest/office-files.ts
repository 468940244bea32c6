// Small EPUB, PPTX, ODT, XLSX and ODS files built at test time with fflate, free of vitest so e2e specs can use them too.
import { strToU8, zipSync, type Zippable } from 'fflate';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface EpubChapter {
  /** File name under OEBPS/. */
  file: string;
  /** The title the nav document gives the chapter. */
  navTitle?: string;
  /** The <body> inner XHTML. */
  body: string;
}

/** An EPUB 3 book: manifest in file-name order, spine in the given order, a nav document with the chapter titles. */
export function makeEpub(
  title: string,
  chapters: EpubChapter[],
  /** Other files under OEBPS/ (pictures), listed in the manifest by their extension's media type. */
  assets: Record<string, Uint8Array> = {},
  /** The asset that is the book's cover (EPUB 3's cover-image). */
  cover?: string,
): Uint8Array {
  const sorted = [...chapters].sort((a, b) => a.file.localeCompare(b.file));
  const id = (c: EpubChapter) => `c-${c.file.replace(/[^a-z0-9]/gi, '')}`;
  const files: Zippable = {
    mimetype: [strToU8('application/epub+zip'), { level: 0 }],
    'META-INF/container.xml': strToU8(
      '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
    ),
    'OEBPS/content.opf': strToU8(
      `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${esc(title)}</dc:title></metadata><manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>${sorted
        .map((c) => `<item id="${id(c)}" href="${esc(c.file)}" media-type="application/xhtml+xml"/>`)
        .join('')}${Object.keys(assets)
        .map(
          (f, i) =>
            `<item id="a${i}" href="${esc(f)}" media-type="image/${f.split('.').pop()}"${f === cover ? ' properties="cover-image"' : ''}/>`,
        )
        .join('')}</manifest><spine><itemref idref="nav"/>${chapters
        .map((c) => `<itemref idref="${id(c)}"/>`)
        .join('')}</spine></package>`,
    ),
    'OEBPS/nav.xhtml': strToU8(
      `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><body><nav epub:type="toc"><h1>Contents</h1><ol>${chapters
        .filter((c) => c.navTitle)
        .map((c) => `<li><a href="${esc(c.file)}#start">${esc(c.navTitle!)}</a></li>`)
        .join('')}</ol></nav></body></html>`,
    ),
  };
  for (const [f, bytes] of Object.entries(assets)) files[`OEBPS/${f}`] = bytes;
  for (const c of chapters) {
    files[`OEBPS/${c.file}`] = strToU8(
      `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>${esc(c.file)}</title></head><body>${c.body}</body></html>`,
    );
  }
  return zipSync(files);
}

export interface PptxSlide {
  title?: string;
  body?: string[];
  notes?: string;
  /** A table in a graphic frame, rows of cells. */
  table?: string[][];
  /** Pictures drawn on the slide: their file names under ppt/media/ and bytes. */
  pictures?: { name: string; bytes: Uint8Array }[];
}

const P_NS =
  'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';
const REL_NS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"';
const REL_TYPE = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const paras = (lines: string[]) =>
  lines.map((l) => `<a:p><a:r><a:rPr lang="en-US"/><a:t>${esc(l)}</a:t></a:r></a:p>`).join('');
const shape = (type: string | undefined, lines: string[]) =>
  `<p:sp><p:nvSpPr><p:cNvPr id="2" name="s"/><p:cNvSpPr/><p:nvPr>${type === undefined ? '' : type === '' ? '<p:ph idx="1"/>' : `<p:ph type="${type}"/>`}</p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/>${paras(lines)}</p:txBody></p:sp>`;

/**
 * A presentation whose slide files are numbered in list order (slide1.xml …) but shown in `order` (indexes into
 * `slides`; default list order), so a reader that sorts by file name gets it wrong.
 */
export function makePptx(slides: PptxSlide[], order = slides.map((_, i) => i)): Uint8Array {
  const files: Zippable = {
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>',
    ),
    'ppt/presentation.xml': strToU8(
      `<?xml version="1.0"?><p:presentation ${P_NS}><p:sldIdLst>${order
        .map((i, k) => `<p:sldId id="${256 + k}" r:id="rId${i + 2}"/>`)
        .join('')}</p:sldIdLst></p:presentation>`,
    ),
    'ppt/_rels/presentation.xml.rels': strToU8(
      `<?xml version="1.0"?><Relationships ${REL_NS}><Relationship Id="rId1" Type="${REL_TYPE}/slideMaster" Target="slideMasters/slideMaster1.xml"/>${slides
        .map((_, i) => `<Relationship Id="rId${i + 2}" Type="${REL_TYPE}/slide" Target="slides/slide${i + 1}.xml"/>`)
        .join('')}</Relationships>`,
    ),
  };
  slides.forEach((s, i) => {
    const n = i + 1;
    const table = s.table
      ? `<p:graphicFrame><a:graphic><a:graphicData><a:tbl>${s.table
          .map((row) => `<a:tr>${row.map((c) => `<a:tc><a:txBody>${paras([c])}</a:txBody></a:tc>`).join('')}</a:tr>`)
          .join('')}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>`
      : '';
    const pictures = s.pictures ?? [];
    const pics = pictures
      .map(
        (_, k) =>
          `<p:pic><p:nvPicPr><p:cNvPr id="${10 + k}" name="Picture ${k + 1}"/><p:cNvPicPr/><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed="rIdP${k}"/></p:blipFill><p:spPr/></p:pic>`,
      )
      .join('');
    for (const p of pictures) files[`ppt/media/${p.name}`] = p.bytes;
    files[`ppt/slides/slide${n}.xml`] = strToU8(
      `<?xml version="1.0"?><p:sld ${P_NS}><p:cSld><p:spTree>${s.title === undefined ? '' : shape(n === 1 ? 'ctrTitle' : 'title', [s.title])}${s.body ? shape('', s.body) : ''}${table}${pics}${shape('sldNum', [String(n)])}</p:spTree></p:cSld></p:sld>`,
    );
    files[`ppt/slides/_rels/slide${n}.xml.rels`] = strToU8(
      `<?xml version="1.0"?><Relationships ${REL_NS}><Relationship Id="rId1" Type="${REL_TYPE}/slideLayout" Target="../slideLayouts/slideLayout1.xml"/>${s.notes ? `<Relationship Id="rId2" Type="${REL_TYPE}/notesSlide" Target="../notesSlides/notesSlide${n}.xml"/>` : ''}${pictures
        .map((p, k) => `<Relationship Id="rIdP${k}" Type="${REL_TYPE}/image" Target="../media/${esc(p.name)}"/>`)
        .join('')}</Relationships>`,
    );
    if (s.notes) {
      files[`ppt/notesSlides/notesSlide${n}.xml`] = strToU8(
        `<?xml version="1.0"?><p:notes ${P_NS}><p:cSld><p:spTree>${shape('sldImg', [])}${shape('body', [s.notes])}${shape('sldNum', [String(n)])}</p:spTree></p:cSld></p:notes>`,
      );
    }
  });
  return zipSync(files);
}

/** An ODT whose office:text holds `body` (ODF text elements, namespace prefixes text: and table:). */
export function makeOdt(body: string, title?: string): Uint8Array {
  const ns =
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"';
  const files: Zippable = {
    mimetype: [strToU8('application/vnd.oasis.opendocument.text'), { level: 0 }],
    'META-INF/manifest.xml': strToU8(
      '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/></manifest:manifest>',
    ),
    'content.xml': strToU8(
      `<?xml version="1.0"?><office:document-content ${ns}><office:body><office:text>${body}</office:text></office:body></office:document-content>`,
    ),
  };
  if (title !== undefined) {
    files['meta.xml'] = strToU8(
      `<?xml version="1.0"?><office:document-meta ${ns}><office:meta><dc:title>${esc(title)}</dc:title></office:meta></office:document-meta>`,
    );
  }
  return zipSync(files);
}

/** An XLSX cell: a string (shared), a number, a boolean, or a raw cell with its attributes and inner XML. */
export type XlsxCell = string | number | boolean | null | { xml: string };

export interface XlsxSheet {
  name: string;
  /** Rows from row 1 down; null cells are left out (a gap). */
  rows: XlsxCell[][];
  state?: 'hidden' | 'veryHidden';
}

const colName = (i: number): string =>
  (i < 26 ? '' : colName(Math.floor(i / 26) - 1)) + String.fromCharCode(65 + (i % 26));

/**
 * A workbook whose sheet files are numbered in reverse of the workbook's order (so a reader that sorts by file name
 * gets it wrong). Strings go to sharedStrings.xml; styles.xml has style 1 = built-in date (14), 2 = custom
 * "dd/mm/yyyy hh:mm", 3 = custom '0.0 "days"' (not a date).
 */
export function makeXlsx(sheets: XlsxSheet[], opts: { title?: string; date1904?: boolean } = {}): Uint8Array {
  const strings: string[] = [];
  const sst = (s: string) => {
    const at = strings.indexOf(s);
    return at >= 0 ? at : strings.push(s) - 1;
  };
  const NS =
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
  const file = (i: number) => `sheet${sheets.length - i}.xml`;
  const files: Zippable = {
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
    ),
    'xl/workbook.xml': strToU8(
      `<?xml version="1.0"?><workbook ${NS}><workbookPr${opts.date1904 ? ' date1904="1"' : ''}/><sheets>${sheets
        .map(
          (s, i) =>
            `<sheet name="${esc(s.name)}" sheetId="${i + 1}"${s.state ? ` state="${s.state}"` : ''} r:id="rId${i + 1}"/>`,
        )
        .join('')}</sheets></workbook>`,
    ),
    'xl/_rels/workbook.xml.rels': strToU8(
      `<?xml version="1.0"?><Relationships ${REL_NS}>${sheets
        .map((_, i) => `<Relationship Id="rId${i + 1}" Type="${REL_TYPE}/worksheet" Target="worksheets/${file(i)}"/>`)
        .join(
          '',
        )}<Relationship Id="rS" Type="${REL_TYPE}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rY" Type="${REL_TYPE}/styles" Target="/xl/styles.xml"/></Relationships>`,
    ),
    'xl/styles.xml': strToU8(
      `<?xml version="1.0"?><styleSheet ${NS}><numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy\\ hh:mm"/><numFmt numFmtId="165" formatCode="0.0&quot; days&quot;"/></numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165" applyNumberFormat="1"/></cellXfs></styleSheet>`,
    ),
  };
  sheets.forEach((s, i) => {
    const rows = s.rows
      .map((row, r) => {
        const cells = row
          .map((c, k) => {
            const ref = `${colName(k)}${r + 1}`;
            if (c === null) return '';
            if (typeof c === 'string') return `<c r="${ref}" t="s"><v>${sst(c)}</v></c>`;
            if (typeof c === 'number') return `<c r="${ref}"><v>${c}</v></c>`;
            if (typeof c === 'boolean') return `<c r="${ref}" t="b"><v>${c ? 1 : 0}</v></c>`;
            return c.xml.replace('REF', ref);
          })
          .join('');
        return `<row r="${r + 1}">${cells}</row>`;
      })
      .join('');
    files[`xl/worksheets/${file(i)}`] = strToU8(
      `<?xml version="1.0"?><worksheet ${NS}><sheetData>${rows}</sheetData></worksheet>`,
    );
  });
  files['xl/sharedStrings.xml'] = strToU8(
    `<?xml version="1.0"?><sst ${NS} count="${strings.length}">${strings.map((s) => `<si><t xml:space="preserve">${esc(s)}</t></si>`).join('')}</sst>`,
  );
  if (opts.title !== undefined) {
    files['docProps/core.xml'] = strToU8(
      `<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${esc(opts.title)}</dc:title></cp:coreProperties>`,
    );
  }
  return zipSync(files);
}

/** An ODS whose office:spreadsheet holds `body` (table:table elements; prefixes table:, text:, office:). */
export function makeOds(body: string, title?: string): Uint8Array {
  const ns =
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"';
  const files: Zippable = {
    mimetype: [strToU8('application/vnd.oasis.opendocument.spreadsheet'), { level: 0 }],
    'META-INF/manifest.xml': strToU8(
      '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>',
    ),
    'content.xml': strToU8(
      `<?xml version="1.0"?><office:document-content ${ns}><office:body><office:spreadsheet>${body}</office:spreadsheet></office:body></office:document-content>`,
    ),
  };
  if (title !== undefined) {
    files['meta.xml'] = strToU8(
      `<?xml version="1.0"?><office:document-meta ${ns}><office:meta><dc:title>${esc(title)}</dc:title></office:meta></office:document-meta>`,
    );
  }
  return zipSync(files);
}

/** An ODS table: rows of plain string cells (null for an empty cell). */
export function odsTable(name: string, rows: (string | null)[][]): string {
  return `<table:table table:name="${esc(name)}">${rows
    .map(
      (row) =>
        `<table:table-row>${row
          .map((c) =>
            c === null
              ? '<table:table-cell/>'
              : `<table:table-cell office:value-type="string"><text:p>${esc(c)}</text:p></table:table-cell>`,
          )
          .join('')}</table:table-row>`,
    )
    .join('')}</table:table>`;
}

const DOCX_NS = [
  'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"',
  'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"',
  'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"',
  'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"',
  'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"',
].join(' ');

/** A Word paragraph of text, in a style (Heading1 …) when given. */
export const docxPara = (text: string, style?: string): string =>
  `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''}<w:r><w:t>${esc(text)}</w:t></w:r></w:p>`;

/** A paragraph holding picture `index` of makeDocx's `media` (0-based), drawn inline. */
export const docxPicture = (index: number): string =>
  `<w:p><w:r><w:drawing><wp:inline><wp:extent cx="3000000" cy="1500000"/><wp:docPr id="${index + 1}" name="Picture ${index + 1}"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="${index + 1}" name="p"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="rIdM${index}"/></pic:blipFill><pic:spPr/></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`;

/** A Word document of `body` (WordprocessingML paragraphs) with pictures under word/media/ (PNG or JPEG by name). */
export function makeDocx(body: string, media: { name: string; bytes: Uint8Array }[] = []): Uint8Array {
  const files: Zippable = {
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Default Extension="jpeg" ContentType="image/jpeg"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ),
    '_rels/.rels': strToU8(
      `<?xml version="1.0"?><Relationships ${REL_NS}><Relationship Id="rId1" Type="${REL_TYPE}/officeDocument" Target="word/document.xml"/></Relationships>`,
    ),
    'word/document.xml': strToU8(`<?xml version="1.0"?><w:document ${DOCX_NS}><w:body>${body}</w:body></w:document>`),
    'word/_rels/document.xml.rels': strToU8(
      `<?xml version="1.0"?><Relationships ${REL_NS}>${media
        .map((m, k) => `<Relationship Id="rIdM${k}" Type="${REL_TYPE}/image" Target="media/${esc(m.name)}"/>`)
        .join('')}</Relationships>`,
    ),
  };
  for (const m of media) files[`word/media/${m.name}`] = m.bytes;
  return zipSync(files);
}

/**
 * A stand-in picture: a PNG header of `width` × `height` (what a reader learns of its size) and `TEXT:<text>` for a fake
 * recogniser to read, padded to `bytes`. Not a decodable image.
 */
export function markedPicture(
  text: string,
  opts: { width?: number; height?: number; bytes?: number } = {},
): Uint8Array {
  const out = new Uint8Array(opts.bytes ?? 4096);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(out.buffer);
  view.setUint32(16, opts.width ?? 800);
  view.setUint32(20, opts.height ?? 400);
  out.set(strToU8(`TEXT:${text}\0`), 40);
  return out;
}

/** The text a markedPicture carries. */
export const markedText = async (image: Blob): Promise<string> =>
  /TEXT:([^\0]*)/.exec(new TextDecoder('latin1').decode(await image.arrayBuffer()))?.[1] ?? '';
