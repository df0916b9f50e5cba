"""Train the multi-task model: ``python -m openecg.stage2.train --config configs/stage2_small.json``.

Seeded; logs the training losses every 50 steps and the validation figures every ``eval_every`` steps to
``<out>/log.jsonl``; checkpoints to ``<out>/last.pt`` after each evaluation and resumes from it when run again
with the same ``--out``; writes the best model (lowest validation loss) with ``save_pretrained`` to
``<out>/best``. Validation uses the committed ``val`` split of each database (``openecg/data/splits/``).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import time
from pathlib import Path

import numpy as np
import torch

from .. import data
from .config import OpenECGConfig
from .losses import multitask_loss
from .model import OpenECGModel
from .tracks import Track, tracks_from_record
from .windows import Batch, WindowSampler

__all__ = ["main", "load_tracks", "motion_noise", "tile_windows"]


def load_tracks(name: str, split: str, fs: float, root: str | None = None) -> list[Track]:
    """All tracks (one per lead) of the ``split`` records of database ``name`` at ``fs``."""
    return [t for rec in data.iter_records(name, split=split, root=root) for t in tracks_from_record(rec, fs=fs)]


def motion_noise(records: list[str], fs: float, root: str | None = None) -> np.ndarray:
    """Real electrode-motion noise at ``fs``: both leads of the lowest-SNR NSTDB training record, noisy minus
    clean, keeping only the 2-s blocks where noise was added (NSTDB alternates noisy and clean minutes)."""
    from fractions import Fraction

    from scipy.signal import resample_poly

    record = sorted(records, key=lambda r: int(r[4:].replace("_", "-")))[0]
    noise = data.nstdb_noise(record, root=root)
    ratio = Fraction(fs / 360.0).limit_denominator(1000)
    noise = resample_poly(noise, ratio.numerator, ratio.denominator, axis=0).astype(np.float32)
    block = int(2 * fs)
    blocks = noise[: noise.shape[0] // block * block].T.reshape(-1, block)
    return np.ascontiguousarray(blocks[blocks.std(axis=1) > 1e-3].ravel())


def tile_windows(tracks: list[Track], window: int, per_track: int) -> Batch:
    """Fixed validation windows: up to ``per_track`` consecutive windows over each track's supervised span."""
    from ..signal.normalize import normalize_windows

    xs, ls, ms, qs = [], [], [], []
    for t in tracks:
        sup = t.supervised
        if sup.size == 0:
            continue
        for k in range(per_track):
            start = int(sup[0]) + k * window
            if start >= min(int(sup[-1]) + 1, t.signal.size):
                break
            start = max(0, min(start, t.signal.size - window))
            sl = slice(start, start + window)
            if t.signal[sl].size < window:
                continue
            xs.append(t.signal[sl]), ls.append(t.labels[:, sl]), ms.append(t.mask[:, sl]), qs.append(t.qrs[sl])
    return Batch(normalize_windows(np.stack(xs)), np.stack(ls), np.stack(ms), np.stack(qs))


def _tensors(batch: Batch) -> tuple[torch.Tensor, ...]:
    return (
        torch.from_numpy(batch.x)[:, None],
        torch.from_numpy(batch.labels.astype(np.int64)),
        torch.from_numpy(batch.mask),
        torch.from_numpy(batch.qrs.astype(np.int64)),
    )


@torch.no_grad()
def evaluate(model: OpenECGModel, val: dict[str, Batch], beat_weight: torch.Tensor, qrs_weight: float) -> dict:
    """Validation losses per database and head, and per-sample accuracy of each head where labelled."""
    model.eval()
    report: dict[str, dict[str, float]] = {}
    for name, batch in val.items():
        sums: dict[str, float] = {}
        for i in range(0, batch.x.shape[0], 64):
            part = Batch(*(a[i : i + 64] for a in (batch.x, batch.labels, batch.mask, batch.qrs)))
            x, labels, mask, qrs = _tensors(part)
            out = model(x)
            losses = multitask_loss(out, labels, mask, qrs, beat_weight=beat_weight, qrs_weight=qrs_weight)
            n = x.shape[0]
            for key, value in losses.items():
                sums[f"loss_{key}"] = sums.get(f"loss_{key}", 0.0) + float(value) * n
            wave_pred = out[0].argmax(1)
            sums["wave_correct"] = sums.get("wave_correct", 0.0) + float(((wave_pred == labels[:, 0]) & mask[:, 0]).sum())
            sums["wave_count"] = sums.get("wave_count", 0.0) + float(mask[:, 0].sum())
        n_total = batch.x.shape[0]
        report[name] = {k: v / n_total for k, v in sums.items() if k.startswith("loss_")}
        if sums["wave_count"]:
            report[name]["wave_accuracy"] = sums["wave_correct"] / sums["wave_count"]
    model.train()
    return report


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="training config JSON (configs/stage2_small.json)")
    parser.add_argument("--out", help="run folder (default runs/<name>)")
    parser.add_argument("--data", help="databases folder (default $OPENECG_DATA)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    cfg = json.loads(Path(args.config).read_text())
    out = Path(args.out or f"runs/{cfg['name']}")
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(cfg["seed"])
    fs, window = cfg["model"]["fs"], cfg["model"]["window"]

    t0 = time.time()
    train_tracks = {n: load_tracks(n, "train", fs, args.data) for n in cfg["datasets"]}
    val_tracks = {n: load_tracks(n, "val", fs, args.data) for n in cfg["datasets"]}
    noise = motion_noise(data.load_split("nstdb")["train"], fs, args.data)
    sampler = WindowSampler(train_tracks, cfg["datasets"], noise, fs=fs, window=window, seed=cfg["seed"])
    val = {n: tile_windows(t, window, cfg["val_windows_per_track"]) for n, t in val_tracks.items() if t}
    print(f"data ready in {time.time() - t0:.0f} s: "
          + ", ".join(f"{n} {len(train_tracks[n])}/{len(val_tracks[n])} tracks" for n in cfg["datasets"]), flush=True)

    training_data = {n: {"split": "train", "tracks": len(train_tracks[n]), "weight": w} for n, w in cfg["datasets"].items()}
    config = OpenECGConfig(**cfg["model"], training_data=training_data, git_commit=_git_commit(),
                           init_from=cfg.get("init_from"))
    model = OpenECGModel(config)
    if cfg.get("init_from"):  # fine-tuning: start from the weights of an earlier run's save_pretrained folder
        from safetensors.torch import load_file

        model.load_state_dict(load_file(str(Path(cfg["init_from"]) / "model.safetensors")))
        print(f"initialised from {cfg['init_from']}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    beat_weight = torch.tensor(cfg["beat_class_weights"], dtype=torch.float32)
    step, best = 0, math.inf
    ckpt = out / "last.pt"
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"]), opt.load_state_dict(state["opt"])
        step, best = state["step"], state["best"]
        sampler.rng = np.random.default_rng([cfg["seed"], step])
        print(f"resumed from {ckpt} at step {step}", flush=True)

    def lr_at(s: int) -> float:
        if s < cfg["warmup_steps"]:
            return cfg["lr"] * (s + 1) / cfg["warmup_steps"]
        progress = (s - cfg["warmup_steps"]) / max(1, cfg["steps"] - cfg["warmup_steps"])
        return cfg["lr"] * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    log = (out / "log.jsonl").open("a")
    model.train()
    running: dict[str, float] = {}
    t_last = time.time()
    while step < cfg["steps"]:
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        x, labels, mask, qrs = _tensors(sampler.draw(cfg["batch_size"]))
        losses = multitask_loss(model(x), labels, mask, qrs, beat_weight=beat_weight, qrs_weight=cfg["qrs_presence_weight"])
        opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        for k, v in losses.items():
            running[k] = running.get(k, 0.0) + float(v.detach())
        if step % 50 == 0:
            rate = 50 / (time.time() - t_last)
            t_last = time.time()
            entry = {"step": step, "lr": lr_at(step), "steps_per_s": round(rate, 3)} | {k: v / 50 for k, v in running.items()}
            running = {}
            print(json.dumps(entry), flush=True)
            log.write(json.dumps(entry) + "\n")
        if step % cfg["eval_every"] == 0 or step == cfg["steps"]:
            report = evaluate(model, val, beat_weight, cfg["qrs_presence_weight"])
            score = sum(r["loss_total"] for r in report.values())
            entry = {"step": step, "val": report, "val_total": score}
            print(json.dumps(entry), flush=True)
            log.write(json.dumps(entry) + "\n")
            log.flush()
            if score < best:
                best = score
                model.config.metrics = {"val_losses": report, "step": step}
                model.save_pretrained(out / "best")
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "best": best}, ckpt)
    last = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines() if '"val"' in line][-1]
    model.config.metrics = {"val_losses": last["val"], "step": last["step"]}
    model.save_pretrained(out / "final")


if __name__ == "__main__":
    main()
