"""Train the second beat stage (RR context, :mod:`openecg.stream.rr_beats`) on a model's outputs.

``python -m openecg.stage2.beat_stage --model default --out runs/beat-stage-default``

For every TRAINING record of the beat-labelled databases (MIT-BIH and SVDB ``train`` splits, lead 0), the
model is run over the whole record exactly as the stream runs it (same resampler, windows and stitching),
the wave channel is decoded, each QRS run gets :func:`~openecg.stream.rr_beats.beat_features`, and runs are
matched to reference beats (nearest run centre within 150 ms) for their class. A multinomial logistic
regression (scikit-learn, training only; C = 1, no class weights, nothing tuned on validation records) is
fitted and written as ``beat_stage.json``, which the runtime evaluates with numpy. What the network gives
for each record is cached in ``<out>/cache/`` (the AF stage, :mod:`.af_stage`, learns from the same cache).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..data import iter_records, load_split
from ..signal.resample import map_index, resample
from ..stream.rr_beats import FEATURE_NAMES, BeatStage, beat_features
from ..stream.decoder import BEAT_SLICE, N_FEATURES, RHYTHM_SLICE, decode_frames
from ..stream.engine import GUARD_S
from ..stream.geometry import Geometry, plan
from ..tokenizer.rle import label_runs
from ..tokenizer.vocab import QRS_CLASSES

__all__ = ["stitched_features", "qrs_runs", "extract_record", "fit", "main"]

MATCH_S = 0.150
RHYTHM_STEP = 16
DATASETS = ("mitdb", "svdb")
SVDB_MAX_S = 600.0
"""SVDB training records are used for their first 10 minutes (CPU time for the extraction)."""


def stitched_features(predictor, signal: np.ndarray, fs: float, *, batch_size: int = 32) -> np.ndarray:
    """float32 ``(m, 20)`` stitched probabilities of one lead at the model's rate, as the stream makes them
    (every sample marked readable)."""
    x = resample(np.nan_to_num(np.asarray(signal, np.float32)), fs_from=fs, fs_to=predictor.fs)[:, 0]
    m, window = len(x), predictor.window
    geo = Geometry(window=window, guard=int(round(GUARD_S * predictor.fs)))
    regions = plan(m, geo)
    padded = np.zeros(max(m, window), np.float32)
    padded[:m] = x
    feats = np.zeros((m, N_FEATURES), np.float32)
    feats[:, -1] = 1.0
    for i in range(0, len(regions), batch_size):
        part = regions[i:i + batch_size]
        out = predictor.predict(np.stack([padded[s:s + window] for s, _, _ in part]))
        probs = np.concatenate([out["wave"], out["beat"], out["rhythm"]], axis=2)
        for row, (s, lo, hi) in zip(probs, part):
            feats[lo:hi, :-1] = row[lo - s:hi - s]
    return feats


def qrs_runs(feats: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(starts, lengths, sums (n, 7))`` of the QRS runs the decoder finds in ``feats``."""
    wave = decode_frames(feats, fs)[0]
    starts, lengths, values = label_runs(wave)
    qrs = np.isin(values, QRS_CLASSES)
    sums = np.add.reduceat(feats[:, BEAT_SLICE], starts, axis=0)[qrs] if qrs.any() else np.zeros((0, 7))
    return starts[qrs], lengths[qrs], sums


def extract_record(predictor, record, *, max_s: float | None = None) -> dict[str, np.ndarray]:
    """What both second stages learn from, for lead 0 of one record (the first ``max_s`` seconds): the QRS
    runs and their beat sums, the per-sample rhythm probabilities every ``RHYTHM_STEP`` samples, and the
    reference beats, classes and rhythm mapped to the model's rate."""
    rec = record.recording
    n = rec.n_samples if max_s is None else min(rec.n_samples, int(round(max_s * rec.fs)))
    feats = stitched_features(predictor, rec.signal[:n, 0], rec.fs)
    starts, lengths, sums = qrs_runs(feats, predictor.fs)
    keep = record.beats < n
    back = np.minimum(map_index(np.arange(len(feats)), fs_from=predictor.fs, fs_to=rec.fs), n - 1)[::RHYTHM_STEP]
    return {
        "starts": starts, "lengths": lengths, "sums": sums.astype(np.float32),
        "rhythm_probs": feats[::RHYTHM_STEP, RHYTHM_SLICE], "n_model": np.int64(len(feats)),
        "ref_beats": map_index(record.beats[keep], fs_from=rec.fs, fs_to=predictor.fs),
        "ref_classes": record.beat_classes[keep].astype(np.int64),
        "ref_rhythm": record.labels[0, 2, back], "ref_rhythm_mask": record.mask[0, 2, back],
    }


def _targets(centres: np.ndarray, ref: np.ndarray, classes: np.ndarray, fs: float) -> np.ndarray:
    """Reference class of each run (0 = no reference beat within ``MATCH_S``)."""
    out = np.zeros(len(centres), np.int64)
    if len(ref) == 0 or len(centres) == 0:
        return out
    order = np.argsort(ref)
    ref, classes = ref[order], classes[order]
    j = np.clip(np.searchsorted(ref, centres), 1, len(ref) - 1)
    nearest = np.where(np.abs(ref[j - 1] - centres) <= np.abs(ref[j] - centres), j - 1, j)
    close = np.abs(ref[nearest] - centres) <= MATCH_S * fs
    out[close] = classes[nearest[close]]
    return out


def cached_extract(predictor, record, cache: Path, *, max_s: float | None = None) -> dict[str, np.ndarray]:
    """:func:`extract_record`, kept in ``cache/<dataset>_<record>.npz``."""
    path = Path(cache) / f"{record.dataset}_{record.record}.npz"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **extract_record(predictor, record, max_s=max_s))
        print(f"{record.dataset} {record.record}: extracted", flush=True)
    return dict(np.load(path))


def load_predictor(model: str):
    """A bundled model by name (ONNX int8) or a ``save_pretrained`` folder (torch)."""
    if Path(model).is_dir():
        from .predictor import TorchPredictor

        return TorchPredictor(model)
    from ..runtime.bundled import cached_predictor

    return cached_predictor(model, "onnx")


def fit(x: np.ndarray, y: np.ndarray) -> BeatStage:
    """A :class:`BeatStage` fitted on features ``x (n, f)`` and beat class ids ``y (n,)`` (all > 0)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    clf = LogisticRegression(C=1.0, max_iter=3000).fit((x - mean) / scale, y)
    return BeatStage(classes=tuple(int(c) for c in clf.classes_), mean=mean, scale=scale,
                     coef=clf.coef_.astype(np.float64), intercept=clf.intercept_.astype(np.float64))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="bundled model name or a save_pretrained folder")
    parser.add_argument("--out", required=True, help="folder for beat_stage.json and the feature cache")
    parser.add_argument("--data", help="databases folder (default $OPENECG_DATA)")
    args = parser.parse_args(argv)
    predictor = load_predictor(args.model)
    out = Path(args.out)
    xs, ys = [], []
    for dataset in DATASETS:
        for rec in iter_records(dataset, split="train", root=args.data):
            saved = cached_extract(predictor, rec, out / "cache", max_s=SVDB_MAX_S if dataset == "svdb" else None)
            x = beat_features(saved["starts"], saved["lengths"], saved["sums"], predictor.fs)
            y = _targets(saved["starts"] + saved["lengths"] / 2, saved["ref_beats"], saved["ref_classes"], predictor.fs)
            xs.append(x[y > 0]), ys.append(y[y > 0])
    x, y = np.concatenate(xs), np.concatenate(ys)
    stage = fit(x, y)
    stage.to_json(out / "beat_stage.json")
    counts = {int(c): int((y == c).sum()) for c in np.unique(y)}
    (out / "beat_stage_training.json").write_text(json.dumps({
        "model": args.model, "records": {d: load_split(d)["train"] for d in DATASETS}, "lead": 0,
        "beats_per_class": counts, "features": list(FEATURE_NAMES),
        "train_accuracy": float((stage.classify_features(x) == y).mean()),
    }, indent=1) + "\n")
    print(f"fitted on {len(y)} beats {counts}; wrote {out / 'beat_stage.json'}")


if __name__ == "__main__":
    main()
