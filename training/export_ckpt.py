"""Checkpoints.

- Inference checkpoint (what the GGUF is made from): ternary codes packed 4 per byte with the per-tensor f32
  absmean scale, the token embedding in ggml Q8_0 (f16 block scale + int8), RMSNorm weights in f32. It is the
  shipped model exactly; about 17 MB.
  It also carries the training state (step, tokens, training seconds), so training can continue from it on
  another machine (`train.py --resume`; the optimizer moments are not kept and re-warm within the warmup).
Written as parts of at most 15 MiB so they can be moved one file at a time.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import torch

from model import BitLinear, BitNet, Config, RMSNorm, q8_0_roundtrip, ternary

PART = 15 << 20


def pack2(codes: torch.Tensor) -> torch.Tensor:
    """Codes in {-1,0,1} (flat, length multiple of 4) -> uint8, element 4i+k in bits 2k..2k+1 as code+1."""
    c = (codes.reshape(-1, 4).to(torch.int16) + 1)
    return (c[:, 0] | (c[:, 1] << 2) | (c[:, 2] << 4) | (c[:, 3] << 6)).to(torch.uint8)


def unpack2(packed: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    p = packed.to(torch.int16)
    c = torch.stack([(p >> (2 * k)) & 3 for k in range(4)], dim=1).reshape(shape)
    return (c - 1).float()


def write_parts(obj: dict, out: Path) -> list[Path]:
    buf = io.BytesIO()
    torch.save(obj, buf)
    data = buf.getvalue()
    out.parent.mkdir(parents=True, exist_ok=True)
    for old in out.parent.glob(out.name + ".part*"):
        old.unlink()
    paths = []
    for i in range(0, len(data), PART):
        p = out.parent / f"{out.name}.part{i // PART}"
        tmp = p.with_suffix(".tmp")
        tmp.write_bytes(data[i:i + PART])
        os.replace(tmp, p)
        paths.append(p)
    return paths


def read_parts(out: Path) -> dict:
    parts = sorted(out.parent.glob(out.name + ".part*"), key=lambda p: int(p.name.rsplit("part", 1)[1]))
    if not parts:
        raise FileNotFoundError(f"no parts of {out}")
    return torch.load(io.BytesIO(b"".join(p.read_bytes() for p in parts)), map_location="cpu")


@torch.no_grad()
def infer_state(model: BitNet) -> dict:
    t: dict[str, object] = {}
    for name, m in model.named_modules():
        if isinstance(m, BitLinear):
            codes, s = ternary(m.weight.float())
            t[name + ".codes"] = pack2(codes.flatten().to(torch.int8)).cpu()
            t[name + ".scale"] = s.float().cpu().reshape(1)
            t[name + ".shape"] = tuple(m.weight.shape)
        elif isinstance(m, RMSNorm):
            t[name + ".weight"] = m.weight.detach().float().cpu()
    d16, q, _ = q8_0_roundtrip(model.tok_embd.weight.detach())
    t["tok_embd.d"] = d16.cpu()
    t["tok_embd.q"] = q.cpu()
    return {"config": model.cfg.to_dict(), "tensors": t}


def model_from_infer_state(st: dict, device: str = "cpu", engine: bool = False) -> BitNet:
    cfg = Config(**st["config"])
    model = BitNet(cfg)
    t = st["tensors"]
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, BitLinear):
                shape = tuple(t[name + ".shape"])
                codes = unpack2(t[name + ".codes"], shape)
                scale = t[name + ".scale"].float().reshape(())
                m.weight.copy_(codes * scale)
                m.stored = (codes.to(device), scale.to(device))
            elif isinstance(m, RMSNorm):
                m.weight.copy_(t[name + ".weight"])
        d = t["tok_embd.d"].float()
        q = t["tok_embd.q"].float()
        deq = (q.reshape(cfg.n_vocab, -1, 32) * d[..., None]).reshape(cfg.n_vocab, cfg.n_embd)
        model.tok_embd.weight.copy_(deq)
    model.to(device)
    model.set_exact(True, model.tok_embd.weight.detach().float(), engine=engine)
    model.eval()
    return model


def load_infer_ckpt(path: Path, device: str = "cpu") -> BitNet:
    return model_from_infer_state(read_parts(Path(path)), device)


@torch.no_grad()
def latent_from_infer(model: BitNet, st: dict) -> None:
    """Loads an inference checkpoint into a model's latent weights so that training continues from exactly the
    same ternary model: latent = codes * scale / mean|codes| has absmean `scale` and ternarizes to `codes`."""
    src = model_from_infer_state(st, "cpu")
    for (name, m), (_, m2) in zip(model.named_modules(), src.named_modules()):
        if isinstance(m, BitLinear):
            codes, scale = m2.stored  # type: ignore[misc]
            frac = codes.abs().mean().clamp(min=1e-6)
            m.weight.copy_((codes * scale / frac).to(m.weight.device))
        elif isinstance(m, RMSNorm):
            m.weight.copy_(m2.weight.to(m.weight.device))
    model.tok_embd.weight.copy_(src.tok_embd.weight.to(model.tok_embd.weight.device))
