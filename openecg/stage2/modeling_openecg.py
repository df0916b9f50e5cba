"""The multi-task model: a convolutional stem, a small transformer encoder, and three heads.

Shapes (``B`` batch, ``T`` = ``config.window`` samples at ``config.fs``)::

    x            [B, 1, T]        normalised single-lead ECG (see openecg.signal.normalize_windows)
    stem         [B, C0, T] -> [B, C1, T/2] -> ... -> [B, Ck, frames]   each level halves time (rounding up)
    encoder      [B, frames, d]   pre-norm transformer, learned absolute positions; with config.token_pool = k
                                  it attends over frames / k tokens (k frames averaged), each output repeated
                                  back to its k frames
    decoder      U-Net path back up level by level, joined with the stem's features at each rate
    wave         [B, 5, T]        per-sample wave logits (other, P, QRS, T, paced QRS)
    beat         [B, 7, T/2]      per-sample beat-class logits (decoded into one class per QRS)
    rhythm       [B, 7, frames]   per-frame rhythm logits (frames = T / 2**k rounded up; 157 for T=2500, k=4)

The wave head works at the full sample rate, so boundaries are not quantised to the encoder's 64-ms frames:
the decoder path plays the part of a boundary-offset regression.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F
from dataclasses import dataclass

from transformers import AutoModel, PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_openecg import OpenECGConfig

__all__ = ["OpenECGModel", "OpenECGOutput"]


@dataclass
class OpenECGOutput(ModelOutput):
    """Logits of the three heads: ``wave`` ``[B, 5, T]``, ``beat`` ``[B, 7, T/2]``, ``rhythm`` ``[B, 7, frames]``.
    Index 0, 1, 2 (or ``to_tuple()``) give them in that order."""

    wave: torch.Tensor | None = None
    beat: torch.Tensor | None = None
    rhythm: torch.Tensor | None = None


class ConvBlock(nn.Sequential):
    """Conv1d -> BatchNorm -> ReLU; ``[B, c_in, t] -> [B, c_out, t / stride]``."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm1d(c_out),
            nn.ReLU(),
        )


class UpBlock(ConvBlock):
    """One decoder level: nearest-neighbour x2 upsampling of the coarser features ``u``, joined with the stem's
    ``skip`` features, then Conv1d(k=3) -> BatchNorm -> ReLU; ``u [B, c_u, n]``, ``skip [B, c_s, t]`` with
    ``t`` in ``(2n - 2, 2n]`` (or ``t == n``: no upsampling) -> ``[B, c_out, t]``.

    The weights are those of one convolution over ``concat(upsample(u), skip)``, but the upsampled copy is never
    built: a k=3 kernel ``(w0, w1, w2)`` over a sample-repeated signal equals, per output phase, a 2-tap kernel
    over ``u`` (even outputs ``w0 u[i-1] + (w1 + w2) u[i]``, odd ones ``(w0 + w1) u[i] + w2 u[i+1]``). Both
    phases are one ordinary k=3 convolution of ``u`` with ``2 c_out`` outputs (kernels ``(w0, w1 + w2, 0)`` and
    ``(0, w0 + w1, w2)``), interleaved afterwards: the same function as a stride-2 transposed convolution with
    kernel ``(w2, w1 + w2, w0 + w1, w0)``, but an ordinary convolution runs as an int8 kernel in ONNX Runtime,
    where a transposed one runs in fp32 (2.45 -> 2.16 ms per window, ``benchmarks/bench_model_variants.py``).
    That saves the repeat and the concatenation. The one difference from the explicit form: when ``t`` is odd,
    the last output reads ``u``'s last sample where the cropped copy would read zero padding. In eval mode the
    BatchNorm is folded into both kernels, so the exported graph holds no BatchNorm.
    """

    def __init__(self, c_u: int, c_skip: int, c_out: int) -> None:
        super().__init__(c_u + c_skip, c_out, 3)
        self.c_u = c_u

    def forward(self, u: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        conv, bn, relu = self
        weight, bias = conv.weight, None
        if not self.training:
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            weight, bias = weight * scale[:, None, None], bn.bias - bn.running_mean * scale
        if u.shape[-1] == skip.shape[-1]:
            y = F.conv1d(torch.cat([u, skip], dim=1), weight, bias, padding=1)
        else:
            w_u, w_skip = weight[:, : self.c_u], weight[:, self.c_u :]
            w0, w1, w2 = w_u.unbind(-1)
            zero = torch.zeros_like(w0)
            kernel = torch.cat([torch.stack([w0, w1 + w2, zero], dim=-1), torch.stack([zero, w0 + w1, w2], dim=-1)])
            phases = F.conv1d(u, kernel, padding=1)  # [B, 2 c_out, n]: the even outputs, then the odd ones
            b, _, n = phases.shape
            up = phases.reshape(b, 2, -1, n).permute(0, 2, 3, 1).reshape(b, -1, 2 * n)[..., : skip.shape[-1]]
            y = F.conv1d(skip, w_skip, bias, padding=1) + up
        return relu(y if bias is not None else bn(y))


def self_attention(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, heads: int) -> torch.Tensor:
    """Multi-head scaled dot-product self-attention from packed projections.

    ``x`` ``[B, N, d]``; ``weight`` ``[d, 3d]`` and ``bias`` ``[3d]`` give the queries, keys and values side by
    side, each split into ``heads`` consecutive blocks of ``d / heads``; returns ``[B, N, d]`` (heads joined,
    before the output projection).
    """
    b, n, d = x.shape
    q, k, v = (x @ weight + bias).reshape(b, n, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
    att = torch.softmax(q @ k.transpose(-1, -2) * (1.0 / math.sqrt(d // heads)), dim=-1)
    return (att @ v).transpose(1, 2).reshape(b, n, d)


class _FusedSelfAttention(torch.autograd.Function):
    """:func:`self_attention` that exports to ONNX as one ``com.microsoft.Attention`` node: ONNX Runtime's fused
    CPU kernel computes the same function without the separate matmuls, transposes, split and softmax (3.52
    against 3.95 ms per fp32 window, ``benchmarks/bench_model_variants.py``). Used only while exporting;
    training takes the plain path."""

    @staticmethod
    def forward(ctx, x, weight, bias, heads):  # type: ignore[override]
        return self_attention(x, weight, bias, heads)

    @staticmethod
    def symbolic(g, x, weight, bias, heads):  # the TorchScript exporter's hook
        return g.op("com.microsoft::Attention", x, weight, bias, num_heads_i=heads)


def pool_tokens(z: torch.Tensor, k: int) -> torch.Tensor:
    """``[B, N, d]`` -> ``[B, ceil(N / k), d]``: each run of ``k`` frames averaged (a short last run is padded
    with copies of its last frame, so it is the mean of the frames it has). Written with constant gather
    indices, which export to ONNX for any batch size."""
    if k == 1:
        return z
    n, d = int(z.shape[1]), int(z.shape[2])
    tokens = -(-n // k)
    index = torch.arange(tokens * k).clamp(max=n - 1)
    return z[:, index].reshape(-1, tokens, k, d).mean(dim=2)


def unpool_tokens(z: torch.Tensor, k: int, n: int) -> torch.Tensor:
    """Inverse of :func:`pool_tokens`' layout: each token repeated to its ``k`` frames, cut to ``n`` frames."""
    if k == 1:
        return z
    return z[:, torch.arange(n) // k]


class EncoderLayer(nn.Module):
    """Pre-norm self-attention and feed-forward. Plain ops for training and TFLite; in an ONNX export the
    attention is one fused ONNX Runtime node (:class:`_FusedSelfAttention`)."""

    def __init__(self, d: int, heads: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, d_ff), nn.GELU(), nn.Linear(d_ff, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``[B, N, d]`` -> ``[B, N, d]``."""
        attend = _FusedSelfAttention.apply if torch.onnx.is_in_onnx_export() else self_attention
        y = attend(self.norm1(x), self.qkv.weight.t(), self.qkv.bias, self.heads)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.ff(self.norm2(x)))


class OpenECGModel(PreTrainedModel):
    """Wave, beat and rhythm labelling of one ECG lead; see the module docstring for shapes."""

    config_class = OpenECGConfig
    base_model_prefix = "openecg"
    main_input_name = "x"

    def __init__(self, config: OpenECGConfig) -> None:
        super().__init__(config)
        ch = config.stem_channels
        d = config.d_model
        self.stem = nn.ModuleList(
            [nn.Sequential(ConvBlock(1, ch[0], 7), ConvBlock(ch[0], ch[0], 5))]
            + [ConvBlock(ch[i - 1], ch[i], 5, stride=2) for i in range(1, len(ch))]
        )
        self.embed = nn.Linear(ch[-1], d)
        self.pos = nn.Parameter(torch.zeros(1, config.n_frames, d))
        self.layers = nn.ModuleList(
            EncoderLayer(d, config.n_heads, config.d_ff, config.dropout) for _ in range(config.n_layers)
        )
        self.norm = nn.LayerNorm(d)
        ups = [d] + ch[:0:-1]
        self.up = nn.ModuleList(UpBlock(c_in, ch[i], ch[i]) for i, c_in in zip(range(len(ch) - 1, -1, -1), ups))
        n = config.n_classes
        self.wave_head = nn.Conv1d(ch[0], n["wave"], 1)
        self.beat_head = nn.Conv1d(ch[1], n["beat"], 1)
        self.rhythm_head = nn.Linear(d, n["rhythm"])
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Conv1d)):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, OpenECGModel):
            nn.init.normal_(module.pos, std=0.02)

    def forward(self, x: torch.Tensor) -> OpenECGOutput:
        """``x``: ``[B, 1, T]`` -> :class:`OpenECGOutput` (wave ``[B, 5, T]``, beat ``[B, 7, T/2]``, rhythm
        ``[B, 7, frames]`` logits)."""
        skips = []
        for block in self.stem:
            x = block(x)
            skips.append(x)
        z = self.embed(x.transpose(1, 2)) + self.pos
        z = pool_tokens(z, self.config.token_pool)
        for layer in self.layers:
            z = layer(z)
        z = unpool_tokens(self.norm(z), self.config.token_pool, self.config.n_frames)
        rhythm = self.rhythm_head(z).transpose(1, 2)
        u = z.transpose(1, 2)
        beat = u
        for level, block in zip(range(len(skips) - 1, -1, -1), self.up):
            u = block(u, skips[level])
            if level == 1:
                beat = self.beat_head(u)
        return OpenECGOutput(wave=self.wave_head(u), beat=beat, rhythm=rhythm)


AutoModel.register(OpenECGConfig, OpenECGModel)
