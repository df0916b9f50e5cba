"""Which ONNX graph and quantisation to ship: every variant of the bundled model's weights, timed in one run.

``python benchmarks/bench_model_variants.py [--weights openecg/runtime/models/default] [--repeats 7]``

Each variant is exported from the same fp32 weights (``model.safetensors`` of a bundled model, or any
``save_pretrained`` folder) and run by ONNX Runtime with one thread on the same 32 real 10-s windows
(MIT-BIH 100 and 208, lead 0, at the model rate; seeded noise without the data). Printed per variant:
CPU milliseconds per window at batch 32 (best of ``--repeats`` rounds, the variants interleaved so that
machine load hits them alike), the ratio to the variant shipped before this benchmark existed (explicit
upsampling, every Conv and MatMul int8), and the share of samples whose argmax agrees with fp32 torch, per
head. Then the two ways of giving one call two threads: ONNX Runtime's intra-op threads, or the batch split
in two single-threaded calls at once (:class:`openecg.runtime.bundled.OnnxPredictor`), at batch 32 and 12
(one 12-lead window).

Variants:

* ``explicit``: the decoder upsamples with ``repeat_interleave`` and concatenates before each convolution;
* ``transposed``: the same function as a stride-2 transposed convolution plus a convolution of the skip
  features (differs only in the last samples of a window);
* ``fused attention``: the transposed graph with each attention block as one ONNX Runtime ``Attention`` node
  (:class:`openecg.stage2.modeling_openecg.EncoderLayer` in an ONNX export; the same function);
* ``phase conv``: the fused-attention graph with the transposed convolution computed as an ordinary
  convolution of both output phases, interleaved (:class:`openecg.stage2.modeling_openecg.UpBlock`, the same
  function; the ordinary convolution runs as an int8 kernel, the transposed one in fp32);
* quantisation: ``fp32``; ``int8 all`` (static QDQ, per channel, every Conv and MatMul, as shipped first);
  ``int8 conv`` (only the convolutions; shipped with the transposed graph); ``int8 conv+linear`` (also the
  transformer's weight matrices, not the attention products); ``QOperator conv`` (QLinearConv kernels
  instead of QDQ); ``int8 conv+convT`` (the convolutions and the transposed convolutions; shipped in the fourth round);
  ``int8 conv`` of the phase-conv graph (every convolution int8; shipped now); ``int8 conv, FLOAT_CONVS fp32``
  (the export's default since 2026-12-01: the stem's first two convolutions and the heads in fp32,
  :data:`openecg.stage2.export.FLOAT_CONVS`);
* ``token_pool``: the phase-conv int8 graph of the same weights with the other encoder layout (2 frames per
  transformer token when the weights have 1, and the reverse; ``OpenECGConfig.token_pool``). A different
  function of the same parameters, so it is timed here and its agreement is with its own fp32 torch.

The thread comparison also runs the batch the way :class:`openecg.runtime.bundled.OnnxPredictor` does now:
pieces of ``CALL_ROWS`` rows taken in turn by the two threads.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def windows(fs: float, window: int, count: int) -> np.ndarray:
    """``count`` consecutive 10-s windows: half MIT-BIH 100, half 208 (lead 0), or seeded noise."""
    from bench_model import real_windows

    first = real_windows(fs, window, count // 2)
    try:
        import wfdb

        from openecg.signal.resample import resample

        root = Path(__import__("os").environ.get("OPENECG_DATA", REPO.parent / "shared" / "data"))
        signal = wfdb.rdrecord(str(root / "mitdb" / "208")).p_signal[:, 0].astype(np.float32)
        second = resample(signal, fs_from=360.0, fs_to=fs)[: window * (count - count // 2)]
        second = second.reshape(-1, window)
    except (ImportError, OSError):
        second = np.random.default_rng(1).normal(0, 0.3, (count - count // 2, window)).astype(np.float32)
    return np.concatenate([first, second]).astype(np.float32)


def explicit_forward(block, u, skip):
    """The decoder level the direct way (what the graph held before :class:`UpBlock`)."""
    import torch

    if u.shape[-1] != skip.shape[-1]:
        u = torch.repeat_interleave(u, 2, dim=-1)[..., : skip.shape[-1]]
    conv, bn, relu = block
    return relu(bn(conv(torch.cat([u, skip], dim=1))))


def transposed_forward(block, u, skip):
    """The decoder level as a stride-2 transposed convolution (what the graph held before the phase conv)."""
    import torch
    import torch.nn.functional as F

    conv, bn, relu = block
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    weight, bias = conv.weight * scale[:, None, None], bn.bias - bn.running_mean * scale
    if u.shape[-1] == skip.shape[-1]:
        return relu(F.conv1d(torch.cat([u, skip], dim=1), weight, bias, padding=1))
    w0, w1, w2 = weight[:, : block.c_u].unbind(-1)
    phases = torch.stack([w2, w1 + w2, w0 + w1, w0], dim=-1).transpose(0, 1)  # [c_u, c_out, 4]
    up = F.conv_transpose1d(u, phases, stride=2, padding=1)[..., : skip.shape[-1]]
    return relu(F.conv1d(skip, weight[:, block.c_u :], bias, padding=1) + up)


def plain_attention_forward(layer, x):
    """An encoder layer with the attention as separate ONNX ops (what the graph held before the fused node)."""
    from openecg.stage2.modeling_openecg import self_attention

    y = self_attention(layer.norm1(x), layer.qkv.weight.t(), layer.qkv.bias, layer.heads)
    x = x + layer.proj(y)
    return x + layer.ff(layer.norm2(x))


def export_variants(weights: str, calibration: np.ndarray, folder: Path) -> dict[str, Path]:
    """Write every variant's ONNX file under ``folder``; returns label -> path."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from openecg.stage2.export import export_onnx
    from openecg.stage2.modeling_openecg import EncoderLayer, OpenECGModel, UpBlock

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter(np.array_split(calibration, 4))

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self.batches, None)
            return None if batch is None else {"x": batch}

    def quantise(fp32: Path, out: Path, ops: list[str], fmt=QuantFormat.QDQ, exclude_products: bool = False) -> Path:
        prepared = out.with_suffix(".prepared.onnx")
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        graph = onnx.load(str(prepared)).graph
        constants = {t.name for t in graph.initializer}
        exclude = [n.name for n in graph.node if n.op_type == "MatMul" and not set(n.input) & constants] if exclude_products else []
        quantize_static(str(prepared), str(out), Reader(), quant_format=fmt, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=ops, nodes_to_exclude=exclude)
        return out

    model = OpenECGModel.from_pretrained(weights).eval()
    paths: dict[str, Path] = {}
    phase, fused = UpBlock.forward, EncoderLayer.forward
    ups = {"explicit": explicit_forward, "transposed": transposed_forward, "fused attention": transposed_forward,
           "phase conv": phase}
    for kind in ("explicit", "transposed", "fused attention", "phase conv"):
        UpBlock.forward = ups[kind]
        EncoderLayer.forward = fused if kind in ("fused attention", "phase conv") else plain_attention_forward
        try:
            export_onnx(model, folder / f"{kind}.int8.onnx", calibration, float_convs=())  # also writes {kind}.fp32.onnx
        finally:
            UpBlock.forward, EncoderLayer.forward = phase, fused
        fp32 = folder / f"{kind}.fp32.onnx"
        paths[f"{kind}, fp32"] = fp32
        if kind in ("explicit", "transposed"):  # ONNX Runtime's quantiser leaves the fused node alone
            paths[f"{kind}, int8 all"] = quantise(fp32, folder / f"{kind}.all.onnx", ["Conv", "MatMul", "Gemm"])
        if kind == "transposed":
            paths[f"{kind}, int8 conv"] = quantise(fp32, folder / f"{kind}.conv.onnx", ["Conv"])
            paths[f"{kind}, int8 conv+linear"] = quantise(fp32, folder / f"{kind}.lin.onnx", ["Conv", "MatMul", "Gemm"],
                                                          exclude_products=True)
            paths[f"{kind}, QOperator conv"] = quantise(fp32, folder / f"{kind}.qop.onnx", ["Conv"], QuantFormat.QOperator)
        if kind == "fused attention":
            paths[f"{kind}, int8 conv"] = quantise(fp32, folder / f"{kind}.conv.onnx", ["Conv"])
            paths[f"{kind}, int8 conv+convT"] = folder / f"{kind}.int8.onnx"
        if kind == "phase conv":
            paths[f"{kind}, int8 conv (shipped)"] = folder / f"{kind}.int8.onnx"
            paths[f"{kind}, int8 conv, FLOAT_CONVS fp32"] = export_onnx(
                model, folder / "float.int8.onnx", calibration)
    pool = 1 if model.config.token_pool > 1 else 2  # the other encoder: every frame a token, or 2 frames per token
    other = OpenECGModel.from_pretrained(weights, token_pool=pool).eval()
    paths[f"phase conv, token_pool {pool}, int8 conv"] = export_onnx(other, folder / "pool.int8.onnx", calibration,
                                                                    float_convs=())
    return paths


def session(path: Path, threads: int = 1):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def main() -> None:
    import torch

    from openecg.runtime.bundled import CALL_ROWS
    from openecg.signal.normalize import normalize_windows
    from openecg.stage2.export import ProbabilityModel
    from openecg.stage2.modeling_openecg import OpenECGModel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=str(REPO / "openecg" / "runtime" / "models" / "default"))
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = OpenECGModel.from_pretrained(args.weights).eval()
    x = normalize_windows(windows(model.config.fs, model.config.window, 32))
    pool = 1 if model.config.token_pool > 1 else 2
    with torch.no_grad():
        reference = [t.numpy().argmax(-1) for t in ProbabilityModel(model)(torch.from_numpy(x))]
        other = OpenECGModel.from_pretrained(args.weights, token_pool=pool).eval()
        other_reference = [t.numpy().argmax(-1) for t in ProbabilityModel(other)(torch.from_numpy(x))]
    with tempfile.TemporaryDirectory() as tmp:
        paths = export_variants(args.weights, x, Path(tmp))
        sessions = {label: session(path) for label, path in paths.items()}
        best = {label: np.inf for label in sessions}
        agree = {}
        for label, s in sessions.items():
            out = s.run(None, {"x": x})
            ref = other_reference if label.startswith(f"phase conv, token_pool {pool}") else reference
            agree[label] = [float(np.mean(o.argmax(-1) == r)) for o, r in zip(out, ref)]
        for _ in range(args.repeats):
            for label, s in sessions.items():
                start = time.process_time()
                s.run(None, {"x": x})
                best[label] = min(best[label], time.process_time() - start)
        base = best["explicit, int8 all"]
        print(f"weights {args.weights}: {sum(p.numel() for p in model.parameters()):,} parameters, "
              f"{model.config.n_layers} encoder layers; 1 thread, batch 32, CPU ms per 10-s window (best of {args.repeats})")
        print(f"{'variant':44s} {'ms':>6s} {'speed-up':>8s}   argmax agreement with fp32 torch (wave / beat / rhythm)")
        for label in sessions:
            w, b, r = agree[label]
            print(f"{label:44s} {1000 * best[label] / len(x):6.2f} {base / best[label]:7.2f}x   {w:.4f} / {b:.4f} / {r:.4f}")
        shipped = paths["phase conv, int8 conv (shipped)"]
        intra = session(shipped, threads=2)
        single = session(shipped, threads=1)
        from concurrent.futures import ThreadPoolExecutor

        threads = ThreadPoolExecutor(1)
        for batch in (32, 12):
            rows = x[:batch]
            halves = np.array_split(rows, 2)
            pieces = [rows[i:i + CALL_ROWS] for i in range(0, batch, CALL_ROWS)]
            timings = {"1 thread": np.inf, "2 intra-op threads": np.inf, "batch split in 2 threads": np.inf,
                       f"pieces of {CALL_ROWS} rows taken in turn by 2 threads": np.inf}
            for _ in range(args.repeats):
                for label in timings:
                    start = time.perf_counter()
                    if label == "1 thread":
                        single.run(None, {"x": rows})
                    elif label == "2 intra-op threads":
                        intra.run(None, {"x": rows})
                    elif label == "batch split in 2 threads":
                        helper = threads.submit(single.run, None, {"x": halves[1]})
                        single.run(None, {"x": halves[0]})
                        helper.result()
                    else:
                        taken = itertools.count()

                        def take() -> None:
                            while (i := next(taken)) < len(pieces):
                                single.run(None, {"x": pieces[i]})

                        helper = threads.submit(take)
                        take()
                        helper.result()
                    timings[label] = min(timings[label], time.perf_counter() - start)
            print(f"batch {batch:2d}, wall ms per call: " + ", ".join(f"{k} {1000 * v:.1f}" for k, v in timings.items()))


if __name__ == "__main__":
    main()
