// Synthetic PDF corpus for the scale bench: N small, varied PDFs (fonts, layouts, sizes), deterministic per seed, made lazily in batches.
import { prng } from '../e2e/fuzz-mutations';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { degrees, PDFDocument, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';

/** The fixtures whose pages (and so their embedded fonts and layouts) some documents carry; never password.pdf. */
export const FIXTURE_PDFS = ['alphatrans.pdf', 'single_table.pdf', 'tracemonkey.pdf'] as const;
const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/docs/ingest/', import.meta.url));

/** A fixed date (2024-01-01 UTC) for every document's metadata: the bytes must not depend on when they were made. */
const EPOCH = Date.UTC(2024, 0, 1);

const mix = (seed: number, i: number) =>
  (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i + 1, 0xc2b2ae35)) >>> 0;

const SYLLABLES =
  'ka lor ven mir tas bel quo dra fen gul hix jor nap osk pry rud sel tov ulm vax wen yar zel cri'.split(' ');
/**
 * Two word lists whose pairs name each document's object (99 × 120 = 11,880 pairs, each used once). Every word is one
 * token of the stand-in models' WordPiece vocabulary and none occurs in the filler text, so the pair in a question
 * tells its document from all others for BM25, the embedder and the late-interaction reranker alike; the nonsense
 * codename does so for BM25 only (WordPiece splits it into syllables other codenames share).
 */
const COLOURS = (
  'amber azure bronze cobalt copper coral crimson ebony emerald golden granite indigo ivory jade lavender lemon ' +
  'linen maroon marble navy olive orange pearl pink plum purple rose ruby rust sapphire scarlet silver slate tan ' +
  'turquoise velvet violet walnut wheat cedar charcoal chestnut cinnamon clay cream denim ginger hazel honey iron ' +
  'lime mahogany mint moss mustard oak pine quartz sand silk smoky steel stone timber tin vanilla wine bamboo birch ' +
  'brass canvas chalk cherry chrome cotton crystal dusk glass gold ink lead leather maple mist nickel paper platinum ' +
  'rain shadow snow spruce straw tar thunder twilight wax willow wool zinc'
).split(' ');
const CREATURES = (
  'badger beaver bison buffalo camel cobra condor coyote crow deer dolphin donkey dove eagle eel elk falcon finch ' +
  'fox goose gorilla hare hawk heron horse hornet jaguar kangaroo leopard lion lizard lobster lynx mammoth mole ' +
  'moose moth mouse mule newt octopus otter owl ox panda panther parrot penguin pigeon rabbit raven rhino robin ' +
  'seal shark sheep snail sparrow spider squid squirrel swan tiger toad trout turkey turtle viper vulture wasp ' +
  'weasel whale wolf wren zebra beetle bear bull cat cod crab cricket duck frog goat lamb pony rat ram ant bee bat ' +
  'boar hound lark pike carp hen cow pig dog kitten puppy oyster shrimp doe colt mare calf cub mosquito butterfly ' +
  'dragon unicorn griffin phoenix serpent scorpion tuna herring'
).split(' ');
/** The most documents a corpus can have: one colour–creature pair each. */
export const MAX_DOCUMENTS = COLOURS.length * CREATURES.length;

const ARTIFACTS = (
  'astrolabe ledger sextant chronometer tapestry manuscript compass lantern barometer telescope reliquary ' +
  'harpsichord globe inkwell hourglass theodolite'
).split(' ');
const CITIES = (
  'Lisbon Tromso Valparaiso Mombasa Tallinn Hobart Cusco Bergen Zanzibar Trieste Quebec Nagasaki Galway Odessa ' +
  'Cartagena Reykjavik Marseille Halifax Dubrovnik Tangier'
).split(' ');
const PEOPLE = (
  'Ines Okafor|Piet Lindqvist|Amara Sato|Tomasz Reyes|Hana Moreau|Elif Brandt|Kofi Larsen|Mei Castillo|' +
  'Rafael Novak|Saoirse Iqbal|Yusuf Tanaka|Greta Oduya'
).split('|');
const MONTHS = 'January February March April May June July August September October November December'.split(' ');
const TOPICS = (
  'harbour logistics|glacier survey|orchard irrigation|railway signalling|textile dyeing|bridge inspection|' +
  'beekeeping cooperative|lighthouse maintenance|vineyard soils|ferry timetables|museum conservation|' +
  'municipal budget|quarry safety|wetland birds|bakery supply|observatory upkeep'
).split('|');
const NOUNS = (
  'survey report budget schedule inspection harvest shipment archive committee proposal estimate sample ' +
  'record measure network boundary culvert reservoir warehouse workshop gauge valve beam kiln loom press ' +
  'ledger invoice permit contract tariff meadow channel quay dock pier current ridge basin delta estuary ' +
  'furnace turbine pylon signal lever crane winch hull mast keel rudder anchor tide storm frost drought'
).split(' ');
const ADJECTIVES = (
  'northern quarterly revised provisional seasonal coastal municipal regional annual detailed preliminary ' +
  'damaged restored narrow wide shallow deep rusted polished faded bright humid arid steep gentle'
).split(' ');
const VERBS = (
  'reviewed measured delayed approved replaced inspected recorded estimated repaired extended reduced ' +
  'documented surveyed monitored adjusted transferred archived compared tested calibrated'
).split(' ');
const PLACES = (
  'near the old mill|along the eastern quay|beside the pumping station|under the north bridge|at the depot|' +
  'behind the customs house|on the upper terrace|across the river|inside the main hall|past the second lock'
).split('|');

type FontKey = `${StandardFonts}`;
const FAMILIES: { body: FontKey; bold: FontKey; italic: FontKey; boldItalic: FontKey }[] = [
  { body: 'Helvetica', bold: 'Helvetica-Bold', italic: 'Helvetica-Oblique', boldItalic: 'Helvetica-BoldOblique' },
  { body: 'Times-Roman', bold: 'Times-Bold', italic: 'Times-Italic', boldItalic: 'Times-BoldItalic' },
  { body: 'Courier', bold: 'Courier-Bold', italic: 'Courier-Oblique', boldItalic: 'Courier-BoldOblique' },
];
const PAGE_SIZES: [string, number, number][] = [
  ['A4', 595.28, 841.89],
  ['Letter', 612, 792],
  ['Legal', 612, 1008],
  ['A5', 419.53, 595.28],
];

/** What a generated document holds that a test can check without parsing it: its name and its one unique fact. */
export interface CorpusSpec {
  index: number;
  name: string;
  /** A word no other document of the corpus contains (nonsense syllables). */
  codename: string;
  /** The colour–creature pair that names this document's object: no other document holds both words. */
  marker: string;
  /** The sentence only this document holds. */
  fact: string;
  /** A question whose keywords point at that sentence. */
  question: string;
  /** Pages of generated text (a copied fixture page comes on top). */
  pages: number;
  pageSize: string;
  columns: 1 | 2;
  family: FontKey;
  /** The fixture a page was copied from (with its own fonts), if any. */
  fixture: (typeof FIXTURE_PDFS)[number] | null;
  /** A page turned 90°, if any (1-based; never the page holding the fact). */
  rotatedPage: number | null;
  objectStreams: boolean;
}

/** A document's generated PDF, with its spec. */
export interface CorpusFile extends CorpusSpec {
  bytes: Uint8Array;
}

/**
 * A bijection from 0..count-1 onto codenames of `n` syllables (24^3 = 13,824 ≥ 10,000; more documents take four):
 * the index is scrambled by a multiplier coprime with the space, so neighbours do not share syllables.
 */
function codename(seed: number, index: number, count: number): string {
  const digits = count <= 24 ** 3 ? 3 : count <= 24 ** 4 ? 4 : 5;
  const space = 24 ** digits;
  // Odd and not a multiple of 3: coprime with 24^k.
  const mult = (((seed % 1000) * 6 + 7919) | 1) % space || 1;
  let n = (index * mult + seed) % space;
  let out = '';
  for (let d = 0; d < digits; d++) {
    out += SYLLABLES[n % 24];
    n = Math.floor(n / 24);
  }
  return out.charAt(0).toUpperCase() + out.slice(1);
}

/** A bijection from 0..MAX_DOCUMENTS-1 onto colour–creature pairs (7919 is prime, so coprime with their count). */
function marker(seed: number, index: number): string {
  const n = (index * 7919 + seed) % MAX_DOCUMENTS;
  return `${COLOURS[n % COLOURS.length]} ${CREATURES[Math.floor(n / COLOURS.length)]}`;
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

/** The spec of document `index` of a corpus of `count` documents: cheap, no PDF is made. */
export function corpusSpec(seed: number, index: number, count: number): CorpusSpec {
  if (count > MAX_DOCUMENTS) throw new RangeError(`at most ${MAX_DOCUMENTS} documents, not ${count}`);
  const named = marker(seed, index);
  const r = prng(mix(seed, index));
  const code = codename(seed, index, count);
  const artifact = pick(r, ARTIFACTS);
  const city = pick(r, CITIES);
  const person = pick(r, PEOPLE);
  const day = 1 + Math.floor(r() * 28);
  const year = 1850 + Math.floor(r() * 170);
  const fact =
    `The ${named} ${artifact} (inventory name ${code}) was catalogued in ${city} on ${day} ${pick(r, MONTHS)} ` +
    `${year} by ${person}.`;
  const question = `Who catalogued the ${named} ${artifact}, and when?`;
  // Mostly short documents, a few long ones: 1–12 pages.
  const pages = 1 + Math.floor(r() ** 2 * 12);
  const topic = pick(r, TOPICS);
  const num = String(index).padStart(5, '0');
  const titleTopic = topic.replace(/\b\w/g, (c) => c.toUpperCase());
  const names = [
    `${titleTopic} report ${num}.pdf`,
    `${code.toLowerCase()}_${topic.replace(/ /g, '_')}_${num}.pdf`,
    `Minutes ${num} - ${titleTopic}.pdf`,
    `${year} ${titleTopic} (${num}).pdf`,
  ];
  const fixtureRoll = r();
  const fixture =
    fixtureRoll < 0.06
      ? 'alphatrans.pdf'
      : fixtureRoll < 0.1
        ? 'single_table.pdf'
        : fixtureRoll < 0.11
          ? 'tracemonkey.pdf'
          : null;
  const rotatedRoll = r();
  return {
    index,
    name: pick(r, names),
    codename: code,
    marker: named,
    fact,
    question,
    pages,
    pageSize: pick(r, PAGE_SIZES)[0],
    columns: r() < 0.35 ? 2 : 1,
    family: pick(r, FAMILIES).body,
    fixture,
    rotatedPage: pages >= 2 && rotatedRoll < 0.05 ? pages : null,
    objectStreams: r() < 0.5,
  };
}

let fixtureDocs: Promise<Map<string, PDFDocument>> | null = null;

/** The fixture PDFs, loaded once per process. */
function fixtures(): Promise<Map<string, PDFDocument>> {
  fixtureDocs ??= Promise.all(
    FIXTURE_PDFS.map(async (name) => [name, await PDFDocument.load(readFileSync(join(FIXTURE_DIR, name)))] as const),
  ).then((pairs) => new Map(pairs));
  return fixtureDocs;
}

interface Fonts {
  body: PDFFont;
  bold: PDFFont;
  italic: PDFFont;
  boldItalic: PDFFont;
  mono: PDFFont;
  symbol: PDFFont;
  dingbats: PDFFont;
}

type Block =
  | { kind: 'heading'; text: string; size: number }
  | { kind: 'paragraph'; text: string; italic: boolean }
  | { kind: 'list'; items: string[]; numbered: boolean; dingbats: boolean }
  | { kind: 'table'; rows: string[][] }
  | { kind: 'formula' };

/** Lays text blocks out page by page, in one or two columns, wrapping words by the fonts' metrics. */
class Layout {
  page!: PDFPage;
  pageNo = 0;
  private column = 0;
  private y = 0;
  /** Where the columns of this page start (below a title that spans them). */
  private top = 0;
  private readonly margin = 54;
  private readonly widthCache = new Map<string, number>();

  constructor(
    private readonly doc: PDFDocument,
    private readonly fonts: Fonts,
    private readonly size: [number, number],
    private readonly columns: 1 | 2,
    private readonly bodySize: number,
    private readonly header: string,
  ) {}

  get columnWidth(): number {
    const gap = 24;
    return (this.size[0] - 2 * this.margin - (this.columns - 1) * gap) / this.columns;
  }

  private get x(): number {
    return this.margin + this.column * (this.columnWidth + 24);
  }

  /** How far down the current page the text has come, 0..1. */
  get filled(): number {
    const top = this.size[1] - this.margin - 20;
    const fraction = (top - this.y) / (top - this.margin);
    return (this.column + fraction) / this.columns;
  }

  newPage(): void {
    this.page = this.doc.addPage(this.size);
    this.pageNo++;
    this.column = 0;
    this.y = this.top = this.size[1] - this.margin - 20;
    // A running header and a page number: the parser should drop both.
    this.page.drawText(this.header, { x: this.margin, y: this.size[1] - 36, size: 8, font: this.fonts.italic });
    this.page.drawText(String(this.pageNo), { x: this.size[0] / 2, y: 30, size: 8, font: this.fonts.body });
  }

  /** Makes room for `height` points: the next column, or the next page. */
  private room(height: number): void {
    if (this.y - height >= this.margin) return;
    if (this.column + 1 < this.columns) {
      this.column++;
      this.y = this.top;
    } else this.newPage();
  }

  private width(font: PDFFont, size: number, word: string): number {
    const key = `${font.name}|${size}|${word}`;
    let w = this.widthCache.get(key);
    if (w === undefined) this.widthCache.set(key, (w = font.widthOfTextAtSize(word, size)));
    return w;
  }

  private wrap(text: string, font: PDFFont, size: number, width: number): string[] {
    const space = this.width(font, size, ' ');
    const lines: string[] = [];
    let line = '';
    let used = 0;
    for (const word of text.split(' ')) {
      const w = this.width(font, size, word);
      if (line && used + space + w > width) {
        lines.push(line);
        line = word;
        used = w;
      } else {
        line = line ? `${line} ${word}` : word;
        used = line === word ? w : used + space + w;
      }
    }
    if (line) lines.push(line);
    return lines;
  }

  private lines(text: string, font: PDFFont, size: number, indent = 0, gapAfter = size * 0.6): void {
    const lead = size * 1.3;
    for (const line of this.wrap(text, font, size, this.columnWidth - indent)) {
      this.room(lead);
      this.y -= lead;
      this.page.drawText(line, { x: this.x + indent, y: this.y, size, font });
    }
    this.y -= gapAfter;
  }

  /** A title across the whole width of the page, above its columns. */
  title(text: string, size: number): void {
    const width = this.size[0] - 2 * this.margin;
    for (const line of this.wrap(text, this.fonts.bold, size, width)) {
      this.y -= size * 1.25;
      this.page.drawText(line, { x: this.margin, y: this.y, size, font: this.fonts.bold });
    }
    this.y = this.top = this.y - size * 0.8;
  }

  place(block: Block): void {
    const f = this.fonts;
    const size = this.bodySize;
    switch (block.kind) {
      case 'heading':
        // Keep a heading with its first lines.
        this.room(block.size * 1.5 + size * 4);
        this.y -= block.size * 0.4;
        this.lines(block.text, block.size > 14 ? f.bold : f.boldItalic, block.size, 0, block.size * 0.3);
        return;
      case 'paragraph':
        this.lines(block.text, block.italic ? f.italic : f.body, size);
        return;
      case 'list':
        block.items.forEach((item, i) => {
          const lead = size * 1.3;
          this.room(lead);
          const marker = block.numbered ? `${i + 1}.` : block.dingbats ? '\u25cf' : '-';
          const font = block.dingbats && !block.numbered ? f.dingbats : f.body;
          this.page.drawText(marker, {
            x: this.x + 4,
            y: this.y - lead,
            size: block.dingbats ? size * 0.6 : size,
            font,
          });
          this.lines(item, f.body, size, 18, size * 0.2);
        });
        this.y -= size * 0.4;
        return;
      case 'table': {
        const cols = block.rows[0]!.length;
        const cell = this.columnWidth / cols;
        block.rows.forEach((row, r) => {
          const lead = size * 1.4;
          this.room(lead);
          this.y -= lead;
          row.forEach((text, c) =>
            this.page.drawText(text, {
              x: this.x + c * cell,
              y: this.y,
              size: size * 0.9,
              font: r === 0 ? f.bold : f.mono,
            }),
          );
        });
        this.y -= size;
        return;
      }
      case 'formula': {
        // Greek letters from the Symbol font, beside plain text.
        const lead = size * 1.5;
        this.room(lead);
        this.y -= lead;
        this.page.drawText('Drift coefficients', { x: this.x, y: this.y, size, font: f.italic });
        this.page.drawText('\u03b1 \u03b2 \u03b3 \u03b4 = 0.25', { x: this.x + 110, y: this.y, size, font: f.symbol });
        this.y -= size * 0.6;
      }
    }
  }
}

/** Random prose from the word lists: varied enough that BM25 ranks by more than the codename. */
function sentence(r: () => number): string {
  const n = () => pick(r, NOUNS);
  const a = () => pick(r, ADJECTIVES);
  const forms = [
    () => `The ${a()} ${n()} was ${pick(r, VERBS)} ${pick(r, PLACES)}.`,
    () => `A ${a()} ${n()} and the ${n()} were ${pick(r, VERBS)} after the ${a()} ${n()}.`,
    () => `Each ${n()} of the ${a()} ${n()} is ${pick(r, VERBS)} twice a year ${pick(r, PLACES)}.`,
    () => `${Math.floor(r() * 900 + 12)} units of ${n()} were ${pick(r, VERBS)} during the ${a()} ${n()}.`,
    () => `Nobody ${pick(r, VERBS)} the ${n()} until the ${a()} ${n()} had been ${pick(r, VERBS)}.`,
  ];
  return pick(r, forms)();
}

const paragraph = (r: () => number, min: number, max: number) =>
  Array.from({ length: min + Math.floor(r() * (max - min + 1)) }, () => sentence(r)).join(' ');

function nextBlock(r: () => number, topic: string, headingSize: number): Block {
  const roll = r();
  if (roll < 0.14) {
    const title = `${pick(r, ADJECTIVES)} ${pick(r, NOUNS)} and ${topic}`;
    return {
      kind: 'heading',
      text: title.charAt(0).toUpperCase() + title.slice(1),
      size: r() < 0.5 ? headingSize : 12,
    };
  }
  if (roll < 0.24) {
    const items = Array.from({ length: 2 + Math.floor(r() * 4) }, () => sentence(r));
    return { kind: 'list', items, numbered: r() < 0.4, dingbats: r() < 0.4 };
  }
  if (roll < 0.31) {
    const cols = 3 + Math.floor(r() * 2);
    const head = ['Item', 'Site', 'Count', 'Status'].slice(0, cols);
    const rows = Array.from({ length: 3 + Math.floor(r() * 5) }, () =>
      [pick(r, NOUNS), pick(r, CITIES), String(Math.floor(r() * 5000)), pick(r, VERBS)].slice(0, cols),
    );
    return { kind: 'table', rows: [head, ...rows] };
  }
  if (roll < 0.33) return { kind: 'formula' };
  return { kind: 'paragraph', text: paragraph(r, 2, 9), italic: r() < 0.08 };
}

/** Makes document `index` of the corpus: the same seed, index and count always give the same bytes. */
export async function corpusFile(seed: number, index: number, count: number): Promise<CorpusFile> {
  const spec = corpusSpec(seed, index, count);
  // The layout's own stream of random numbers, apart from the spec's (so specs stay cheap and stable).
  const r = prng(mix(seed ^ 0x5bd1e995, index));
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setCreationDate(new Date(EPOCH));
  doc.setModificationDate(new Date(EPOCH));
  doc.setProducer('Lectern scale bench corpus');
  doc.setTitle(spec.name.replace(/\.pdf$/, ''));
  const family = FAMILIES.find((f) => f.body === spec.family)!;
  const fonts: Fonts = {
    body: await doc.embedFont(family.body),
    bold: await doc.embedFont(family.bold),
    italic: await doc.embedFont(family.italic),
    boldItalic: await doc.embedFont(family.boldItalic),
    mono: await doc.embedFont(spec.family === 'Courier' ? StandardFonts.Helvetica : StandardFonts.Courier),
    symbol: await doc.embedFont(StandardFonts.Symbol),
    dingbats: await doc.embedFont(StandardFonts.ZapfDingbats),
  };
  const [, w, h] = PAGE_SIZES.find(([n]) => n === spec.pageSize)!;
  // A few landscape pages.
  const size: [number, number] = r() < 0.1 ? [h, w] : [w, h];
  const topic = TOPICS[index % TOPICS.length]!;
  const bodySize = spec.family === 'Courier' ? 9 + Math.floor(r() * 2) : 9 + Math.floor(r() * 4);
  const layout = new Layout(doc, fonts, size, spec.columns, bodySize, `${spec.codename} file ${index} - ${topic}`);
  layout.newPage();
  layout.title(spec.name.replace(/\.pdf$/, ''), 18 + Math.floor(r() * 8));
  // The fact goes on one page of text, never a rotated one; the last page fills 30–100 %.
  const factPage = 1 + Math.floor(r() * (spec.rotatedPage ? spec.pages - 1 : spec.pages));
  const lastFill = 0.3 + r() * 0.7;
  let factPlaced = false;
  let factEnd = 0;
  while (layout.pageNo < spec.pages || layout.filled < lastFill) {
    if (!factPlaced && layout.pageNo >= factPage) {
      layout.place({ kind: 'paragraph', text: `${sentence(r)} ${spec.fact} ${sentence(r)}`, italic: false });
      factPlaced = true;
      factEnd = layout.pageNo;
      continue;
    }
    layout.place(nextBlock(r, topic, 14 + Math.floor(r() * 4)));
    if (layout.pageNo > spec.pages) break;
  }
  if (!factPlaced) {
    layout.place({ kind: 'paragraph', text: spec.fact, italic: false });
    factEnd = layout.pageNo;
  }
  // Text may run one page past the plan: the pages as made are what the spec reports.
  const made = doc.getPageCount();
  const rotated = spec.rotatedPage && made > factEnd ? made : null;
  if (rotated) doc.getPage(rotated - 1).setRotation(degrees(90));
  if (spec.fixture) {
    const src = (await fixtures()).get(spec.fixture)!;
    const [copied] = await doc.copyPages(src, [Math.floor(r() * Math.min(src.getPageCount(), 2))]);
    doc.addPage(copied);
  }
  const bytes = await doc.save({ useObjectStreams: spec.objectStreams, addDefaultPage: false });
  return { ...spec, pages: made, rotatedPage: rotated, bytes };
}

export interface CorpusOptions {
  count: number;
  seed?: number;
  /** Files per batch (default 500): only one batch is in memory at a time. */
  batch?: number;
  /** First index (default 0). */
  from?: number;
}

/** The corpus in batches, made as they are asked for. */
export async function* pdfCorpus({
  count,
  seed = 12,
  batch = 500,
  from = 0,
}: CorpusOptions): AsyncGenerator<CorpusFile[]> {
  for (let start = from; start < count; start += batch) {
    const files: CorpusFile[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) files.push(await corpusFile(seed, i, count));
    yield files;
  }
}
