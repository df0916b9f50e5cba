"""Inference speed of the bundled model: ms per 10-s lead-window at batch 1 and 32, per runtime.

``python benchmarks/bench_model.py [--model default] [--threads 2] [--repeats 20]``

Windows are real ECG (MIT-BIH 100, lead MLII, resampled to the model rate) when the databases are found
(``$OPENECG_DATA`` or ``../shared/data``), else seeded noise; the figure includes normalisation and the
repetition of each head's rows to one per sample, i.e. all of ``Predictor.predict``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from openecg.runtime.bundled import LiteRTPredictor, OnnxPredictor


def real_windows(fs: float, window: int, count: int) -> np.ndarray:
    """``count`` consecutive windows of MIT-BIH record 100 at ``fs``, or seeded noise without the data."""
    root = Path(os.environ.get("OPENECG_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    try:
        import wfdb
        from scipy.signal import resample_poly

        signal = wfdb.rdrecord(str(root / "mitdb" / "100")).p_signal[:, 0]
        x = resample_poly(signal, int(fs), 360).astype(np.float32)
    except (ImportError, FileNotFoundError, OSError):
        x = np.random.default_rng(0).normal(0, 0.3, window * count).astype(np.float32)
    return x[: window * count].reshape(count, window)


def time_predict(predictor, x: np.ndarray, repeats: int) -> float:
    """Best-of-three mean milliseconds per window of ``predictor.predict`` on batch ``x``."""
    predictor.predict(x)
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            predictor.predict(x)
        best = min(best, (time.perf_counter() - start) / repeats)
    return 1000.0 * best / x.shape[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    runtimes = {"onnxruntime int8": OnnxPredictor, "litert int8": LiteRTPredictor}
    print(f"model {args.model!r}, {args.threads} threads, ms per 10-s lead-window (lower is better)")
    for label, cls in runtimes.items():
        try:
            predictor = cls(args.model, threads=args.threads)
        except ImportError as err:
            print(f"{label:18s} unavailable: {err}")
            continue
        x = real_windows(predictor.fs, predictor.window, 32)
        figures = {batch: time_predict(predictor, x[:batch], args.repeats if batch > 1 else 5 * args.repeats) for batch in (1, 32)}
        print(f"{label:18s} batch 1: {figures[1]:6.2f} ms   batch 32: {figures[32]:6.2f} ms")


if __name__ == "__main__":
    main()
