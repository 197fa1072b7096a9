"""Checks that the GGUF's tokenizer (vocab + merges, llama-bpe semantics) tokenizes exactly as training did.

    python3 training/check_tokenizer.py --tokenizer tokenizer.json --gguf models/trit-code.gguf \\
        --heldout heldout.jsonl.xz [--files 300] [--write-golden test/fixtures/trit-code/tokenizer-golden.json]

Training tokenized with Hugging Face `tokenizers` (tokenizer.json). This script rebuilds the tokenizer from the
GGUF's `tokenizer.ggml.tokens` / `tokenizer.ggml.merges` with an independent llama-bpe implementation and compares
the token ids on held-out files. It also reports how many vocabulary entries BPE would not rebuild from their own
bytes (for those, llama-bpe's whole-word lookup decides; training used the same rule).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gguf  # noqa: E402
from tok import SPECIALS, LlamaBpe  # noqa: E402


def main() -> None:
    from tokenizers import Tokenizer

    from prep import read_shard

    p = argparse.ArgumentParser()
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--gguf", required=True)
    p.add_argument("--heldout", required=True)
    p.add_argument("--files", type=int, default=300)
    p.add_argument("--write-golden", default="")
    a = p.parse_args()
    hf = Tokenizer.from_file(a.tokenizer)
    kv, _ = gguf.read(a.gguf)
    assert kv["tokenizer.ggml.pre"] == "llama-bpe" and kv["tokenizer.ggml.model"] == "gpt2"
    bpe = LlamaBpe(kv["tokenizer.ggml.tokens"], kv["tokenizer.ggml.merges"])  # type: ignore[arg-type]
    not_rebuilt = 0
    for t in bpe.tokens[len(SPECIALS):]:
        if len(t) > 1 and bpe.merge(t) != [t]:
            not_rebuilt += 1
    recs = read_shard(Path(a.heldout))[: a.files]
    n_tok = mism = 0
    golden = []
    for r in recs:
        ref = hf.encode(r["t"], add_special_tokens=False).ids
        got = bpe.encode(r["t"])
        n_tok += len(ref)
        if ref != got:
            mism += 1
            k = next(i for i, (x, y) in enumerate(zip(ref, got)) if x != y) if any(
                x != y for x, y in zip(ref, got)) else min(len(ref), len(got))
            print(f"MISMATCH {r['p']} at token {k}: {ref[k:k + 5]} vs {got[k:k + 5]}", flush=True)
        if a.write_golden and len(golden) < 24 and 200 <= len(r["t"]) <= 1500:
            golden.append({"path": r["p"], "text": r["t"], "ids": ref})
    print(json.dumps({"files": len(recs), "tokens": n_tok, "mismatched_files": mism,
                      "vocab_entries_not_rebuilt_by_merges": not_rebuilt}))
    if a.write_golden:
        Path(a.write_golden).write_text(json.dumps({"model": "models/trit-code.gguf", "add_bos": False,
                                                    "parse_special": False, "cases": golden}, indent=1) + "\n")
    sys.exit(1 if mism else 0)


if __name__ == "__main__":
    main()
