"""Recover torch weights from a bundled int8 ONNX model, to fine-tune it when its fp32 run folder is gone.

``python -m openecg.stage2.from_onnx --name default --out runs/default-recovered``

Every weight is the int8 file's dequantised value (``(q - zero_point) * scale``, per channel), so the
recovered model computes what the int8 file computes up to activation quantisation. BatchNorm was folded
into the convolutions at export; the recovered model holds the folded kernels and each BatchNorm is set to
the identity plus the folded shift (mean 0, variance 1, scale ``sqrt(1 + eps)``). Fine-tune such a model with
its BatchNorm statistics frozen (``freeze_batchnorm`` in the training config), else the first batches
replace them with batch statistics the folded kernels were not made for.

The mapping from ONNX initializers to torch parameters is found, not hard-coded: a model of the same
config with distinct random weights and identity BatchNorm is exported the same way, and each of its ONNX
tensors is matched by value to the parameter it came from (MatMul weights transposed).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch

from .configuration_openecg import OpenECGConfig
from .modeling_openecg import OpenECGModel

__all__ = ["recover_from_onnx"]

_DQ_SUFFIX = "_DequantizeLinear_Output"


def _onnx_floats(path: Path) -> dict[str, np.ndarray]:
    """Float tensors of an ONNX graph by the name the compute nodes read: plain initializers and the
    outputs of DequantizeLinear nodes fed by initializers (dequantised here)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    out = {k: v.astype(np.float32) for k, v in inits.items() if v.dtype == np.float32}
    for node in graph.node:
        if node.op_type != "DequantizeLinear" or node.input[0] not in inits:
            continue
        q, scale = inits[node.input[0]].astype(np.float64), inits[node.input[1]].astype(np.float64)
        zero = inits[node.input[2]].astype(np.float64) if len(node.input) > 2 else np.zeros_like(scale)
        axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
        if scale.ndim == 1 and q.ndim > 1:
            shape = [1] * q.ndim
            shape[axis] = -1
            scale, zero = scale.reshape(shape), zero.reshape(shape)
        out[node.output[0].removesuffix(_DQ_SUFFIX)] = ((q - zero) * scale).astype(np.float32)
    return out


def _export_fp32(model: OpenECGModel, path: Path) -> None:
    from .export import OUTPUT_NAMES, ProbabilityModel

    torch.onnx.export(
        ProbabilityModel(model).eval(), (torch.zeros(2, model.config.window),), str(path), input_names=["x"],
        output_names=list(OUTPUT_NAMES), dynamic_axes={"x": {0: "batch"}, **{k: {0: "batch"} for k in OUTPUT_NAMES}},
        opset_version=17, dynamo=False,
    )


def recover_from_onnx(onnx_path: str | Path, config: OpenECGConfig) -> OpenECGModel:
    """A torch model holding the dequantised weights of ``onnx_path`` (see the module docstring).

    Raises
    ------
    ValueError
        When a tensor of the int8 file cannot be matched to exactly one parameter, or a parameter is left
        without a value (the file was exported from another architecture or config).
    """
    import onnx
    from onnx import numpy_helper

    shipped = _onnx_floats(Path(onnx_path))
    probe = OpenECGModel(config).eval()
    bns = [m for m in probe.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    with torch.no_grad():
        for p in probe.parameters():
            p.copy_(torch.randn_like(p))
        for bn in bns:
            bn.weight.fill_(1.0), bn.bias.zero_(), bn.running_mean.zero_(), bn.running_var.fill_(1.0 - bn.eps)
    params = {n: p.detach().numpy() for n, p in probe.named_parameters()}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "probe.onnx"
        _export_fp32(probe, fp32)
        graph = onnx.load(str(fp32)).graph
    probe_inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    conv_bias = {node.input[1]: node.input[2] for node in graph.node if node.op_type == "Conv" and len(node.input) > 2}
    # which BatchNorm follows each stem/up convolution: the module right after it in its ConvBlock
    conv_to_bn = {}
    for name, module in probe.named_modules():
        if isinstance(module, torch.nn.Sequential) and len(module) == 3 and isinstance(module[1], torch.nn.BatchNorm1d):
            conv_to_bn[f"{name}.0.weight"] = f"{name}.1"
    state: dict[str, torch.Tensor] = {}
    for onnx_name, value in probe_inits.items():
        if value.dtype != np.float32 or value.size < 2 or onnx_name not in shipped:
            continue
        hits = [(n, False) for n, p in params.items() if p.shape == value.shape and np.array_equal(p, value)]
        hits += [(n, True) for n, p in params.items() if p.ndim == 2 and p.T.shape == value.shape and np.array_equal(p.T, value)]
        if len(hits) != 1:
            continue  # folded biases (all zero in the probe) are handled with their convolution
        name, transposed = hits[0]
        weight = shipped[onnx_name]
        state[name] = torch.from_numpy(weight.T.copy() if transposed else weight)
        if name in conv_to_bn:
            bn = conv_to_bn[name]
            bias = shipped.get(conv_bias.get(onnx_name, ""))
            if bias is None:
                raise ValueError(f"the folded bias of {name} ({onnx_name}) is missing from {onnx_path}")
            eps = dict(probe.named_modules())[bn].eps
            state[f"{bn}.bias"] = torch.from_numpy(bias)
            state[f"{bn}.weight"] = torch.full_like(state[f"{bn}.bias"], float(np.sqrt(1.0 + eps)))
            state[f"{bn}.running_mean"] = torch.zeros_like(state[f"{bn}.bias"])
            state[f"{bn}.running_var"] = torch.ones_like(state[f"{bn}.bias"])
    missing = [n for n, _ in probe.named_parameters() if n not in state]
    if missing:
        raise ValueError(f"{onnx_path}: no int8 tensor matched the parameters {missing}; is it this config's model?")
    model = OpenECGModel(config)
    model.load_state_dict(state, strict=False)
    return model.eval()


def main(argv: list[str] | None = None) -> None:
    from .export import MODELS_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="default", help="bundled model name")
    parser.add_argument("--out", required=True, help="folder for save_pretrained")
    args = parser.parse_args(argv)
    folder = MODELS_DIR / args.name
    raw = json.loads((folder / "config.json").read_text())
    config = OpenECGConfig(**{k: v for k, v in raw.items() if k in OpenECGConfig().to_dict() and k not in ("class_tables", "vocab_version", "architectures", "dtype", "model_type", "transformers_version")})
    model = recover_from_onnx(folder / "model.int8.onnx", config)
    model.config.init_from = f"bundled:{args.name} (int8, recovered)"
    model.save_pretrained(args.out)
    print(f"recovered {sum(p.numel() for p in model.parameters())} parameters into {args.out}")


if __name__ == "__main__":
    main()
