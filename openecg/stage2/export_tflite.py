"""Export a trained model to an int8 TFLite file (LiteRT), without torch.

``python -m openecg.stage2.export_tflite --model runs/stage2-small/best --calibration calib.npy --out model.int8.tflite``

The graph is rebuilt as a ``tf.function`` from the ``model.safetensors`` weights (BatchNorm folded into the convolutions,
torch's symmetric padding reproduced exactly), then converted with full int8 quantisation of weights and
activations calibrated on real windows (``calib.npy``: float32 ``[N, T]`` normalised windows); input and
outputs stay float32 and the batch dimension stays dynamic. Needs ``tensorflow`` (an export-time tool only).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

__all__ = ["build_graph", "convert"]

BN_EPS = 1e-5
LN_EPS = 1e-5


def _folded_conv(w: dict[str, np.ndarray], prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """Conv1d weight ``[out, in, k]`` with the following BatchNorm folded in -> TensorFlow ``[k, in, out]``, bias."""
    kernel = w[f"{prefix}.0.weight"]
    gamma, beta = w[f"{prefix}.1.weight"], w[f"{prefix}.1.bias"]
    mean, var = w[f"{prefix}.1.running_mean"], w[f"{prefix}.1.running_var"]
    scale = gamma / np.sqrt(var + BN_EPS)
    return (kernel * scale[:, None, None]).transpose(2, 1, 0), beta - mean * scale


def build_graph(weights: dict[str, np.ndarray], config: dict):
    """A ``tf.function`` twin of ``ProbabilityModel(OpenECGModel)``: ``x [B, T]`` -> wave, beat, rhythm probabilities."""
    import tensorflow as tf

    window, d, heads = config["window"], config["d_model"], config["n_heads"]
    n_stem = len(config["stem_channels"])

    def conv_block(x, prefix: str, stride: int = 1):
        kernel, bias = _folded_conv(weights, prefix)
        k = kernel.shape[0]
        x = tf.pad(x, [[0, 0], [k // 2, k // 2], [0, 0]])
        return tf.nn.relu(tf.nn.conv1d(x, tf.constant(kernel), stride, "VALID") + bias)

    def dense(x, prefix: str, weight: np.ndarray | None = None):
        """``[B, n, in] -> [B, n, out]`` as one fully connected layer (Linear, or a 1x1 Conv1d head)."""
        w = weights[f"{prefix}.weight"] if weight is None else weight
        flat = tf.reshape(x, [-1, w.shape[1]])
        y = tf.matmul(flat, tf.constant(np.ascontiguousarray(w.T))) + weights[f"{prefix}.bias"]
        return tf.reshape(y, [-1, x.shape[1], w.shape[0]])

    def norm(x, prefix: str):
        mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + LN_EPS) * weights[f"{prefix}.weight"] + weights[f"{prefix}.bias"]

    def head(u, prefix: str):
        return tf.nn.softmax(dense(u, prefix, weights[f"{prefix}.weight"][:, :, 0]), axis=-1)

    @tf.function(input_signature=[tf.TensorSpec([None, window], tf.float32, name="x")])
    def forward(x):
        x = conv_block(conv_block(x[:, :, None], "stem.0.0"), "stem.0.1")
        skips = [x]
        for i in range(1, n_stem):
            x = conv_block(x, f"stem.{i}", stride=2)
            skips.append(x)
        z = dense(x, "embed") + weights["pos"]
        frames, pool = z.shape[1], config.get("token_pool", 1)
        if pool > 1:  # modeling_openecg.pool_tokens
            short = -frames % pool
            if short:
                z = tf.concat([z, tf.repeat(z[:, -1:], short, axis=1)], axis=1)
            z = tf.reduce_mean(tf.reshape(z, [-1, (frames + short) // pool, pool, d]), axis=2)
        n = z.shape[1]
        for j in range(config["n_layers"]):
            p = f"layers.{j}"
            qkv = tf.reshape(dense(norm(z, f"{p}.norm1"), f"{p}.qkv"), [-1, n, 3, heads, d // heads])
            q, k, v = (tf.transpose(qkv[:, :, i], (0, 2, 1, 3)) for i in range(3))
            att = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) * (1.0 / np.sqrt(d // heads)), axis=-1)
            y = tf.reshape(tf.transpose(tf.matmul(att, v), (0, 2, 1, 3)), [-1, n, d])
            z = z + dense(y, f"{p}.proj")
            h = dense(norm(z, f"{p}.norm2"), f"{p}.ff.0")
            z = z + dense(tf.nn.gelu(h, approximate=False), f"{p}.ff.2")
        z = norm(z, "norm")
        if pool > 1:  # modeling_openecg.unpool_tokens
            z = tf.repeat(z, pool, axis=1)[:, :frames]
        rhythm = tf.nn.softmax(dense(z, "rhythm_head"), axis=-1)
        u, beat = z, None
        for i, level in enumerate(range(n_stem - 1, -1, -1)):
            skip = skips[level]
            if u.shape[1] != skip.shape[1]:
                u = tf.repeat(u, 2, axis=1)[:, : skip.shape[1]]
            u = conv_block(tf.concat([u, skip], axis=-1), f"up.{i}")
            if level == 1:
                beat = head(u, "beat_head")
        return {"wave": head(u, "wave_head"), "beat": beat, "rhythm": rhythm}

    return forward


def convert(model_dir: Path, calibration: np.ndarray, out: Path) -> Path:
    """Build the TensorFlow twin of ``model_dir`` and write the int8 TFLite file ``out``."""
    import tensorflow as tf
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text())
    forward = build_graph(load_file(str(model_dir / "model.safetensors")), config)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([forward.get_concrete_function()], forward)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([w[None].astype(np.float32)] for w in calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]
    out.write_bytes(converter.convert())
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a save_pretrained folder")
    parser.add_argument("--calibration", required=True, help="float32 [N, T] normalised windows (.npy)")
    parser.add_argument("--out", required=True, help="the .tflite file to write")
    args = parser.parse_args(argv)
    path = convert(Path(args.model), np.load(args.calibration), Path(args.out))
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
