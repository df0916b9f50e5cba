"""Finding the printed rows: baselines, calibration pulses, trace extents, separators, and the layout.

All positions are pixels of the rectified image; ``mask`` is the bool trace-ink map ``(height, width)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .grid import GridScale
from .printout import LAYOUTS, STANDARD_LEADS, layout_rows

__all__ = ["Row", "line_width", "edge_softness", "find_baselines", "measure_row", "label_starts", "choose_layout"]


@dataclass(frozen=True)
class Row:
    """One printed row: ``baseline`` (y of 0 mV), trace ``x_start``/``x_end``, and the pulse size if found.

    ``pulse_height`` (pixels for 1 mV) and ``pulse_width`` (pixels for 0.2 s) are None without a pulse.
    ``start_from_edge``: the trace leaves from the pulse's falling edge and ``x_start`` is that edge's centre;
    otherwise ``x_start`` is the first ink of the trace plus half the pen.
    """

    baseline: float
    x_start: float
    x_end: float
    pulse_height: float | None
    pulse_width: float | None
    start_from_edge: bool = False


def line_width(mask: np.ndarray, baselines: list[float], px_per_mm: float, *, common: float | None = None) -> float:
    """The trace thickness in pixels: the most common vertical run length of ink within 1.5 mm of a baseline
    (flat trace parts; text, grid remnants and stains elsewhere on the page do not count).

    With ``common``, one pixel less where that length is found at least ``common`` times as often as the most
    common one: a scanner's blur and noise lengthen some thresholded runs by a pixel and hardly shorten any,
    so on a blurred page the runs split between the pen and the pen plus one, and the mode can land on either.
    """
    from .trace import column_runs

    col, top, bottom = column_runs(mask[:, :: max(1, mask.shape[1] // 400)])
    lengths = bottom - top + 1
    centre = (top + bottom) / 2
    near = np.zeros(lengths.size, bool)
    for b in baselines:
        near |= np.abs(centre - b) < 1.5 * px_per_mm
    lengths = lengths[near & (lengths <= 20)]
    if not lengths.size:
        return 1.0
    counts = np.bincount(lengths)
    mode = int(counts.argmax())
    if common is not None and mode > 1 and counts[mode - 1] >= common * counts[mode]:
        return float(mode - 1)
    return float(mode)


def edge_softness(mask: np.ndarray, ink: np.ndarray, baselines: list[float], width: float, px_per_mm: float) -> float:
    """How soft the trace's edges are: the median darkness of the pixels just above and just below the flat
    trace (ink runs ``width`` long within 1.5 mm of a baseline), in [0, 1]; NaN where no flat trace is found.

    A crisp render leaves only its anti-aliasing fringe there (0.004 to 0.13 on the clean training pages of
    both generators); the blur of a scanner or a camera spreads about a quarter of the pen's darkness into
    those pixels (0.24 to 0.28 on the own renderer's scan- and photo-like training pages).
    """
    from .trace import column_runs

    step = max(1, mask.shape[1] // 400)
    col, top, bottom = column_runs(mask[:, ::step])
    centre = (top + bottom) / 2
    near = np.zeros(col.size, bool)
    for b in baselines:
        near |= np.abs(centre - b) < 1.5 * px_per_mm
    flat = near & (bottom - top + 1 == int(round(width))) & (top >= 1) & (bottom < mask.shape[0] - 1)
    if not flat.any():
        return float("nan")
    x = col[flat] * step
    return float(np.median(np.concatenate([ink[top[flat] - 1, x], ink[bottom[flat] + 1, x]])))


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
    if pulse is not None:
        pulse = _plateau(top, *pulse, width=width, mm_x=mm_x)
    if pulse is None or pulse[0] - left > 4 * mm_x or pulse[1] - pulse[0] > 12 * mm_x:
        x_start = left + half
        return Row(baseline, x_start, _row_end(wide, x_start) - half, None, None)
    rise, fall = pulse
    inner = top[rise + int(width) : fall - int(width)]
    band_top = max(0, int(base - 2 * mm_y))
    lead_in = mask[band_top : int(base + 2 * mm_y), left : max(left + 1, rise - int(width))]
    foot_rows = np.flatnonzero(lead_in.any(axis=1))
    if rise - left <= width:  # no lead-in: the foot is the bottom of the rising edge
        edge_rows = np.flatnonzero(mask[band_top : int(base + 2 * mm_y), rise : rise + max(1, int(width))].any(axis=1))
        foot = float(edge_rows[-1] + band_top - half) if edge_rows.size else float(base)
    else:
        foot = float(np.median(foot_rows)) + band_top if foot_rows.size else float(base)
    pulse_top = float(np.median(inner)) + half if inner.size else float(top[rise]) + half
    start_band = mask[max(0, int(base - 0.3 * reach)) : int(base + 0.3 * reach)].any(axis=0)
    after = _first_run(~start_band, fall)
    if after is not None and after[0] - fall <= 2 * width + 2:  # a blank gap after the pulse, then the trace
        x_ink = _first_run(start_band, after[0]) if after[0] - fall < 4 * mm_x else None
        x_start = (x_ink[0] if x_ink is not None else fall) + half
    else:  # the trace leaves from the pulse's falling edge: the centre of its vertical stroke
        edge = np.flatnonzero((first[rise : fall + int(width) + 1] == 0) & (top[rise : fall + int(width) + 1] < base - 3 * mm_y))
        edge = edge[edge > (fall - rise) / 2]
        if edge.size:  # the last stretch of such columns
            edge = edge[np.flatnonzero(np.diff(edge) > 1)[-1] + 1 :] if (np.diff(edge) > 1).any() else edge
        x_start = rise + float(np.mean(edge)) if edge.size else fall - 1 - half
        return Row(foot, x_start, _row_end(wide, x_start) - half, foot - pulse_top, fall - rise - width, True)
    return Row(foot, x_start, _row_end(wide, x_start) - half, foot - pulse_top, fall - rise - width)


def _plateau(top: np.ndarray, rise: int, stop: int, *, width: float, mm_x: float) -> tuple[int, int] | None:
    """The calibration pulse within the raised columns ``rise:stop``: the flat top that starts at ``rise``.

    ``top`` is the ink top per column. Returns ``(rise, fall)`` with ``fall`` the first column after the
    falling edge, or None when the columns do not start with a flat top of at least 2 mm (a QRS, not a pulse).
    A trace that leaves the pulse's falling edge with a tall wave is cut off where the top leaves the level.
    """
    probe = top[rise + int(width) : rise + int(width) + max(2, int(mm_x))]
    if probe.size == 0:
        return None
    level = float(np.median(probe))
    off = np.abs(top[rise:stop] - level) > max(1.0, width / 2)
    # the top leaves the level for good where it stays off for a pen width (a grid line or a blot may notch it)
    k = max(2, int(round(width)))
    lasting = np.flatnonzero(np.convolve(off, np.ones(k), mode="valid") == k)
    fall = rise + (int(lasting[0]) if lasting.size else stop - rise)
    return (rise, fall) if fall - rise >= 2 * mm_x else None


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


# the standard layout a page of N rows most likely prints, when neither separators nor labels tell
_STANDARD_BY_ROWS = {3: "3x4", 4: "3x4+1", 5: "3x4+2", 6: "6x2", 7: "6x2+1", 12: "12x1"}


def label_starts(mask: np.ndarray, rows: list[Row], scale: GridScale, cells: int) -> float:
    """The share of the expected cell starts of the first rows (all but rhythm strips) that carry a printed
    label, minus the share of cell middles that do (text where no cell starts speaks against ``cells``).

    A label is a small ink blob (letters 1.2 to 6 mm tall, under 6 mm wide, apart from the trace) that starts
    within 1 mm before to 4 mm after a cell's start and lies in the row's band (half the row spacing
    either side of the baseline).
    """
    import cv2

    mm_x, mm_y = scale.px_per_mm_x, scale.px_per_mm_y
    count, _, stats, centres = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    small = (h >= 1.2 * mm_y) & (h <= 6 * mm_y) & (w <= 6 * mm_x)
    left, cy = stats[1:, cv2.CC_STAT_LEFT][small], centres[1:, 1][small]
    spacing = float(np.median(np.diff([r.baseline for r in rows]))) if len(rows) > 1 else 40 * mm_y
    hits, misses, total = 0, 0, 0
    for row in rows[: max(1, len(rows) - 1)] if len(rows) > 3 else rows:
        band = np.abs(cy - row.baseline) < 0.5 * spacing
        span = row.x_end - row.x_start
        for k in range(cells):
            x = row.x_start + k * span / cells
            hits += bool(np.any(band & (left >= x - mm_x) & (left <= x + 4 * mm_x)))
            mid = x + 0.5 * span / cells
            misses += bool(np.any(band & (left >= mid - mm_x) & (left <= mid + 4 * mm_x)))
            total += 1
    return (hits - misses) / max(1, total)


def choose_layout(
    mask: np.ndarray, rows: list[Row], scale: GridScale, layout: str
) -> tuple[str, tuple[tuple[str, ...], ...], str, tuple[tuple[str | None, ...], ...]]:
    """The layout name, the printed leads per row, what the names rest on, and the names read on the page.

    ``layout="auto"`` decides: 12 rows -> 12x1; 3 to 6 rows with ticks at 1/4 and 3/4 in the first three
    -> 3x4(+k); 6 or 7 rows with a tick at 1/2 -> 6x2(+1). Without separator ticks, printed labels at the cell
    starts (:func:`label_starts`) choose between four and two cells per row; without either, the standard
    layout for the row count is assumed (3 rows 3x4, 4 rows 3x4+1, 5 rows 3x4+2, 6 rows 6x2, 7 rows
    6x2+1, 12 rows 12x1). Other row counts are read as Nx1, one lead per row.

    The printed names at the cell starts are then read (:func:`openecg.paper.printed_names.read_cell_labels`).
    Where most names read agree with the layout's, they confirm it (basis ``"names"`` instead of an
    assumption); where most disagree, the names read replace the layout's. An Nx1 row takes the name read
    on it, or else the next standard lead not read elsewhere (an assumption). A named layout must match the
    number of rows found.

    Returns
    -------
    tuple
        ``(layout, rows, basis, read)``: ``basis`` one of ``"given"``, ``"rows"`` (12 rows), ``"separators"``,
        ``"labels"`` (blobs where labels start), ``"names"`` (names read and matching), ``"row count"`` (an
        assumption: its names carry low confidence) or ``"assumed"`` (Nx1 with rows whose name was not read:
        those carry low confidence); ``read`` holds the name read at each cell (None: none read).
    """
    from .printed_names import read_cell_labels

    n = len(rows)

    def ticks(fractions: tuple[float, ...], count: int) -> bool:
        return sum(_separators(mask, row, scale, fractions) for row in rows[:count]) >= max(1, count - 1)

    basis = "given"
    if layout == "auto":
        if n == 12:
            layout, basis = "12x1", "rows"
        elif 3 <= n <= 6 and ticks((0.25, 0.75), 3):
            layout, basis = "3x4" + (f"+{n - 3}" if n > 3 else ""), "separators"
        elif n in (6, 7) and ticks((0.5,), 6):
            layout, basis = "6x2" + ("+1" if n == 7 else ""), "separators"
        elif 3 <= n <= 7:
            four, two = label_starts(mask, rows, scale, 4), label_starts(mask, rows, scale, 2)
            if n <= 6 and four >= 0.6 and four >= two:
                layout, basis = "3x4" + (f"+{n - 3}" if n > 3 else ""), "labels"
            elif n in (6, 7) and two >= 0.6:
                layout, basis = "6x2" + ("+1" if n == 7 else ""), "labels"
            else:
                layout, basis = _STANDARD_BY_ROWS[n], "row count"
        else:
            layout, basis = f"{n}x1", "assumed"
    nx1 = layout.endswith("x1") and layout != "12x1"
    rows_plan = layout_rows(layout, tuple(f"row{i}" for i in range(n)) if nx1 else STANDARD_LEADS)
    if len(rows_plan) != n:
        raise ValueError(
            f"layout={layout!r} prints {len(rows_plan)} rows but {n} were found in the image; use layout='auto' "
            f"or one of {', '.join(LAYOUTS)} with {n} rows"
        )
    spacing = float(np.median(np.diff([r.baseline for r in rows]))) if n > 1 else 40 * scale.px_per_mm_y
    read = tuple(
        tuple(reading.name for reading in read_cell_labels(
            mask, row.baseline, [row.x_start + k * (row.x_end - row.x_start) / len(cells) for k in range(len(cells))],
            scale, spacing=spacing))
        for row, cells in zip(rows, rows_plan)
    )
    if nx1:
        return layout, _name_rows(read), ("names" if all(r[0] for r in read) else "assumed"), read
    pairs = [(name, planned) for names, cells in zip(read, rows_plan) for name, planned in zip(names, cells) if name]
    agree = sum(name == planned for name, planned in pairs)
    if agree > len(pairs) - agree and agree >= 2:
        basis = basis if basis in ("given", "separators", "rows") else "names"
    elif len(pairs) - agree > max(agree, 3) and basis != "given":
        rows_plan = tuple(tuple(name or planned for name, planned in zip(names, cells)) for names, cells in zip(read, rows_plan))
        basis = "names"
    return layout, rows_plan, basis, read


def _name_rows(read: tuple[tuple[str | None, ...], ...]) -> tuple[tuple[str, ...], ...]:
    """One lead per row: the name read on it, else the next standard lead that no row's name took."""
    taken = {names[0] for names in read if names[0]}
    spare = iter([lead for lead in STANDARD_LEADS if lead not in taken])
    return tuple((names[0] or next(spare, f"row{i}"),) for i, names in enumerate(read))
