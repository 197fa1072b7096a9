"""BitNet b1.58 decoder, trained natively ternary.

Two numerics share one set of parameters:
- training (`exact=False`): fake quantization with straight-through estimators on fp32 latent weights, run under
  bf16 autocast;
- inference (`exact=True`): the function the shipped GGUF computes, in float32: ternary weights times the
  per-tensor absmean scale, per-token absmax int8 activations (round half to even, clamp [-128, 127]), integer
  dot products, one float rescale `acc / s * w_scale` (bitnet.cpp's I2_S matmul), RMSNorm with a float64 sum.

Layer structure (bitnet.cpp `build_bitnet_158`): pre-norm RMSNorm, GQA attention with NeoX RoPE (pairs i, i+d/2),
SubLN before the output projection, ReLU²-gated FFN with SubLN before the down projection, tied LM head.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    n_vocab: int = 16384
    n_ctx: int = 1024
    n_embd: int = 512
    n_layer: int = 10
    n_head: int = 8
    n_head_kv: int = 4
    n_ff: int = 1536
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    def to_dict(self) -> dict:
        return asdict(self)


def weight_scale(w: torch.Tensor) -> torch.Tensor:
    """Per-tensor absmean scale (the I2_S dequantization multiplier)."""
    return w.abs().mean().clamp(min=1e-5)


def ternary(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(codes in {-1, 0, 1}, scale) with W ≈ codes * scale."""
    s = weight_scale(w)
    return (w / s).round().clamp(-1, 1), s


def act_quant_exact(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """bitnet.cpp quantize_row_i8_s: s = 127 / max(|x|, 1e-5) per token, q = clamp(rint(x * s), -128, 127)."""
    amax = x.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5)
    s = 127.0 / amax
    return (x * s).round().clamp(-128, 127), s


class BitLinear(nn.Module):
    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        nn.init.normal_(self.weight, std=0.02)
        self.exact = False
        # (codes, scale) as stored in the shipped file; when unset, exact mode ternarizes the latent weights.
        self.stored: tuple[torch.Tensor, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight
        if self.exact:
            t, ws = self.stored if self.stored is not None else ternary(w.float())
            q, s = act_quant_exact(x.float())
            return (q @ t.t()) / s * ws
        # Training: fake quantization with straight-through gradients.
        s_w = weight_scale(w)
        w_q = w + ((w / s_w).round().clamp(-1, 1) * s_w - w).detach()
        amax = x.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5)
        s = 127.0 / amax
        x_q = x + ((x * s).round().clamp(-128, 127) / s - x).detach()
        return F.linear(x_q, w_q)


class RMSNorm(nn.Module):
    def __init__(self, n: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps
        self.exact = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.exact:
            # ggml_rms_norm: squares summed in double, mean rounded to float, scale = 1/sqrtf(mean + eps).
            mean = (x.double() ** 2).sum(-1, keepdim=True).div(x.shape[-1]).float()
            return x.float() * (1.0 / torch.sqrt(mean + self.eps)) * self.weight.float()
        xf = x.float()
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight.float()).to(x.dtype)


def rope_tables(cfg: Config, pos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin for NeoX RoPE at integer positions pos (any shape) -> (..., head_dim/2)."""
    half = cfg.head_dim // 2
    inv = cfg.rope_base ** (-torch.arange(0, half, device=pos.device, dtype=torch.float64) * 2.0 / cfg.head_dim)
    ang = pos.double()[..., None] * inv
    return ang.cos().float(), ang.sin().float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (B, H, T, D); cos/sin: (B, 1, T, D/2) or (T, D/2). Rotates pairs (i, i + D/2)."""
    d2 = x.shape[-1] // 2
    x1, x2 = x[..., :d2].float(), x[..., d2:].float()
    out = torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    return out.to(x.dtype)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Scaled dot-product attention; causal when mask is None, else mask is a bool (B, 1, Tq, Tk) 'may attend'."""
    if hasattr(F, "scaled_dot_product_attention"):
        if mask is None:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    s = (q.float() @ k.float().transpose(-1, -2)) / math.sqrt(q.shape[-1])   # older PyTorch (CPU tests)
    if mask is None:
        tq, tk = s.shape[-2:]
        mask = torch.ones(tq, tk, dtype=torch.bool, device=s.device).tril(tk - tq)
    s = s.masked_fill(~mask, float("-inf"))
    return (s.softmax(-1) @ v.float()).to(v.dtype)


def attention_f16(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """llama.cpp's single-token attention numerics: f32 scores of F16-rounded q and k, softmax, probabilities
    rounded to F16 before P.V."""
    s = (q.double() @ k.double().transpose(-1, -2)).float() * (1.0 / math.sqrt(q.shape[-1]))
    if mask is None:
        tq, tk = s.shape[-2:]
        mask = torch.ones(tq, tk, dtype=torch.bool, device=s.device).tril(tk - tq)
    s = s.masked_fill(~mask, float("-inf"))
    p = s.softmax(-1).half().float()
    return (p.double() @ v.double()).float()


class Block(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.attn_norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        self.wq = BitLinear(cfg.n_embd, cfg.n_head * hd)
        self.wk = BitLinear(cfg.n_embd, cfg.n_head_kv * hd)
        self.wv = BitLinear(cfg.n_embd, cfg.n_head_kv * hd)
        self.attn_sub_norm = RMSNorm(cfg.n_head * hd, cfg.norm_eps)
        self.wo = BitLinear(cfg.n_head * hd, cfg.n_embd)
        self.ffn_norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        self.w_gate = BitLinear(cfg.n_embd, cfg.n_ff)
        self.w_up = BitLinear(cfg.n_embd, cfg.n_ff)
        self.ffn_sub_norm = RMSNorm(cfg.n_ff, cfg.norm_eps)
        self.w_down = BitLinear(cfg.n_ff, cfg.n_embd)
        self.engine_numerics = False

    def forward(self, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor | None,
                cache: dict | None) -> torch.Tensor:
        cfg = self.cfg
        b, t, _ = h.shape
        hd = cfg.head_dim
        a = self.attn_norm(h)
        q = self.wq(a).view(b, t, cfg.n_head, hd).transpose(1, 2)        # (B, H, T, hd)
        k = self.wk(a).view(b, t, cfg.n_head_kv, hd).transpose(1, 2)     # (B, Hkv, T, hd)
        v = self.wv(a).view(b, t, cfg.n_head_kv, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if self.engine_numerics:                          # llama.cpp: K/V cached in F16, Q rounded to F16 for Q.K
            q, k, v = q.half().float(), k.half().float(), v.half().float()
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        rep = cfg.n_head // cfg.n_head_kv
        # GQA: query head h uses kv head h // rep (contiguous groups, as llama.cpp).
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        if q.dtype != k.dtype:
            q = q.to(k.dtype)
        if self.engine_numerics:
            o = attention_f16(q, k, v, mask)
        else:
            o = attention(q, k, v, mask)
        o = o.transpose(1, 2).reshape(b, t, cfg.n_head * hd)
        h = h + self.wo(self.attn_sub_norm(o))
        f = self.ffn_norm(h)
        m = F.relu(self.w_gate(f)).square() * self.w_up(f)
        return h + self.w_down(self.ffn_sub_norm(m))


class BitNet(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_embd = nn.Embedding(cfg.n_vocab, cfg.n_embd)
        nn.init.normal_(self.tok_embd.weight, std=0.02)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.output_norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        # Set by set_exact(): the embedding as the GGUF stores it (Q8_0, dequantized), used for lookup and head.
        self.embd_override: torch.Tensor | None = None
        self.q8_head = False

    def set_exact(self, exact: bool, embd: torch.Tensor | None = None, engine: bool = False) -> None:
        """exact: the shipped file's function in float32. engine: additionally llama.cpp's roundings, which our
        engine mirrors (F16 K/V and Q, F16 attention probabilities, the LM head's input quantized to Q8_0)."""
        for m in self.modules():
            if isinstance(m, (BitLinear, RMSNorm)):
                m.exact = exact
            if isinstance(m, Block):
                m.engine_numerics = exact and engine
        self.embd_override = embd if exact else None
        self.q8_head = exact and engine

    def embedding(self) -> torch.Tensor:
        return self.embd_override if self.embd_override is not None else self.tok_embd.weight

    def forward(self, idx: torch.Tensor, pos: torch.Tensor | None = None, mask: torch.Tensor | None = None,
                caches: list[dict] | None = None, last_only: bool = False) -> torch.Tensor:
        """idx (B, T) -> logits (B, T, V). pos: (B, T) positions (default 0..T-1); mask: bool (B, 1, T, Tk)
        attention mask for padded batches (default causal)."""
        b, t = idx.shape
        emb = self.embedding()
        h = F.embedding(idx, emb)
        if self.embd_override is not None:
            h = h.float()
        if pos is None:
            cos, sin = rope_tables(self.cfg, torch.arange(t, device=idx.device))
        else:
            cos, sin = rope_tables(self.cfg, pos)
            cos, sin = cos[:, None], sin[:, None]                    # (B, 1, T, hd/2)
        for il, blk in enumerate(self.blocks):
            h = blk(h, cos, sin, mask, caches[il] if caches is not None else None)
        if last_only:
            h = h[:, -1:]
        h = self.output_norm(h)
        if self.embd_override is not None:
            if self.q8_head:                              # ggml Q8_0 x Q8_0: the hidden state in 8-bit blocks too
                h = q8_0_roundtrip(h)[2]
            return (h.double() @ emb.double().t()).float()
        return F.linear(h, emb)

    def n_params(self) -> dict[str, int]:
        tern = sum(m.weight.numel() for m in self.modules() if isinstance(m, BitLinear))
        return {"ternary": tern, "embedding": self.tok_embd.weight.numel(),
                "norms": sum(m.weight.numel() for m in self.modules() if isinstance(m, RMSNorm))}


def q8_0_roundtrip(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ggml quantize_row_q8_0_ref on rows of w (last dim multiple of 32).
    Returns (d as float16 (..., n/32), q int8 (..., n), dequantized float32 like ggml's dequantize_row_q8_0)."""
    x = w.float().reshape(*w.shape[:-1], -1, 32)
    amax = x.abs().amax(-1, keepdim=True)
    d = amax / 127.0
    inv = torch.where(d != 0, 1.0 / d, torch.zeros_like(d))
    v = x * inv
    q = torch.sign(v) * torch.floor(v.abs() + 0.5)               # roundf: half away from zero
    q = q.clamp(-128, 127)
    d16 = d.to(torch.float16)
    deq = (q * d16.float()).reshape(w.shape)
    return d16.squeeze(-1), q.to(torch.int8).reshape(w.shape), deq


def param_groups(model: BitNet, weight_decay: float) -> list[dict]:
    decay = [m.weight for m in model.modules() if isinstance(m, BitLinear)]
    ids = {id(p) for p in decay}
    rest = [p for p in model.parameters() if id(p) not in ids]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def count_flops_per_token(cfg: Config) -> float:
    lin = cfg.n_layer * (cfg.n_embd * cfg.head_dim * (cfg.n_head * 2 + cfg.n_head_kv * 2) + 3 * cfg.n_embd * cfg.n_ff)
    return 6.0 * (lin + cfg.n_vocab * cfg.n_embd) + 6.0 * cfg.n_layer * cfg.n_ctx * cfg.n_embd


if __name__ == "__main__":
    cfg = Config()
    m = BitNet(cfg)
    print(m.n_params(), f"{count_flops_per_token(cfg) / 1e6:.1f} MFLOP/token",
          f"{math.fsum(m.n_params().values()) / 1e6:.1f}M")
