"""Export a trained model to int8 ONNX (and TFLite, see :mod:`.export_tflite`) inside the package.

``python -m openecg.stage2.export --model runs/stage2-small/best --name default [--tf-python PATH]``

writes ``openecg/runtime/models/<name>/``: ``model.safetensors`` and ``config.json`` (the fp32 weights, for
fine-tuning with ``OpenECGModel.from_pretrained``), ``model.int8.onnx`` (dynamic batch; the convolutions, the
decoder's upsampling included (:class:`.modeling_openecg.UpBlock`), in static QDQ int8, per channel, calibrated on
real training windows (activation ranges at a percentile of them, ``--ranges``), except the :data:`FLOAT_CONVS`
(the stem's first two, which read the normalised signal, and the two heads), which stay fp32 (``--float-convs``);
each attention block is one fused ONNX Runtime ``Attention`` node; the transformer stays fp32: quantising its
matrix products cost agreement with fp32 and saved no time, see ``benchmarks/bench_model_variants.py``), ``model.int8.tflite`` (full int8, see :mod:`.export_tflite`; converted
by ``--tf-python``, the interpreter of an environment with tensorflow, by default this one; ``--keep-tflite``
keeps the folder's TFLite file instead, valid only when the weights are unchanged: its agreement with the
fp32 model is measured and reported either way),
``export_report.json`` (the agreement between
fp32 torch and each int8 file on validation windows, also printed) and ``manifest.json`` (sha256 of every
file, checked by the runtime on load).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from ..runtime.bundled import MODELS_DIR
from ..runtime.heads import HEAD_NAMES as OUTPUT_NAMES
from .modeling_openecg import OpenECGModel

__all__ = ["ProbabilityModel", "export_fp32", "export_onnx", "quantize_graph", "float_conv_nodes", "write_manifest",
           "agreement", "RANGES", "FLOAT_CONVS"]


class ProbabilityModel(torch.nn.Module):
    """The exported graph: ``x [B, T]`` -> softmax probabilities wave ``[B, T, 5]``, beat ``[B, T/2, 7]``,
    rhythm ``[B, frames, 7]`` with ``frames = config.n_frames`` (T/16 rounded up: 157 for T = 2500; class last, so the runtime repeats them to one row per sample)."""

    def __init__(self, model: OpenECGModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.model(x[:, None, :])
        return tuple(torch.softmax(t, dim=1).transpose(1, 2) for t in (out.wave, out.beat, out.rhythm))  # type: ignore[return-value]


CALIBRATION_PERCENTILE = 99.95
"""Activation range of the int8 convolutions: this percentile of the calibration windows' absolute values.
Chosen with ``benchmarks/quant_fidelity.py`` on training windows of databases the calibration does not read:
argmax agreement with fp32 wave 0.990 / beat 0.996 / rhythm 0.988, against 0.974 / 0.991 / 0.967 for the
extremes (min-max), at the same cost."""
RANGES = ("percentile", "minmax")
"""What the export's ``--ranges`` offers (:func:`quantize_graph` also takes ``"entropy"``)."""

FLOAT_CONVS = ("/stem.0.0.0/Conv", "/stem.0.1.0/Conv", "/wave_head/Conv", "/beat_head/Conv")
"""Convolutions left in fp32 by default (ONNX node names end so): the stem's first two, which read the
normalised signal at the full rate, and the wave and beat heads, whose logits an 8-bit range would round.
Quantising the first one rounds the input (each window divided by its 1st-to-99th percentile range) to 256
levels over its calibrated range: steps of 0.018 of that range with min-max ranges, 0.0085 at the 99.95th
percentile, so a 0.1 mV P wave on a 1.5 mV ECG spans 4 to 8 levels. On
training windows of databases the calibration does not read (``benchmarks/quant_fidelity.py``), argmax
agreement with fp32 rose from 0.990 / 0.996 / 0.988 (wave / beat / rhythm, every convolution int8) to
0.995 / 0.997 / 0.995, for 1.35 -> 1.42 ms per window on one thread. Tuple of name suffixes: a graph of
this architecture holds each exactly once."""
FLOAT_CONV_CHOICES = {"edges": FLOAT_CONVS, "none": ()}
"""What the export's ``--float-convs`` offers: the :data:`FLOAT_CONVS` (default) or none (every convolution
int8, how the files before 2026-12-01 19:20 UTC were made)."""


def float_conv_nodes(graph: Path, suffixes: tuple[str, ...]) -> list[str]:
    """The names of the Conv nodes of the ONNX ``graph`` that end with each of ``suffixes``; a suffix that
    names no node, or more than one, is refused (a renamed graph must not silently quantise them)."""
    import onnx

    names = [n.name for n in onnx.load(str(graph), load_external_data=False).graph.node if n.op_type == "Conv"]
    found = []
    for suffix in suffixes:
        hits = [name for name in names if name.endswith(suffix)]
        if len(hits) != 1:
            raise ValueError(f"{len(hits)} Conv nodes of {graph.name} end with {suffix!r} (one expected); "
                             f"pass float_convs=() to quantise every convolution")
        found += hits
    return found


def _calibration_method(ranges: str):
    """ONNX Runtime's calibration method for ``ranges`` (``"percentile"``, ``"minmax"`` or ``"entropy"``)."""
    from onnxruntime.quantization import CalibrationMethod

    methods = {"percentile": CalibrationMethod.Percentile, "minmax": CalibrationMethod.MinMax,
               "entropy": CalibrationMethod.Entropy}
    if ranges not in methods:
        raise ValueError(f"ranges={ranges!r} must be one of {tuple(methods)}")
    return methods[ranges]


def quantize_graph(prepared: Path, path: Path, calibration: np.ndarray, *, ranges: str = "percentile",
                   percentile: float = CALIBRATION_PERCENTILE, float_convs: tuple[str, ...] = FLOAT_CONVS) -> Path:
    """Quantise the convolutions of a pre-processed fp32 graph (``quant_pre_process``) to static QDQ int8 at
    ``path``: weights per channel, activation ranges from ``calibration`` windows ``[n, T]`` by ``ranges``,
    ``"percentile"`` (``percentile`` of their absolute values), ``"minmax"`` (their extremes) or ``"entropy"``
    (ONNX Runtime's), except the convolutions named by ``float_convs`` (:func:`float_conv_nodes`), which stay
    fp32; returns ``path``."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    method = _calibration_method(ranges)
    exclude = float_conv_nodes(prepared, float_convs)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter(np.array_split(calibration, max(1, len(calibration) // 16)))

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self.batches, None)
            return None if batch is None else {"x": batch.astype(np.float32)}

    quantize_static(
        str(prepared), str(path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["Conv", "ConvTranspose"],
        calibrate_method=method, nodes_to_exclude=exclude,
        extra_options={"CalibPercentile": percentile} if ranges == "percentile" else {},
    )
    return path


def export_fp32(model: OpenECGModel, path: Path) -> Path:
    """Write the fp32 ONNX graph of :class:`ProbabilityModel` (dynamic batch) at ``path``; returns ``path``."""
    wrapper = ProbabilityModel(model).eval()  # the exporter restores the wrapper's mode, recursively
    torch.onnx.export(
        wrapper, (torch.zeros(2, model.config.window),), str(path), input_names=["x"],
        output_names=list(OUTPUT_NAMES), dynamic_axes={"x": {0: "batch"}, **{k: {0: "batch"} for k in OUTPUT_NAMES}},
        opset_version=17, dynamo=False, custom_opsets={"com.microsoft": 1},
    )
    return path


def export_onnx(model: OpenECGModel, path: Path, calibration: np.ndarray, *, ranges: str = "percentile",
                float_convs: tuple[str, ...] = FLOAT_CONVS) -> Path:
    """Write the fp32 graph beside ``path`` (:func:`export_fp32`) and the graph with static-QDQ int8 convolutions
    at ``path`` (:func:`quantize_graph`; also transposed ones, which the benchmark's older graph variants hold);
    returns ``path``. Activation ranges are the :data:`CALIBRATION_PERCENTILE` percentile of ``calibration``'s
    absolute values with ``ranges="percentile"``, their extremes with ``"minmax"`` (how every file before
    2026-12-01 17:40 UTC was made); the ``float_convs`` stay fp32 (:data:`FLOAT_CONVS`)."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    _calibration_method(ranges)  # refuse a bad name before the export's work
    fp32 = export_fp32(model, path.with_name(path.name.replace(".int8", ".fp32")))
    prepared = fp32.with_name("prepared.onnx")
    quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
    quantize_graph(prepared, path, calibration, ranges=ranges, float_convs=float_convs)
    prepared.unlink()
    return path


def write_manifest(folder: Path) -> dict[str, str]:
    """Write ``manifest.json`` with the sha256 of every other file in ``folder``; returns the mapping."""
    digests = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != "manifest.json"
    }
    (folder / "manifest.json").write_text(json.dumps({"sha256": digests}, indent=2) + "\n")
    return digests


def agreement(reference: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> dict[str, float]:
    """Share of rows whose argmax class agrees, per output (probabilities ``[B, t, C]``)."""
    return {k: float(np.mean(reference[k].argmax(-1) == other[k].argmax(-1))) for k in reference}


def main(argv: list[str] | None = None) -> None:
    from ..data import iter_records
    from .train import tile_windows
    from .tracks import tracks_from_record

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a save_pretrained folder (runs/<name>/best)")
    parser.add_argument("--name", default="default", help="bundled model name")
    parser.add_argument("--data", help="databases folder (default $OPENECG_DATA)")
    parser.add_argument("--tf-python", default=sys.executable, help="python with tensorflow for the TFLite file")
    parser.add_argument("--ranges", choices=RANGES, default="percentile",
                        help="int8 activation ranges: a percentile of the calibration windows (default) or their "
                             "extremes (minmax, how the files before 2026-12-01 17:40 UTC were made)")
    parser.add_argument("--float-convs", choices=tuple(FLOAT_CONV_CHOICES), default="edges",
                        help="convolutions left fp32: the stem's first two and the heads (edges, default) or none "
                             "(every convolution int8, how the files before 2026-12-01 19:20 UTC were made)")
    parser.add_argument("--keep-tflite", action="store_true",
                        help="keep the folder's TFLite file (same weights, re-exported ONNX graph only)")
    args = parser.parse_args(argv)
    model = OpenECGModel.from_pretrained(args.model).eval()
    fs, window = model.config.fs, model.config.window

    def windows(split: str, per_track: int) -> np.ndarray:
        tracks = [t for name in ("ludb", "mitdb", "cpsc2021") for r in iter_records(name, split=split, root=args.data)
                  for t in tracks_from_record(r, fs=fs)]
        return tile_windows(tracks, window, per_track).x

    calibration = windows("train", 1)[::3][:256]
    out = MODELS_DIR / args.name
    if args.keep_tflite and not (out / "model.int8.tflite").is_file():
        parser.error(f"--keep-tflite: {out / 'model.int8.tflite'} does not exist; export it with --tf-python")
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = export_onnx(model, out / "model.int8.onnx", calibration, ranges=args.ranges,
                            float_convs=FLOAT_CONV_CHOICES[args.float_convs])
    (out / "model.fp32.onnx").unlink()
    model.save_pretrained(out)
    tflite_path = out / "model.int8.tflite"
    if not args.keep_tflite:
        with tempfile.TemporaryDirectory() as tmp:
            np.save(Path(tmp) / "calibration.npy", calibration)
            subprocess.run(
                [args.tf_python, "-m", "openecg.stage2.export_tflite", "--model", args.model,
                 "--calibration", str(Path(tmp) / "calibration.npy"), "--out", str(tflite_path)],
                check=True, env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
            )

    import onnxruntime as ort

    val = windows("val", 2)
    with torch.no_grad():
        ref = dict(zip(OUTPUT_NAMES, (t.numpy() for t in ProbabilityModel(model).eval()(torch.from_numpy(val)))))
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = dict(zip(OUTPUT_NAMES, session.run(None, {"x": val})))
    from ..runtime.bundled import LiteRTSession

    report = {
        "windows": int(len(val)),
        "onnx_activation_ranges": args.ranges,
        "onnx_float_convs": list(FLOAT_CONV_CHOICES[args.float_convs]),
        "onnx_int8_vs_torch_fp32": agreement(ref, got),
        "tflite_int8_vs_torch_fp32": agreement(ref, LiteRTSession(tflite_path).run(val)),
    }
    (out / "export_report.json").write_text(json.dumps(report, indent=2) + "\n")
    write_manifest(out)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
