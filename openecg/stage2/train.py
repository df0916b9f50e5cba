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
from transformers import get_cosine_schedule_with_warmup

from .. import data
from .configuration_openecg import OpenECGConfig, TrainingConfig
from .losses import distillation_loss, multitask_loss
from .modeling_openecg import OpenECGModel
from .tracks import Track, tracks_from_record
from .sampler import Batch, WindowSampler

__all__ = ["main", "load_tracks", "motion_noise", "tile_windows", "fused_teacher", "teacher_targets"]

HEADS = ("wave", "beat", "rhythm")


def load_tracks(name: str, split: str, fs: float, root: str | None = None, *, synth_per_record: int = 2,
                seed: int = 0) -> list[Track]:
    """All tracks (one per lead) of the ``split`` records of database ``name`` at ``fs``; for ``synth_af``, the
    recordings :func:`openecg.stage2.synth_af.synth_tracks` makes from that split (``synth_per_record``,
    ``seed``)."""
    if name == "synth_af":
        from . import synth_af

        if fs != synth_af.FS:
            raise ValueError(f"synth_af tracks are made at {synth_af.FS} Hz, the model runs at fs={fs}")
        return synth_af.synth_tracks(split, per_record=synth_per_record, seed=seed, root=root)
    return [t for rec in data.iter_records(name, split=split, root=root) for t in tracks_from_record(rec, fs=fs)]


def motion_noise(records: list[str], fs: float, root: str | None = None) -> np.ndarray:
    """Real electrode-motion noise at ``fs``: both leads of the lowest-SNR NSTDB training record, noisy minus
    clean, keeping only the 2-s blocks where noise was added (NSTDB alternates noisy and clean minutes)."""
    from ..signal.resample import resample

    record = sorted(records, key=lambda r: int(r[4:].replace("_", "-")))[0]
    noise = data.nstdb_noise(record, root=root)
    noise = resample(noise, fs_from=360.0, fs_to=fs)
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
            wave_pred = out.wave.argmax(1)
            sums["wave_correct"] = sums.get("wave_correct", 0.0) + float(((wave_pred == labels[:, 0]) & mask[:, 0]).sum())
            sums["wave_count"] = sums.get("wave_count", 0.0) + float(mask[:, 0].sum())
        n_total = batch.x.shape[0]
        report[name] = {k: v / n_total for k, v in sums.items() if k.startswith("loss_")}
        if sums["wave_count"]:
            report[name]["wave_accuracy"] = sums["wave_correct"] / sums["wave_count"]
    model.train()
    return report


def fused_teacher(teacher: OpenECGModel, batch: Batch) -> list[torch.Tensor]:
    """The teacher's log-probabilities for each window of ``batch``, averaged (as probabilities) over the rows
    of ``batch.teacher_x`` that window holds (its own lead and other leads of its record): wave, beat and
    rhythm, ``[B, C, t]`` each, usable as logits by :func:`~openecg.stage2.losses.distillation_loss`."""
    b, k, t_len = batch.teacher_x.shape
    count = np.maximum(batch.teacher_n, 1)  # an empty window has one zero row
    rows = np.flatnonzero(np.arange(k)[None, :] < count[:, None])
    out = teacher(torch.from_numpy(batch.teacher_x.reshape(b * k, t_len)[rows])[:, None])
    owner = torch.from_numpy(rows // k)
    weight = torch.from_numpy(1.0 / count.astype(np.float32))
    fused = []
    for logits in out[:3]:
        probs = torch.softmax(logits, dim=1)
        total = torch.zeros((b,) + probs.shape[1:], dtype=probs.dtype).index_add_(0, owner, probs)
        fused.append(torch.log((total * weight[:, None, None]).clamp_min(1e-8)))
    return fused


def teacher_targets(teacher: OpenECGModel, x: torch.Tensor, batch: Batch, fused_heads: list[str]) -> list[torch.Tensor]:
    """The teacher's outputs that the student's wave, beat and rhythm heads are distilled towards: fused
    over ``batch.teacher_x`` (:func:`fused_teacher`) for the heads named in ``fused_heads``, the teacher run
    on the student's own windows ``x`` for the others (and for every head when the batch has no
    ``teacher_x``)."""
    if batch.teacher_x is None:
        return list(teacher(x)[:3])
    fused = fused_teacher(teacher, batch)
    if set(HEADS) <= set(fused_heads):
        return fused
    own = teacher(x)
    return [fused[i] if head in fused_heads else own[i] for i, head in enumerate(HEADS)]


def _train_mode(model: OpenECGModel, freeze_batchnorm: bool) -> None:
    """Training mode; with ``freeze_batchnorm`` every BatchNorm keeps its running statistics (eval mode),
    as a model whose BatchNorm was folded into its convolutions needs (the shipped ``default`` weights were
    recovered from an int8 file with BatchNorm folded, see ``model_cards/default.md``)."""
    model.train()
    if freeze_batchnorm:
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                module.eval()


def _student(cfg: TrainingConfig, training_data: dict) -> OpenECGModel:
    """A model of ``cfg.model`` holding every weight of ``cfg.init_from`` except the encoder layers, of which
    layer ``i`` comes from source layer ``cfg.init_layers[i]``; where that is ``None``, layer ``i`` is new and
    starts as the identity (its attention output and its second feed-forward linear are zero, so the model
    computes what the source computes)."""
    source = OpenECGModel.from_pretrained(cfg.init_from)
    differ = {k: (getattr(source.config, k), v) for k, v in cfg.model.items()
              if k != "n_layers" and getattr(source.config, k) != v}
    sources = [i for i in cfg.init_layers if i is not None]
    if differ or max(sources, default=0) >= source.config.n_layers:
        raise ValueError(f"init_layers={cfg.init_layers} from {cfg.init_from} ({source.config.n_layers} layers): "
                         f"settings other than n_layers must match, these differ: {differ}")
    model = OpenECGModel(OpenECGConfig(**cfg.model, training_data=training_data, git_commit=_git_commit()))
    state = model.state_dict()
    for key, value in source.state_dict().items():
        if key.startswith("layers."):
            _, j, rest = key.split(".", 2)
            for i, src in enumerate(cfg.init_layers):
                if src == int(j):
                    state[f"layers.{i}.{rest}"] = value
        else:
            state[key] = value
    for i, src in enumerate(cfg.init_layers):
        if src is None:
            for name in ("proj.weight", "proj.bias", "ff.2.weight", "ff.2.bias"):
                state[f"layers.{i}.{name}"] = torch.zeros_like(state[f"layers.{i}.{name}"])
    model.load_state_dict(state)
    model.config.init_from = f"{cfg.init_from} (encoder layers {cfg.init_layers})"
    return model


def _fine_tuning_start(cfg: TrainingConfig, training_data: dict) -> OpenECGModel:
    """The weights and architecture of ``cfg.init_from``. ``cfg.model`` must match them, except
    ``token_pool``, which adds no parameters: when given, it switches token pooling on or off; when not, the
    starting model's own is kept."""
    pool = {"token_pool": cfg.model["token_pool"]} if "token_pool" in cfg.model else {}
    model = OpenECGModel.from_pretrained(cfg.init_from, **pool)
    differ = {k: (getattr(model.config, k), v) for k, v in cfg.model.items() if getattr(model.config, k) != v}
    if differ:
        raise ValueError(f"model settings {differ} (init_from, config) differ; fine-tuning keeps the architecture "
                         "(only token_pool may change: it adds no parameters)")
    model.config.training_data, model.config.git_commit = training_data, _git_commit()
    model.config.init_from = cfg.init_from
    return model


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
    cfg = TrainingConfig.from_json(args.config)
    out = Path(args.out or f"runs/{cfg.name}")
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(cfg.seed)
    fs, window = cfg.model["fs"], cfg.model["window"]

    t0 = time.time()
    train_tracks = {n: load_tracks(n, "train", fs, args.data, synth_per_record=cfg.synth_per_record, seed=cfg.seed)
                    for n in cfg.datasets}
    val_tracks = {n: load_tracks(n, "val", fs, args.data, synth_per_record=cfg.synth_per_record, seed=cfg.seed)
                  for n in cfg.datasets}
    noise = motion_noise(data.load_split("nstdb")["train"], fs, args.data)
    sampler = WindowSampler(train_tracks, cfg.datasets, noise, fs=fs, window=window, seed=cfg.seed,
                            teacher_leads=cfg.distill_fused_leads if cfg.distill_from else 0,
                            teacher_own_lead=cfg.distill_fused_own_lead)
    val = {n: tile_windows(t, window, cfg.val_windows_per_track) for n, t in val_tracks.items() if t}
    print(f"data ready in {time.time() - t0:.0f} s: "
          + ", ".join(f"{n} {len(train_tracks[n])}/{len(val_tracks[n])} tracks" for n in cfg.datasets), flush=True)

    training_data = {n: {"split": "train", "tracks": len(train_tracks[n]), "weight": w} for n, w in cfg.datasets.items()}
    if cfg.init_from and cfg.init_layers is not None:  # a shallower student started from chosen layers
        model = _student(cfg, training_data)
        print(f"initialised from {cfg.init_from}, encoder layers {cfg.init_layers}", flush=True)
    elif cfg.init_from:  # fine-tuning: the weights and architecture of an earlier save_pretrained folder
        model = _fine_tuning_start(cfg, training_data)
        print(f"initialised from {cfg.init_from}", flush=True)
    else:
        model = OpenECGModel(OpenECGConfig(**cfg.model, training_data=training_data, git_commit=_git_commit()))
    teacher = OpenECGModel.from_pretrained(cfg.distill_from).eval() if cfg.distill_from else None
    if teacher is not None:
        model.config.distilled_from = cfg.distill_from
    freeze_bn = cfg.freeze_batchnorm
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    beat_weight = torch.tensor(cfg.beat_class_weights, dtype=torch.float32)
    step, best = 0, math.inf
    schedule = get_cosine_schedule_with_warmup(opt, num_warmup_steps=cfg.warmup_steps, num_training_steps=cfg.steps)
    ckpt = out / "last.pt"
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"]), opt.load_state_dict(state["opt"]), schedule.load_state_dict(state["schedule"])
        step, best = state["step"], state["best"]
        sampler.rng = np.random.default_rng([cfg.seed, step])
        print(f"resumed from {ckpt} at step {step}", flush=True)

    log = (out / "log.jsonl").open("a")
    _train_mode(model, freeze_bn)
    running: dict[str, float] = {}
    t_last = time.time()
    while step < cfg.steps:
        batch = sampler.draw(cfg.batch_size)
        x, labels, mask, qrs = _tensors(batch)
        logits = model(x)
        losses = multitask_loss(logits, labels, mask, qrs, beat_weight=beat_weight, qrs_weight=cfg.qrs_presence_weight)
        if teacher is not None:
            with torch.no_grad():
                target = teacher_targets(teacher, x, batch, cfg.distill_fused_heads)
            keep = torch.from_numpy(~np.isin(batch.source, cfg.distill_exclude))
            losses["distill"] = distillation_loss(logits, target, keep=keep)
            losses["total"] = losses["total"] + cfg.distill_weight * losses["distill"]
        opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
        step += 1
        for k, v in losses.items():
            running[k] = running.get(k, 0.0) + float(v.detach())
        if step % 50 == 0:
            rate = 50 / (time.time() - t_last)
            t_last = time.time()
            entry = {"step": step, "lr": schedule.get_last_lr()[0], "steps_per_s": round(rate, 3)} | {k: v / 50 for k, v in running.items()}
            running = {}
            print(json.dumps(entry), flush=True)
            log.write(json.dumps(entry) + "\n")
        if step % cfg.eval_every == 0 or step == cfg.steps:
            report = evaluate(model, val, beat_weight, cfg.qrs_presence_weight)
            _train_mode(model, freeze_bn)
            score = sum(r["loss_total"] for r in report.values())
            entry = {"step": step, "val": report, "val_total": score}
            print(json.dumps(entry), flush=True)
            log.write(json.dumps(entry) + "\n")
            log.flush()
            if score < best:
                best = score
                model.config.metrics = {"val_losses": report, "step": step}
                model.save_pretrained(out / "best")
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "schedule": schedule.state_dict(), "step": step, "best": best}, ckpt)
    last = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines() if '"val"' in line][-1]
    model.config.metrics = {"val_losses": last["val"], "step": last["step"]}
    model.save_pretrained(out / "final")


if __name__ == "__main__":
    main()
