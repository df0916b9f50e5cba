"""ECG strips and 12-lead pages on millimetre paper, with the codec's waves, beats and rhythm drawn on them.

Figures are built at true paper scale (25 mm/s, 10 mm/mV: one small square is 40 ms by 0.1 mV) with
:class:`matplotlib.figure.Figure` directly, so no display, no pyplot state and no backend choice is needed.
matplotlib is imported only when a figure is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..reports.sequence import beat_sequence
from ..signal.recording import Recording, as_signal, check_fs
from ..tokenizer.vocab import BEAT_CLASSES, RHYTHM_CLASSES, WAVE_CLASSES
from .style import GAIN_MM_MV, GRID_MAJOR, GRID_MINOR, MM, SPEED_MM_S, TRACE, class_colour, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from ..codec import Codec

__all__ = ["strip", "twelve_lead", "aligned_signal", "STANDARD_LEADS"]

STANDARD_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
"""The 12 standard leads in page order (columns of three: limb, augmented, V1-V3, V4-V6)."""


def aligned_signal(codec: Codec, signal: object, fs: float | None,
                   lead_names: Sequence[str] | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """The signal as float32 ``(samples, leads)`` mV checked against ``codec``, and its lead names.

    ``signal`` (array or :class:`~openecg.Recording`) must start at the codec's first sample, have its length
    and its rate; ``fs`` is required for an array.
    """
    if isinstance(signal, Recording):
        array, rate, names = signal.signal, signal.fs, tuple(signal.lead_names)
    else:
        if fs is None:
            raise InputError("fs=None: the sample rate in Hz of signal is required (for example fs=500)")
        array, rate = as_signal(signal), check_fs(fs)
        array = array[:, None] if array.ndim == 1 else array
        names = tuple(lead_names) if lead_names is not None else tuple(f"lead {k}" for k in range(array.shape[1]))
    if rate != codec.fs:
        raise InputError(f"fs={rate} differs from codec.fs={codec.fs}; plot a signal at the rate it was encoded at")
    if len(array) != codec.n_samples:
        raise InputError(
            f"signal has {len(array)} samples but the codec {codec.n_samples}; pass the signal that was encoded "
            "(sliced like the codec)"
        )
    if len(names) != array.shape[1]:
        raise InputError(f"lead_names has {len(names)} names for {array.shape[1]} leads")
    return array, names


def _window(codec: Codec, start: float, duration: float | None) -> tuple[int, int]:
    if not (np.isfinite(start) and start >= 0):
        raise InputError(f"start={start!r} must be seconds >= 0")
    first = int(round(start * codec.fs))
    if first >= codec.n_samples:
        raise InputError(f"start={start} s is past the end of the record ({codec.duration:g} s)")
    if duration is None:
        return first, codec.n_samples
    if not (np.isfinite(duration) and duration > 0):
        raise InputError(f"duration={duration!r} must be seconds > 0")
    return first, min(codec.n_samples, first + int(round(duration * codec.fs)))


def _lead_index(names: Sequence[str], lead: int | str) -> int:
    if isinstance(lead, str):
        lowered = [n.lower() for n in names]
        if lead.lower() not in lowered:
            raise InputError(f"lead={lead!r} is not among the leads {list(names)}")
        return lowered.index(lead.lower())
    if not 0 <= lead < len(names):
        raise InputError(f"lead={lead!r} is out of range; this signal has leads 0..{len(names) - 1} {list(names)}")
    return int(lead)


def paper_grid(ax: Axes, x0: float, x1: float, y0: float, y1: float) -> None:
    """Draw 1-mm and 5-mm paper lines on ``ax`` over seconds ``[x0, x1]`` and millivolts ``[y0, y1]``."""
    from matplotlib.collections import LineCollection

    for step_s, step_mv, tint, width in ((0.04, 0.1, GRID_MINOR, 0.4), (0.2, 0.5, GRID_MAJOR, 0.8)):
        xs = np.arange(np.ceil(x0 / step_s - 1e-6), np.floor(x1 / step_s + 1e-6) + 1) * step_s
        ys = np.arange(np.ceil(y0 / step_mv - 1e-6), np.floor(y1 / step_mv + 1e-6) + 1) * step_mv
        lines = [[(x, y0), (x, y1)] for x in xs] + [[(x0, y), (x1, y)] for y in ys]
        ax.add_collection(LineCollection(lines, colors=tint, linewidths=width, zorder=0))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color(GRID_MAJOR)


def _shade_waves(ax: Axes, codec: Codec, first: int, last: int, y0: float, y1: float, *, shift: float = 0.0) -> None:
    """Shade each wave run of samples ``[first, last)`` at x = seconds - ``shift``."""
    events = codec[first:last].events("wave", drop_class=0)
    for entry in WAVE_CLASSES[1:]:
        chosen = events[events[:, 2] == entry.id]
        spans = [((first + a) / codec.fs - shift, (b - a) / codec.fs) for a, b, _ in chosen.tolist()]
        ax.broken_barh(spans, (y0, y1 - y0), color=class_colour("wave", entry.name), alpha=0.22, lw=0, zorder=1)


def _beat_labels(ax: Axes, codec: Codec, first: int, last: int, y: float, *, rr: bool, shift: float = 0.0) -> None:
    """Each beat's class character above its QRS centre (and the RR intervals in ms between beats)."""
    table = beat_sequence(codec[first:last])
    centres = table.time + first / codec.fs - shift
    for t, c in zip(centres.tolist(), table.classes.tolist(), strict=True):
        entry = BEAT_CLASSES[c]
        ax.text(t, y, entry.char, ha="center", va="top", fontsize=8, fontweight="bold",
                color=class_colour("beat", entry.name), zorder=4)
    if rr:
        for t, interval in zip(centres[1:].tolist(), table.rr[1:].tolist(), strict=True):
            if np.isfinite(interval):
                ax.text(t - interval / 2, y, f"{1000 * interval:.0f}", ha="center", va="top", fontsize=6,
                        color="#666666", zorder=4)


def _rhythm_band(ax: Axes, codec: Codec, first: int, last: int) -> None:
    for a, b, c in codec[first:last].events("rhythm").tolist():
        name = RHYTHM_CLASSES[c].name
        ax.broken_barh([((first + a) / codec.fs, (b - a) / codec.fs)], (0, 1), color=class_colour("rhythm", name), lw=0)
        ax.text((first + a) / codec.fs + 0.05, 0.5, name, va="center", ha="left", fontsize=7, clip_on=True)
    ax.set_xlim(first / codec.fs, last / codec.fs)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_ylabel("rhythm", rotation=0, ha="right", va="center", fontsize=7)


def _time_ticks(ax: Axes, x0: float, x1: float, offset_s: float) -> None:
    """Ticks at whole seconds of the recording (``offset_s`` + x) over x in ``[x0, x1]``."""
    step = 1.0 if x1 - x0 <= 20 else 5.0 if x1 - x0 <= 100 else 30.0
    ticks = np.arange(np.ceil((x0 + offset_s) / step - 1e-9), np.floor((x1 + offset_s) / step + 1e-9) + 1) * step
    ax.set_xticks(ticks - offset_s)
    ax.set_xticklabels([f"{t:g}" for t in ticks], fontsize=7)
    ax.set_xlabel("time (s)", fontsize=7)


def strip(codec: Codec, signal: object, fs: float | None = None, *, lead: int | str = 0, start: float = 0.0,
          duration: float | None = 10.0, lead_names: Sequence[str] | None = None, title: str | None = None,
          shade: bool = True, rr: bool = True, mark: float | Sequence[float] | None = None) -> Figure:
    """One lead on ECG paper with its P/QRS/T waves shaded, beat labels above each QRS and rhythm below.

    Parameters
    ----------
    codec : Codec
        The encoded recording (labels at ``codec.fs`` Hz).
    signal : array_like or Recording
        float mV ``(samples,)`` or ``(samples, leads)`` aligned with the codec (same first sample, length, rate).
    fs : float, optional
        Sample rate in Hz of an array signal (must equal ``codec.fs``).
    lead : int or str
        Lead index or name.
    start, duration : float
        Seconds from the codec's first sample; ``duration=None`` to the end.
    lead_names : sequence of str, optional
        Names of an array's leads.
    title : str, optional
    shade, rr : bool
        Shade the waves; print each RR interval (ms) beside the beat labels.
    mark : float or sequence of float, optional
        Seconds from the codec's first sample to point at with triangles above the strip (findings).

    Returns
    -------
    matplotlib.figure.Figure
        At paper scale: 25 mm/s, 10 mm/mV.
    """
    array, names = aligned_signal(codec, signal, fs, lead_names)
    index = _lead_index(names, lead)
    first, last = _window(codec, start, duration)
    t = np.arange(first, last) / codec.fs
    trace = array[first:last, index]
    finite = trace[np.isfinite(trace)]
    low = np.floor((finite.min() if finite.size else -1.0) / 0.5) * 0.5 - 0.5
    high = np.ceil((finite.max() if finite.size else 1.0) / 0.5) * 0.5 + 0.5
    low, high = min(low, -1.0), max(high, 1.5)
    span_s = (last - first) / codec.fs
    left, right, top, gap, band, bottom = 14.0, 4.0, 8.0 if title else 3.0, 2.0, 5.0, 10.0
    ecg_w, ecg_h = span_s * SPEED_MM_S, (high - low) * GAIN_MM_MV
    width, height = left + ecg_w + right, top + ecg_h + gap + band + bottom
    figure = new_figure(figsize=(width * MM, height * MM))
    ax = figure.add_axes((left / width, (bottom + band + gap) / height, ecg_w / width, ecg_h / height))
    paper_grid(ax, first / codec.fs, last / codec.fs, low, high)
    if shade:
        _shade_waves(ax, codec, first, last, low, high)
    ax.plot(t, trace, color=TRACE, lw=0.8, zorder=3)
    _beat_labels(ax, codec, first, last, high - 0.05, rr=rr)
    ax.set_ylabel(names[index], rotation=0, ha="right", va="center", fontsize=9)
    if mark is not None:
        marks = np.atleast_1d(np.asarray(mark, dtype=float))
        ax.plot(marks, np.full(marks.size, high + 0.12), "v", color="#000000", ms=6, clip_on=False, zorder=5)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    band_ax = figure.add_axes((left / width, bottom / height, ecg_w / width, band / height))
    _rhythm_band(band_ax, codec, first, last)
    _time_ticks(band_ax, first / codec.fs, last / codec.fs, codec.start / codec.fs)
    band_ax.text(1.0, -1.6, f"{SPEED_MM_S:g} mm/s  {GAIN_MM_MV:g} mm/mV", transform=band_ax.transAxes, ha="right",
                 va="top", fontsize=6, color="#555555")
    return figure


def _page_rows(names: tuple[str, ...]) -> list[list[int]] | None:
    lowered = [n.lower() for n in names]
    if not all(lead.lower() in lowered for lead in STANDARD_LEADS):
        return None
    order = [lowered.index(lead.lower()) for lead in STANDARD_LEADS]
    return [[order[column * 3 + row] for column in range(4)] for row in range(3)]


def _calibration(ax: Axes, x: float, y: float) -> None:
    ax.plot([x, x + 0.04, x + 0.04, x + 0.16, x + 0.16, x + 0.2], [y, y, y + 1, y + 1, y, y], color=TRACE, lw=0.8)


def twelve_lead(codec: Codec, signal: object, fs: float | None = None, *, start: float = 0.0,
                duration: float = 10.0, lead_names: Sequence[str] | None = None, rhythm_lead: int | str = "II",
                title: str | None = None) -> Figure:
    """A resting-ECG page: the 12 leads in a 3 x 4 layout (2.5 s each) above a full-length rhythm strip.

    With leads other than the standard 12, every lead gets its own full-length row. The rhythm strip has the
    waves shaded, beat labels and the rhythm band.

    Parameters
    ----------
    codec, signal, fs, lead_names
        As for :func:`strip`.
    start, duration : float
        Seconds from the codec's first sample.
    rhythm_lead : int or str
        Lead of the rhythm strip (``"II"``, else the first lead when the signal has no lead of that name).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        At paper scale: 25 mm/s, 10 mm/mV.
    """
    array, names = aligned_signal(codec, signal, fs, lead_names)
    first, last = _window(codec, start, duration)
    span_s = (last - first) / codec.fs
    rows = _page_rows(names) or [[k] for k in range(len(names))]
    try:
        strip_lead = _lead_index(names, rhythm_lead)
    except ValueError:
        strip_lead = 0
    row_mv, lead_off = 3.0, 0.4
    n_rows = len(rows) + 1
    x0, x1 = -lead_off, span_s
    left, right, top, gap, band, bottom = 6.0, 4.0, 10.0 if title else 4.0, 2.0, 5.0, 10.0
    page_w, page_h = (x1 - x0) * SPEED_MM_S, n_rows * row_mv * GAIN_MM_MV
    width, height = left + page_w + right, top + page_h + gap + band + bottom
    figure = new_figure(figsize=(width * MM, height * MM))
    ax = figure.add_axes((left / width, (bottom + band + gap) / height, page_w / width, page_h / height))
    paper_grid(ax, x0, x1, 0.0, n_rows * row_mv)
    column_s = span_s / max(len(r) for r in rows)
    for r, leads in enumerate(rows):
        base = (n_rows - r - 0.5) * row_mv
        _calibration(ax, x0 + 0.1, base - 0.5)
        for c, k in enumerate(leads):
            a = first + int(round(c * column_s * codec.fs))
            b = first + int(round((c + 1) * column_s * codec.fs)) if c < len(leads) - 1 else last
            piece = array[a:b, k]
            centre = np.nanmedian(piece) if np.isfinite(piece).any() else 0.0
            ax.plot(np.arange(a, b) / codec.fs - first / codec.fs, piece - centre + base, color=TRACE, lw=0.6)
            ax.text(c * column_s + 0.05, base + 0.9, names[k], fontsize=8, fontweight="bold")
            if c:
                ax.plot([c * column_s] * 2, [base - 0.3, base + 0.3], color=TRACE, lw=0.8)
    base = 0.5 * row_mv
    _calibration(ax, x0 + 0.1, base - 0.5)
    trace = array[first:last, strip_lead]
    centre = np.nanmedian(trace) if np.isfinite(trace).any() else 0.0
    offset_x = first / codec.fs
    _shade_waves(ax, codec, first, last, 0.0, row_mv, shift=offset_x)
    ax.plot(np.arange(first, last) / codec.fs - offset_x, trace - centre + base, color=TRACE, lw=0.6)
    ax.text(0.05, base + 0.9, names[strip_lead], fontsize=8, fontweight="bold")
    _beat_labels(ax, codec, first, last, row_mv - 0.05, rr=False, shift=offset_x)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    ax.text(1.0, 1.0, f"{SPEED_MM_S:g} mm/s  {GAIN_MM_MV:g} mm/mV", transform=ax.transAxes, ha="right", va="bottom",
            fontsize=6, color="#555555")
    band_ax = figure.add_axes((left / width, bottom / height, page_w / width, band / height))
    _rhythm_band(band_ax, codec, first, last)
    band_ax.set_xlim(first / codec.fs + x0, last / codec.fs)
    band_ax.set_ylabel("")
    _time_ticks(band_ax, first / codec.fs, last / codec.fs, codec.start / codec.fs)
    return figure
