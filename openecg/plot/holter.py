"""The Holter overview: heart-rate trend, rhythm timeline and ectopic beats per period, on one time axis."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..reports.sequence import beat_sequence
from ..tokenizer.vocab import RHYTHM_CLASSES, class_id
from .style import class_colour, new_figure

if TYPE_CHECKING:
    from ..codec import Codec

__all__ = ["holter_overview", "time_unit", "ectopy_bins"]

S_BEAT, V_BEAT = class_id("beat", "S"), class_id("beat", "V")
DOTS_UP_TO = 20_000
"""Beats up to which the heart-rate trend shows every beat; beyond, the range of each minute."""
_BINS_S = (10.0, 60.0, 300.0, 600.0, 3600.0)


def time_unit(duration_s: float) -> tuple[float, str]:
    """Seconds per unit and unit name for a time axis over ``duration_s``: hours beyond 2 h, else minutes
    beyond 2 min, else seconds."""
    if duration_s > 7200:
        return 3600.0, "h"
    if duration_s > 120:
        return 60.0, "min"
    return 1.0, "s"


def ectopy_bins(duration_s: float) -> float:
    """Bin width in seconds for the ectopy counts: one hour on records of 5 h or more, else the widest of
    10 s, 1, 5 and 10 min that gives at least 5 bins."""
    if duration_s >= 5 * 3600:
        return 3600.0
    fitting = [b for b in _BINS_S if duration_s / b >= 5]
    return fitting[-1] if fitting else _BINS_S[0]


def holter_overview(codec: Codec, *, title: str | None = None, pause_s: float = 2.0,
                    width_in: float = 11.0) -> Figure:
    """Heart-rate trend (every measured RR, or the range of each minute on long records, and the per-minute
    mean), rhythm timeline (one row per rhythm
    class present) and V / S beats per period (per hour on long records).

    Parameters
    ----------
    codec : Codec
        The encoded recording.
    title : str, optional
    pause_s : float
        RR intervals longer than this (s) are marked as pauses on the heart-rate trend.
    width_in : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Three axes sharing the time axis.
    """
    table = beat_sequence(codec)
    offset = codec.start / codec.fs
    unit_s, unit = time_unit(codec.duration)
    times = (table.time + offset) / unit_s
    end = (offset + codec.duration) / unit_s
    figure = new_figure(figsize=(width_in, 5.2), layout="constrained")
    hr_ax, rhythm_ax, ectopy_ax = figure.subplots(3, 1, sharex=True, height_ratios=(3, 1.6, 1.6))

    measured = np.isfinite(table.rr)
    rate = 60.0 / table.rr[measured]
    if rate.size:
        seconds = table.time[measured]
        first_minute = np.floor(seconds.min() / 60.0)
        edges = np.arange(first_minute, np.floor(seconds.max() / 60.0) + 2) * 60.0
        where = ((edges + offset) / unit_s)
        minute = (np.floor(seconds / 60.0) - first_minute).astype(np.int64)
        sums = np.bincount(minute, weights=table.rr[measured], minlength=len(edges) - 1)
        counts = np.bincount(minute, minlength=len(edges) - 1)
        if rate.size > DOTS_UP_TO:
            low, high = np.full(len(edges) - 1, np.nan), np.full(len(edges) - 1, np.nan)
            np.fmin.at(low, minute, rate)
            np.fmax.at(high, minute, rate)
            hr_ax.stairs(high, where, baseline=low, fill=True, color="#c8c8c8", label="1-min range")
        else:
            hr_ax.plot(times[measured], rate, ".", ms=1.5, color="#9a9a9a", rasterized=True, label="each beat")
        with np.errstate(invalid="ignore", divide="ignore"):
            hr_ax.stairs(60.0 * counts / sums, where, color="#c0392b", lw=1.0, baseline=None, label="1-min mean",
                         zorder=3)
    pauses = measured & (np.nan_to_num(table.rr) > pause_s)
    if pauses.any():
        hr_ax.plot(times[pauses], 60.0 / table.rr[pauses], "v", color="#000000", ms=4, label=f"pause > {pause_s:g} s")
    hr_ax.set_ylabel("heart rate (bpm)")
    hr_ax.grid(alpha=0.3)
    if rate.size:
        hr_ax.set_ylim(max(0.0, np.percentile(rate, 0.5) - 15.0), min(np.percentile(rate, 99.5) + 15.0, 300.0))
    hr_ax.legend(loc="upper right", fontsize=7, ncols=3)
    if title:
        hr_ax.set_title(title, loc="left", fontsize=10)

    present = sorted(set(codec.events("rhythm")[:, 2].tolist()))
    for row, c in enumerate(present):
        name = RHYTHM_CLASSES[c].name
        spans = [((offset + a / codec.fs) / unit_s, (b - a) / codec.fs / unit_s)
                 for a, b, k in codec.events("rhythm").tolist() if k == c]
        rhythm_ax.broken_barh(spans, (row + 0.1, 0.8), color=class_colour("rhythm", name), lw=0)
    rhythm_ax.set_yticks(np.arange(len(present)) + 0.5, [RHYTHM_CLASSES[c].name for c in present], fontsize=8)
    rhythm_ax.set_ylim(0, max(len(present), 1))
    rhythm_ax.invert_yaxis()
    rhythm_ax.set_ylabel("rhythm")

    bin_s = ectopy_bins(codec.duration)
    edges = np.arange(0.0, codec.duration + bin_s, bin_s)
    bottom = np.zeros(len(edges) - 1)
    for name, beat in (("V", V_BEAT), ("S", S_BEAT)):
        counts, _ = np.histogram(table.time[table.classes == beat], bins=edges)
        ectopy_ax.bar((edges[:-1] + offset) / unit_s, counts, width=bin_s / unit_s, bottom=bottom, align="edge",
                      color=class_colour("beat", name), label=name, edgecolor="white", lw=0.5)
        bottom += counts
    label = {10.0: "10 s", 60.0: "minute", 300.0: "5 min", 600.0: "10 min", 3600.0: "hour"}[bin_s]
    ectopy_ax.set_ylabel(f"ectopic beats\nper {label}", fontsize=9)
    ectopy_ax.legend(loc="upper right", fontsize=7)
    ectopy_ax.set_xlim(offset / unit_s, end)
    ectopy_ax.set_xlabel(f"time ({unit})")
    return figure
