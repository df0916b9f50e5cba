"""Agreement of ``openecg.report`` intervals (median PR, QRS, QT) with the cardiologists' LUDB annotations.

Usage (one core is enough)::

    OPENECG_DATA=<folder of databases> python benchmarks/bench_report.py [--no-baseline] [--limit N]

Records: the ``val`` list of ``openecg/data/splits/ludb.json`` (never trained on). Reference per record: for each of
the 12 annotated leads the median interval over its annotated beats, then the median over leads (the rule of
:func:`openecg.reports.intervals.lead_median_intervals`). openecg: ``openecg.report(recording).intervals``,
from the one wave channel the encoder builds from all 12 leads, on its N beats (paced beats on a paced
record). Baseline in the same run: NeuroKit2 DWT delineation of each lead, measured with the reference's rule.
A second reference, the union over leads (earliest onset to latest offset: the global 12-lead measurement),
is printed for comparison. Prints each record, then per interval the records where both have a value, the
median and mean absolute error, the median signed error (openecg minus reference) and the 90th percentile of
the absolute error, in ms, and the records where only one of the two finds the interval (for example a P wave
in atrial fibrillation).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openecg  # noqa: E402
from openecg.data import iter_records  # noqa: E402
from openecg.reports.intervals import lead_median_intervals, measure_beats, median_intervals  # noqa: E402
from openecg.tokenizer.vocab import QRS_CLASSES, class_id  # noqa: E402

KEYS = ("pr_ms", "qrs_ms", "qt_ms")


def global_intervals(record) -> dict[str, float | None]:
    """Intervals of the union over leads (a sample is QRS when any lead annotates QRS there, else T, else P):
    earliest onset to latest offset, as global 12-lead measurements take them."""
    waves, masks = record.labels[:, 0], record.mask[:, 0]
    union = np.zeros(waves.shape[1], np.uint8)
    for name in ("P", "T"):
        union[(waves == class_id("wave", name)).any(axis=0)] = class_id("wave", name)
    qrs = np.isin(waves, QRS_CLASSES)
    union[qrs.any(axis=0)] = class_id("wave", "QRS")
    medians = median_intervals(measure_beats(union, fs=record.recording.fs, mask=masks.all(axis=0)))
    return {key: medians[key] for key in KEYS}


def neurokit_intervals(record) -> dict[str, float | None]:
    from openecg.eval.baseline import neurokit_wave_labels

    signal, fs = record.recording.signal, record.recording.fs
    waves = np.stack([neurokit_wave_labels(signal[:, k], fs=fs) for k in range(signal.shape[1])])
    return lead_median_intervals(waves, fs=fs)


def agreement(name: str, rows: list[tuple[dict, dict]]) -> None:
    print(f"\n{name}: agreement with the LUDB annotation (ms)")
    print(f"{'interval':9s} {'records':>7s} {'median |e|':>10s} {'mean |e|':>9s} {'median e':>9s} {'p90 |e|':>8s} "
          f"{'only ref':>8s} {'only this':>9s}")
    for key in KEYS:
        both = np.array([got[key] - ref[key] for got, ref in rows if got[key] is not None and ref[key] is not None])
        only_ref = sum(got[key] is None and ref[key] is not None for got, ref in rows)
        only_got = sum(got[key] is not None and ref[key] is None for got, ref in rows)
        if both.size == 0:
            print(f"{key[:-3]:9s} {0:7d}")
            continue
        print(f"{key[:-3]:9s} {both.size:7d} {np.median(np.abs(both)):10.1f} {np.mean(np.abs(both)):9.1f} "
              f"{np.median(both):9.1f} {np.percentile(np.abs(both), 90):8.1f} {only_ref:8d} {only_got:9d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-baseline", action="store_true", help="skip the NeuroKit2 baseline")
    parser.add_argument("--limit", type=int, default=None, help="only the first N validation records")
    args = parser.parse_args()
    ours, baseline, against_global = [], [], []
    began = time.perf_counter()
    print(f"{'record':>6s} | {'openecg PR QRS QT':>20s} | {'reference':>20s}" + ("" if args.no_baseline else
                                                                                  f" | {'NeuroKit2':>20s}"))

    def show(values: dict) -> str:
        return " ".join(f"{'-' if values[k] is None else f'{values[k]:.0f}':>6s}" for k in KEYS)

    for k, record in enumerate(iter_records("ludb", split="val")):
        if args.limit is not None and k >= args.limit:
            break
        reference = lead_median_intervals(record.labels[:, 0], fs=record.recording.fs, masks=record.mask[:, 0])
        got = openecg.report(record.recording).intervals
        ours.append((got, reference))
        against_global.append((got, global_intervals(record)))
        line = f"{record.record:>6s} | {show(got):>20s} | {show(reference):>20s}"
        if not args.no_baseline:
            nk = neurokit_intervals(record)
            baseline.append((nk, reference))
            line += f" | {show(nk):>20s}"
        print(line)
    agreement("openecg.report (bundled model)", ours)
    if baseline:
        agreement("NeuroKit2 DWT, per lead", baseline)
    print("\n(the same openecg figures against the union of the 12 leads' annotations: earliest onset to latest "
          "offset, the global measurement)")
    agreement("openecg.report vs the global reference", against_global)
    print(f"\n{len(ours)} records in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
