# Proxy late-interaction token vectors for the token-storage bench: real MiniLM states on SciFact, projected to 96 d.
"""
No real ColBERT weights can be had on these machines, so the token-storage bench measures compression on a proxy:
the real all-MiniLM-L6-v2 encoder (the ONNX file `npm run models:real` exports) runs over SciFact abstracts and test
claims; each token's last hidden state (384 d) is multiplied by one fixed Gaussian matrix (seed 0) down to 96 d, the
width of answerai-colbert-small-v1, and L2-normalized, as ColBERT's linear head and normalization do. A random
projection keeps inner products roughly (Johnson-Lindenstrauss), so these are contextual token vectors with a real
text's structure, but not trained for MaxSim: figures on them are a proxy, and say so.

Writes OUT/docs.f32 (every document's tokens, row-major, 96 float32 each), OUT/queries.f32 (likewise, queries cut at
32 tokens), and OUT/meta.json: per document and query its id and token count, the test qrels, and each query's 100
best documents by float32 MaxSim over the whole set (the candidates a variant re-ranks).
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

DIMS = 96
DOC_TOKENS = 256  # the app's chunk size
QUERY_TOKENS = 32
CANDIDATES = 100
T0 = time.time()


def log(msg: str) -> None:
    print(f'[token-proxy {time.time() - T0:6.1f}s] {msg}', flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True, help='the exported all-MiniLM-L6-v2 folder (hub layout)')
    ap.add_argument('--scifact', required=True)
    ap.add_argument('--docs', type=int, default=1000, help='documents besides every judged one')
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    data = Path(a.scifact)
    corpus = [json.loads(line) for line in (data / 'corpus.jsonl').read_text(encoding='utf-8').splitlines()]
    lines = (data / 'queries.jsonl').read_text(encoding='utf-8').splitlines()
    queries = {q['_id']: q['text'] for q in map(json.loads, lines)}
    qrels: dict = {}
    for line in (data / 'qrels' / 'test.tsv').read_text(encoding='utf-8').splitlines()[1:]:
        q, d, s = line.split('\t')
        qrels.setdefault(q, {})[d] = int(s)
    qids = sorted(qrels)
    judged = {d for q in qrels.values() for d in q}
    docs = [c for i, c in enumerate(corpus) if i < a.docs or c['_id'] in judged]
    log(f'{len(docs)} documents, {len(qids)} queries')

    tok = Tokenizer.from_file(str(Path(a.model) / 'tokenizer.json'))
    opts = ort.SessionOptions()
    # One thread: the same sums in the same order on every run, so near-ties cannot flip between runs.
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(Path(a.model) / 'onnx' / 'model.onnx'), opts, providers=['CPUExecutionProvider'])
    proj = np.random.default_rng(0).standard_normal((384, DIMS)).astype(np.float32) / np.sqrt(DIMS)

    def encode(texts: list, max_len: int) -> list:
        tok.enable_truncation(max_len)
        tok.enable_padding()
        out = []
        for i in range(0, len(texts), 32):
            enc = tok.encode_batch(texts[i : i + 32])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feeds = {'input_ids': ids, 'attention_mask': mask, 'token_type_ids': np.zeros_like(ids)}
            v = sess.run(['last_hidden_state'], feeds)[0] @ proj
            v /= np.linalg.norm(v, axis=-1, keepdims=True)
            out.extend(v[j, : int(mask[j].sum())].astype(np.float32) for j in range(len(enc)))
        return out

    dv = encode([f"{c['title']}. {c['text']}" for c in docs], DOC_TOKENS)
    log(f'documents encoded: {np.mean([len(x) for x in dv]):.0f} tokens on average')
    qv = encode([queries[q] for q in qids], QUERY_TOKENS)
    log('queries encoded')

    flat = np.concatenate(dv)
    offsets = np.cumsum([0] + [len(x) for x in dv])
    candidates = []
    for q in qv:
        best = (q @ flat.T)
        scores = np.array([best[:, offsets[i] : offsets[i + 1]].max(axis=1).sum() for i in range(len(dv))])
        candidates.append([int(i) for i in np.argsort(-scores, kind='stable')[:CANDIDATES]])
    log('candidates ranked')

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    flat.astype('<f4').tofile(out / 'docs.f32')
    np.concatenate(qv).astype('<f4').tofile(out / 'queries.f32')
    meta = {
        'about': 'proxy token vectors: all-MiniLM-L6-v2 last hidden states x Gaussian(seed 0) 384->96, L2-normalized',
        'dims': DIMS,
        'docs': [{'id': c['_id'], 'tokens': len(v)} for c, v in zip(docs, dv)],
        'queries': [{'id': q, 'tokens': len(v)} for q, v in zip(qids, qv)],
        'qrels': qrels,
        'candidates': candidates,
    }
    (out / 'meta.json').write_text(json.dumps(meta))
    log(f'wrote {out}')


if __name__ == '__main__':
    main()
