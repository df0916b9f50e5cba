"""How close each int8 ONNX quantisation setting stays to the fp32 network, on training windows.

    OPENECG_DATA=../shared/data python benchmarks/quant_fidelity.py --model openecg/runtime/models/default

The export (``openecg.stage2.export``) quantises the convolutions statically. This script quantises the same
fp32 graph with several calibration settings, from the export's own calibration windows (LUDB, MIT-BIH and
CPSC 2021 training records), every convolution int8 or some left fp32 (``FLOAT_CONVS``), and prints, for each
and for the fp32 graph itself:

- the share of samples whose argmax class matches fp32 torch, per head, on windows of training records of
  databases the calibration does not read (QTDB, SVDB, CinC 2017), so no validation record is used;
- milliseconds per 10-s window at batch 32 on one thread (int8 cost must not grow).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from openecg.data import iter_records
    from openecg.stage2 import OpenECGModel
    from openecg.stage2.export import (CALIBRATION_PERCENTILE, FLOAT_CONVS, OUTPUT_NAMES, ProbabilityModel, agreement,
                                       export_fp32, quantize_graph)
    from openecg.stage2.tracks import tracks_from_record
    from openecg.stage2.train import tile_windows

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a save_pretrained folder")
    parser.add_argument("--data", help="databases folder (default $OPENECG_DATA)")
    args = parser.parse_args()
    model = OpenECGModel.from_pretrained(args.model).eval()
    fs, window = model.config.fs, model.config.window

    def windows(names: tuple[str, ...], per_track: int) -> np.ndarray:
        tracks = [t for name in names for r in iter_records(name, split="train", root=args.data)
                  for t in tracks_from_record(r, fs=fs)]
        return tile_windows(tracks, window, per_track).x

    export_calibration = windows(("ludb", "mitdb", "cpsc2021"), 1)  # what openecg.stage2.export reads
    held = windows(("qtdb", "svdb", "cinc2017"), 2)
    with torch.no_grad():
        ref = dict(zip(OUTPUT_NAMES, (t.numpy() for t in ProbabilityModel(model)(torch.from_numpy(held)))))
    print(f"{len(held)} fidelity windows (QTDB, SVDB, CinC 2017 training records), calibration from "
          f"{len(export_calibration)} LUDB / MIT-BIH / CPSC 2021 training windows", flush=True)

    first = export_calibration[::3][:256]
    every: tuple[str, ...] = ()  # every convolution int8
    settings = {  # name: (calibration windows, ranges, percentile, convolutions left fp32)
        "min-max, 256 (files before 12-01)": (first, "minmax", None, every),
        "min-max, all windows": (export_calibration, "minmax", None, every),
        "Percentile 99.9, 256": (first, "percentile", 99.9, every),
        "Percentile 99.95, 256": (first, "percentile", CALIBRATION_PERCENTILE, every),
        "Percentile 99.99, 256": (first, "percentile", 99.99, every),
        "Percentile 99.999, 256": (first, "percentile", 99.999, every),
        "Entropy, 256": (first, "entropy", None, every),
        "min-max, 256, FLOAT_CONVS fp32": (first, "minmax", None, FLOAT_CONVS),
        "Percentile 99.95, first conv fp32": (first, "percentile", CALIBRATION_PERCENTILE, FLOAT_CONVS[:1]),
        "Percentile 99.95, FLOAT_CONVS fp32 (export)": (first, "percentile", CALIBRATION_PERCENTILE, FLOAT_CONVS),
    }
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"  # one fp32 graph, quantised once per setting
        fp32 = export_fp32(model, Path(tmp) / "model.fp32.onnx")
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        for name, (calibration, ranges, percentile, float_convs) in [("fp32 graph", (None,) * 4), *settings.items()]:
            if calibration is None:
                out = fp32
            else:
                out = quantize_graph(prepared, Path(tmp) / "candidate.onnx", calibration, ranges=ranges,
                                     float_convs=float_convs, **({"percentile": percentile} if percentile else {}))
            session = ort.InferenceSession(str(out), opts, providers=["CPUExecutionProvider"])
            got = {k: [] for k in OUTPUT_NAMES}
            for i in range(0, len(held), 64):
                for k, v in zip(OUTPUT_NAMES, session.run(None, {"x": held[i:i + 64]})):
                    got[k].append(v)
            agree = agreement(ref, {k: np.concatenate(v) for k, v in got.items()})
            batch = held[:32]
            session.run(None, {"x": batch})
            times = []
            for _ in range(15):
                t0 = time.perf_counter()
                session.run(None, {"x": batch})
                times.append((time.perf_counter() - t0) / 32 * 1e3)
            print(f"{name:44s} wave {agree['wave']:.4f}  beat {agree['beat']:.4f}  rhythm {agree['rhythm']:.4f}  "
                  f"{np.median(times):.2f} ms/window", flush=True)


if __name__ == "__main__":
    main()
