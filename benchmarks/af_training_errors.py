"""Error analysis of the AF stage on the CinC 2017 TRAINING records, out of fold.

``python benchmarks/af_training_errors.py --model default --out runs/stages-af3``

Collects the AF stage's training parts exactly as ``python -m openecg.stage2.af_stage`` does (network outputs
from, or written to, the stamped cache ``<out>/cache``), scores every run with a classifier fitted without
its patient (:func:`openecg.stage2.af_stage.out_of_fold_margin`), and prints for each CinC 2017 training
record its label, length, the seconds of runs called AF (each run counting its window's mean RR, the
record-level rule of ``af_stage``: AF above 5 s) and the medians of the features that matter most, then the
records called AF per label. Only training records are read; validation records are never touched.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from openecg.data.cinc2017 import cinc2017_labels
from openecg.data.records import dataset_root
from openecg.stage2.af_stage import RECORD_AF_S, out_of_fold_margin, training_parts
from openecg.stage2.beat_stage import feature_cache, load_predictor
from openecg.stream.af import AF_FEATURE_NAMES

SHOWN = ("p_sinus", "p_AF", "p_noise", "log_robust_nsd", "regular_pairs", "p_wave", "qrs_prob", "qrs_width_cv")
"""Feature columns printed (their median over the record's runs; ``log_robust_nsd`` shown as the ratio)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="bundled model name or a save_pretrained folder")
    parser.add_argument("--out", required=True, help="the folder of af_stage's feature cache (<out>/cache)")
    parser.add_argument("--data", help="databases folder (default $OPENECG_DATA)")
    parser.add_argument("--synth-per-record", type=int, default=2, help="as for openecg.stage2.af_stage")
    parser.add_argument("--seed", type=int, default=0, help="seed of the folds (af_stage uses 0)")
    args = parser.parse_args()
    predictor = load_predictor(args.model)
    cache = feature_cache(Path(args.out), args.model)
    parts = training_parts(predictor, cache, synth_per_record=args.synth_per_record, root=args.data, with_records=True)
    margin = out_of_fold_margin([p[:4] for p in parts], seed=args.seed)
    labels = cinc2017_labels(dataset_root("cinc2017", args.data))
    column = {name: AF_FEATURE_NAMES.index(name) for name in ("log_mean_rr_s", *SHOWN)}
    print(f"{'record':8s} label  runs  AF s  called  " + "  ".join(f"{n:>13s}" for n in SHOWN))
    called_per_label: Counter = Counter()
    at = 0
    for dataset, _, x, y, record in parts:
        m = margin[at:at + len(y)]
        at += len(y)
        if dataset != "cinc2017":
            continue
        af_s = float(np.sum(np.exp(x[:, column["log_mean_rr_s"]]) * (m > 0)))
        called = af_s > RECORD_AF_S
        called_per_label[labels[record], called] += 1
        med = {n: float(np.median(x[:, column[n]])) for n in SHOWN}
        med["log_robust_nsd"] = float(np.exp(med["log_robust_nsd"]))
        wrong = "  <-" if called != (labels[record] == "A") else ""
        print(f"{record:8s} {labels[record]:5s} {len(y):5d} {af_s:5.1f}  {str(called):6s}  "
              + "  ".join(f"{med[n]:13.3f}" for n in SHOWN) + wrong)
    for label in sorted({k[0] for k in called_per_label}):
        n = called_per_label[label, True] + called_per_label[label, False]
        print(f"label {label}: {called_per_label[label, True]} of {n} called AF (out of fold)")


if __name__ == "__main__":
    main()
