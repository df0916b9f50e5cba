"""Train the second beat stage (RR and P-wave context, :mod:`openecg.stream.rr_beats`) on a model's outputs.

``python -m openecg.stage2.beat_stage --model default --out runs/stages-default``

For every TRAINING record of the beat-labelled databases (MIT-BIH and SVDB ``train`` splits, whole records,
lead 0), the model is run over the record exactly as the stream runs it (same resampler, windows and
stitching), the wave channel is decoded, each QRS run gets :func:`~openecg.stream.rr_beats.beat_features`,
and runs are matched to reference beats (nearest run centre within 150 ms) for their class. The classifier
(:mod:`.stage_fit`: an MLP with two hidden layers of 32, classes weighted by ``(n / n_class) ** 0.5``) is
cross-validated by record over the training records (4 folds); on those out-of-fold scores the decision
offsets of S, V and F are chosen (mean F1 of S and V), then the classifier is fitted on all training
records and written as ``beat_stage.json`` with the offsets; the runtime evaluates it with numpy. Nothing
is tuned on validation records. What the network gives for each record (its stitched per-sample outputs)
is cached in ``<out>/cache/`` (the AF stage, :mod:`.af_stage`, learns from the same cache), stamped with
the sha256 of the model file: a cache of another network's outputs is refused.

A bundled model's TFLite graph gives other outputs than its ONNX graph (each is int8 in its own way), so it
gets stages fitted on its own outputs: ``--backend litert`` (both stage CLIs), shipped in the model folder as
``beat_stage.litert.json`` and ``af_stage.litert.json``, which :class:`openecg.runtime.LiteRTPredictor` uses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..data import iter_records, load_split
from ..signal.resample import map_index, resample
from ..stream.decoder import BEAT_SLICE, FUSED_STAGE_LEADS, N_FEATURES, RHYTHM_SLICE, WAVE_SLICE, decode_frames
from ..stream.engine import GUARD_S
from ..stream.geometry import Geometry, plan
from ..stream.rr_beats import FEATURE_NAMES, SETTINGS, BeatStage, beat_features
from ..tokenizer.rle import label_runs
from ..tokenizer.vocab import BEAT_CLASSES, QRS_CLASSES, class_id
from .stage_fit import choose_offsets, f1_scores, fit_classifier, out_of_fold

__all__ = ["stitched_features", "qrs_runs", "run_features", "extract_record", "cached_extract", "feature_cache",
           "model_fingerprint", "load_predictor",
           "fit", "main"]

MATCH_S = 0.150
DATASETS = ("mitdb", "svdb")
HIDDEN = (32, 32)
CLASS_WEIGHT_POWER = 0.5
FOLDS = 4
TUNED = (class_id("beat", "S"), class_id("beat", "V"))


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


def run_features(feats: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(starts, lengths, beat features (n, f))`` of the QRS runs of a whole decoded stretch."""
    starts, lengths, sums = qrs_runs(feats, fs)
    return starts, lengths, beat_features(starts, lengths, sums, feats[:, WAVE_SLICE], feats[:, RHYTHM_SLICE], fs)


def extract_record(predictor, record, *, fused: bool = False) -> dict[str, np.ndarray]:
    """What both second stages learn from, for lead 0 of one record (or with ``fused`` its first
    :data:`~openecg.stream.decoder.FUSED_STAGE_LEADS` leads, their stitched outputs averaged as the stream fuses
    leads that are all readable): the stitched network outputs and the reference beats, classes and rhythm (with
    its mask) mapped to the model's rate."""
    rec = record.recording
    leads = range(min(rec.n_leads, FUSED_STAGE_LEADS)) if fused else [0]
    feats = np.mean([stitched_features(predictor, rec.signal[:, i], rec.fs) for i in leads], axis=0, dtype=np.float32)
    back = np.minimum(map_index(np.arange(len(feats)), fs_from=predictor.fs, fs_to=rec.fs), rec.n_samples - 1)
    return {
        "feats": feats,
        "ref_beats": map_index(record.beats, fs_from=rec.fs, fs_to=predictor.fs),
        "ref_classes": record.beat_classes.astype(np.int64),
        "ref_rhythm": record.labels[0, 2, back], "ref_rhythm_mask": record.mask[0, 2, back],
    }


def _targets(centres: np.ndarray, ref: np.ndarray, classes: np.ndarray, fs: float) -> np.ndarray:
    """Reference class of each run (0 = no reference beat within ``MATCH_S``)."""
    out = np.zeros(len(centres), np.int64)
    if len(ref) == 0 or len(centres) == 0:
        return out
    order = np.argsort(ref)
    ref, classes = ref[order], classes[order]
    j = np.clip(np.searchsorted(ref, centres), 1, len(ref) - 1) if len(ref) > 1 else np.zeros(len(centres), np.int64)
    nearest = np.where(np.abs(ref[j - 1] - centres) <= np.abs(ref[j] - centres), j - 1, j) if len(ref) > 1 else j
    close = np.abs(ref[nearest] - centres) <= MATCH_S * fs
    out[close] = classes[nearest[close]]
    return out


BACKENDS = ("onnx", "litert")
"""The runtimes a bundled model's stages can be fitted for (``--backend``): each graph gets stages fitted on its
own outputs (``beat_stage.json`` for ONNX, ``beat_stage.litert.json`` for LiteRT in the model folder)."""


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r} must be one of {BACKENDS}")


def model_fingerprint(model: str, backend: str = "onnx") -> str:
    """sha256 of the file that holds a model's network: the bundled int8 ONNX (``backend="onnx"``) or TFLite
    (``"litert"``) file, or a folder's ``model.safetensors``."""
    _check_backend(backend)
    if Path(model).is_dir():
        path = Path(model) / "model.safetensors"
    else:
        from ..runtime.bundled import model_file

        path = model_file(model, "model.int8.onnx" if backend == "onnx" else "model.int8.tflite")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def training_lead(fused: bool) -> str | int:
    """What a stage's training record says it was fitted on: lead 0, or the first two leads fused."""
    return "first two, fused" if fused else 0


def feature_cache(out: Path, model: str, backend: str = "onnx", *, fused: bool = False) -> Path:
    """``out/cache``, stamped with :func:`model_fingerprint` (and ``+fused`` for outputs fused over the first two leads):
    a cache holds one network's outputs of one kind, so one made by another network, of the other kind, or
    without a stamp is refused rather than fitted on."""
    cache = Path(out) / "cache"
    stamp = cache / "model.sha256"
    fingerprint = model_fingerprint(model, backend) + ("+fused" if fused else "")
    found = stamp.read_text().strip() if stamp.is_file() else None
    if found != fingerprint and (found is not None or any(cache.glob("*.np[yz]"))):
        maker = f"another model (sha256 {found[:12]})" if found else "an unknown model (no stamp)"
        raise SystemExit(f"{cache} holds network outputs of {maker}, not of --model {model} (sha256 "
                         f"{fingerprint[:12]}): delete that folder or give another --out")
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint + "\n")
    return cache


def cached_extract(predictor, record, cache: Path, *, fused: bool = False) -> dict[str, np.ndarray]:
    """:func:`extract_record`, kept in ``cache/<dataset>_<record>.npz``."""
    path = Path(cache) / f"{record.dataset}_{record.record}.npz"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **extract_record(predictor, record, fused=fused))
        print(f"{record.dataset} {record.record}: extracted", flush=True)
    return dict(np.load(path))


def load_predictor(model: str, backend: str = "onnx"):
    """A bundled model by name (its int8 ONNX graph, or with ``backend="litert"`` its int8 TFLite graph; one
    thread) or a ``save_pretrained`` folder (torch)."""
    _check_backend(backend)
    if Path(model).is_dir():
        if backend != "onnx":
            raise ValueError(f"backend={backend!r} needs a bundled model name; {model} is a folder (torch)")
        from .predictor import TorchPredictor

        return TorchPredictor(model)
    from ..runtime.bundled import LiteRTPredictor, OnnxPredictor

    return OnnxPredictor(model, threads=1) if backend == "onnx" else LiteRTPredictor(model, threads=1)


def add_backend_argument(parser: argparse.ArgumentParser) -> None:
    """The stage CLIs' ``--backend``: which graph of a bundled model the stage is fitted on."""
    parser.add_argument("--backend", choices=BACKENDS, default="onnx",
                        help="fit on the outputs of the bundled model's int8 ONNX graph (default) or its TFLite "
                             "graph (litert; ship the result as <stage>.litert.json)")


def fit(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[BeatStage, dict]:
    """A :class:`BeatStage` fitted on features ``x (n, f)``, beat class ids ``y (n,)`` (all > 0) and the record
    of each row ``groups (n,)``, and a summary of its cross-validation (see the module docstring)."""
    classes = tuple(int(c) for c in np.unique(y))
    counts = np.array([np.sum(y == c) for c in classes])
    weight = (len(y) / counts[np.searchsorted(classes, y)]) ** CLASS_WEIGHT_POWER
    options = {"classes": classes, "feature_names": FEATURE_NAMES, "hidden": HIDDEN, "settings": SETTINGS}
    scores = out_of_fold(x, y, groups, folds=FOLDS, weight=weight, **options)
    tuned = tuple(c for c in TUNED if c in classes)
    offsets = choose_offsets(scores, y, classes, tuned)
    cls = np.asarray(classes)
    before = f1_scores(y, cls[np.argmax(scores, axis=1)], classes)
    after = f1_scores(y, cls[np.argmax(scores + offsets, axis=1)], classes)
    clf = fit_classifier(x, y, weight=weight, **options)
    stage = BeatStage(replace(clf, offsets=offsets))
    names = {c: BEAT_CLASSES[c].name for c in classes}
    summary = {
        "offsets": {names[c]: float(o) for c, o in zip(classes, offsets)},
        "cross_validated_f1_before_offsets": {names[c]: round(v, 4) for c, v in before.items()},
        "cross_validated_f1": {names[c]: round(v, 4) for c, v in after.items()},
    }
    return stage, summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="bundled model name or a save_pretrained folder")
    parser.add_argument("--out", required=True, help="folder for beat_stage.json and the feature cache")
    parser.add_argument("--data", help="databases folder (default $OPENECG_DATA)")
    add_backend_argument(parser)
    parser.add_argument("--fused", action="store_true",
                        help="fit on the first two leads' outputs fused, for two-lead recordings (ship "
                             "the result as beat_stage.fused.json)")
    args = parser.parse_args(argv)
    predictor = load_predictor(args.model, args.backend)
    out = Path(args.out)
    cache = feature_cache(out, args.model, args.backend, fused=args.fused)
    xs, ys, groups = [], [], []
    for dataset in DATASETS:
        for rec in iter_records(dataset, split="train", root=args.data):
            saved = cached_extract(predictor, rec, cache, fused=args.fused)
            starts, lengths, x = run_features(saved["feats"], predictor.fs)
            y = _targets(starts + lengths / 2, saved["ref_beats"], saved["ref_classes"], predictor.fs)
            xs.append(x[y > 0]), ys.append(y[y > 0]), groups.append(np.full(int((y > 0).sum()), f"{dataset}_{rec.record}"))
    x, y, groups = np.concatenate(xs), np.concatenate(ys), np.concatenate(groups)
    stage, summary = fit(x, y, groups)
    stage.to_json(out / "beat_stage.json")
    counts = {BEAT_CLASSES[c].name: int((y == c).sum()) for c in np.unique(y)}
    (out / "beat_stage_training.json").write_text(json.dumps({
        "model": args.model, "backend": args.backend,
        "command": f"python -m openecg.stage2.beat_stage --model {args.model} --out {args.out} --backend {args.backend}"
                   + (" --fused" if args.fused else ""),
        "records": {d: load_split(d)["train"] for d in DATASETS}, "lead": training_lead(args.fused),
        "beats_per_class": counts,
        "features": list(FEATURE_NAMES), "hidden_layers": list(HIDDEN), "class_weight_power": CLASS_WEIGHT_POWER,
        "folds": FOLDS, **summary,
        "train_accuracy": float((stage.classify_features(x) == y).mean()),
    }, indent=1) + "\n")
    print(f"fitted on {len(y)} beats {counts}; {summary}; wrote {out / 'beat_stage.json'}")


if __name__ == "__main__":
    main()
