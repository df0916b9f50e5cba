"""The beat sequence of a :class:`~openecg.Codec`: beat times and classes, RR intervals, ectopic patterns and
pauses.

A beat is one run of the beat channel with a class other than "none" (the decoder gives every QRS run one
class). Its time is the centre of that run. Positions are in samples of the codec (add ``codec.start`` for
positions in the recording); times in seconds from the codec's first sample.

Examples
--------
>>> classes = np.array([1, 3, 1, 3, 1, 3, 1, 1, 3, 3, 1], dtype=np.uint8)
>>> [(p.kind, p.start, p.count) for p in find_patterns(classes)]
[('V_bigeminy', 0, 3), ('V_couplet', 8, 2)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..tokenizer.vocab import NOISE, class_id

if TYPE_CHECKING:
    from ..codec import Codec

__all__ = ["BeatSequence", "Pattern", "beat_sequence", "find_patterns", "find_pauses", "rolling_rate"]

N_BEAT = class_id("beat", "N")
S_BEAT = class_id("beat", "S")
V_BEAT = class_id("beat", "V")

REFRACTORY_S = 0.2
"""Beat runs closer than this (centre to centre, seconds) are one beat: no QRS follows another that soon."""
MIN_CYCLES = 3
"""Consecutive cycles (N-X for bigeminy, N-N-X for trigeminy) that make a bigeminy or trigeminy episode."""


@dataclass(frozen=True)
class BeatSequence:
    """The beats of a codec.

    Attributes
    ----------
    onset, offset : numpy.ndarray
        int64 ``(k,)`` first sample and one past the last sample of each beat's QRS run.
    time : numpy.ndarray
        float64 ``(k,)`` seconds: the centre of each QRS run.
    classes : numpy.ndarray
        uint8 ``(k,)`` BEAT_CLASSES ids (never 0).
    rr : numpy.ndarray
        float64 ``(k,)`` seconds from the previous beat; NaN for the first beat and for a beat whose interval
        crosses noise (so it is not a measured interval).
    """

    onset: np.ndarray
    offset: np.ndarray
    time: np.ndarray
    classes: np.ndarray
    rr: np.ndarray

    def __len__(self) -> int:
        return int(self.time.size)


def beat_sequence(codec: Codec) -> BeatSequence:
    """The beats of ``codec`` with their RR intervals.

    Beat runs whose centres lie less than :data:`REFRACTORY_S` apart are one beat (a QRS the decoder split
    in two): it spans both runs and takes the class of the longer.

    Parameters
    ----------
    codec : Codec
        Label channels at ``codec.fs`` Hz. An RR interval that holds a sample of rhythm noise is NaN.
    """
    events = codec.events("beat", drop_class=0)
    if len(events) > 1:
        centres = (events[:, 0] + events[:, 1]) / 2.0
        group = np.concatenate([[0], np.cumsum(np.diff(centres) >= REFRACTORY_S * codec.fs)])
        firsts = np.flatnonzero(np.diff(np.concatenate([[-1], group])))
        lasts = np.concatenate([firsts[1:], [len(events)]]) - 1
        widths = events[:, 1] - events[:, 0]
        order = np.lexsort((-np.arange(len(events)), widths, group))
        longest = order[np.concatenate([firsts[1:], [len(events)]]) - 1]
        events = np.stack([events[firsts, 0], events[lasts, 1], events[longest, 2]], axis=1)
    onset, offset = events[:, 0], events[:, 1]
    time = (onset + offset - 1) / 2.0 / codec.fs
    rr = np.full(len(events), np.nan)
    if len(events) > 1:
        rr[1:] = np.diff(time)
        noise = codec.events("rhythm")
        noise = noise[noise[:, 2] == NOISE]
        # an interval [offset of one beat, onset of the next) crosses noise when a noise run starts before its
        # end and ends after its start
        first_ending_after = np.searchsorted(noise[:, 1], offset[:-1], side="right")
        starts_before = np.searchsorted(noise[:, 0], onset[1:], side="left")
        rr[1:][starts_before > first_ending_after] = np.nan
    return BeatSequence(onset, offset, time, events[:, 2].astype(np.uint8), rr)


def rolling_rate(rr: np.ndarray, *, beats: int = 8) -> np.ndarray:
    """Heart rate (beats/min) averaged over ``beats`` consecutive measured RR intervals (NaN skipped).

    Parameters
    ----------
    rr : numpy.ndarray
        float ``(k,)`` RR intervals in seconds, NaN where not measured.
    beats : int
        Intervals per average (the Holter "8-beat average").

    Returns
    -------
    numpy.ndarray
        float64 ``(m,)``, one rate per full window of measured intervals; empty when fewer than ``beats``.
    """
    measured = rr[np.isfinite(rr)]
    if measured.size < beats:
        return np.zeros(0)
    sums = np.convolve(measured, np.ones(beats), mode="valid")
    return 60.0 * beats / sums


@dataclass(frozen=True)
class Pattern:
    """One ectopic pattern: ``kind`` (for example ``"V_couplet"``), its first beat index and beat count.

    ``count`` is beats for couplets and runs, and cycles for bigeminy and trigeminy.
    """

    kind: str
    start: int
    count: int


def _runs_of(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def _cycles(classes: np.ndarray, ectopic: int, period: int) -> list[tuple[int, int]]:
    """Episodes of ``period - 1`` N beats then one ``ectopic`` beat, repeated at least MIN_CYCLES times."""
    n = len(classes) - period + 1
    if n <= 0:
        return []
    ok = classes[period - 1:] == ectopic
    for lag in range(period - 1):
        ok &= classes[lag: lag + n] == N_BEAT
    found, free = [], 0
    for first in np.flatnonzero(ok).tolist():
        if first < free:
            continue
        cycles = 0
        while first + cycles * period < n and ok[first + cycles * period]:
            cycles += 1
        if cycles >= MIN_CYCLES:
            found.append((first, cycles))
            free = first + cycles * period
    return found


def find_patterns(classes: np.ndarray) -> list[Pattern]:
    """Couplets, runs, bigeminy and trigeminy of V and S beats in a sequence of beat classes.

    A couplet is exactly two consecutive ectopic beats of one class, a run three or more; bigeminy is at
    least :data:`MIN_CYCLES` consecutive N-X cycles and trigeminy N-N-X cycles (X = V or S). Results are
    ordered by first beat.
    """
    patterns = []
    for name, ectopic in (("V", V_BEAT), ("S", S_BEAT)):
        for first, stop in _runs_of(classes == ectopic):
            length = stop - first
            if length == 2:
                patterns.append(Pattern(f"{name}_couplet", first, 2))
            elif length >= 3:
                patterns.append(Pattern(f"{name}_run", first, length))
        for kind, period in (("bigeminy", 2), ("trigeminy", 3)):
            patterns += [Pattern(f"{name}_{kind}", k, c) for k, c in _cycles(classes, ectopic, period)]
    return sorted(patterns, key=lambda p: (p.start, p.kind))


def find_pauses(table: BeatSequence, *, threshold_s: float) -> np.ndarray:
    """Indices of the beats that end a pause: a measured RR interval longer than ``threshold_s`` seconds."""
    return np.flatnonzero(np.nan_to_num(table.rr, nan=0.0) > threshold_s)
