"""QRS detection on short single-lead records (CPSC 2019-like: 10 s at 500 Hz), ours against openecg 0.11.0 and
NeuroKit2, on validation records.

    OPENECG_DATA=../shared/data python benchmarks/bench_short_qrs.py [--per-record 12] [--no-baseline]

CPSC 2019 scores QRS detection on 10-s single-lead recordings at 500 Hz, many of them noisy, with a 75-ms
tolerance. Its records are not here, so this script cuts that shape out of the validation records
(``openecg/data/splits``) of MIT-BIH, SVDB and NSTDB (118/119 with electrode-motion noise at 24 to -6 dB SNR):
``--per-record`` 10-s segments spread evenly over each record, lead 0, resampled to 500 Hz
(``scipy.signal.resample_poly``), and the MIT-BIH segments again with white (muscle-like) noise at 0 dB SNR
("mitdb+white"). The reference is the database's beat annotations.

Each detector sees each segment alone, as a user with a folder of 10-s files would run it:
- this checkout: ``openecg.encode(segment, 500)``, beats from ``Codec.beats()``; and again with the quality gate
  off (:func:`ungated`), to show what the gate costs where it turns a noisy window away;
- openecg 0.11.0 from PyPI (its own environment, ``.bench-venvs/openecg-0.11.0``, made by
  ``benchmarks/bench_stream.py``): ``encode`` with its bundled ONNX codec, a beat at the middle of each QRS or
  paced-QRS run of its wave ("frame") layer (its beat layer holds 1-sample fragments that would cost it P+);
- NeuroKit2 ``ecg_peaks`` (its default method).

Printed per database and for all: Se, P+ and F1 over every reference beat, and over the beats more than 0.5 s
from either end (edges left out, detections there not counted), with the counts behind them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FS = 500
SECONDS = 10
TOLERANCE_S = 0.075
EDGE_S = 0.5
DATABASES = ("mitdb", "svdb", "nstdb", "mitdb+white")
WHITE_SNR_DB = 0.0

BASELINE_CHILD = """
import json, sys
import numpy as np
import openecg
segments = np.load(sys.argv[1])
model = openecg.load_codec_onnx()
out = []
for x in segments:
    codec = openecg.encode(x, %d, model=model)
    out.append([(a + b - 1) // 2 for a, b, k in codec.events("frame") if k in (2, 4)])  # QRS, paced QRS
print(json.dumps(out))
""" % FS


def segments(database: str, per_record: int, root: str | None) -> tuple[np.ndarray, list[np.ndarray], list[str]]:
    """``[n, 5000]`` float32 mV segments at 500 Hz, their reference beats (500-Hz samples) and record names."""
    from scipy.signal import resample_poly

    from openecg.data import iter_records

    if database == "mitdb+white":  # the MIT-BIH segments with white (EMG-like) noise at WHITE_SNR_DB
        xs, refs, names = segments("mitdb", per_record, root)
        rng = np.random.default_rng(0)
        power = xs.var(axis=1, keepdims=True) / 10 ** (WHITE_SNR_DB / 10)
        return (xs + rng.normal(size=xs.shape) * np.sqrt(power)).astype(np.float32), refs, names
    xs, refs, names = [], [], []
    for rec in iter_records(database, split="val", root=root):
        fs = rec.recording.fs
        n = int(round(SECONDS * fs))
        signal = np.nan_to_num(rec.recording.signal[:, 0])
        for start in np.linspace(0, len(signal) - n - 1, per_record).astype(int):
            beats = rec.beats[(rec.beats >= start) & (rec.beats < start + n)] - start
            if len(beats) == 0:
                continue
            x = resample_poly(signal[start:start + n], FS, int(round(fs))) if fs != FS else signal[start:start + n]
            xs.append(x[:SECONDS * FS].astype(np.float32))
            refs.append(np.round(beats * FS / fs).astype(np.int64))
            names.append(rec.record)
    return np.stack(xs), refs, names


def ours(x: np.ndarray, model: object = "default") -> np.ndarray:
    import openecg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(openecg.encode(x, FS, model=model).beats()["sample"], dtype=np.int64)


def ungated() -> object:
    """The bundled model with the input checks and the quality gate off (``signal_checks = False``): what the
    network finds in windows the gate turns away. Not a way to run openecg: without the gate, noise is labelled
    as ECG with beats."""
    from openecg.runtime.bundled import OnnxPredictor

    predictor = OnnxPredictor("default")
    predictor.signal_checks = False
    return predictor


def neurokit(x: np.ndarray) -> np.ndarray:
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _, info = nk.ecg_peaks(nk.ecg_clean(x, sampling_rate=FS), sampling_rate=FS)
        except Exception:  # NeuroKit2 raises on some flat or very noisy segments: no detection
            return np.zeros(0, np.int64)
    return np.asarray(info["ECG_R_Peaks"], dtype=np.int64)


def baseline(xs: np.ndarray) -> list[np.ndarray]:
    from bench_stream import baseline_python

    python = baseline_python()
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "segments.npy", xs)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        out = subprocess.run([str(python), "-c", BASELINE_CHILD, str(Path(tmp) / "segments.npy")],
                             capture_output=True, text=True, env=env, cwd=tmp, check=True)
    return [np.asarray(b, dtype=np.int64) for b in json.loads(out.stdout.strip().splitlines()[-1])]


def score(refs: list[np.ndarray], dets: list[np.ndarray], *, edge: float) -> dict[str, float]:
    """Se, P+, F1 and counts over segments; beats within ``edge`` s of either end are left out of both sides."""
    from openecg.eval.matching import match_events

    tp = n_ref = n_det = 0
    lo, hi = edge * FS, SECONDS * FS - edge * FS
    for ref, det in zip(refs, dets):
        ref = ref[(ref >= lo) & (ref < hi)]
        det = det[(det >= lo) & (det < hi)]
        matched, _ = match_events(ref, det, tolerance=int(round(TOLERANCE_S * FS)))
        tp, n_ref, n_det = tp + len(matched), n_ref + len(ref), n_det + len(det)
    se, ppv = tp / max(n_ref, 1), tp / max(n_det, 1)
    return {"se": se, "ppv": ppv, "f1": 2 * se * ppv / max(se + ppv, 1e-12), "ref": n_ref, "det": n_det, "tp": tp}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-record", type=int, default=12, help="10-s segments per validation record")
    parser.add_argument("--data", help="databases folder (default $OPENECG_DATA)")
    parser.add_argument("--no-baseline", action="store_true", help="skip openecg 0.11.0")
    args = parser.parse_args()
    results: dict[str, dict[str, tuple[list, list]]] = {}
    free = ungated()
    for database in DATABASES:
        xs, refs, _ = segments(database, args.per_record, args.data)
        dets = {"openecg (this checkout)": [ours(x) for x in xs],
                "  the same, gate off": [ours(x, free) for x in xs],
                "NeuroKit2 ecg_peaks": [neurokit(x) for x in xs]}
        if not args.no_baseline:
            dets["openecg 0.11.0"] = baseline(xs)
        results[database] = {name: (refs, d) for name, d in dets.items()}
        print(f"{database}: {len(xs)} segments of {SECONDS} s at {FS} Hz", flush=True)
    names = list(next(iter(results.values())))
    for label, edge in (("every beat", 0.0), (f"beats > {EDGE_S} s from the ends", EDGE_S)):
        print(f"\nQRS, {label} (tolerance {TOLERANCE_S * 1e3:.0f} ms): Se / P+ / F1")
        for name in names:
            cells = []
            for database in [*DATABASES, "all"]:
                parts = list(results) if database == "all" else [database]
                refs = [r for d in parts for r in results[d][name][0]]
                dets = [x for d in parts for x in results[d][name][1]]
                s = score(refs, dets, edge=edge)
                cells.append(f"{database} {s['se']:.4f} / {s['ppv']:.4f} / {s['f1']:.4f}")
            print(f"  {name:24s} " + "   ".join(cells))


if __name__ == "__main__":
    main()
