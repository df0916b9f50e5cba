"""Following one trace through a row: ink runs per column, a shortest-path choice of run, sub-pixel values.

Each image column inside a row's band holds zero or more vertical runs of ink: the row's own trace and
sometimes a neighbour's deflection or text. The path through the columns that minimises the vertical jumps
between consecutive runs (plus a small pull towards the row's baseline) follows the trace through overlaps.
"""

from __future__ import annotations

import numpy as np

__all__ = ["column_runs", "follow_trace", "drop_strays", "run_values"]


def column_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All vertical ink runs of a bool ``(height, width)`` mask, sorted by column then top.

    Returns int arrays ``(column, top, bottom)``, bottom inclusive.
    """
    d = np.diff(mask.T.astype(np.int8), axis=1, prepend=0, append=0)
    col, top = np.nonzero(d == 1)
    _, stop = np.nonzero(d == -1)
    return col, top, stop - 1


def follow_trace(
    col: np.ndarray, top: np.ndarray, bottom: np.ndarray, *, n_cols: int, baseline: float, px_per_mm: float,
    pull: float = 0.03,
) -> np.ndarray:
    """Choose at most one run per column along the cheapest path; returns the run index per column (-1: none).

    The cost of a step is the vertical gap in mm between consecutive chosen runs (0 when they touch), plus
    ``pull`` times the distance in mm of each chosen run's centre from ``baseline``. Columns without runs are
    skipped.
    """
    starts = np.searchsorted(col, np.arange(n_cols + 1))
    centre_cost = pull * np.abs((top + bottom) / 2 - baseline) / px_per_mm
    back: list[tuple[int, list[int]]] = []
    prev_idx: list[int] = []
    prev_cost: list[float] = []
    for c in range(n_cols):
        lo, hi = starts[c], starts[c + 1]
        if lo == hi:
            continue
        idx = list(range(lo, hi))
        if not prev_idx:
            cost = [float(centre_cost[j]) for j in idx]
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


def _plateau_extremes(v: np.ndarray) -> np.ndarray:
    """bool mask of the middle element of every plateau of ``v`` lower than both its neighbours."""
    out = np.zeros(v.size, bool)
    if v.size < 3:
        return out
    edges = np.flatnonzero(np.diff(v) != 0) + 1
    starts, stops = np.r_[0, edges], np.r_[edges, v.size]
    for start, stop in zip(starts, stops):
        left = v[start - 1] if start > 0 else np.inf
        right = v[stop] if stop < v.size else np.inf
        if v[start] < left and v[start] < right:
            out[(start + stop - 1) // 2] = True
    return out


def _beside(extreme: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns next to an extreme (not extremes themselves) and the extreme's value for each of them."""
    left, right = np.r_[extreme[1:], False], np.r_[False, extreme[:-1]]
    value = np.where(left, np.r_[v[1:], v[-1:]], np.where(right, np.r_[v[:1], v[:-1]], v))
    return (left | right) & ~extreme, value


def run_values(
    choice: np.ndarray, top: np.ndarray, bottom: np.ndarray, darkness: np.ndarray, *, width: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel points ``(x, y)`` of the trace, in band pixels, sorted by x.

    The ink is the curve drawn with a round pen of radius ``r = (width - 1) / 2``. A run about one line thick
    gives its darkness-weighted centre. A taller run is a steep stroke: its ends are the curve ``r`` pixels
    before and after the column (bottom before and top after on a rising stroke), unless the run is a local
    extreme (the middle of a plateau of tops above both neighbouring tops, or of bottoms below), where the
    turning point lies ``r`` inside the run's end; so do the tall runs beside it that reach within a pixel
    of it, while the others beside it give their centre.

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
    """
    ok = choice >= 0
    cols = np.flatnonzero(ok)
    if cols.size == 0:
        return np.zeros(0), np.zeros(0)
    t, b = top[choice[ok]].astype(float), bottom[choice[ok]].astype(float)
    cum = np.concatenate([np.zeros((1, darkness.shape[1])), np.cumsum(darkness, axis=0)], axis=0)
    ys = np.arange(darkness.shape[0], dtype=float)[:, None]
    cum_y = np.concatenate([np.zeros((1, darkness.shape[1])), np.cumsum(darkness * ys, axis=0)], axis=0)
    ti, bi = t.astype(int), b.astype(int) + 1
    mass = cum[bi, cols] - cum[ti, cols]
    centre = np.where(mass > 0, (cum_y[bi, cols] - cum_y[ti, cols]) / np.maximum(mass, 1e-9), (t + b) / 2)
    r = (width - 1) / 2
    tall = (b - t + 1) > width + 1.5
    peak_up = tall & _plateau_extremes(t)
    peak_down = tall & _plateau_extremes(-b) & ~peak_up
    up_near, t_peak = _beside(peak_up, t)
    down_near, b_peak = _beside(peak_down, b)
    near = peak_up | peak_down | up_near | down_near
    up = peak_up | (up_near & (t <= t_peak + 1))
    down = peak_down | (down_near & (b >= b_peak - 1))
    x = cols.astype(float)
    value = np.where(up, t + r, np.where(down, b - r, centre))
    stroke = tall & ~near
    mid = (t + b) / 2
    rising = np.r_[mid[1:], mid[-1:]] < np.r_[mid[:1], mid[:-1]]
    before = np.where(rising, b, t)[stroke]
    after = np.where(rising, t, b)[stroke]
    px = np.concatenate([x, x[stroke] - r, x[stroke] + r])
    py = np.concatenate([value, before, after])
    order = np.argsort(px, kind="stable")
    return px[order], py[order]
