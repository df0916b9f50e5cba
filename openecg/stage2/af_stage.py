"""Train the AF stage (RR irregularity, P waves, rhythm probabilities, :mod:`openecg.stream.af`) on a model's outputs.

``python -m openecg.stage2.af_stage --model default --out runs/stages-default``

Learns from TRAINING records only, lead 0, through the same per-record cache as :mod:`.beat_stage`:
MIT-BIH (``train``; AF, flutter and many non-AF irregular rhythms with ectopy), CPSC 2021 (``train``;
paroxysmal AF), CinC 2017 (``train`` half of the records here: ``A`` records are AF throughout, ``N``, ``O``
(other rhythms) and ``~`` (noisy) records are non-AF, the last two the hard negatives), LUDB (``train``,
record-level rhythm), and recordings synthesised from MIT-BIH and SVDB training records (:mod:`.synth_af`: AF with
fibrillatory waves and irregular RR; sinus arrhythmia, sinus rhythm with premature atrial beats and sinus rhythm
in real electrode-motion noise as hard negatives). Each QRS run is one example, labelled with the reference
rhythm at its centre (masked samples are left out, except in CinC where the record label holds). The
classifier (:mod:`.stage_fit`: a logistic regression, which scored higher than MLPs in cross-validation; each
database weighted equally) is cross-validated by patient (4 folds); the decision offset is chosen on those
out-of-fold scores (the mean of the AF F1 over the MIT-BIH and CPSC runs and the record-level AF F1 of the
CinC records, with the one-standard-error rule of :func:`fit`), then the classifier is fitted on all training
records and written as ``af_stage.json``. ``benchmarks/af_training_errors.py`` prints the out-of-fold
decision of every CinC training record.
"""

from __future__ import annotations

import argparse
import hashlib
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
from .beat_stage import (add_backend_argument, cached_extract, feature_cache, load_predictor, qrs_runs, stitched_features,
                         training_lead)
from .stage_fit import fit_classifier, out_of_fold
from . import synth_af
from .synth_af import FS as SYNTH_FS
from .synth_af import KINDS, synth_recording

__all__ = ["examples", "patient", "synthetic_examples", "training_parts", "out_of_fold_margin", "fit", "main"]

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


def patient(dataset: str, record: str) -> str:
    """The patient of a record, for cross-validation folds: CPSC 2021 ``data_<patient>_<k>``, else the record."""
    return f"{dataset}_{record.split('_')[1]}" if dataset == "cpsc2021" else f"{dataset}_{record}"


def synthetic_examples(predictor, cache: Path, *, per_record: int, seed: int = 20261201,
                       root: str | None = None) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """``per_record`` recordings of each kind (:data:`.synth_af.KINDS`) from each MIT-BIH and SVDB training
    record with at least 100 clean sinus N beats, as ``("synthetic", patient, features, is_af)`` parts (cached
    under the sha256 of :mod:`.synth_af`'s source and ``seed``, so a changed recipe is never read from an old cache).
    Each recording draws from its own generator (``seed``, source, ``k``, kind), so adding a kind leaves the
    others' recordings, and their cached network outputs, as they were."""
    from .train import motion_noise

    noise = motion_noise(load_split("nstdb")["train"], SYNTH_FS, root)
    recipe = hashlib.sha256(Path(synth_af.__file__).read_bytes() + str(seed).encode()).hexdigest()[:10]
    parts = []
    for source, rec, signal, r_peaks in synth_af.source_records("train", root=root):
        for k in range(per_record):
            for kind in KINDS:
                path = Path(cache) / f"synth_{recipe}_{rec.dataset}_{rec.record}_{k}_{kind}.npy"  # a new recipe, new files
                if not path.is_file():
                    rng = np.random.default_rng([seed, source, k, KINDS.index(kind)])  # one per recording
                    x = synth_recording(signal, r_peaks, rng, kind=kind, noise=noise)
                    np.save(path, stitched_features(predictor, x, SYNTH_FS))
                _, feats_x = _features(np.load(path), predictor.fs)
                parts.append(("synthetic", patient(rec.dataset, rec.record), feats_x, np.full(len(feats_x), kind == "af")))
        print(f"synthetic from {rec.dataset} {rec.record}: done", flush=True)
    return parts


def training_parts(predictor, cache: Path, *, synth_per_record: int, root: str | None = None,
                   with_records: bool = False, fused: bool = False) -> list[tuple]:
    """The ``(database, patient, features, is_af)`` parts the stage learns from: every training record of
    :data:`DATASETS` with labelled runs (lead 0, or with ``fused`` its first two leads' outputs averaged:
    :func:`.beat_stage.extract_record`), then :func:`synthetic_examples` (one lead; network outputs cached in
    ``cache``). ``with_records`` appends each part's record name (synthetic: its source record) as a fifth item."""
    cinc = cinc2017_labels(dataset_root("cinc2017", root))
    parts: list[tuple] = []
    for dataset in DATASETS:
        for rec in iter_records(dataset, split="train", root=root):
            saved = cached_extract(predictor, rec, cache, fused=fused)
            x, y = examples(saved, predictor.fs, record_label=cinc[rec.record] if dataset == "cinc2017" else None)
            if len(y):
                parts.append((dataset, patient(dataset, rec.record), x, y) + ((rec.record,) if with_records else ()))
    if synth_per_record:
        synthetic = synthetic_examples(predictor, cache, per_record=synth_per_record, root=root)
        parts += [p + ((p[1],) if with_records else ()) for p in synthetic]
    return parts


def _weights(names: np.ndarray) -> np.ndarray:
    """Each database (``names (n,)``) weighted equally."""
    weight = np.ones(len(names))
    databases = np.unique(names)
    for name in databases:
        weight[names == name] = len(names) / (len(databases) * np.sum(names == name))
    return weight


def _counts(parts: list[tuple[str, str, np.ndarray, np.ndarray]], margin: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """int64 ``(parts, offsets, 6)``: for each part and decision offset, the AF run counts (true positives,
    true, called) of MIT-BIH and CPSC 2021 parts, and (called and true, true, called) of the record-level
    decision of CinC 2017 parts (a record is AF when its AF runs cover more than ``RECORD_AF_S``, each run
    counting its window's mean RR)."""
    rr = AF_FEATURE_NAMES.index("log_mean_rr_s")
    out = np.zeros((len(parts), len(grid), 6), np.int64)
    at = 0
    for i, (name, _, x, y) in enumerate(parts):
        pred = margin[at:at + len(y), None] + grid[None, :] > 0
        at += len(y)
        if name in ("mitdb", "cpsc2021"):
            out[i, :, 0], out[i, :, 1], out[i, :, 2] = (y[:, None] & pred).sum(axis=0), y.sum(), pred.sum(axis=0)
        elif name == "cinc2017":
            called = (np.exp(x[:, rr])[:, None] * pred).sum(axis=0) > RECORD_AF_S
            truth = bool(y.any())
            out[i, :, 3], out[i, :, 4], out[i, :, 5] = called & truth, truth, called
    return out


def _objective(counts: np.ndarray) -> np.ndarray:
    """``(offsets, 3)``: AF F1 over the MIT-BIH and CPSC runs, CinC record-level AF F1, and their mean, from
    :func:`_counts` summed over parts ``(offsets, 6)``."""
    runs = 2 * counts[:, 0] / np.maximum(counts[:, 1] + counts[:, 2], 1)
    records = 2 * counts[:, 3] / np.maximum(counts[:, 4] + counts[:, 5], 1)
    return np.column_stack([runs, records, (runs + records) / 2])


def _stacked(parts: list[tuple[str, str, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """``(x (n, f), is_af (n,), weight (n,), classifier options)`` of parts stacked in order."""
    x = np.concatenate([p[2] for p in parts])
    y = np.concatenate([p[3] for p in parts]).astype(bool)
    weight = _weights(np.concatenate([[p[0]] * len(p[2]) for p in parts]))
    options = {"classes": (0, 1), "feature_names": AF_FEATURE_NAMES, "hidden": HIDDEN, "settings": SETTINGS}
    return x, y, weight, options


def out_of_fold_margin(parts: list[tuple[str, str, np.ndarray, np.ndarray]], *, seed: int = 0) -> np.ndarray:
    """float64 ``(n,)`` out-of-fold AF score minus not-AF score of every run of ``parts`` (stacked in order),
    from classifiers fitted without the run's patient (``FOLDS`` folds by patient, as :func:`fit` does)."""
    x, y, weight, options = _stacked(parts)
    groups = np.concatenate([[p[1]] * len(p[2]) for p in parts])
    scores = out_of_fold(x, y.astype(np.int64), groups, folds=FOLDS, weight=weight, seed=seed, **options)
    return scores[:, 1] - scores[:, 0]


def fit(parts: list[tuple[str, str, np.ndarray, np.ndarray]], *, seed: int = 0) -> tuple[AFStage, dict]:
    """An :class:`AFStage` from ``(database, patient, features, is_af)`` parts (cross-validation folds keep each
    patient's parts together, synthetic ones included), and its cross-validation summary.

    The decision offset: the mean of :func:`_objective`'s two F1 on out-of-fold scores is computed for
    offsets -4 ... 4, its standard error by a bootstrap over the parts (200 resamples), and the offset closest
    to 0 whose mean is within one standard error of the best is taken (the one-standard-error rule: the
    out-of-fold figures rest on few AF patients and on network outputs of records the network trained on,
    so a large shift is only taken when the evidence for it is clear)."""
    x, y, weight, options = _stacked(parts)
    scores = out_of_fold_margin(parts, seed=seed)
    grid = np.round(np.linspace(-4, 4, 81), 2)
    counts = _counts(parts, scores, grid)
    found = _objective(counts.sum(axis=0))
    rng = np.random.default_rng(seed)
    boot = np.stack([_objective(counts[rng.integers(len(parts), size=len(parts))].sum(axis=0))[:, 2]
                     for _ in range(200)])
    best = int(np.argmax(found[:, 2]))
    se = float(boot[:, best].std())
    near = np.flatnonzero(found[:, 2] >= found[best, 2] - se)
    pick = int(near[np.argmin(np.abs(grid[near]))])
    clf = fit_classifier(x, y.astype(np.int64), weight=weight, seed=seed, **options)
    stage = AFStage(replace(clf, offsets=np.array([0.0, float(grid[pick])])))
    keys = ("runs_f1_mitdb_cpsc2021", "record_f1_cinc2017", "mean")
    zero = int(np.argmin(np.abs(grid)))
    summary = {"offset": float(grid[pick]), "best_offset": float(grid[best]), "standard_error": round(se, 4),
               "cross_validated_at_offset_0": dict(zip(keys, found[zero].round(4).tolist())),
               "cross_validated_at_best": dict(zip(keys, found[best].round(4).tolist())),
               "cross_validated": dict(zip(keys, found[pick].round(4).tolist()))}
    return stage, summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="bundled model name or a save_pretrained folder")
    parser.add_argument("--out", required=True, help="folder for af_stage.json and the feature cache")
    parser.add_argument("--data", help="databases folder (default $OPENECG_DATA)")
    parser.add_argument("--synth-per-record", type=int, default=2, help="synthetic recordings of each kind per "
                        "MIT-BIH and SVDB training record (0: none)")
    add_backend_argument(parser)
    parser.add_argument("--fused", action="store_true", help="fit on the two-lead records' outputs fused, for "
                        "two-lead recordings (ship the result as af_stage.fused.json)")
    args = parser.parse_args(argv)
    predictor = load_predictor(args.model, args.backend)
    out = Path(args.out)
    cache = feature_cache(out, args.model, args.backend, fused=args.fused)
    parts = training_parts(predictor, cache, synth_per_record=args.synth_per_record, root=args.data, fused=args.fused)
    stage, summary = fit(parts)
    stage.to_json(out / "af_stage.json")
    y = np.concatenate([p[3] for p in parts])
    counts = {d: {"runs": int(sum(len(p[3]) for p in parts if p[0] == d)),
                  "af_runs": int(sum(p[3].sum() for p in parts if p[0] == d))} for d in (*DATASETS, "synthetic")}
    (out / "af_stage_training.json").write_text(json.dumps({
        "model": args.model, "backend": args.backend,
        "command": f"python -m openecg.stage2.af_stage --model {args.model} --out {args.out} "
                   f"--synth-per-record {args.synth_per_record} --backend {args.backend}" + (" --fused" if args.fused else ""),
        "records": {d: load_split(d)["train"] for d in DATASETS}, "lead": training_lead(args.fused),
        "examples": counts,
        "synthetic_kinds": list(KINDS), "features": list(AF_FEATURE_NAMES), "hidden_layers": list(HIDDEN),
        "folds": FOLDS, **summary,
        "train_accuracy": float(np.mean(np.concatenate([(stage.probability(p[2]) > 0.5) == p[3] for p in parts]))),
    }, indent=1) + "\n")
    print(f"fitted on {len(y)} runs ({int(y.sum())} AF): {counts}; {summary}; wrote {out / 'af_stage.json'}")


if __name__ == "__main__":
    main()
