"""Following one trace through a row: ink runs per column, a shortest-path choice of run, sub-pixel values.

Each image column inside a row's band holds zero or more vertical runs of ink: the row's own trace and
sometimes a neighbour's deflection or text. The path through the columns that minimises the vertical jumps
between consecutive runs (plus a small pull towards the row's baseline) follows the trace through overlaps.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "column_runs", "run_darkness", "follow_trace", "drop_strays", "flat_run_centres", "phase_correction", "run_values",
    "fit_pen_envelope",
]


def column_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All vertical ink runs of a bool ``(height, width)`` mask, sorted by column then top.

    Returns int arrays ``(column, top, bottom)``, bottom inclusive.
    """
    d = np.diff(mask.T.astype(np.int8), axis=1, prepend=0, append=0)
    col, top = np.nonzero(d == 1)
    _, stop = np.nonzero(d == -1)
    return col, top, stop - 1


def run_darkness(col: np.ndarray, top: np.ndarray, bottom: np.ndarray, darkness: np.ndarray) -> np.ndarray:
    """Mean ink darkness of each run, float ``(runs,)`` in [0, 1]."""
    cum = np.concatenate([np.zeros((1, darkness.shape[1])), np.cumsum(darkness, axis=0)], axis=0)
    return (cum[bottom + 1, col] - cum[top, col]) / (bottom - top + 1)


def _centres(col: np.ndarray, top: np.ndarray, bottom: np.ndarray, darkness: np.ndarray) -> np.ndarray:
    """Darkness-weighted centre row of each run (its middle where it has no darkness)."""
    if col.size == 0:
        return np.zeros(0)
    rows = top[:, None] + np.arange(int((bottom - top).max()) + 1)[None, :]
    inside = rows <= bottom[:, None]
    weight = np.where(inside, darkness[np.minimum(rows, bottom[:, None]), col[:, None]], 0.0)
    mass = weight.sum(axis=1)
    return np.where(mass > 0, (weight * rows).sum(axis=1) / np.maximum(mass, 1e-9), (top + bottom) / 2)


def flat_run_centres(mask: np.ndarray, darkness: np.ndarray, *, width: float) -> np.ndarray:
    """Darkness-weighted centres (rows) of every vertical ink run about one line thick (``width - 1`` to
    ``width + 1.5`` pixels: flat trace), float ``(runs,)``."""
    col, top, bottom = column_runs(mask)
    length = bottom - top + 1
    keep = (length >= width - 1) & (length <= width + 1.5)
    return _centres(col[keep], top[keep], bottom[keep], darkness)


def phase_correction(centres: np.ndarray, *, bins: int = 32, least: int = 1000) -> np.ndarray:
    """The correction of a flat run's centre as a function of its sub-pixel phase, float ``(bins + 1,)`` at
    phases ``0, 1/bins, ..., 1`` (None-like zeros where fewer than ``least`` centres are given).

    A rasterised pen pulls the darkness centre of a thin line towards some sub-pixel phases (the own
    renderer's anti-aliased pen: centres read within 0.3 pixel of the half pixel for lines anywhere from
    0.2 to 0.8 of a pixel). A page's flat trace takes every phase equally often, so the phase a centre
    should have is its rank among the page's centres: the correction maps their empirical distribution
    (histogram equalisation) onto the uniform one, plus the constant that keeps the mean correction zero
    (the centres are right on average). Clipped to half a pixel either way.
    """
    edges = np.linspace(0, 1, bins + 1)
    if centres.size < least:
        return np.zeros(bins + 1)
    phase = centres - np.floor(centres)
    counts, _ = np.histogram(phase, bins=edges)
    cdf = np.concatenate([[0.0], np.cumsum(counts)]) / counts.sum()
    shift = float(np.mean(phase - np.interp(phase, edges, cdf)))
    return np.clip(cdf + shift - edges, -0.5, 0.5)


def follow_trace(
    col: np.ndarray, top: np.ndarray, bottom: np.ndarray, *, n_cols: int, baseline: float, px_per_mm: float,
    strength: np.ndarray, pull: float = 0.03, faint: float = 1.0, after: tuple[float, float] | None = None,
) -> np.ndarray:
    """Choose at most one run per column along the cheapest path; returns the run index per column (-1: none).

    The cost of a step is the vertical gap in mm between consecutive chosen runs (0 when they touch), plus
    ``pull`` times the distance in mm of each chosen run's centre from ``baseline``, plus ``faint`` times
    ``1 - strength`` (the run's mean darkness), so that a faint grid line is not followed instead of a black
    trace. Columns without runs are skipped. ``after``: the ``(top, bottom)`` of the run the path continues
    from (the end of the previous cell's path), whose gap to the first chosen run costs as any other.
    """
    starts = np.searchsorted(col, np.arange(n_cols + 1))
    centre_cost = pull * np.abs((top + bottom) / 2 - baseline) / px_per_mm + faint * (1 - strength)
    back: list[tuple[int, list[int]]] = []
    prev_idx: list[int] = []
    prev_cost: list[float] = []
    for c in range(n_cols):
        lo, hi = starts[c], starts[c + 1]
        if lo == hi:
            continue
        idx = list(range(lo, hi))
        if not prev_idx:
            cost = [float(centre_cost[j]) + (max(0.0, top[j] - after[1], after[0] - bottom[j]) / px_per_mm if after else 0.0)
                    for j in idx]
            pointers = [-1] * len(idx)
        else:
            cost, pointers = [], []
            for j in idx:
                tj, bj = top[j], bottom[j]
                best, arg = np.inf, -1
                for k, i in enumerate(prev_idx):
                    gap = max(0, tj - bottom[i], top[i] - bj) / px_per_mm
                    value = prev_cost[k] + gap
                    if value < best:
                        best, arg = value, k
                cost.append(best + float(centre_cost[j]))
                pointers.append(arg)
        back.append((c, pointers))
        prev_idx, prev_cost = idx, cost
    choice = np.full(n_cols, -1, np.int64)
    if not back:
        return choice
    k = int(np.argmin(prev_cost))
    for c, pointers in reversed(back):
        choice[c] = starts[c] + k
        k = pointers[k]
    return choice


def drop_strays(
    choice: np.ndarray, top: np.ndarray, bottom: np.ndarray, *, baseline: float, px_per_mm: float, reach: float
) -> np.ndarray:
    """Unchoose pieces of the path that are short (under 5 mm wide) and lie mostly beyond ``reach`` pixels
    from ``baseline``: a neighbour's deflection or text picked where the row's own trace is missing.

    Pieces are split where the chosen runs jump by more than 1 mm or skip more than 1 mm of columns.
    Returns a copy of ``choice`` with those columns set to -1.
    """
    out = choice.copy()
    cols = np.flatnonzero(choice >= 0)
    if cols.size == 0:
        return out
    runs = choice[cols]
    gap = np.maximum(top[runs[1:]] - bottom[runs[:-1]], top[runs[:-1]] - bottom[runs[1:]])
    breaks = np.flatnonzero((gap > px_per_mm) | (np.diff(cols) > px_per_mm)) + 1
    for piece in np.split(np.arange(cols.size), breaks):
        centre = (top[runs[piece]] + bottom[runs[piece]]) / 2
        narrow = cols[piece[-1]] - cols[piece[0]] < 5 * px_per_mm
        if narrow and np.median(np.abs(centre - baseline)) > reach:
            out[cols[piece]] = -1
    return out


def run_values(
    choice: np.ndarray, top: np.ndarray, bottom: np.ndarray, darkness: np.ndarray, *, width: float, fit: bool = True,
    phase: np.ndarray | None = None, sharpen: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel y of the trace in every column where a run was chosen, in band pixels.

    The ink is the curve drawn with a round pen of radius ``r = (width - 1) / 2``: its top edge is the curve
    dilated upwards and its bottom edge the curve dilated downwards. Undoing the dilation (a grey opening
    with the pen's profile) gives two estimates of the curve in each column, from the top and from the
    bottom edge. On a run about one line thick the darkness-weighted centre is used. On a taller run (a steep
    stroke or a turning point) the two estimates agree on a stroke, and are averaged; at a turning point only
    the edge on the outside of the turn is the curve, so the estimate farther out from the local median
    level of the trace is kept. With ``fit``, the tall runs start from the mean of the two estimates instead
    and :func:`fit_pen_envelope` refines the readings near them: where up- and down-strokes merge into one
    run per column (narrow QRS), neither edge estimate is the curve on the flanks, and the fit finds a curve
    whose pen-drawn ink matches every column's run (training renders: 0.15 dB better than starting from the
    turning-point rule on clean pages, 0.3 on scans). The fit reads the run ends to sub-pixel precision: the
    darkness of the pixel just outside an end is the share of it the ink covers (0.1 dB on training pages).

    Parameters
    ----------
    choice : numpy.ndarray
        int ``(columns,)`` run index per column from :func:`follow_trace` (-1: none).
    top, bottom : numpy.ndarray
        Run extents from :func:`column_runs`.
    darkness : numpy.ndarray
        float ``(height, columns)`` ink of the same band.
    width : float
        Trace thickness in pixels.
    fit : bool
        Refine the readings near tall runs with :func:`fit_pen_envelope`.
    phase : numpy.ndarray or None
        :func:`phase_correction` of the page: added to the darkness-weighted centres of runs one line thick.
    sharpen : float
        With ``fit``: the fitted readings less ``sharpen`` times their second difference between adjacent
        columns, within 3 columns of a tall run (a first-order undoing of the fit's smoothing, which
        flattens turning points in proportion to their curvature).

    Returns
    -------
    tuple of numpy.ndarray
        ``(x, y)``: float column indices and sub-pixel rows, one reading per chosen column.
    """
    from scipy.ndimage import median_filter

    cols = np.flatnonzero(choice >= 0)
    if cols.size == 0:
        return np.zeros(0), np.zeros(0)
    t, b = top[choice[cols]].astype(float), bottom[choice[cols]].astype(float)
    ti, bi = t.astype(int), b.astype(int) + 1
    centre = _centres(cols, ti, bi - 1, darkness)
    if phase is not None:
        centre = centre + np.interp(centre - np.floor(centre), np.linspace(0, 1, phase.size), phase)
    r = (width - 1) / 2
    offsets = np.arange(-int(np.ceil(r)), int(np.ceil(r)) + 1)
    cap = np.sqrt(np.maximum(r**2 - offsets**2, 0))
    pad = int(offsets.max())
    full_t = np.pad(np.full(choice.size, np.nan), pad, constant_values=np.nan)
    full_b = full_t.copy()
    full_t[cols + pad], full_b[cols + pad] = t, b
    from_top = np.max([np.nan_to_num(full_t[pad + o : pad + o + choice.size], nan=-np.inf) + c for o, c in zip(offsets, cap)], axis=0)[cols]
    from_bottom = np.min([np.nan_to_num(full_b[pad + o : pad + o + choice.size], nan=np.inf) - c for o, c in zip(offsets, cap)], axis=0)[cols]
    tall = (b - t + 1) > width + 1.5
    if fit:  # the fit decides where between the two edge estimates the curve runs; it starts from their mean
        start = np.where(tall, (from_top + from_bottom) / 2, centre)
        # the run ends to sub-pixel: the faint pixel just outside each end is inked by that share
        above = np.where(ti > 0, darkness[np.maximum(ti - 1, 0), cols], 0.0)
        below = np.where(bi < darkness.shape[0], darkness[np.minimum(bi, darkness.shape[0] - 1), cols], 0.0)
        top_end, bottom_end = t - np.clip(above, 0, 1), b + np.clip(below, 0, 1)
        fitted = fit_pen_envelope(cols.astype(float), start, top_end, bottom_end, width=width)
        if sharpen and cols.size > 2:
            near = np.convolve(tall.astype(float), np.ones(7), "same") > 0
            inner = np.concatenate([[False], (cols[1:-1] - cols[:-2] == 1) & (cols[2:] - cols[1:-1] == 1), [False]])
            second = np.zeros_like(fitted)
            second[1:-1] = fitted[:-2] - 2 * fitted[1:-1] + fitted[2:]
            fitted = fitted - sharpen * np.where(near & inner, second, 0.0)
        return cols.astype(float), fitted
    local = median_filter(np.where(tall, (t + b) / 2, centre), size=int(6 * width) | 1, mode="nearest")
    agree = np.abs(from_top - from_bottom) <= width
    outer = np.where(local - from_top > from_bottom - local, from_top, from_bottom)
    estimate = np.where(agree, (from_top + from_bottom) / 2, outer)
    return cols.astype(float), np.where(tall, estimate, centre)


_SUB = np.array([-0.4, -0.2, 0.0, 0.2, 0.4])  # curve points per column, as offsets from the column centre


def fit_pen_envelope(
    x: np.ndarray, y: np.ndarray, top: np.ndarray, bottom: np.ndarray, *, width: float, radius: float = 0.475,
    edge: float = 0.35, iterations: int = 60, step: float = 0.5, smooth: float = 0.3, margin: int = 3,
) -> np.ndarray:
    """Column readings refined, near tall ink runs, so that the curve drawn with the pen reproduces every
    column's ink run.

    The curve is held at 5 points per column. A pen of radius ``radius * width`` centred on a curve point
    inks the column centres within that radius; the highest point the pen reaches over column ``c``'s centre
    should lie ``edge`` pixels inside the run's top end (and likewise at the bottom; ``radius`` and ``edge``
    from the own renderer's anti-aliased pens on training renders, whose run ends they match to 0.45 pixel
    RMS). Each
    iteration smooths the curve a little, moves the curve point that sets each column's top and bottom
    towards the ink's, and clips every point into the band the ink allows (no point may draw ink above a
    column's top or below its bottom). Only columns within ``margin`` columns of a run taller than the pen
    move.

    Parameters
    ----------
    x : numpy.ndarray
        float ``(columns,)`` sorted column indices (gaps allowed).
    y, top, bottom : numpy.ndarray
        float ``(columns,)`` readings and ink run ends (rows, bottom inclusive; may be sub-pixel) of those
        columns.
    width : float
        Pen width in pixels.

    Returns
    -------
    numpy.ndarray
        float ``(columns,)`` refined readings at the column centres.
    """
    from scipy.interpolate import PchipInterpolator

    tall = (bottom - top + 1) > width + 1.5
    n, k = x.size, _SUB.size
    region = np.convolve(tall.astype(float), np.ones(2 * margin + 1), "same") > 0
    if n < 2 or not region.any():
        return y
    rho = radius * width
    fine_x = (x[:, None] + _SUB[None, :]).ravel()
    fine = PchipInterpolator(x, y)(fine_x)
    free = np.repeat(region, k)
    reach = int(np.ceil(rho)) + 1
    pairs = [(dj, m) for dj in range(-reach, reach + 1) for m in range(k) if abs(dj + _SUB[m]) <= rho]
    cap = np.array([np.sqrt(rho**2 - (dj + _SUB[m]) ** 2) for dj, m in pairs])
    cols = np.arange(n)
    near = np.stack([np.clip(cols + dj, 0, n - 1) for dj, _ in pairs], axis=1)
    idx = near * k + np.array([m for _, m in pairs])
    valid = np.abs(x[near] - x[:, None] - np.array([dj for dj, _ in pairs])) < 1e-6
    want_top, want_bottom = top + edge, bottom - edge
    low, high = np.full(fine.size, -np.inf), np.full(fine.size, np.inf)
    np.maximum.at(low, idx[valid], (want_top[:, None] + cap)[valid])
    np.minimum.at(high, idx[valid], (want_bottom[:, None] - cap)[valid])
    low, high = np.minimum(low, high), np.maximum(low, high)
    linked = np.abs(np.diff(fine_x) - (_SUB[1] - _SUB[0])) < 1e-6
    act = cols[region]
    for _ in range(iterations):
        d = np.diff(fine) * linked
        lap = np.zeros_like(fine)
        lap[:-1] += d
        lap[1:] -= d
        fine = fine + smooth * lap * free
        v = fine[idx]
        reach_top = np.where(valid, v - cap, np.inf)
        reach_bottom = np.where(valid, v + cap, -np.inf)
        at, ab = reach_top.argmin(axis=1)[act], reach_bottom.argmax(axis=1)[act]
        moves = np.zeros(fine.size)
        count = np.zeros(fine.size)
        np.add.at(moves, idx[act, at], want_top[act] - reach_top[act, at])
        np.add.at(count, idx[act, at], 1)
        np.add.at(moves, idx[act, ab], want_bottom[act] - reach_bottom[act, ab])
        np.add.at(count, idx[act, ab], 1)
        fine = fine + step * np.where(count > 0, moves / np.maximum(count, 1), 0) * free
        fine = np.where(free, np.clip(fine, low, high), fine)
    return fine.reshape(n, k)[:, k // 2]
