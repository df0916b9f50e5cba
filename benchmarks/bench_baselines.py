"""NeuroKit2 DWT delineation on the LUDB and QTDB validation records, scored by ``openecg.eval.boundaries``.

Usage (one core is enough)::

    OPENECG_DATA=<folder of databases> python benchmarks/bench_baselines.py [--limit N]

Prints, per dataset and lead set, Se / P+ / F1 and the signed error (mean +- SD, ms) per boundary, and the
macro-F1 over the six boundaries. Records are the ``val`` list of ``openecg/data/splits/<dataset>.json``; every
later model is compared with these figures on the same records. QTDB is scored only where ``.q1c`` labels
exist (the wave mask).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openecg.data import iter_records  # noqa: E402
from openecg.eval.baseline import neurokit_wave_labels  # noqa: E402
from openecg.eval.boundaries import BOUNDARIES, wave_metrics  # noqa: E402

_MARGIN_S = 5.0


def delineate(rec, lead: int) -> np.ndarray:
    """NeuroKit2 labels for one lead; on long records only around the labelled stretch (plus a margin)."""
    labelled = np.flatnonzero(rec.mask[lead, 0])
    n = rec.recording.n_samples
    pred = np.zeros(n, np.uint8)
    if len(labelled) == 0:
        return pred
    margin = int(_MARGIN_S * rec.recording.fs)
    lo, hi = max(labelled[0] - margin, 0), min(labelled[-1] + margin + 1, n)
    pred[lo:hi] = neurokit_wave_labels(rec.recording.signal[lo:hi, lead], fs=rec.recording.fs)
    return pred


def report(title: str, refs, preds, masks, fs: float) -> None:
    result = wave_metrics(refs, preds, fs=fs, mask=masks)
    print(f"\n{title}: {len(refs)} signals")
    print(f"{'boundary':9s} {'n_ref':>6s} {'Se':>6s} {'P+':>6s} {'F1':>6s} {'mean ms':>8s} {'SD ms':>7s}")
    for b in BOUNDARIES:
        r = result[b]
        print(f"{b:9s} {r['tp'] + r['fn']:6d} {r['se']:6.3f} {r['ppv']:6.3f} {r['f1']:6.3f} {r['mean_ms']:8.1f} {r['sd_ms']:7.1f}")
    print(f"macro-F1 {result['macro_f1']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="score only the first N validation records")
    args = parser.parse_args()
    for dataset, lead_ii in (("ludb", 1), ("qtdb", 0)):
        start = time.perf_counter()
        lead_sets = {"lead II" if dataset == "ludb" else "lead 0 (MLII on most)": ([], [], []), "all leads": ([], [], [])}
        fs = None
        for k, rec in enumerate(iter_records(dataset, split="val")):
            if args.limit is not None and k >= args.limit:
                break
            fs = rec.recording.fs
            for lead in range(rec.recording.n_leads):
                pred = delineate(rec, lead)
                targets = [lead_sets["all leads"]] + ([next(iter(lead_sets.values()))] if lead == lead_ii else [])
                for refs, preds, masks in targets:
                    refs.append(rec.labels[lead, 0])
                    preds.append(pred)
                    masks.append(rec.mask[lead, 0])
        for name, (refs, preds, masks) in lead_sets.items():
            report(f"{dataset} val, {name}, NeuroKit2 DWT", refs, preds, masks, fs)
        print(f"({dataset}: {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
