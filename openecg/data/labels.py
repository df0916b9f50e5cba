"""Per-sample label layers built from annotation files: wave, beat and rhythm, each with its loss mask.

All functions are plain numpy on annotation arrays (sample indices and WFDB symbols), so the same rules serve
every database. The rules themselves are written down in ``docs/data.md``.

Examples
--------
>>> labels, mask = wave_layer(np.array([2, 4, 6]), np.array(["(", "N", ")"]), n=10)
>>> labels.tolist()
[0, 0, 2, 2, 2, 2, 2, 0, 0, 0]
>>> mask.tolist()
[False, True, True, True, True, True, True, True, False, False]
"""

from __future__ import annotations

import numpy as np

from ..tokenizer.vocab import class_id

__all__ = [
    "AAMI",
    "RHYTHM_CODES",
    "beat_class_ids",
    "is_beat",
    "wave_layer",
    "beat_layer",
    "rhythm_layer",
    "bbb_rhythm",
]

_N, _S, _V, _F, _Q, _PACED = (class_id("beat", name) for name in ("N", "S", "V", "F", "Q", "paced"))

AAMI: dict[str, int] = {
    **dict.fromkeys(("N", "L", "R", "e", "j", "B"), _N),
    **dict.fromkeys(("A", "a", "J", "S"), _S),
    **dict.fromkeys(("V", "E", "r"), _V),
    "F": _F,
    "Q": _Q,
    **dict.fromkeys(("/", "f"), _PACED),
}
"""WFDB beat symbol -> BEAT_CLASSES id (AAMI EC57 classes, paced beats kept apart). Other symbols are not beats.

``B`` (bundle branch block beat, unspecified) and ``r`` (R-on-T ventricular premature beat) come from the
wider WFDB table; they do not occur in MIT-BIH but do in other WFDB databases.
"""

_SINUS, _AF, _AVB, _PACED_RHYTHM, _BBB, _VENT = (
    class_id("rhythm", name) for name in ("sinus", "AF", "AV_block", "paced", "BBB", "ventricular")
)

RHYTHM_CODES: dict[str, int | None] = {
    "(N": _SINUS,
    "(SBR": _SINUS,
    "(AFIB": _AF,
    "(AFL": _AF,
    "(BII": _AVB,
    "(P": _PACED_RHYTHM,
    "(VT": _VENT,
    "(VFL": _VENT,
    "(IVR": _VENT,
    "(B": None,
    "(T": None,
    "(SVTA": None,
    "(AB": None,
    "(NOD": None,
    "(PREX": None,
}
"""``aux_note`` rhythm code -> RHYTHM_CLASSES id, or ``None`` where the episode is left unlabelled (mask False).

Codes not in the table are unlabelled too. ``(B``/``(T`` are ventricular bigeminy/trigeminy, which the rhythm
table has no class for; ``(SVTA``, ``(AB``, ``(NOD``, ``(PREX`` likewise.
"""

_WAVE_PEAKS: dict[str, int] = {
    "p": class_id("wave", "P"),
    "N": class_id("wave", "QRS"),
    "t": class_id("wave", "T"),
    "u": class_id("wave", "other"),
}


def beat_class_ids(symbols: np.ndarray) -> np.ndarray:
    """uint8 ``(k,)`` BEAT_CLASSES ids of WFDB beat symbols (0 for symbols that are not beats)."""
    return np.array([AAMI.get(str(s), 0) for s in symbols], dtype=np.uint8)


def is_beat(symbols: np.ndarray) -> np.ndarray:
    """bool ``(k,)``: True where the WFDB symbol is a beat of the AAMI table (``+ ~ | x [ ] ! "`` are not)."""
    return np.array([str(s) in AAMI for s in symbols], dtype=bool)


def wave_layer(
    samples: np.ndarray,
    symbols: np.ndarray,
    *,
    n: int,
    qrs_class: int = _WAVE_PEAKS["N"],
    max_gap: int | None = None,
    beats: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Wave labels and mask ``(n,)`` from delineation annotations (``(`` onset, ``p``/``N``/``t``/``u`` peak, ``)`` offset).

    Parameters
    ----------
    samples, symbols : numpy.ndarray
        ``(k,)`` annotation sample indices (sorted) and their WFDB symbols.
    n : int
        Number of samples of the record.
    qrs_class : int
        Wave class written for QRS complexes (``paced_QRS`` in paced records).
    max_gap : int or None
        If given, a stretch between two consecutive annotations longer than this many samples is masked: the
        annotator skipped beats there (QTDB annotates about 30 beats spread over 15 minutes).
    beats : numpy.ndarray or None
        Sorted reference beat samples that have no annotated QRS (the caller drops the annotated ones); a
        stretch between consecutive annotations that holds one of them is masked for the same reason.

    Returns
    -------
    labels : numpy.ndarray
        uint8 ``(n,)`` WAVE_CLASSES ids; a wave covers onset to offset inclusive.
    mask : numpy.ndarray
        bool ``(n,)``: True from one sample before the first annotation to one after the last (the samples
        just outside an annotated onset/offset are known not to be wave), except where a boundary is missing
        (from the peak to the neighbouring annotation), around unpaired ``(``/``)``, and in skipped stretches.
        Next to an annotated boundary one sample stays True, so that boundary remains scoreable.
    """
    labels = np.zeros(n, dtype=np.uint8)
    mask = np.zeros(n, dtype=bool)
    samples = np.asarray(samples, dtype=np.int64)
    symbols = np.asarray(symbols).astype(str)
    keep = (samples >= 0) & (samples < n)
    samples, symbols = samples[keep], symbols[keep]
    k = len(samples)
    if k == 0:
        return labels, mask
    mask[max(samples[0] - 1, 0) : samples[-1] + 2] = True
    unsure: list[tuple[int, int]] = []
    used = np.zeros(k, dtype=bool)
    i = 0
    while i < k:
        symbol = symbols[i]
        if symbol not in _WAVE_PEAKS:
            i += 1
            continue
        last = i
        while last + 1 < k and symbols[last + 1] == symbol:
            last += 1
        has_on = i > 0 and symbols[i - 1] == "(" and not used[i - 1]
        has_off = last + 1 < k and symbols[last + 1] == ")"
        start = samples[i - 1] if has_on else samples[i]
        end = samples[last + 1] if has_off else samples[last]
        used[i : last + 1] = True
        if has_on:
            used[i - 1] = True
        else:
            unsure.append((samples[i - 1] + 2 if i > 0 else samples[i], samples[i]))
        if has_off:
            used[last + 1] = True
        else:
            unsure.append((samples[last] + 1, samples[last + 1] - 1 if last + 1 < k else n))
        cls = qrs_class if symbol == "N" else _WAVE_PEAKS[symbol]
        labels[start : end + 1] = cls
        i = last + 2 if has_off else last + 1
    for j in np.flatnonzero(~used):
        unsure.append((samples[max(j - 1, 0)] + 1, samples[min(j + 1, k - 1)]))
    if max_gap is not None or beats is not None:
        gaps = np.diff(samples)
        skipped = np.zeros(k - 1, dtype=bool)
        if max_gap is not None:
            skipped |= gaps > max_gap
        if beats is not None and len(beats):
            after = np.searchsorted(np.asarray(beats), samples[:-1], side="right")
            upto = np.searchsorted(np.asarray(beats), samples[1:], side="left")
            skipped |= upto > after
        for j in np.flatnonzero(skipped):
            unsure.append((samples[j] + 2, samples[j + 1] - 1))
    for lo, hi in unsure:
        mask[lo:hi] = False
    return labels, mask


def beat_layer(
    beats: np.ndarray, classes: np.ndarray, *, n: int, fs: float, core_s: float = 0.05, ring_s: float = 0.15
) -> tuple[np.ndarray, np.ndarray]:
    """Beat labels and mask ``(n,)`` from beat fiducials (vectorised: each sample looks at its nearest beat).

    Samples within ``core_s`` of a fiducial get that beat's class (mask True); the ring from ``core_s`` to
    ``ring_s`` is masked (the QRS width is unknown); farther samples are label 0 with mask True, inside
    ``[first beat - ring_s, last beat + ring_s]``. Outside that span the mask is False.

    Parameters
    ----------
    beats : numpy.ndarray
        int ``(k,)`` sorted fiducial samples.
    classes : numpy.ndarray
        uint8 ``(k,)`` BEAT_CLASSES ids.
    n : int
        Record length in samples.
    fs : float
        Sample rate in Hz.
    """
    labels = np.zeros(n, dtype=np.uint8)
    mask = np.zeros(n, dtype=bool)
    beats = np.asarray(beats, dtype=np.int64)
    if len(beats) == 0:
        return labels, mask
    core, ring = round(core_s * fs), round(ring_s * fs)
    t = np.arange(n)
    right = np.clip(np.searchsorted(beats, t), 0, len(beats) - 1)
    left = np.clip(right - 1, 0, len(beats) - 1)
    d_right, d_left = np.abs(beats[right] - t), np.abs(t - beats[left])
    nearest = np.where(d_left <= d_right, left, right)
    dist = np.minimum(d_left, d_right)
    inside = dist <= core
    labels[inside] = np.asarray(classes, dtype=np.uint8)[nearest[inside]]
    mask[:] = inside | (dist > ring)
    mask[: max(beats[0] - ring, 0)] = False
    mask[beats[-1] + ring + 1 :] = False
    return labels, mask


def rhythm_layer(
    starts: np.ndarray, codes: list[str], *, n: int, default: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Rhythm labels and mask ``(n,)`` from rhythm-change annotations (``aux_note`` such as ``(AFIB``).

    Each code holds from its sample to the next change. Codes mapped to ``None`` in :data:`RHYTHM_CODES`, and
    unknown codes, are masked. Before the first change the class is ``default`` (masked when ``None``).
    """
    labels = np.zeros(n, dtype=np.uint8)
    mask = np.zeros(n, dtype=bool)
    cls = [default] + [RHYTHM_CODES.get(code.strip().rstrip("\x00"), None) for code in codes]
    bounds = np.concatenate([[0], np.clip(np.asarray(starts, dtype=np.int64), 0, n), [n]])
    lengths = np.diff(bounds)
    labels[:] = np.repeat(np.array([c or 0 for c in cls], dtype=np.uint8), lengths)
    mask[:] = np.repeat(np.array([c is not None for c in cls]), lengths)
    return labels, mask


def bbb_rhythm(labels: np.ndarray, beats: np.ndarray, symbols: np.ndarray) -> np.ndarray:
    """Relabel sinus samples that belong to a left/right bundle branch block beat (``L``/``R``) as BBB.

    A beat owns the samples closer to it than to its neighbours. ``labels`` is the ``(n,)`` rhythm layer;
    a new array is returned.
    """
    out = labels.copy()
    beats = np.asarray(beats, dtype=np.int64)
    if len(beats) == 0:
        return out
    edges = (beats[:-1] + beats[1:]) // 2
    owner = np.searchsorted(edges, np.arange(len(labels)), side="right")
    bbb = np.isin(np.asarray(symbols).astype(str), ["L", "R"])
    out[(out == _SINUS) & bbb[owner]] = _BBB
    return out
