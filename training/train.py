"""Trains the BitNet b1.58 code model on packed FIM windows, on a wall-clock budget.

    python3 training/train.py --data DIR --n-shards N --tokenizer tokenizer.json --heldout heldout.jsonl.xz \\
        --minutes 26 --out runs/main [--resume runs/old/resume.pt]

Learning-rate schedule (BitNet b1.58's two phases) on training time, not steps:
- warmup over the first 150 steps;
- phase 1 (first half): cosine from the peak to 0.6 x peak, weight decay 0.1 on the ternary latents;
- phase 2 (second half): 0.3 x peak, cosine to 0, no weight decay (the cool-down).
At the fractions given by --eval-at the clock stops, the model is evaluated on held-out cursor completions and
bits per byte, and inference + resume checkpoints are written (each in parts of at most 15 MiB).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval import bits_per_byte, build_cases, load_heldout, score_cases  # noqa: E402
from export_ckpt import infer_state, latent_from_infer, read_parts, write_parts  # noqa: E402
from model import BitNet, Config, param_groups  # noqa: E402
from tok import PAD  # noqa: E402


def lr_at(p: float, step: int, peak: float, warmup: int) -> tuple[float, float]:
    """(lr, weight decay) at training-time fraction p."""
    w = min(1.0, (step + 1) / warmup)
    if p < 0.5:
        f = 0.6 + 0.4 * 0.5 * (1 + math.cos(math.pi * p / 0.5))
        return peak * f * w, 0.1
    q = min(1.0, (p - 0.5) / 0.5)
    return peak * 0.3 * 0.5 * (1 + math.cos(math.pi * q)) * w, 0.0


class Draws:
    """Serves batches from draw files draw{d:02d}-<shard>.npy, one draw (all shards) at a time."""

    def __init__(self, data: Path, n_shards: int, device: str, seed: int) -> None:
        self.data, self.n_shards, self.device = data, n_shards, device
        self.rng = np.random.default_rng(seed)
        self.d = -1
        self.buf: torch.Tensor | None = None
        self.perm: np.ndarray = np.zeros(0, dtype=np.int64)
        self.at = 0
        self.n_files = 0

    def _load(self, d: int) -> None:
        """Draw 0 waits for the first n_shards shards; a later draw takes every shard whose draw d exists
        (shards that arrive while training runs join from their first draw on)."""
        t0 = time.time()
        while True:
            files = [f for f in sorted(self.data.glob(f"draw{d:02d}-*.npy")) if not f.name.endswith(".tmp.npy")]
            need = self.n_shards if d == 0 else max(1, self.n_files)
            if len(files) >= need or (d > 0 and files and time.time() - t0 > 60):
                break
            if d > 0 and not files and time.time() - t0 > 60:
                d = 0                                     # no further draws were made: start over
                continue
            time.sleep(1)
        self.n_files = len(files)
        arr = np.concatenate([np.load(f) for f in files])
        self.buf = torch.from_numpy(arr.view(np.int16)).to(self.device)
        self.perm = self.rng.permutation(len(arr))
        self.at = 0
        self.d = d
        print(f"loaded draw {d}: {len(arr)} windows from {len(files)} files ({time.time() - t0:.0f}s)", flush=True)

    def next(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self.buf is None or self.at + batch > len(self.perm):
            self._load(self.d + 1)
        idx = torch.from_numpy(self.perm[self.at:self.at + batch]).to(self.device)
        self.at += batch
        w = self.buf[idx].long()                                         # type: ignore[index]
        return w[:, :-1], w[:, 1:]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--n-shards", type=int, required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--heldout", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--minutes", type=float, default=26)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=4e-3)
    p.add_argument("--warmup", type=int, default=150)
    p.add_argument("--eval-at", default="0.2,0.45,0.7,0.9,1.0")
    p.add_argument("--eval-cases", type=int, default=600)
    p.add_argument("--bpb-bytes", type=float, default=1e6)
    p.add_argument("--layers", type=int, default=10)
    p.add_argument("--n-embd", type=int, default=512)
    p.add_argument("--n-ff", type=int, default=1536)
    p.add_argument("--resume", default="")
    p.add_argument("--no-compile", action="store_true")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = p.parse_args()

    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(a.tokenizer)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    dev = a.device
    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True

    cfg = Config(n_layer=a.layers, n_embd=a.n_embd, n_ff=a.n_ff, n_vocab=tok.get_vocab_size())
    model = BitNet(cfg).to(dev)
    state = {"step": 0, "tokens": 0, "train_seconds": 0.0, "budget_seconds": a.minutes * 60, "evals": []}
    if a.resume:
        # Continue from an inference checkpoint: the ternary model is restored exactly (latents = codes times a
        # scale chosen so that re-ternarizing gives the same codes and the same absmean scale).
        ck = read_parts(Path(a.resume))
        latent_from_infer(model, ck)
        state.update(ck.get("state", {}))
        state["budget_seconds"] = a.minutes * 60 + state["train_seconds"]
        print(f"resumed at step {state['step']} ({state['tokens'] / 1e6:.0f}M tokens)", flush=True)
    print(json.dumps({"config": cfg.to_dict(), "params": model.n_params()}), flush=True)
    opt = torch.optim.AdamW(param_groups(model, 0.1), lr=a.lr, betas=(0.9, 0.95), eps=1e-8,
                            **({"fused": True} if dev == "cuda" else {}))

    def loss_fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = model(x)
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), y.reshape(-1), ignore_index=PAD)

    step_loss = loss_fn if (a.no_compile or dev != "cuda") else torch.compile(loss_fn)
    held: dict = {}

    def heldout_cases() -> tuple[list[dict], list[dict]]:
        """Held-out files and eval cases, loaded at the first evaluation (the shard may arrive after the start)."""
        if not held:
            while not Path(a.heldout).exists():
                time.sleep(2)
            held["recs"] = load_heldout(Path(a.heldout))
            held["cases"] = build_cases(held["recs"], a.eval_cases)
            (out / "eval-cases.json").write_text(json.dumps(held["cases"]))
        return held["recs"], held["cases"]
    if dev == "cuda" and not a.no_compile:
        # Compile forward and backward on random tokens while the first draw is being prepared (no update).
        t0 = time.time()
        xw = torch.randint(0, cfg.n_vocab, (a.batch, cfg.n_ctx + 1), device=dev)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            step_loss(xw[:, :-1], xw[:, 1:]).backward()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        print(f"compiled in {time.time() - t0:.0f}s", flush=True)
    data = Draws(Path(a.data), a.n_shards, dev, seed=state["step"])
    eval_at = [float(x) for x in a.eval_at.split(",")]
    eval_at = [x for x in eval_at if x * state["budget_seconds"] > state["train_seconds"] + 1]
    ctx = torch.autocast("cuda", dtype=torch.bfloat16) if dev == "cuda" else torch.autocast("cpu", enabled=False)
    tokens_per_step = a.batch * cfg.n_ctx
    losses: list[float] = []
    data._load(0)                                         # waiting for the first draw is not training time
    t_last = time.time()
    while True:
        p_now = state["train_seconds"] / state["budget_seconds"]
        if eval_at and p_now >= eval_at[0]:
            eval_at.pop(0)
            heldout, cases = heldout_cases()
            run_eval(model, tok, cases, heldout, state, out, dev, losses, a.bpb_bytes)
            t_last = time.time()
            if p_now >= 1.0:
                break
            continue
        lr, wd = lr_at(p_now, state["step"], a.lr, a.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.param_groups[0]["weight_decay"] = wd              # the ternary latents; the rest never decays
        x, y = data.next(a.batch)
        with ctx:
            loss = step_loss(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        state["step"] += 1
        state["tokens"] += tokens_per_step
        if state["step"] % 50 == 0:
            lv = float(loss)
            losses.append(lv)
            now = time.time()
            state["train_seconds"] += now - t_last
            t_last = now
            print(f"step {state['step']} tok {state['tokens'] / 1e6:.0f}M loss {lv:.4f} lr {lr:.2e} "
                  f"t {state['train_seconds']:.0f}s draw {data.d}", flush=True)
        elif dev != "cuda" or state["step"] < 50:
            now = time.time()
            state["train_seconds"] += now - t_last
            t_last = now
    print("done", flush=True)


def run_eval(model: BitNet, tok, cases, heldout, state: dict, out: Path, dev: str, losses: list[float],
             bpb_bytes: float) -> None:
    t0 = time.time()
    model.eval()
    comp = score_cases(model, tok, cases, samples=8)
    bpb = bits_per_byte(model, tok, heldout, max_bytes=bpb_bytes)
    model.train()
    rec = {"step": state["step"], "tokens": state["tokens"], "train_seconds": round(state["train_seconds"], 1),
           "train_loss": float(np.mean(losses[-10:])) if losses else None, "bpb": bpb,
           "em": {m: r["em"] for m, r in comp.items()}, "es": {m: r["es"] for m, r in comp.items()},
           "detail": comp, "eval_seconds": round(time.time() - t0, 1)}
    state["evals"].append({k: v for k, v in rec.items() if k != "detail"})
    with open(out / "metrics.jsonl", "a") as f:
        f.write(json.dumps(rec) + "\n")
    ck = infer_state(model)
    ck["state"] = {k: v for k, v in state.items() if k != "evals"}
    write_parts(ck, out / "infer.pt")
    print(f"EVAL step {state['step']} tokens {state['tokens'] / 1e6:.0f}M em {rec['em']} es "
          f"{ {m: round(v, 3) for m, v in rec['es'].items()} } bpb {bpb['all']:.4f} ({rec['eval_seconds']}s)",
          flush=True)


if __name__ == "__main__":
    main()
