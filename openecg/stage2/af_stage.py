"""Train the AF stage (RR irregularity, P waves, rhythm probabilities, :mod:`openecg.stream.af`) on a model's outputs.

``python -m openecg.stage2.af_stage --model default --out runs/stages-default``

Learns from TRAINING records only, lead 0, through the same per-record cache as :mod:`.beat_stage`:
MIT-BIH (``train``; AF, flutter and many non-AF irregular rhythms with ectopy), CPSC 2021 (``train``;
paroxysmal AF), CinC 2017 (``train`` half of the records here: ``A`` records are AF throughout, ``N``, ``O``
(other rhythms) and ``~`` (noisy) records are non-AF, the last two the hard negatives), LUDB (``train``,
record-level rhythm), and recordings synthesised from MIT-BIH training records (:mod:`.synth_af`: AF with
fibrillatory waves and irregular RR; sinus arrhythmia and sinus rhythm with premature atrial beats as hard
negatives). Each QRS run is one example, labelled with the reference rhythm at its centre (masked samples
are left out, except in CinC where the record label holds). The classifier (:mod:`.stage_fit`: an MLP with
two hidden layers of 16; each database weighted equally, and within it AF and non-AF equally) is
cross-validated by record (4 folds); the decision offset is chosen on those out-of-fold scores (the mean
of the AF F1 over the MIT-BIH and CPSC runs and the record-level AF F1 of the CinC records), then the classifier is fitted on all training records and written as ``af_stage.json``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..data import iter_records, load_split
from ..data.cinc2017 import cinc2017_labels
from ..data.records import dataset_root
from ..stream.af import AF_FEATURE_NAMES, SETTINGS, AFStage, af_features
from ..stream.decoder import RHYTHM_SLICE, WAVE_SLICE
from ..tokenizer.vocab import class_id
from .beat_stage import cached_extract, load_predictor, qrs_runs, stitched_features
from .stage_fit import fit_classifier, out_of_fold
from .synth_af import FS as SYNTH_FS
from .synth_af import KINDS, source_beats, synth_recording

__all__ = ["examples", "synthetic_examples", "fit", "main"]

DATASETS = ("cpsc2021", "cinc2017", "ludb", "mitdb")
HIDDEN: tuple[int, ...] = ()
FOLDS = 4
RECORD_AF_S = 5.0
"""The record-level rule of ``benchmarks/eval_model.py``: a record is AF when it holds more than 5 s of AF."""
_AF = class_id("rhythm", "AF")


def _features(feats: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """``(run centres (n,), af_features (n, f))`` of a whole stretch of stitched network outputs."""
    starts, lengths, sums = qrs_runs(feats, fs)
    x = af_features(starts, lengths, sums, feats[:, WAVE_SLICE], feats[:, RHYTHM_SLICE], fs)
    return starts + lengths / 2, x


def examples(saved: dict[str, np.ndarray], fs: float, *, record_label: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(features (n, f), is_af (n,))`` of the labelled QRS runs of one cached record."""
    centre, x = _features(saved["feats"], fs)
    if record_label is not None:
        return x, np.full(len(x), record_label == "A")
    row = np.clip(centre.astype(np.int64), 0, len(saved["ref_rhythm"]) - 1)
    known = saved["ref_rhythm_mask"][row].astype(bool)
    return x[known], saved["ref_rhythm"][row][known] == _AF


def synthetic_examples(predictor, cache: Path, *, per_record: int, seed: int = 20261201,
                       root: str | None = None) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """``per_record`` recordings of each kind (:data:`.synth_af.KINDS`) from each MIT-BIH training record with
    at least 100 clean sinus N beats, as ``("synthetic", record, features, is_af)`` parts (cached)."""
    rng = np.random.default_rng(seed)
    parts = []
    for rec in iter_records("mitdb", split="train", root=root):
        signal, r_peaks = source_beats(rec)
        if len(r_peaks) < 100:
            continue
        for k in range(per_record):
            for kind in KINDS:
                path = Path(cache) / f"synth_{rec.record}_{k}_{kind}.npy"
                x = synth_recording(signal, r_peaks, rng, kind=kind)  # always drawn, so the seed sequence is fixed
                if not path.is_file():
                    np.save(path, stitched_features(predictor, x, SYNTH_FS))
                _, feats_x = _features(np.load(path), predictor.fs)
                parts.append(("synthetic", f"synth_{rec.record}", feats_x, np.full(len(feats_x), kind == "af")))
        print(f"synthetic from mitdb {rec.record}: done", flush=True)
    return parts


def _weights(names: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each database weighted equally and, within it, AF and non-AF runs equally (when it has both)."""
    weight = np.ones(len(y))
    databases = np.unique(names)
    for name in databases:
        here = names == name
        kinds = [here & (y == v) for v in (False, True) if np.any(here & (y == v))]
        for part in kinds:
            weight[part] = len(y) / (len(databases) * len(kinds) * part.sum())
    return weight


def _f1(tp: float, n_true: float, n_pred: float) -> float:
    return float(2 * tp / max(1e-9, n_true + n_pred))


def _objective(parts: list[tuple[str, str, np.ndarray, np.ndarray]], margin: np.ndarray, offset: float) -> dict[str, float]:
    """What the decision offset is chosen for, on out-of-fold margins: AF F1 over the runs of the databases
    with AF episodes (MIT-BIH, CPSC 2021), and record-level AF F1 of the CinC 2017 training records (a record
    is AF when its AF runs cover more than ``RECORD_AF_S``, each run counting its window's mean RR)."""
    rr = AF_FEATURE_NAMES.index("log_mean_rr_s")
    tp = n_true = n_pred = 0.0
    rec_tp = rec_true = rec_pred = 0
    at = 0
    for name, _, x, y in parts:
        pred = margin[at:at + len(y)] + offset > 0
        at += len(y)
        if name in ("mitdb", "cpsc2021"):
            tp, n_true, n_pred = tp + np.sum(y & pred), n_true + np.sum(y), n_pred + np.sum(pred)
        elif name == "cinc2017":
            called = float(np.sum(np.exp(x[pred, rr]))) > RECORD_AF_S
            truth = bool(y.any())
            rec_tp, rec_true, rec_pred = rec_tp + (called and truth), rec_true + truth, rec_pred + called
    return {"runs_f1_mitdb_cpsc2021": _f1(tp, n_true, n_pred), "record_f1_cinc2017": _f1(rec_tp, rec_true, rec_pred)}


def fit(parts: list[tuple[str, str, np.ndarray, np.ndarray]]) -> tuple[AFStage, dict]:
    """An :class:`AFStage` from ``(database, record, features, is_af)`` parts, and its cross-validation summary:
    the decision offset maximises the mean of :func:`_objective`'s two F1 on out-of-fold scores."""
    x = np.concatenate([p[2] for p in parts])
    y = np.concatenate([p[3] for p in parts]).astype(bool)
    names = np.concatenate([[p[0]] * len(p[2]) for p in parts])
    groups = np.concatenate([[f"{p[0]}_{p[1]}"] * len(p[2]) for p in parts])
    weight = _weights(names, y)
    options = {"classes": (0, 1), "feature_names": AF_FEATURE_NAMES, "hidden": HIDDEN, "settings": SETTINGS}
    scores = out_of_fold(x, y.astype(np.int64), groups, folds=FOLDS, weight=weight, **options)
    margin = scores[:, 1] - scores[:, 0]
    grid = np.round(np.linspace(-4, 4, 81), 2)
    found = {float(v): _objective(parts, margin, v) for v in grid}
    mean = {v: float(np.mean(list(f.values()))) for v, f in found.items()}
    offset = max(mean, key=lambda v: (round(mean[v], 4), -abs(v)))
    clf = fit_classifier(x, y.astype(np.int64), weight=weight, **options)
    stage = AFStage(replace(clf, offsets=np.array([0.0, offset])))
    summary = {"offset": offset, "cross_validated_at_offset_0": found[0.0], "cross_validated": found[offset]}
    return stage, summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="bundled model name or a save_pretrained folder")
    parser.add_argument("--out", required=True, help="folder for af_stage.json and the feature cache")
    parser.add_argument("--data", help="databases folder (default $OPENECG_DATA)")
    parser.add_argument("--synth-per-record", type=int, default=2, help="synthetic recordings of each kind per "
                        "MIT-BIH training record (0: none)")
    args = parser.parse_args(argv)
    predictor = load_predictor(args.model)
    out = Path(args.out)
    cinc = cinc2017_labels(dataset_root("cinc2017", args.data))
    parts = []
    for dataset in DATASETS:
        for rec in iter_records(dataset, split="train", root=args.data):
            saved = cached_extract(predictor, rec, out / "cache")
            x, y = examples(saved, predictor.fs, record_label=cinc[rec.record] if dataset == "cinc2017" else None)
            if len(y):
                parts.append((dataset, rec.record, x, y))
    if args.synth_per_record:
        parts += synthetic_examples(predictor, out / "cache", per_record=args.synth_per_record, root=args.data)
    stage, summary = fit(parts)
    stage.to_json(out / "af_stage.json")
    y = np.concatenate([p[3] for p in parts])
    counts = {d: {"runs": int(sum(len(p[3]) for p in parts if p[0] == d)),
                  "af_runs": int(sum(p[3].sum() for p in parts if p[0] == d))} for d in (*DATASETS, "synthetic")}
    (out / "af_stage_training.json").write_text(json.dumps({
        "model": args.model,
        "command": f"python -m openecg.stage2.af_stage --model {args.model} --out {args.out} "
                   f"--synth-per-record {args.synth_per_record}",
        "records": {d: load_split(d)["train"] for d in DATASETS}, "lead": 0, "examples": counts,
        "synthetic_kinds": list(KINDS), "features": list(AF_FEATURE_NAMES), "hidden_layers": list(HIDDEN),
        "folds": FOLDS, **summary,
        "train_accuracy": float(np.mean(np.concatenate([(stage.probability(p[2]) > 0.5) == p[3] for p in parts]))),
    }, indent=1) + "\n")
    print(f"fitted on {len(y)} runs ({int(y.sum())} AF): {counts}; {summary}; wrote {out / 'af_stage.json'}")


if __name__ == "__main__":
    main()
