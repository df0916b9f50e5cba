"""Digitization benchmark: render seeded LUDB printouts, digitize them, print scores and speed.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_digitize.py [--data DIR] [--count N] [--dpi 200]

Records: the LUDB validation split (``data/splits/ludb.json``) minus records 1 to 60, the only records the
digitizer was ever tuned on. Conditions: clean renders, scan-like
(rotation up to 3 degrees, noise, JPEG, blur, colour cast) and photo-like (perspective up to 15 degrees,
uneven light, shadow). Prints, per condition, the PhysioNet 2025 score, the mean Challenge 2024 SNR, the
mean Pearson r and the seconds per image of the digitizer (rendering not included), then the wave-boundary
F1 of the labels of digitized lead II against those of the original lead II on the clean renders: with
``openecg.encode`` when it exists, else with the NeuroKit2 delineation baseline as the labeller.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from openecg.paper.digitizer import digitize
from openecg.paper.metrics import pearson, score_2025, snr_2024
from openecg.paper.printout import render
from openecg.signal import Recording

CONDITIONS = {"clean": None, "scan": "scan", "photo": "photo"}
GRIDS = ("red", "pink", "blue", "green", "grey")
TUNED_ON = range(1, 61)
SPLIT = Path(__file__).resolve().parents[1] / "data" / "splits" / "ludb.json"


def _records(data: Path, count: int | None) -> list[Path]:
    folder = data / "ludb" / "data"
    if not folder.is_dir():
        raise SystemExit(f"LUDB not found at {folder}; pass --data or set OPENECG_DATA")
    ids = [int(i) for i in json.loads(SPLIT.read_text())["val"] if int(i) not in TUNED_ON]
    return [folder / str(i) for i in sorted(ids)[:count]]


def _wave_f1(pairs: list[tuple[np.ndarray, np.ndarray]], fs: float) -> str:
    """Macro wave-boundary F1 of labels(digitized lead II) against labels(original lead II)."""
    from openecg.eval.boundaries import wave_metrics

    try:
        from openecg import encode  # type: ignore[attr-defined]

        def label(x: np.ndarray) -> np.ndarray:
            return encode(x, fs=fs).channels[0]

        labeller = "openecg.encode"
    except ImportError:
        from openecg.eval.baseline import neurokit_wave_labels

        def label(x: np.ndarray) -> np.ndarray:
            return neurokit_wave_labels(x, fs=fs)

        labeller = "NeuroKit2 baseline labeller (openecg.encode is not on this branch yet)"
    refs, preds = [], []
    for original, digitized in pairs:
        refs.append(label(original))
        preds.append(label(np.nan_to_num(digitized, nan=0.0)))
    return f"{wave_metrics(refs, preds, fs=fs)['macro_f1']:.3f} ({labeller}, lead II, {len(pairs)} clean images)"


def main() -> None:
    import wfdb

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("OPENECG_DATA"), help="PhysioNet folder (or $OPENECG_DATA)")
    parser.add_argument("--count", type=int, default=None, help="at most this many records (default: all)")
    parser.add_argument("--dpi", type=float, default=200.0)
    parser.add_argument("--layout", default="3x4+1")
    args = parser.parse_args()
    if not args.data:
        raise SystemExit("give --data or set OPENECG_DATA to the folder of PhysioNet databases")
    paths = _records(Path(args.data), args.count)
    print(f"LUDB validation records not in 1-60 ({len(paths)}: {' '.join(p.name for p in paths)}), "
          f"layout {args.layout}, {args.dpi:g} dpi; the digitizer was tuned on LUDB records 1-60 only")
    print(f"{'condition':<9} {'2025 score dB':>13} {'2024 SNR dB':>12} {'Pearson r':>10} {'s/image':>8} {'unread':>7}")
    pairs = []
    for condition, degradation in CONDITIONS.items():
        refs, preds, seconds, snrs, rs, failures = [], [], [], [], [], 0
        for k, path in enumerate(paths):
            record = wfdb.rdrecord(str(path))
            rec = Recording(record.p_signal.astype(np.float32), fs=record.fs, lead_names=record.sig_name)
            result = render(rec, layout=args.layout, dpi=args.dpi, grid=GRIDS[k % len(GRIDS)],
                            degradation=degradation, seed=int(path.name))
            ref = result.reference()
            start = time.perf_counter()
            try:
                out = digitize(result.image, fs=rec.fs)
                pred = np.stack([out.lead(n) for n in result.info["lead_names"]], axis=1)
                if pred.shape != ref.shape:
                    raise ValueError(f"digitized shape {pred.shape} differs from {ref.shape}")
                if condition == "clean":
                    pairs.append((rec.lead("II"), out.lead("II")))
            except ValueError:
                failures += 1
                pred = np.full_like(ref, np.nan)
            seconds.append(time.perf_counter() - start)
            refs.append(ref)
            preds.append(pred)
            snrs.append(np.nanmean(snr_2024(ref, pred)))
            r = pearson(ref, pred)
            rs.append(float(np.nanmean(r)) if np.isfinite(r).any() else 0.0)
        score = score_2025(refs, preds, fs=500)
        print(f"{condition:<9} {score:>13.2f} {np.mean(snrs):>12.2f} {np.mean(rs):>10.3f} "
              f"{np.mean(seconds):>8.2f} {failures:>7d}")
    print(f"wave-boundary F1 of labels(digitize(render(record))) vs labels(record): {_wave_f1(pairs, 500.0)}")


if __name__ == "__main__":
    main()
