// ODT: headings with outline levels, paragraphs, lists, simple tables, the title, heading paths, damage.
import { describe, expect, it } from 'vitest';
import { chunkDocument } from '../../../src/lib/ingest/chunker';
import { parseOdt } from '../../../src/lib/ingest/odt';
import { expectOffsets, failure, makeZip, utf8, words } from './helpers';
import { makeOdt } from './office-files';

const body =
  '<text:h text:outline-level="1">Field Guide</text:h>' +
  '<text:p>Birds of the <text:span>coast</text:span>,<text:s text:c="3"/>in brief.<text:note><text:note-body><text:p>A footnote.</text:p></text:note-body></text:note></text:p>' +
  '<text:h text:outline-level="2">Gulls</text:h>' +
  '<text:list><text:list-item><text:p>Herring gull</text:p></text:list-item><text:list-item><text:p>Common gull</text:p><text:list><text:list-item><text:p>Juvenile</text:p></text:list-item></text:list></text:list-item></text:list>' +
  '<text:section><text:h text:outline-level="2">Counts</text:h>' +
  '<table:table><table:table-row><table:table-cell><text:p>Species</text:p></table:table-cell><table:table-cell><text:p>Count</text:p></table:table-cell></table:table-row>' +
  '<table:table-row><table:table-cell><text:p>Gull</text:p></table:table-cell><table:table-cell><text:p>42</text:p></table:table-cell></table:table-row></table:table></text:section>';

describe('parseOdt', () => {
  it('reads headings at their outline level, paragraphs, lists and simple tables in order', async () => {
    const doc = await parseOdt(makeOdt(body), 'guide.odt');
    expectOffsets(doc);
    expect(doc.kind).toBe('odt');
    expect(doc.title).toBe('Field Guide');
    expect(doc.blocks.map((b) => [b.kind, b.level ?? null, b.text])).toEqual([
      ['heading', 1, 'Field Guide'],
      ['paragraph', null, 'Birds of the coast,   in brief.'],
      ['heading', 2, 'Gulls'],
      ['list', null, '- Herring gull\n- Common gull\n  - Juvenile'],
      ['heading', 2, 'Counts'],
      ['table', null, 'Species | Count\nGull | 42'],
    ]);
  });

  it('takes the title from meta.xml and gives passages their heading path', async () => {
    const doc = await parseOdt(makeOdt(body, 'Coastal Birds'), 'guide.odt');
    expect(doc.title).toBe('Coastal Birds');
    const chunks = await chunkDocument(doc, { maxTokens: 8, overlapTokens: 0, countTokens: words });
    const pathOf = (needle: string) => chunks.find((c) => c.text.includes(needle))?.headingPath;
    expect(pathOf('Herring gull')).toEqual(['Field Guide', 'Gulls']);
    expect(pathOf('Gull | 42')).toEqual(['Field Guide', 'Counts']);
  });

  it('reads numbered headings written as list items (as Word saves them) as headings, with their heading path', async () => {
    const doc = await parseOdt(
      makeOdt(
        '<text:list><text:list-item><text:h text:outline-level="1">Introduction</text:h></text:list-item></text:list>' +
          '<text:p>Why gulls follow ships.</text:p>' +
          '<text:list><text:list-item><text:p>Before</text:p></text:list-item><text:list-item><text:h text:outline-level="2">Methods</text:h></text:list-item><text:list-item><text:p>After</text:p></text:list-item></text:list>',
      ),
      'numbered.odt',
    );
    expect(doc.blocks.map((b) => [b.kind, b.text, b.level])).toEqual([
      ['heading', 'Introduction', 1],
      ['paragraph', 'Why gulls follow ships.', undefined],
      ['list', '- Before', undefined],
      ['heading', 'Methods', 2],
      ['list', '- After', undefined],
    ]);
  });

  it('reads a table with a table inside as text', async () => {
    const nested =
      '<table:table><table:table-row><table:table-cell><table:table><table:table-row><table:table-cell><text:p>inner</text:p></table:table-cell></table:table-row></table:table></table:table-cell><table:table-cell><text:p>outer</text:p></table:table-cell></table:table-row></table:table>';
    const doc = await parseOdt(makeOdt(nested), 'n.odt');
    expect(doc.blocks.map((b) => [b.kind, b.text])).toEqual([['paragraph', 'inner outer']]);
  });

  it('calls non-archives, archives without content.xml, encrypted files and bombs by their own codes', async () => {
    expect((await failure(parseOdt(utf8('hello'), 'fake.odt'))).code).toBe('ODT_INVALID');
    const noContent = await failure(parseOdt(makeZip([{ name: 'mimetype', data: utf8('x') }]), 'x.odt'));
    expect(noContent.code).toBe('ODT_INVALID');
    expect(noContent.message).toContain('content.xml');
    const locked = makeZip([
      { name: 'content.xml', data: new Uint8Array(64) },
      { name: 'META-INF/manifest.xml', data: utf8('<manifest:encryption-data/>') },
    ]);
    expect((await failure(parseOdt(locked, 'locked.odt'))).message).toContain('password-protected');
    const bomb = makeZip([{ name: 'content.xml', data: new Uint8Array(1000), claimedSize: 5 * 1024 * 1024 }]);
    const err = await failure(parseOdt(bomb, 'bomb.odt'));
    expect(err.code).toBe('ODT_TOO_LARGE_UNCOMPRESSED');
    expect(err.details.entry).toBe('content.xml');
  });

  it('refuses a document without text', async () => {
    expect((await failure(parseOdt(makeOdt('<text:p/>'), 'blank.odt'))).code).toBe('NO_TEXT');
  });
});
