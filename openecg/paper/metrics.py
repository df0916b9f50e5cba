"""Scores for digitized ECGs: the PhysioNet 2025 image score, the Challenge 2024 per-lead SNR, Pearson r.

All functions take the reference (ground truth) and the digitized signal as float ``(samples, leads)`` in mV
at the same sample rate ``fs``. NaN in the reference marks samples that were not printed: they are left
out. NaN in the digitized signal marks samples that could not be read: they count as 0 mV, as in the
Challenge scoring, so a digitizer is never rewarded for leaving a printed lead empty.

Examples
--------
>>> t = np.arange(5000) / 500
>>> ref = np.sin(2 * np.pi * 1.2 * t)[:, None]
>>> bool(snr_2024(ref, ref + 0.01)[0] > 30)
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..signal.recording import as_signal, check_fs

__all__ = ["snr_2024", "pearson", "lead_powers", "image_powers", "score_2025"]

_TINY = 1e-12


def _pair(reference: object, digitized: object) -> tuple[np.ndarray, np.ndarray]:
    ref = as_signal(reference, name="reference").astype(np.float64)
    dig = as_signal(digitized, name="digitized").astype(np.float64)
    if ref.shape != dig.shape:
        raise ValueError(
            f"digitized has shape {dig.shape} but reference has shape {ref.shape}; resample the digitized "
            "signal to the reference's rate and lead order first"
        )
    return ref, np.nan_to_num(dig, nan=0.0, posinf=0.0, neginf=0.0)


def snr_2024(reference: object, digitized: object) -> np.ndarray:
    """Per-lead signal-to-noise ratio in dB without any alignment (PhysioNet Challenge 2024).

    Parameters
    ----------
    reference, digitized : array_like
        float ``(samples, leads)`` in mV at the same rate.

    Returns
    -------
    numpy.ndarray
        float64 ``(leads,)`` in dB; NaN for a lead with no printed sample.
    """
    ref, dig = _pair(reference, digitized)
    out = np.full(ref.shape[1], np.nan)
    for lead in range(ref.shape[1]):
        keep = np.isfinite(ref[:, lead])
        if keep.any():
            signal = np.sum(ref[keep, lead] ** 2)
            noise = np.sum((ref[keep, lead] - dig[keep, lead]) ** 2)
            out[lead] = 10 * np.log10(max(signal, _TINY) / max(noise, _TINY))
    return out


def pearson(reference: object, digitized: object) -> np.ndarray:
    """Per-lead Pearson correlation over printed samples, float64 ``(leads,)`` (NaN when undefined)."""
    ref, dig = _pair(reference, digitized)
    out = np.full(ref.shape[1], np.nan)
    for lead in range(ref.shape[1]):
        keep = np.isfinite(ref[:, lead])
        a, b = ref[keep, lead], dig[keep, lead]
        if a.size > 1 and a.std() > 0 and b.std() > 0:
            out[lead] = float(np.corrcoef(a, b)[0, 1])
    return out


def _best_shift(a: np.ndarray, printed: np.ndarray, b: np.ndarray, first: int, max_shift: int) -> int:
    """The lag ``k`` in ``[-max_shift, max_shift]`` of highest normalised correlation between the printed
    reference ``a`` (starting at sample ``first``) and ``b[first + k:]``, over the samples both cover."""
    best, best_value = 0, -np.inf
    for k in range(-max_shift, max_shift + 1):
        idx = np.arange(first, first + a.size) + k
        keep = printed & (idx >= 0) & (idx < b.size)
        if keep.sum() < 2:
            continue
        x, y = a[keep] - a[keep].mean(), b[idx[keep]] - b[idx[keep]].mean()
        value = float(np.dot(x, y)) / (np.sqrt(np.dot(x, x) * np.dot(y, y)) + _TINY)
        if value > best_value:
            best, best_value = k, value
    return best


def lead_powers(
    reference: object, digitized: object, *, fs: float, max_shift_s: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """Signal and noise power of each lead after the 2025 alignment.

    Each lead's digitized signal is shifted by up to ``max_shift_s`` seconds to the lag of highest
    cross-correlation with the reference, then moved vertically by the offset that minimises the squared
    error; the noise is what remains. Both powers are taken over the printed samples that the shifted
    digitized signal still covers.

    Parameters
    ----------
    reference, digitized : array_like
        float ``(samples, leads)`` in mV at ``fs`` Hz.
    fs : float
        Sample rate in Hz.
    max_shift_s : float
        Largest shift in seconds (0.2 in the Challenge).

    Returns
    -------
    tuple of numpy.ndarray
        ``(signal_power, noise_power)``, float64 ``(leads,)`` sums of squares over the printed samples
        (0 for a lead with no printed sample).
    """
    ref, dig = _pair(reference, digitized)
    max_shift = int(round(max_shift_s * check_fs(fs)))
    signal_power, noise_power = np.zeros(ref.shape[1]), np.zeros(ref.shape[1])
    for lead in range(ref.shape[1]):
        keep = np.isfinite(ref[:, lead])
        if not keep.any():
            continue
        first, last = np.flatnonzero(keep)[[0, -1]]
        printed = keep[first : last + 1]
        a = np.where(printed, ref[first : last + 1, lead], 0.0)
        shift = _best_shift(a, printed, dig[:, lead], first, max_shift)
        idx = np.arange(first, last + 1) + shift
        compared = printed & (idx >= 0) & (idx < ref.shape[0])
        residual = a[compared] - dig[idx[compared], lead]
        residual -= residual.mean()
        signal_power[lead] = float(np.sum(a[compared] ** 2))
        noise_power[lead] = float(np.sum(residual**2))
    return signal_power, noise_power


def image_powers(reference: object, digitized: object, *, fs: float, max_shift_s: float = 0.2) -> tuple[float, float]:
    """Signal and noise power of one image: :func:`lead_powers` summed over its leads.

    Returns
    -------
    tuple of float
        ``(signal_power, noise_power)``, sums of squares over the printed samples of all leads.
    """
    signal_power, noise_power = lead_powers(reference, digitized, fs=fs, max_shift_s=max_shift_s)
    return float(signal_power.sum()), float(noise_power.sum())


def score_2025(
    references: Sequence[object], digitized: Sequence[object], *, fs: float, max_shift_s: float = 0.2
) -> float:
    """The PhysioNet 2025 image-digitization score in dB over a set of images.

    ``10 * log10(mean over images of signal_power / noise_power)``, with the powers of each image from
    :func:`image_powers`.

    Parameters
    ----------
    references, digitized : sequence of array_like
        One float ``(samples, leads)`` mV array per image, both at ``fs`` Hz.
    fs : float
        Sample rate in Hz.
    max_shift_s : float
        Largest alignment shift in seconds.

    Returns
    -------
    float
        The score in dB (higher is better).

    Examples
    --------
    >>> t = np.arange(2500) / 500
    >>> ref = np.stack([np.sin(2 * np.pi * t), np.cos(3 * t)], axis=1)
    >>> late = np.roll(ref, 40, axis=0) + 0.3
    >>> round(score_2025([ref], [late], fs=500)) > 20
    True
    """
    if len(references) != len(digitized) or not references:
        raise ValueError(
            f"references has {len(references)} images and digitized has {len(digitized)}; give one digitized "
            "signal per reference image (at least one)"
        )
    ratios = []
    for ref, dig in zip(references, digitized):
        signal_power, noise_power = image_powers(ref, dig, fs=fs, max_shift_s=max_shift_s)
        ratios.append(max(signal_power, _TINY) / max(noise_power, _TINY))
    return float(10 * np.log10(np.mean(ratios)))
