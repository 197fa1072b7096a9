"""Exports an inference checkpoint as the shipped GGUF and writes the engine's golden fixture.

    python3 training/export.py --ckpt runs/main/infer.pt --tokenizer tokenizer.json --heldout heldout.jsonl.xz \\
        --eval runs/main/final-eval.json --out models/trit-code.gguf --fixture test/fixtures/trit-code

GGUF: arch "bitnet-b1.58" with the official key set; ternary linears as I2_S (bitnet.cpp x86 layout, f32 absmean
scale), the tied token embedding as Q8_0, norms F32; tokenizer "gpt2" with pre "llama-bpe"; trit.* keys for the
completion prompt (documented in models/README.md).

Fixture: token prompts, the PyTorch model's logits at every position computed with the shipped numerics (ternary
weights, int8 activations, float32, the Q8_0 embedding as stored), and greedy continuations.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gguf  # noqa: E402
from export_ckpt import read_parts, unpack2  # noqa: E402
from export_ckpt import model_from_infer_state  # noqa: E402
from tok import EOT, FILE_SEP, FIM_MID, FIM_PAD, FIM_PRE, FIM_SUF, SPECIALS, load_vocab_merges  # noqa: E402

LINEARS = {"wq": "attn_q", "wk": "attn_k", "wv": "attn_v", "wo": "attn_output", "w_gate": "ffn_gate",
           "w_up": "ffn_up", "w_down": "ffn_down"}
NORMS = {"attn_norm": "attn_norm", "attn_sub_norm": "attn_sub_norm", "ffn_norm": "ffn_norm",
         "ffn_sub_norm": "ffn_sub_norm"}

TEMPLATES = {
    "spm": "<|fim_suffix|>{suffix}<|fim_prefix|><|file_sep|>{path}\n{prefix}<|fim_middle|>",
    "psm": "<|fim_prefix|><|file_sep|>{path}\n{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
    "prefix": "<|file_sep|>{path}\n{prefix}",
}


def write_gguf(st: dict, tokenizer_json: Path, out: Path, meta: dict) -> int:
    cfg = st["config"]
    t = st["tensors"]
    tokens, merges = load_vocab_merges(tokenizer_json)
    if len(tokens) != cfg["n_vocab"]:
        raise ValueError(f"tokenizer has {len(tokens)} tokens, model {cfg['n_vocab']}")
    arch = "bitnet-b1.58"
    w = gguf.Writer()
    w.add("general.architecture", gguf.V_STR, arch)
    w.add("general.name", gguf.V_STR, "trit-code")
    w.add("general.license", gguf.V_STR, "MIT")
    w.add("general.file_type", gguf.V_U32, 40)
    w.add("general.quantization_version", gguf.V_U32, 2)
    w.add(f"{arch}.vocab_size", gguf.V_U32, cfg["n_vocab"])
    w.add(f"{arch}.context_length", gguf.V_U32, cfg["n_ctx"])
    w.add(f"{arch}.embedding_length", gguf.V_U32, cfg["n_embd"])
    w.add(f"{arch}.block_count", gguf.V_U32, cfg["n_layer"])
    w.add(f"{arch}.feed_forward_length", gguf.V_U32, cfg["n_ff"])
    w.add(f"{arch}.rope.dimension_count", gguf.V_U32, cfg["n_embd"] // cfg["n_head"])
    w.add(f"{arch}.attention.head_count", gguf.V_U32, cfg["n_head"])
    w.add(f"{arch}.attention.head_count_kv", gguf.V_U32, cfg["n_head_kv"])
    w.add(f"{arch}.attention.layer_norm_rms_epsilon", gguf.V_F32, cfg["norm_eps"])
    w.add(f"{arch}.rope.freq_base", gguf.V_F32, cfg["rope_base"])
    w.add("tokenizer.ggml.model", gguf.V_STR, "gpt2")
    w.add("tokenizer.ggml.pre", gguf.V_STR, "llama-bpe")
    w.add("tokenizer.ggml.tokens", gguf.V_ARR, tokens, gguf.V_STR)
    w.add("tokenizer.ggml.token_type", gguf.V_ARR, [3 if i < len(SPECIALS) else 1 for i in range(len(tokens))],
          gguf.V_I32)
    w.add("tokenizer.ggml.merges", gguf.V_ARR, merges, gguf.V_STR)
    w.add("tokenizer.ggml.bos_token_id", gguf.V_U32, EOT)
    w.add("tokenizer.ggml.eos_token_id", gguf.V_U32, EOT)
    w.add("tokenizer.ggml.eot_token_id", gguf.V_U32, EOT)
    w.add("tokenizer.ggml.padding_token_id", gguf.V_U32, FIM_PAD)
    w.add("tokenizer.ggml.fim_pre_token_id", gguf.V_U32, FIM_PRE)
    w.add("tokenizer.ggml.fim_suf_token_id", gguf.V_U32, FIM_SUF)
    w.add("tokenizer.ggml.fim_mid_token_id", gguf.V_U32, FIM_MID)
    w.add("tokenizer.ggml.fim_pad_token_id", gguf.V_U32, FIM_PAD)
    w.add("tokenizer.ggml.fim_sep_token_id", gguf.V_U32, FILE_SEP)
    w.add("tokenizer.ggml.add_bos_token", gguf.V_BOOL, True)
    w.add("tokenizer.ggml.add_eos_token", gguf.V_BOOL, False)
    w.add("trit.completion.prompt_mode", gguf.V_STR, meta["prompt_mode"])
    for mode, tpl in TEMPLATES.items():
        w.add(f"trit.completion.template.{mode}", gguf.V_STR, tpl)
    w.add("trit.completion.prefix_chars", gguf.V_U32, 1500)
    w.add("trit.completion.suffix_chars", gguf.V_U32, 500)
    w.add("trit.completion.stop", gguf.V_STR, "newline")
    w.add("trit.training.tokens", gguf.V_U64, int(meta["tokens"]))
    for mode, em in meta.get("em", {}).items():
        w.add(f"trit.eval.first_line_em.{mode}", gguf.V_F32, float(em))

    d16 = t["tok_embd.d"].numpy()
    q = t["tok_embd.q"].numpy()
    w.tensor("token_embd.weight", (cfg["n_embd"], cfg["n_vocab"]), gguf.T_Q8_0, gguf.q8_0_bytes(d16, q))
    for il in range(cfg["n_layer"]):
        for mod, gname in NORMS.items():
            x = t[f"blocks.{il}.{mod}.weight"].numpy().astype("<f4")
            w.tensor(f"blk.{il}.{gname}.weight", (x.shape[0],), gguf.T_F32, x.tobytes())
        for mod, gname in LINEARS.items():
            shape = tuple(t[f"blocks.{il}.{mod}.shape"])
            codes = unpack2(t[f"blocks.{il}.{mod}.codes"], shape).numpy().astype(np.int8)
            scale = float(t[f"blocks.{il}.{mod}.scale"].reshape(()))
            w.tensor(f"blk.{il}.{gname}.weight", (shape[1], shape[0]), gguf.T_I2_S, gguf.i2s_bytes(codes, scale))
    x = t["output_norm.weight"].numpy().astype("<f4")
    w.tensor("output_norm.weight", (x.shape[0],), gguf.T_F32, x.tobytes())
    return w.write(str(out))


def verify_gguf(path: Path, st: dict) -> None:
    """Reads the file back and checks every tensor against the checkpoint bit for bit."""
    kv, tensors = gguf.read(str(path))
    t = st["tensors"]
    cfg = st["config"]
    for il in range(cfg["n_layer"]):
        for mod, gname in LINEARS.items():
            ne, tt, data = tensors[f"blk.{il}.{gname}.weight"]
            shape = tuple(t[f"blocks.{il}.{mod}.shape"])
            codes, scale = gguf.i2s_decode(data, ne[0] * ne[1])
            ref = unpack2(t[f"blocks.{il}.{mod}.codes"], shape).numpy().astype(np.int8).reshape(-1)
            assert tt == gguf.T_I2_S and ne == (shape[1], shape[0]) and np.array_equal(codes, ref)
            assert scale == float(t[f"blocks.{il}.{mod}.scale"].reshape(()))
    ne, tt, data = tensors["token_embd.weight"]
    blocks = np.frombuffer(data, dtype=[("d", "<f2"), ("qs", "i1", 32)])
    assert np.array_equal(blocks["qs"].reshape(-1), t["tok_embd.q"].numpy().reshape(-1))
    assert np.array_equal(blocks["d"].reshape(-1), t["tok_embd.d"].numpy().reshape(-1))
    assert kv["general.architecture"] == "bitnet-b1.58" and len(kv["tokenizer.ggml.tokens"]) == cfg["n_vocab"]


@torch.no_grad()
def greedy(model, ids: list[int], n: int) -> tuple[list[int], list[float]]:
    """Greedy continuation with a KV cache, and the top-1/top-2 logit margin at each step."""
    caches: list[dict] = [{} for _ in range(model.cfg.n_layer)]
    logits = model(torch.tensor([ids]), caches=caches, last_only=True)[0, -1]
    out: list[int] = []
    margins: list[float] = []
    for t in range(n):
        top = torch.topk(logits, 2)
        nxt = int(top.indices[0])
        out.append(nxt)
        margins.append(float(top.values[0] - top.values[1]))
        if nxt == EOT or t == n - 1:
            break
        pos = torch.tensor([[len(ids) + t]])
        logits = model(torch.tensor([[nxt]]), pos=pos, mask=torch.ones(1, 1, 1, len(ids) + t + 1, dtype=torch.bool),
                       caches=caches)[0, -1]
    return out, margins


def fixture_prompts(tok, heldout: list[dict]) -> list[dict]:
    from eval import build_cases, prompt_ids

    enc = lambda s: tok.encode(s, add_special_tokens=False).ids  # noqa: E731
    short = [EOT, FILE_SEP] + enc("src/math.py\n") + enc("def fibonacci(n):\n    if n < 2:\n        return n\n")
    cases = [c for c in build_cases(heldout, 200, seed=99) if c["lang"] in ("typescript", "python", "go")]
    out = [{"name": "prefix-short", "mode": "prefix", "tokens": short}]
    for c, mode in zip(cases, ("spm", "psm")):
        ids = prompt_ids(tok, c, mode)
        # keep it near 300 tokens: trim the prompt's text windows, not the special tokens
        while len(ids) > 320:
            c = dict(c, prefix=c["prefix"][len(c["prefix"]) // 5:], suffix=c["suffix"][: len(c["suffix"]) * 4 // 5])
            nl = c["prefix"].find("\n")
            c["prefix"] = c["prefix"][nl + 1:] if nl >= 0 else c["prefix"]
            ids = prompt_ids(tok, c, mode)
        out.append({"name": f"{mode}-{c['lang']}", "mode": mode, "tokens": ids, "path": c["path"]})
    return out


def write_fixture(st: dict, tok, heldout: list[dict], outdir: Path) -> dict:
    outdir.mkdir(parents=True, exist_ok=True)
    model = model_from_infer_state(st, "cpu", engine=True)
    torch.backends.mkldnn.enabled = False
    rng = np.random.default_rng(7)
    vocab = st["config"]["n_vocab"]
    subset = np.unique(np.concatenate([np.arange(64), rng.choice(np.arange(64, vocab), 448, replace=False)]))
    meta = {"model": "models/trit-code.gguf", "numerics": "ternary weights x f32 absmean scale, per-token absmax "
            "int8 activations (round half to even), f32 compute, RMSNorm eps 1e-5 with a float64 sum, token "
            "embedding dequantized from the stored Q8_0 blocks; plus llama.cpp's roundings that the engine "
            "mirrors: K, V and Q rounded to F16, attention probabilities rounded to F16 before P.V, the final "
            "hidden state quantized to Q8_0 blocks for the Q8_0 LM head",
            "vocab_subset": subset.tolist(), "prompts": []}
    blobs = []
    for p in fixture_prompts(tok, heldout):
        ids = p["tokens"]
        with torch.no_grad():
            logits = model(torch.tensor([ids]))[0].float().numpy()             # (T, V)
        full = len(ids) <= 32
        stored = logits if full else logits[:, subset]
        p["n_tokens"] = len(ids)
        p["logits"] = {"file": "logits.bin", "offset": sum(b.nbytes for b in blobs), "shape": list(stored.shape),
                       "columns": "all" if full else "vocab_subset"}
        p["argmax"] = logits.argmax(-1).tolist()
        p["max_logit"] = logits.max(-1).tolist()
        p["greedy"], p["greedy_top2_margin"] = greedy(model, ids, 24)
        p["greedy_text"] = tok.decode(p["greedy"], skip_special_tokens=False)
        p["prompt_text"] = tok.decode(ids, skip_special_tokens=False)
        blobs.append(stored.astype("<f4"))
        meta["prompts"].append(p)
    data = b"".join(b.tobytes() for b in blobs)
    (outdir / "logits.bin").write_bytes(data)
    meta["logits_sha256"] = hashlib.sha256(data).hexdigest()
    (outdir / "golden.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def main() -> None:
    from tokenizers import Tokenizer

    from eval import load_heldout

    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--heldout", required=True)
    p.add_argument("--eval", default="")
    p.add_argument("--mode", default="", help="override the prompt mode recorded in the file")
    p.add_argument("--out", required=True)
    p.add_argument("--fixture", default="")
    a = p.parse_args()
    st = read_parts(Path(a.ckpt))
    em: dict = {}
    if a.eval:
        ev = json.loads(Path(a.eval).read_text())
        em = {m: r["em"] for m, r in ev["completion"].items()}
    mode = a.mode or (max(em, key=em.get) if em else "prefix")
    meta = {"prompt_mode": mode, "tokens": st.get("state", {}).get("tokens", 0), "em": em}
    size = write_gguf(st, Path(a.tokenizer), Path(a.out), meta)
    verify_gguf(Path(a.out), st)
    print(f"wrote {a.out}: {size} bytes, prompt mode {mode}, sha256 "
          f"{hashlib.sha256(Path(a.out).read_bytes()).hexdigest()}", flush=True)
    if a.fixture:
        tok = Tokenizer.from_file(a.tokenizer)
        m = write_fixture(st, tok, load_heldout(Path(a.heldout)), Path(a.fixture))
        print(f"fixture: {[(x['name'], x['n_tokens']) for x in m['prompts']]}", flush=True)


if __name__ == "__main__":
    main()
