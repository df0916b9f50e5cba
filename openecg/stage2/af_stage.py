"""Train the AF stage (RR irregularity + rhythm probabilities, :mod:`openecg.stream.af`) on a model's outputs.

``python -m openecg.stage2.af_stage --model default --out runs/beat-stage-default``

Learns from TRAINING records only, lead 0, through the same per-record cache as :mod:`.beat_stage`:
MIT-BIH (``train``; AF, flutter and many non-AF irregular rhythms with ectopy), CPSC 2021 (``train``;
paroxysmal AF), CinC 2017 (``train`` half of the records here: ``A`` records are AF throughout, ``N``, ``O``
(other rhythms) and ``~`` (noisy) records are non-AF, the last two the hard negatives) and LUDB (``train``,
record-level rhythm), plus recordings synthesised from MIT-BIH training records (:mod:`.synth_af`: AF
with fibrillatory waves and irregular RR, and sinus arrhythmia as a hard negative). Each QRS run is one example, labelled with the reference rhythm at its centre
(masked samples are left out, except in CinC where the record label holds). A logistic regression
(scikit-learn at training time only, C = 1, classes weighted by record database so that each database
counts equally) is written as ``af_stage.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..data import iter_records, load_split
from ..data.cinc2017 import cinc2017_labels
from ..data.records import dataset_root
from ..stream.af import AF_FEATURE_NAMES, AFStage, af_features
from ..tokenizer.vocab import class_id
from ..stream.decoder import RHYTHM_SLICE
from .beat_stage import RHYTHM_STEP, cached_extract, load_predictor, qrs_runs, stitched_features
from .synth_af import FS as SYNTH_FS
from .synth_af import source_beats, synth_recording

__all__ = ["examples", "fit", "main"]

DATASETS = ("cpsc2021", "cinc2017", "ludb", "mitdb")
_AF = class_id("rhythm", "AF")


def examples(saved: dict[str, np.ndarray], fs: float, *, record_label: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(features (n, f), is_af (n,))`` of the labelled QRS runs of one cached record."""
    x = af_features(saved["starts"], saved["lengths"], saved["sums"], saved["rhythm_probs"], fs, step=RHYTHM_STEP)
    if record_label is not None:
        return x, np.full(len(x), record_label == "A")
    row = np.clip(((saved["starts"] + saved["lengths"] / 2) // RHYTHM_STEP).astype(np.int64), 0, len(saved["ref_rhythm"]) - 1)
    known = saved["ref_rhythm_mask"][row].astype(bool)
    return x[known], saved["ref_rhythm"][row][known] == _AF


def synthetic_examples(predictor, cache: Path, *, per_record: int, seed: int = 20261201,
                       root: str | None = None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``per_record`` AF and ``per_record`` sinus-arrhythmia recordings from each MIT-BIH training record with
    at least 100 clean sinus N beats, as ``("synthetic", features, is_af)`` parts (cached)."""
    rng = np.random.default_rng(seed)
    parts = []
    for rec in iter_records("mitdb", split="train", root=root):
        signal, r_peaks = source_beats(rec)
        if len(r_peaks) < 100:
            continue
        for k in range(per_record):
            for af in (True, False):
                path = Path(cache) / f"synth_{rec.record}_{k}_{'af' if af else 'sa'}.npz"
                x = synth_recording(signal, r_peaks, rng, af=af)  # always drawn, so the seed sequence is fixed
                if not path.is_file():
                    feats = stitched_features(predictor, x, SYNTH_FS)
                    starts, lengths, sums = qrs_runs(feats, predictor.fs)
                    np.savez(path, x=af_features(starts, lengths, sums, feats[:, RHYTHM_SLICE], predictor.fs))
                feats_x = np.load(path)["x"]
                parts.append(("synthetic", feats_x, np.full(len(feats_x), af)))
        print(f"synthetic from mitdb {rec.record}: done", flush=True)
    return parts


def fit(parts: list[tuple[str, np.ndarray, np.ndarray]]) -> AFStage:
    """An :class:`AFStage` from ``(database, features, is_af)`` parts, each database weighted equally."""
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate([p[1] for p in parts])
    y = np.concatenate([p[2] for p in parts])
    names = np.concatenate([[p[0]] * len(p[1]) for p in parts])
    weight = np.ones(len(y))
    for name in np.unique(names):
        weight[names == name] = len(y) / (len(np.unique(names)) * (names == name).sum())
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    clf = LogisticRegression(C=1.0, max_iter=3000).fit((x - mean) / scale, y, sample_weight=weight)
    return AFStage(mean=mean, scale=scale, coef=clf.coef_[0].astype(np.float64), intercept=float(clf.intercept_[0]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="bundled model name or a save_pretrained folder")
    parser.add_argument("--out", required=True, help="folder for af_stage.json and the feature cache")
    parser.add_argument("--data", help="databases folder (default $OPENECG_DATA)")
    parser.add_argument("--synth-per-record", type=int, default=2, help="synthetic AF and sinus-arrhythmia "
                        "recordings per MIT-BIH training record (0: none)")
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
                parts.append((dataset, x, y))
    if args.synth_per_record:
        parts += synthetic_examples(predictor, out / "cache", per_record=args.synth_per_record, root=args.data)
    stage = fit(parts)
    stage.to_json(out / "af_stage.json")
    y = np.concatenate([p[2] for p in parts])
    summary = {d: {"runs": int(sum(len(p[2]) for p in parts if p[0] == d)),
                   "af_runs": int(sum(p[2].sum() for p in parts if p[0] == d))} for d in (*DATASETS, "synthetic")}
    (out / "af_stage_training.json").write_text(json.dumps({
        "model": args.model, "records": {d: load_split(d)["train"] for d in DATASETS}, "lead": 0,
        "examples": summary, "features": list(AF_FEATURE_NAMES),
        "train_accuracy": float(np.mean(np.concatenate([(stage.probability(p[1]) > 0.5) == p[2] for p in parts]))),
    }, indent=1) + "\n")
    print(f"fitted on {len(y)} runs ({int(y.sum())} AF): {summary}; wrote {out / 'af_stage.json'}")


if __name__ == "__main__":
    main()
