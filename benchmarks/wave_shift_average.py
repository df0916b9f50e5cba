"""What averaging the network over shifted copies of each window would give the wave figures (not shipped).

    python benchmarks/wave_shift_average.py --split train [--shifts 1.0 -1.0]

Each 10-s window is also run rolled by each shift (seconds, rounded to whole beat-head frames) and the wave
and beat probabilities rolled back and averaged with the unshifted ones (the rhythm head's frames do not
divide the window evenly, so it keeps the unshifted window's). Every window is a fixed function of its own
samples, so the stream's chunking invariance holds. Prints the LUDB lead II, LUDB all-lead and QTDB wave
macro-F1 with each lead encoded alone (as ``eval_model.py``), for the chosen split. The model card history
("Eleventh round") gives the figures on training records; it costs one more network pass per shift.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_model  # noqa: E402

from openecg.runtime import bundled  # noqa: E402


class ShiftAveraged:
    """A predictor whose wave and beat outputs are averaged over the window and its copies rolled by
    ``shifts`` seconds."""

    def __init__(self, predictor, shifts: list[float]) -> None:
        self._predictor, self.shifts = predictor, shifts
        self.fs, self.window = predictor.fs, predictor.window

    def __getattr__(self, name: str):
        return getattr(self._predictor, name)

    def predict_frames(self, x: np.ndarray) -> dict[str, np.ndarray]:
        out = self._predictor.predict_frames(x)
        total = {k: v.astype(np.float64) for k, v in out.items()}
        for seconds in self.shifts:
            step = self.window // out["beat"].shape[1]  # samples per beat-head frame
            shift = int(round(seconds * self.fs / step)) * step
            rolled = self._predictor.predict_frames(np.roll(x, -shift, axis=1))
            for name, v in rolled.items():
                if name == "rhythm":
                    total[name] += out[name]
                else:
                    total[name] += np.roll(v, shift // (self.window // v.shape[1]), axis=1)
        return {k: (v / (1 + len(self.shifts))).astype(np.float32) for k, v in total.items()}

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        frames = self.predict_frames(x)
        return bundled.per_sample([frames[k] for k in bundled.HEAD_NAMES], self.window)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--split", default="train", choices=["train", "val"])
    parser.add_argument("--shifts", type=float, nargs="*", default=[1.0], help="seconds; none: the plain network")
    args = parser.parse_args()
    base = eval_model.load_predictor(args.model, "onnx")
    predictor = ShiftAveraged(base, args.shifts) if args.shifts else base
    records = eval_model.iter_records
    eval_model.iter_records = lambda name, split=None, **kw: records(name, split=args.split)
    start = time.time()
    for name, dataset, leads in (("LUDB lead II", "ludb", ["II"]), ("LUDB all leads", "ludb", None),
                                 ("QTDB", "qtdb", None)):
        r = eval_model.wave_scores(predictor, dataset, leads)
        print(f"{args.split} shifts {args.shifts}  {name:15s} macro-F1 {r['macro_f1']:.4f}  "
              + "  ".join(f"{b} {r[b]['f1']:.3f}" for b in eval_model.BOUNDARIES), flush=True)
    print(f"{time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
