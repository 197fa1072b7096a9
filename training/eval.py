"""Evaluation on held-out files: editor-cursor completions and bits per byte.

    python3 training/eval.py --ckpt infer.pt --tokenizer tokenizer.json --heldout heldout.jsonl.xz --out m.json

Cases: the editor's cursor in the middle of a real held-out file.
- "newline": the cursor sits after the indentation of a line; the middle is that line and up to two more;
- "midline": the cursor sits inside a line (any character, mid-word included); the middle is the rest of it.
The prefix is at most 1500 characters before the cursor (from a line start), the suffix at most 500 characters
after the middle (up to a line end). The model generates greedily and stops at the first newline or <eot>.
Scores: first-line exact match (trailing whitespace ignored) and edit similarity (1 - Levenshtein / max length),
for three prompts (see PROMPTS). Bits per byte: plain left-to-right loss on held-out files.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tok import EOT, FILE_SEP, FIM_MID, FIM_PRE, FIM_SUF, PAD  # noqa: E402

EVAL_LANGS = {"typescript", "javascript", "python", "go", "rust", "c", "cpp", "c-cpp", "java", "shell",
              "typescript-dts"}
PREFIX_CHARS, SUFFIX_CHARS = 1500, 500
MAX_NEW = 48
MODES = ("spm", "psm", "prefix")


def build_cases(recs: list[dict], n: int, seed: int = 1234) -> list[dict]:
    rng = np.random.default_rng(seed)
    pool = [r for r in recs if r["l"] in EVAL_LANGS and len(r["t"]) >= 800]
    cases: list[dict] = []
    tries = 0
    while len(cases) < n and tries < n * 50:
        tries += 1
        r = pool[int(rng.integers(len(pool)))]
        text = r["t"]
        starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        lo, hi = int(len(text) * 0.1), int(len(text) * 0.9)
        cand = [j for j, s in enumerate(starts) if lo <= s < hi]
        if not cand:
            continue
        j = cand[int(rng.integers(len(cand)))]
        end = starts[j + 1] if j + 1 < len(starts) else len(text)
        line = text[starts[j]:end]
        indent = len(line) - len(line.lstrip(" \t"))
        body = len(line.rstrip())
        if rng.random() < 0.5:
            kind = "newline"
            c = starts[j] + indent
            n_lines = int(rng.integers(1, 4))
        else:
            kind = "midline"
            if body - indent < 6:
                continue
            c = starts[j] + int(rng.integers(indent + 1, body - 3))
            n_lines = 1
        e_line = min(j + n_lines, len(starts) - 1)
        e = starts[e_line] if j + n_lines < len(starts) else len(text)
        middle = text[c:e]
        target = middle.split("\n")[0]
        if len(target.strip()) < 4:
            continue
        p0 = max(0, c - PREFIX_CHARS)
        if p0 > 0:
            nl = text.find("\n", p0)
            p0 = nl + 1 if 0 <= nl < c else c - (c - p0)
        suffix = text[e:e + SUFFIX_CHARS]
        if e + SUFFIX_CHARS < len(text) and "\n" in suffix:
            suffix = suffix[:suffix.rfind("\n") + 1]
        cases.append({"path": r["p"], "lang": r["l"], "kind": kind, "prefix": text[p0:c], "suffix": suffix,
                      "middle": middle, "target": target})
    return cases


def prompt_ids(tok, case: dict, mode: str) -> list[int]:
    """The prompt formats the model was trained on (and the server must use)."""
    head = [FILE_SEP] + tok.encode(case["path"] + "\n", add_special_tokens=False).ids
    pre = head + tok.encode(case["prefix"], add_special_tokens=False).ids
    if mode == "prefix":
        return [EOT] + pre
    suf = tok.encode(case["suffix"], add_special_tokens=False).ids
    if mode == "spm":
        return [EOT, FIM_SUF] + suf + [FIM_PRE] + pre + [FIM_MID]
    return [EOT, FIM_PRE] + pre + [FIM_SUF] + suf + [FIM_MID]


@torch.no_grad()
def generate(model, prompts: list[list[int]], newline_ids: torch.Tensor, max_new: int = MAX_NEW,
             chunk: int = 512, exact: bool = False) -> list[list[int]]:
    """Greedy generation, batched with left padding and a KV cache; stops at a token containing a newline or
    <eot>. newline_ids: bool (V,) marking tokens whose text contains a newline."""
    dev = next(model.parameters()).device
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    out: list[list[int]] = [[] for _ in prompts]
    ctx = torch.autocast("cuda", dtype=torch.bfloat16) if (dev.type == "cuda" and not exact) else _null()
    for s in range(0, len(order), chunk):
        idxs = order[s:s + chunk]
        lens = torch.tensor([len(prompts[i]) for i in idxs], device=dev)
        lmax = int(lens.max())
        b = len(idxs)
        x = torch.full((b, lmax), PAD, dtype=torch.long, device=dev)
        for r, i in enumerate(idxs):
            x[r, lmax - len(prompts[i]):] = torch.tensor(prompts[i], device=dev)
        padn = (lmax - lens)[:, None]                                        # (B, 1)
        ar = torch.arange(lmax, device=dev)
        pos = (ar[None, :] - padn).clamp(min=0)
        causal = ar[None, :, None] >= ar[None, None, :]                     # (1, Tq, Tk)
        keyok = ar[None, None, :] >= padn[:, :, None]                       # (B, 1, Tk)
        mask = (causal & keyok) | torch.eye(lmax, dtype=torch.bool, device=dev)[None]
        caches: list[dict] = [{} for _ in range(model.cfg.n_layer)]
        done = torch.zeros(b, dtype=torch.bool, device=dev)
        gen = torch.empty((b, 0), dtype=torch.long, device=dev)
        with ctx:
            logits = model(x, pos=pos, mask=mask[:, None], caches=caches, last_only=True)
            for t in range(max_new):
                nxt = logits[:, -1].float().argmax(-1)
                nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)
                gen = torch.cat([gen, nxt[:, None]], 1)
                done = done | (nxt == EOT) | newline_ids[nxt]
                if bool(done.all()) or t == max_new - 1:
                    break
                tk = lmax + t + 1
                keyok = torch.arange(tk, device=dev)[None, :] >= padn                 # (B, Tk)
                p = (lens + t)[:, None]
                logits = model(nxt[:, None], pos=p, mask=keyok[:, None, None, :], caches=caches)
        g = gen.tolist()
        for r, i in enumerate(idxs):
            toks = []
            for tkn in g[r]:
                if tkn == PAD:
                    break
                toks.append(tkn)
            out[i] = toks
    return out


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def levenshtein(a: str, b: str) -> int:
    """Edit distance, bit-parallel (Myers 1999 / Hyyrö 2003): O(len(b)) big-integer steps."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    peq: dict[str, int] = {}
    for i, ch in enumerate(a):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    m = len(a)
    mask, last = (1 << m) - 1, 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for ch in b:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & mask)
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = mh | (~(xv | ph) & mask)
        mv = ph & xv
    return score


def first_line(tok, ids: list[int]) -> str:
    ids = [i for i in ids if i != EOT]
    return tok.decode(ids, skip_special_tokens=True).split("\n")[0]


def score_cases(model, tok, cases: list[dict], modes=MODES, exact: bool = False, samples: int = 0) -> dict:
    vocab_n = model.cfg.n_vocab
    dev = next(model.parameters()).device
    nl = torch.zeros(vocab_n, dtype=torch.bool, device=dev)
    for i in range(tok.get_vocab_size()):
        if "\n" in tok.decode([i]):
            nl[i] = True
    res: dict = {}
    for mode in modes:
        prompts = [prompt_ids(tok, c, mode) for c in cases]
        gens = generate(model, prompts, nl, exact=exact)
        em, es = [], []
        by_lang: dict[str, list[int]] = defaultdict(list)
        by_kind: dict[str, list[int]] = defaultdict(list)
        ex = []
        for c, g in zip(cases, gens):
            hyp = first_line(tok, g).rstrip()
            ref = c["target"].rstrip()
            m = int(hyp == ref)
            em.append(m)
            es.append(1.0 - levenshtein(hyp, ref) / max(1, len(hyp), len(ref)))
            by_lang[c["lang"]].append(m)
            by_kind[c["kind"]].append(m)
            if len(ex) < samples:
                ex.append({"path": c["path"], "target": ref, "output": hyp})
        res[mode] = {"em": float(np.mean(em)), "es": float(np.mean(es)), "n": len(em),
                     "em_by_lang": {k: [int(sum(v)), len(v)] for k, v in sorted(by_lang.items())},
                     "em_by_kind": {k: [int(sum(v)), len(v)] for k, v in sorted(by_kind.items())}}
        if samples:
            res[mode]["samples"] = ex
    return res


@torch.no_grad()
def bits_per_byte(model, tok, recs: list[dict], max_bytes: float = 2e6, exact: bool = False,
                  batch: int = 32) -> dict:
    dev = next(model.parameters()).device
    n_ctx = model.cfg.n_ctx
    chunks: list[tuple[list[int], int, str]] = []        # (tokens, n_head, lang)
    used = 0
    for r in recs:
        if used >= max_bytes:
            break
        used += len(r["t"].encode())
        head = [EOT, FILE_SEP] + tok.encode(r["p"] + "\n", add_special_tokens=False).ids
        ids = tok.encode(r["t"], add_special_tokens=False).ids
        step = n_ctx - len(head)
        for a in range(0, len(ids), step):
            chunks.append((head + ids[a:a + step], len(head), r["l"]))
    nll: dict[str, float] = defaultdict(float)
    nbytes: dict[str, int] = defaultdict(int)
    ctx = torch.autocast("cuda", dtype=torch.bfloat16) if (dev.type == "cuda" and not exact) else _null()
    for s in range(0, len(chunks), batch):
        part = chunks[s:s + batch]
        lmax = max(len(c[0]) for c in part)
        x = torch.full((len(part), lmax), PAD, dtype=torch.long)
        for i, (ids, _, _) in enumerate(part):
            x[i, :len(ids)] = torch.tensor(ids)
        x = x.to(dev)
        with ctx:
            logits = model(x[:, :-1])
        lp = F.cross_entropy(logits.float().transpose(1, 2), x[:, 1:], reduction="none")    # (B, T-1)
        for i, (ids, nh, lang) in enumerate(part):
            nll[lang] += float(lp[i, nh - 1:len(ids) - 1].sum())
            nbytes[lang] += len(tok.decode(ids[nh:]).encode())
    out = {k: nll[k] / math.log(2) / nbytes[k] for k in sorted(nll)}
    out["all"] = sum(nll.values()) / math.log(2) / max(1, sum(nbytes.values()))
    return out


def by_language_sample(recs: list[dict], bytes_per_lang: float) -> list[dict]:
    """Held-out files grouped by language, up to bytes_per_lang of each (in file order)."""
    out, used = [], defaultdict(int)
    for r in recs:
        if r["l"] in EVAL_LANGS and used[r["l"]] < bytes_per_lang:
            used[r["l"]] += len(r["t"].encode())
            out.append(r)
    return out


def load_heldout(path: Path) -> list[dict]:
    from prep import read_shard
    return read_shard(path)


def main() -> None:
    from tokenizers import Tokenizer

    from export_ckpt import load_infer_ckpt

    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--heldout", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--cases", type=int, default=600)
    p.add_argument("--bpb-bytes", type=float, default=2e6)
    p.add_argument("--bpb-lang-bytes", type=float, default=0, help="also: bits/byte on this much of each language")
    p.add_argument("--bpb-only", action="store_true")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = p.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    tok = Tokenizer.from_file(a.tokenizer)
    model = load_infer_ckpt(Path(a.ckpt), a.device)
    recs = load_heldout(Path(a.heldout))
    t0 = time.time()
    res: dict = {"numerics": "exact (GGUF)"}
    if not a.bpb_only:
        cases = build_cases(recs, a.cases)
        res["cases"] = len(cases)
        res["completion"] = score_cases(model, tok, cases, exact=True, samples=40)
        res["bpb"] = bits_per_byte(model, tok, recs, a.bpb_bytes, exact=True)
    if a.bpb_lang_bytes:
        res["bpb_by_language"] = bits_per_byte(model, tok, by_language_sample(recs, a.bpb_lang_bytes), 1e12,
                                               exact=True, batch=4)
    res["seconds"] = time.time() - t0
    Path(a.out).write_text(json.dumps(res, indent=1))
    print(json.dumps({m: {k: v for k, v in r.items() if k in ("em", "es")} for m, r in res.get("completion", {}).items()}),
          json.dumps(res.get("bpb")), json.dumps(res.get("bpb_by_language")), flush=True)


if __name__ == "__main__":
    main()
