"""Tokenizer: byte-level BPE with the LLaMA-3 pre-tokenizer ("llama-bpe" in llama.cpp).

Training uses Hugging Face `tokenizers` (only needed where the tokenizer is trained and the corpus tokenized).
`LlamaBpe` below is an independent implementation of llama.cpp's llama-bpe tokenization from the vocabulary and
merges alone, the semantics the GGUF file carries; tests compare the two.
"""

from __future__ import annotations

import json
from pathlib import Path

# The LLaMA-3 split regex, exactly as llama.cpp's LLAMA_VOCAB_PRE_TYPE_LLAMA3 ("llama-bpe") uses it. It keeps a
# newline apart from the indentation that follows it.
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                r"\s*[\r\n]+|\s+(?!\S)|\s+")

SPECIALS = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|file_sep|>"]
EOT, FIM_PRE, FIM_MID, FIM_SUF, FIM_PAD, FILE_SEP = range(len(SPECIALS))
PAD = FIM_PAD
N_VOCAB = 16384


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode character map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def train_hf(texts_iter, out: Path, vocab_size: int = N_VOCAB) -> None:
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts_iter, trainer)
    tok.save(str(out))


def load_vocab_merges(tokenizer_json: Path) -> tuple[list[str], list[str]]:
    """(tokens by id, merges "a b" in rank order) from a HF tokenizer.json."""
    j = json.loads(Path(tokenizer_json).read_text())
    vocab = j["model"]["vocab"]
    for t in j.get("added_tokens", []):
        vocab[t["content"]] = t["id"]
    tokens = [""] * len(vocab)
    for s, i in vocab.items():
        tokens[i] = s
    merges = [m if isinstance(m, str) else f"{m[0]} {m[1]}" for m in j["model"]["merges"]]
    return tokens, merges


class LlamaBpe:
    """llama.cpp llama-bpe: LLaMA-3 regex split, byte-level mapping, whole-word lookup (ignore_merges), then
    lowest-rank-first merging. Special tokens are never produced from text."""

    def __init__(self, tokens: list[str], merges: list[str], n_special: int = len(SPECIALS)) -> None:
        import regex

        self.tokens = tokens
        self.ids = {t: i for i, t in enumerate(tokens) if i >= n_special}
        self.ranks = {tuple(m.split(" ")): r for r, m in enumerate(merges)}
        self.b2u = bytes_to_unicode()
        self.u2b = {v: k for k, v in self.b2u.items()}
        self.split = regex.compile(LLAMA3_SPLIT)
        self.cache: dict[str, list[int]] = {}

    def _word(self, w: str) -> list[int]:
        if w in self.ids:
            return [self.ids[w]]
        return [self.ids[p] for p in self.merge(w)]

    def merge(self, w: str) -> list[str]:
        """Applies the merges to a byte-level word, lowest rank first (leftmost among equals)."""
        parts = list(w)
        while len(parts) > 1:
            best, bi = None, -1
            for i in range(len(parts) - 1):
                r = self.ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best is None or r < best):
                    best, bi = r, i
            if best is None:
                break
            parts[bi:bi + 2] = [parts[bi] + parts[bi + 1]]
        return parts

    def encode(self, text: str) -> list[int]:
        out: list[int] = []
        for piece in self.split.findall(text):
            w = "".join(self.b2u[b] for b in piece.encode("utf-8"))
            ids = self.cache.get(w)
            if ids is None:
                ids = self._word(w)
                if len(self.cache) < 200_000:
                    self.cache[w] = ids
            out += ids
        return out

    def decode(self, ids: list[int]) -> bytes:
        return b"".join(bytes(self.u2b[c] for c in self.tokens[i]) if i >= len(SPECIALS) else
                        self.tokens[i].encode() for i in ids)
