// Provenance keys: a model's vectors are matched by id, revision, file host and registry, never by id alone.
import { describe, expect, it } from 'vitest';
import { originOf, provenanceKey } from '../../../src/lib/config/provenance';
import { keywordOnlyDocs } from '../../../src/lib/state/keyword-only';

const spec = { id: 'Xenova/bge-small-en-v1.5', revision: 'main' };
const hub = { modelBaseUrl: 'https://huggingface.co/', registryUrl: 'builtin:default' };

describe('provenanceKey', () => {
  it('names the model, its revision, the host of its files and the registry', () => {
    expect(provenanceKey(spec, hub)).toBe(
      'Xenova/bge-small-en-v1.5@main from https://huggingface.co by builtin:default',
    );
  });

  it('differs when a registry elsewhere reuses the same model id, or serves its files from elsewhere', () => {
    const key = provenanceKey(spec, hub);
    expect(provenanceKey(spec, { ...hub, registryUrl: 'https://evil.example/registry.json' })).not.toBe(key);
    // Two registries on one host describe models separately (say, other pooling): their vectors never mix.
    const a = { ...hub, registryUrl: 'http://localhost/standin/registry.json' };
    expect(provenanceKey(spec, a)).not.toBe(
      provenanceKey(spec, { ...a, registryUrl: 'http://localhost/real/registry.json' }),
    );
    expect(provenanceKey(spec, { ...hub, modelBaseUrl: 'https://evil.example/models/' })).not.toBe(key);
    expect(provenanceKey({ ...spec, revision: 'v2' }, hub)).not.toBe(key);
    // Paths on the same host do not matter: the origin does.
    expect(provenanceKey(spec, { ...hub, modelBaseUrl: 'https://huggingface.co/other/' })).toBe(key);
  });

  it('reads origins, resolving relative URLs, and keeps what is not a URL as it is', () => {
    expect(originOf('standin/registry.json', 'http://localhost:4174/app/')).toBe('http://localhost:4174');
    expect(originOf('builtin:default')).toBe('builtin');
    expect(originOf('not a url')).toBe('not a url');
  });
});

describe('keywordOnlyDocs', () => {
  it('lists the documents without vectors of the embedder in use, saying why', () => {
    const key = provenanceKey(spec, hub);
    const docs = [
      { id: 'a', embedderId: key },
      { id: 'b', embedderId: null },
      { id: 'c', embedderId: 'Xenova/bge-small-en-v1.5' },
    ];
    const out = keywordOnlyDocs(docs, key);
    expect([...out.keys()]).toEqual(['b', 'c']);
    expect(out.get('b')?.why).toMatch(/no embedding model could run/);
    expect(out.get('c')?.why).toMatch(/another model, model host or registry/);
    // The library decides from the kind, never from the words, whether to offer re-indexing.
    expect(out.get('b')?.kind).toBe('no-vectors');
    expect(out.get('c')?.kind).toBe('other-vectors');
    expect([...keywordOnlyDocs(docs, null).keys()]).toEqual(['a', 'b', 'c']);
  });
});
