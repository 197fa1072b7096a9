"""Turns corpus shards into packed training windows with fill-in-the-middle samples.

    python3 training/prep.py tokenizer --shards DIR --out tokenizer.json
    python3 training/prep.py draws --shard train-00.jsonl.xz --tokenizer tokenizer.json --out DIR --draws 10

Every file is tokenized once (with character offsets) and cut into segments of at most SEG_TOKENS tokens at line
starts. Each draw turns every segment into one sample, with fresh random choices:

    SPM   <eot><fim_suffix>S<fim_prefix><file_sep>path\\nP<fim_middle>M      (M is followed by <eot>)
    PSM   <eot><fim_prefix><file_sep>path\\nP<fim_suffix>S<fim_middle>M
    plain <eot><file_sep>path\\nTEXT

The middle M is an editor-like span: whole lines (cursor at column 0 or after the indentation), the rest of a line
from a cursor inside it (+0..2 lines), or a block of 4-10 lines. The prefix's last partial line and the middle are
tokenized on their own, as an editor's prompt would be; everything else keeps the file's own tokenization.
Samples are packed whole into windows of N_CTX + 1 tokens (first fit), padded with <fim_pad> (no loss).
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tok import EOT, FILE_SEP, FIM_MID, FIM_PRE, FIM_SUF, PAD, train_hf  # noqa: E402

N_CTX = 1024
SEG_TOKENS = 960
P_SPM, P_PSM = 0.65, 0.20          # the rest is plain text


def read_shard(path: Path) -> list[dict]:
    with lzma.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def cmd_tokenizer(a: argparse.Namespace) -> None:
    shards = sorted(Path(a.shards).glob("train-*.jsonl.xz"))
    budget = int(a.mbytes * 1e6)

    def texts():
        n = 0
        for s in shards:
            for r in read_shard(s):
                yield r["t"]
                n += len(r["t"])
                if n >= budget:
                    return

    t0 = time.time()
    train_hf(texts(), Path(a.out))
    print(f"tokenizer trained on {a.mbytes} MB in {time.time() - t0:.1f}s", flush=True)


def line_starts(text: str) -> np.ndarray:
    u = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return np.concatenate([[0], np.flatnonzero(u == 10) + 1]).astype(np.int64)


class File:
    __slots__ = ("path", "text", "ids", "starts", "lines", "header")

    def __init__(self, path: str, text: str, ids: np.ndarray, starts: np.ndarray, header: list[int]) -> None:
        self.path, self.text, self.ids, self.starts, self.header = path, text, ids, starts, header
        self.lines = line_starts(text)

    def segments(self) -> list[tuple[int, int]]:
        """Token ranges [a, b) of at most SEG_TOKENS tokens, cut at tokens that begin a line."""
        n = len(self.ids)
        at_line = np.isin(self.starts, self.lines)
        bounds = np.flatnonzero(at_line)
        segs, a = [], 0
        while a < n:
            if n - a <= SEG_TOKENS:
                segs.append((a, n))
                break
            lim = a + SEG_TOKENS
            i = np.searchsorted(bounds, lim, side="right") - 1
            b = int(bounds[i]) if i >= 0 and bounds[i] > a + SEG_TOKENS // 4 else lim
            segs.append((a, b))
            a = b
        return segs


def tokenize_files(tok, recs: list[dict]) -> list[File]:
    encs = tok.encode_batch([r["t"] for r in recs], add_special_tokens=False)
    heads = tok.encode_batch([r["p"] + "\n" for r in recs], add_special_tokens=False)
    files = []
    for r, e, h in zip(recs, encs, heads):
        ids = np.asarray(e.ids, dtype=np.uint16)
        if len(ids) == 0:
            continue
        starts = np.asarray([o[0] for o in e.offsets], dtype=np.int64)
        files.append(File(r["p"], r["t"], ids, starts, [FILE_SEP] + h.ids))
    return files


def choose_span(rng: np.random.Generator, f: File, ca: int, cb: int) -> tuple[int, int] | None:
    """A middle [c, e) in characters inside the segment [ca, cb): c anywhere in a line, e at a line start."""
    ls = f.lines[(f.lines >= ca) & (f.lines < cb)]
    if len(ls) == 0:
        return None
    le = np.append(ls[1:], cb)
    for _ in range(4):
        j = int(rng.integers(len(ls)))
        line = f.text[ls[j]:le[j]]
        content = line.strip()
        if not content:
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        u = rng.random()
        if u < 0.45:                                      # 1-3 whole lines
            n = int(rng.integers(1, 4))
            c = int(ls[j]) + (indent if rng.random() < 0.5 else 0)
        elif u < 0.85:                                    # cursor inside a line: the rest of it (+0..2 lines)
            body = len(line.rstrip())
            if body - indent < 2:
                continue
            c = int(ls[j]) + int(rng.integers(indent + 1, body))
            v = rng.random()
            n = 1 if v < 0.7 else (2 if v < 0.9 else 3)
        else:                                             # a block of 4-10 lines
            n = int(rng.integers(4, 11))
            c = int(ls[j]) + indent
        e = int(le[min(j + n - 1, len(ls) - 1)])
        return c, e
    return None


def build_draw(tok, files: list[File], segs: list[tuple[int, int, int]], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    plans = []            # (kind, file, a, b, i_p, c, i_e, e)
    pieces: list[str] = []
    for fi, a, b in segs:
        f = files[fi]
        ca = int(f.starts[a])
        cb = int(f.starts[b]) if b < len(f.ids) else len(f.text)
        u = rng.random()
        kind = "spm" if u < P_SPM else ("psm" if u < P_SPM + P_PSM else "plain")
        span = choose_span(rng, f, ca, cb) if kind != "plain" else None
        if span is None:
            plans.append(("plain", fi, a, b, 0, 0, 0, 0))
            continue
        c, e = span
        # The prefix keeps the file's tokens up to the token holding the cursor line's start; the rest of the
        # prefix (the partial line) is tokenized alone, as an editor prompt ends there.
        ls = int(f.lines[np.searchsorted(f.lines, c, side="right") - 1])
        i_p = max(a, int(np.searchsorted(f.starts, ls, side="right")) - 1)
        i_e = int(np.searchsorted(f.starts, e, side="left"))
        if i_e >= b:
            i_e, e = b, cb
        else:
            e = int(f.starts[i_e])
        plans.append((kind, fi, a, b, i_p, c, i_e, e))
        pieces.append(f.text[int(f.starts[i_p]):c])
        pieces.append(f.text[c:e])
    enc = [x.ids for x in tok.encode_batch(pieces, add_special_tokens=False)] if pieces else []
    samples: list[np.ndarray] = []
    k = 0
    for kind, fi, a, b, i_p, c, i_e, e in plans:
        f = files[fi]
        if kind == "plain":
            s = np.concatenate([[EOT], f.header, f.ids[a:b]])
        else:
            pre = np.concatenate([f.header, f.ids[a:i_p], enc[k]])
            mid = enc[k + 1]
            suf = f.ids[i_e:b]
            k += 2
            excess = len(pre) + len(mid) + len(suf) + 4 - N_CTX
            if excess > 0:                                # keep the middle whole: shorten the suffix
                suf = suf[:max(0, len(suf) - excess)]
            if kind == "spm":
                s = np.concatenate([[EOT, FIM_SUF], suf, [FIM_PRE], pre, [FIM_MID], mid])
            else:
                s = np.concatenate([[EOT, FIM_PRE], pre, [FIM_SUF], suf, [FIM_MID], mid])
        samples.append(s[:N_CTX].astype(np.uint16))
    return pack(rng, samples)


def pack(rng: np.random.Generator, samples: list[np.ndarray], block: int = 4096) -> np.ndarray:
    """Best-fit-decreasing packing into windows of N_CTX + 1 tokens, block by block (blocks of random samples);
    each sample is followed by <eot> when there is room."""
    order = rng.permutation(len(samples))
    width = N_CTX + 1
    rows: list[np.ndarray] = []
    for s0 in range(0, len(order), block):
        idx = sorted(order[s0:s0 + block], key=lambda i: -len(samples[i]))
        cap = np.zeros(len(idx), dtype=np.int64)                     # remaining room of each open window
        content: list[list[np.ndarray]] = []
        for i in idx:
            s = samples[i]
            need = min(width, len(s) + 1)
            n_open = len(content)
            fits = np.flatnonzero(cap[:n_open] >= need)
            if len(fits):
                k = int(fits[np.argmin(cap[fits])])
            else:
                k = n_open
                content.append([])
                cap[k] = width
            content[k].append(s)
            cap[k] -= need
        out = np.full((len(content), width), PAD, dtype=np.uint16)
        for k, parts in enumerate(content):
            at = 0
            for s in rng.permutation(len(parts)):
                piece = parts[s]
                out[k, at:at + len(piece)] = piece
                at += len(piece)
                if at < width:
                    out[k, at] = EOT
                    at += 1
        rows.append(out)
    return np.concatenate(rows) if rows else np.zeros((0, width), dtype=np.uint16)


def cmd_draws(a: argparse.Namespace) -> None:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(a.tokenizer)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    name = Path(a.shard).name.split(".")[0]
    t0 = time.time()
    files = tokenize_files(tok, read_shard(Path(a.shard)))
    segs = [(fi, s0, s1) for fi, f in enumerate(files) for s0, s1 in f.segments()]
    n_tok = sum(len(f.ids) for f in files)
    n_bytes = sum(len(f.text.encode()) for f in files)
    (out / f"{name}.stats.json").write_text(json.dumps(
        {"files": len(files), "segments": len(segs), "tokens": n_tok, "bytes": n_bytes}))
    print(f"{name}: {len(files)} files {n_tok / 1e6:.1f}M tokens {len(segs)} segments "
          f"({time.time() - t0:.0f}s)", flush=True)
    seed = int.from_bytes(name.encode(), "little") % (1 << 31)
    for d in range(a.draws):
        t1 = time.time()
        w = build_draw(tok, files, segs, seed * 1000 + d)
        tmp = out / f"draw{d:02d}-{name}.tmp.npy"
        np.save(tmp, w)
        os.replace(tmp, out / f"draw{d:02d}-{name}.npy")
        used = float((w != PAD).mean())
        print(f"{name} draw {d}: {len(w)} windows, fill {used:.3f} ({time.time() - t1:.0f}s)", flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tokenizer")
    t.add_argument("--shards", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--mbytes", type=float, default=60)
    d = sub.add_parser("draws")
    d.add_argument("--shard", required=True)
    d.add_argument("--tokenizer", required=True)
    d.add_argument("--out", required=True)
    d.add_argument("--draws", type=int, default=10)
    args = p.parse_args()
    {"tokenizer": cmd_tokenizer, "draws": cmd_draws}[args.cmd](args)
