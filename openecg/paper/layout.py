"""Finding the printed rows: baselines, calibration pulses, trace extents, separators, and the layout.

All positions are pixels of the rectified image; ``mask`` is the bool trace-ink map ``(height, width)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .grid import GridScale
from .printout import LAYOUTS, STANDARD_LEADS, layout_rows

__all__ = ["Row", "line_width", "find_baselines", "measure_row", "choose_layout"]


@dataclass(frozen=True)
class Row:
    """One printed row: ``baseline`` (y of 0 mV), trace ``x_start``/``x_end``, and the pulse size if found.

    ``pulse_height`` (pixels for 1 mV) and ``pulse_width`` (pixels for 0.2 s) are None without a pulse.
    """

    baseline: float
    x_start: float
    x_end: float
    pulse_height: float | None
    pulse_width: float | None


def line_width(mask: np.ndarray) -> float:
    """The trace thickness in pixels: the most common vertical run length of ink (flat trace parts)."""
    d = np.diff(mask[:, :: max(1, mask.shape[1] // 400)].T.astype(np.int8), axis=1, prepend=0, append=0)
    lengths = np.flatnonzero(d.ravel() == -1) - np.flatnonzero(d.ravel() == 1)
    lengths = lengths[lengths <= 20]
    return float(np.bincount(lengths).argmax()) if lengths.size else 1.0


def find_baselines(mask: np.ndarray, scale: GridScale) -> list[float]:
    """y of every printed row: peaks of the ink profile that extend across most of the page width."""
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import find_peaks

    height, width = mask.shape
    core = mask[:, width // 10 : width - width // 10]
    profile = gaussian_filter1d(core.mean(axis=1).astype(float), 0.4 * scale.px_per_mm_y)
    if profile.max() <= 0:
        return []
    peaks, _ = find_peaks(profile, distance=max(2, int(7 * scale.px_per_mm_y)), height=0.3 * profile.max())
    band = int(3 * scale.px_per_mm_y)
    coverage = np.array([core[max(0, p - band) : p + band].any(axis=0).mean() for p in peaks])
    return [float(p) for p, c in zip(peaks, coverage) if c >= 0.6 * coverage.max()]


def _first_run(flags: np.ndarray, start: int = 0) -> tuple[int, int] | None:
    idx = np.flatnonzero(flags[start:])
    if idx.size == 0:
        return None
    first = start + int(idx[0])
    stop = np.flatnonzero(~flags[first:])
    return first, first + (int(stop[0]) if stop.size else flags.size - first)


def measure_row(mask: np.ndarray, baseline: float, scale: GridScale, width: float, *, reach: float) -> Row:
    """Find the calibration pulse at the left of the row near ``baseline`` and the trace's extent.

    The pulse is the first stretch of columns whose ink rises more than 3 mm above the baseline; its foot
    gives the 0 mV level and its height the pixels per mV. The trace starts at the first ink after the
    blank gap that follows the pulse, or at the first ink when there is no pulse. The pulse is looked for
    up to ``reach`` pixels above the baseline (short of the row above).
    """
    mm_x, mm_y = scale.px_per_mm_x, scale.px_per_mm_y
    base = int(round(baseline))
    y0, y_lim = max(0, int(base - min(25 * mm_y, reach))), max(1, int(base - 3 * mm_y))
    near = mask[max(0, int(base - 2 * mm_y)) : int(base + 2 * mm_y)].any(axis=0)
    wide = mask[max(0, int(base - 0.5 * reach)) : int(base + 0.5 * reach)].any(axis=0)
    edge = max(2, mask.shape[1] // 100)  # the page border of a photo is not trace
    near[:edge] = near[-edge:] = wide[:edge] = wide[-edge:] = False
    ink_cols = np.flatnonzero(near)
    if ink_cols.size == 0:
        return Row(baseline, 0.0, 0.0, None, None)
    left = int(ink_cols[0])
    half = (width - 1) / 2
    # the lowest ink run above base - 3 mm in each column: its distance from there and its top
    above = mask[y0:y_lim][::-1]
    first = np.where(above.any(axis=0), above.argmax(axis=0), above.shape[0])
    gone = ~above & (np.arange(above.shape[0])[:, None] > first[None, :])
    top = y_lim - np.where(gone.any(axis=0), gone.argmax(axis=0), above.shape[0])
    top[first == above.shape[0]] = base
    window = slice(left, min(mask.shape[1], left + int(15 * mm_x)))
    touching = np.zeros(mask.shape[1], bool)
    touching[window] = (first[window] == 0) & (top[window] < base - 3 * mm_y)
    high = np.zeros(mask.shape[1], bool)
    high[window] = top[window] < base - 3 * mm_y
    rise_at = np.flatnonzero(touching)
    pulse = _first_run(high, int(rise_at[0])) if rise_at.size else None
    if pulse is None or pulse[0] - left > 4 * mm_x or pulse[1] - pulse[0] > 12 * mm_x:
        x_start = left + half
        return Row(baseline, x_start, _row_end(wide, x_start) - half, None, None)
    rise, fall = pulse
    inner = top[rise + int(width) : fall - int(width)]
    lead_in = mask[max(0, int(base - 2 * mm_y)) : int(base + 2 * mm_y), left : max(left + 1, rise - int(width))]
    foot_rows = np.flatnonzero(lead_in.any(axis=1))
    foot = float(np.median(foot_rows)) + max(0, int(base - 2 * mm_y)) if foot_rows.size else float(base)
    pulse_top = float(np.median(inner)) + half if inner.size else float(top[rise]) + half
    start_band = mask[max(0, int(base - 0.3 * reach)) : int(base + 0.3 * reach)].any(axis=0)
    after = _first_run(~start_band, fall)
    x_ink = _first_run(start_band, after[0]) if after is not None and after[0] - fall < 4 * mm_x else None
    x_start = (x_ink[0] if x_ink is not None else fall) + half
    return Row(foot, x_start, _row_end(wide, x_start) - half, foot - pulse_top, fall - rise - width)


def _row_end(ink: np.ndarray, x_start: float) -> float:
    """The last inked column of the stretch that starts at ``x_start``, bridging gaps up to 2% of its length."""
    cols = int(x_start) + np.flatnonzero(ink[int(x_start) :])
    if cols.size == 0:
        return x_start
    gaps = np.flatnonzero(np.diff(cols) > max(3, 0.02 * (cols[-1] - cols[0])))
    return float(cols[gaps[0]] if gaps.size else cols[-1])


def _separators(mask: np.ndarray, row: Row, scale: GridScale, fractions: tuple[float, ...]) -> bool:
    """True if a vertical tick crosses the baseline (2 mm above and below) near every fraction of the row
    (within 0.6% of its length, for residual perspective)."""
    span = row.x_end - row.x_start
    up, down = int(row.baseline - 2 * scale.px_per_mm_y), int(row.baseline + 2 * scale.px_per_mm_y)
    slack = max(2, int(0.006 * span))
    for fraction in fractions:
        x = int(round(row.x_start + fraction * span))
        window = mask[max(0, up) : down, max(0, x - slack) : x + slack + 1]
        if window.size == 0 or window.mean(axis=0).max() < 0.9:
            return False
    return True


def choose_layout(mask: np.ndarray, rows: list[Row], scale: GridScale, layout: str) -> tuple[str, tuple[tuple[str, ...], ...]]:
    """The layout name and printed leads per row, from the row count and the separator ticks.

    ``layout="auto"`` decides: 12 rows -> 12x1; 3 to 6 rows with ticks at 1/4 and 3/4 in the first three
    -> 3x4(+k); 6 or 7 rows with a tick at 1/2 -> 6x2(+1); otherwise Nx1 (one unnamed lead per row).
    A named layout must match the number of rows found.
    """
    n = len(rows)

    def ticks(fractions: tuple[float, ...], count: int) -> bool:
        return sum(_separators(mask, row, scale, fractions) for row in rows[:count]) >= max(1, count - 1)

    if layout == "auto":
        if n == 12:
            layout = "12x1"
        elif 3 <= n <= 6 and ticks((0.25, 0.75), 3):
            layout = "3x4" + (f"+{n - 3}" if n > 3 else "")
        elif n in (6, 7) and ticks((0.5,), 6):
            layout = "6x2" + ("+1" if n == 7 else "")
        else:
            layout = f"{n}x1"
    if layout.endswith("x1") and layout != "12x1":
        names = tuple(f"row{i}" for i in range(n))
        rows_plan = layout_rows(layout, names)
    else:
        rows_plan = layout_rows(layout, STANDARD_LEADS)
    if len(rows_plan) != n:
        raise ValueError(
            f"layout={layout!r} prints {len(rows_plan)} rows but {n} were found in the image; use layout='auto' "
            f"or one of {', '.join(LAYOUTS)} with {n} rows"
        )
    return layout, rows_plan
