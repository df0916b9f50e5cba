"""Multi-task loss with per-dataset loss masks: an unlabelled layer or sample contributes exactly zero."""

from __future__ import annotations

from collections.abc import Sequence

import math

import torch
from torch.nn import functional as F

__all__ = ["masked_cross_entropy", "qrs_presence_loss", "multitask_loss", "frame_index", "distillation_loss"]


def masked_cross_entropy(
    logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean cross-entropy over the samples where ``mask`` is True; exactly 0 when none is.

    ``logits`` ``[B, C, T]``; ``labels`` int64 ``[B, T]``; ``mask`` bool ``[B, T]``.
    """
    ce = F.cross_entropy(logits, labels, weight=weight, reduction="none")
    m = mask.to(ce.dtype)
    return (ce * m).sum() / m.sum().clamp_min(1.0)


def qrs_presence_loss(wave_logits: torch.Tensor, qrs: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of P(QRS or paced QRS) against ``qrs`` (1 / 0, -1 ignored); ``[B, 5, T]``, ``[B, T]``."""
    logp = torch.log_softmax(wave_logits, dim=1)
    log_qrs = torch.logsumexp(logp[:, [2, 4]], dim=1)
    log_not = torch.logsumexp(logp[:, [0, 1, 3]], dim=1)
    nll = torch.where(qrs == 1, -log_qrs, -log_not)
    m = (qrs >= 0).to(nll.dtype)
    return (nll * m).sum() / m.sum().clamp_min(1.0)


def frame_index(window: int, n_frames: int) -> torch.Tensor:
    """Sample index at the centre of each encoder frame (``window / n_frames`` samples, clipped to the window)."""
    stride = 2 ** round(math.log2(window / n_frames))
    return torch.clamp(torch.arange(n_frames) * stride + stride // 2, max=window - 1)


def multitask_loss(
    outputs: Sequence[torch.Tensor],
    labels: torch.Tensor,
    mask: torch.Tensor,
    qrs: torch.Tensor,
    *,
    beat_weight: torch.Tensor | None = None,
    qrs_weight: float = 0.5,
) -> dict[str, torch.Tensor]:
    """Losses of the three heads and the QRS-presence term.

    ``labels`` int64 ``[B, 3, T]``, ``mask`` bool ``[B, 3, T]``, ``qrs`` int64 ``[B, T]``; the beat head runs
    at ``T/2`` and the rhythm head per encoder frame, so their targets are taken at those samples.
    Returns a dict with ``wave``, ``beat``, ``rhythm``, ``qrs`` and ``total``.
    """
    wave, beat, rhythm = outputs[0], outputs[1], outputs[2]  # a tuple or an OpenECGOutput
    frames = frame_index(labels.shape[-1], rhythm.shape[-1])
    out = {
        "wave": masked_cross_entropy(wave, labels[:, 0], mask[:, 0]),
        "beat": masked_cross_entropy(beat, labels[:, 1, ::2], mask[:, 1, ::2], beat_weight),
        "rhythm": masked_cross_entropy(rhythm, labels[:, 2, frames], mask[:, 2, frames]),
        "qrs": qrs_presence_loss(wave, qrs),
    }
    out["total"] = out["wave"] + out["beat"] + out["rhythm"] + qrs_weight * out["qrs"]
    return out


def distillation_loss(student: Sequence[torch.Tensor], teacher: Sequence[torch.Tensor],
                      keep: torch.Tensor | None = None) -> torch.Tensor:
    """Sum over the three heads of the mean (over the windows of ``keep``, bool ``[B]``, all by default, and
    positions) KL divergence from the teacher's class distribution to the student's; logits ``[B, C, t]`` in
    the order wave, beat, rhythm, same shapes. Exactly 0 when ``keep`` keeps no window."""
    total = torch.zeros(())
    for s, t in zip(student[:3], teacher[:3]):
        log_s, log_t = torch.log_softmax(s, dim=1), torch.log_softmax(t, dim=1)
        kl = (log_t.exp() * (log_t - log_s)).sum(dim=1).mean(dim=-1)
        if keep is None:
            total = total + kl.mean()
        else:
            w = keep.to(kl.dtype)
            total = total + (kl * w).sum() / w.sum().clamp_min(1.0)
    return total
