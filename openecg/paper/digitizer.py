"""Image to signal: the classical digitizer.

Pipeline: load -> page outline and perspective correction -> ink maps -> deskew -> grid and mm calibration
-> rows, calibration pulses, speed and gain -> layout -> trace following per row -> mV at ``fs``.
"""

from __future__ import annotations

import numpy as np

from ..signal.recording import Recording, check_fs
from . import grid as grid_mod
from .layout import Row, choose_layout, find_baselines, line_width, measure_row
from .printout import GAINS, SPEEDS, STANDARD_LEADS, TRACE_MM
from .trace import column_runs, drop_strays, follow_trace, run_darkness, run_values

__all__ = ["digitize"]

_INK_THRESHOLD = 0.4
_STRONG_INK = 0.6  # on grid-line pixels: a grey grid line darkened by the scan may pass 0.4, the trace not 0.6


def _snap(value: float, allowed: tuple[float, ...]) -> float:
    return float(min(allowed, key=lambda a: abs(np.log(value / a))))


def digitize(
    image_or_path: object,
    *,
    layout: str = "auto",
    fs: float = 500.0,
    speed: float | None = None,
    gain: float | None = None,
    max_gap_mm: float = 1.0,
) -> Recording:
    """Read an ECG printout (scan, photo or render) into a :class:`~openecg.signal.Recording`.

    Parameters
    ----------
    image_or_path : str, os.PathLike or numpy.ndarray
        An image file, or uint8/float RGB ``(height, width, 3)`` / grey ``(height, width)`` pixels.
    layout : str
        ``"auto"`` or a layout of :func:`openecg.paper.printout.layout_rows` (``"3x4+1"``, ``"6x2"``, ...).
    fs : float
        Output sample rate in Hz.
    speed, gain : float or None
        Paper speed (mm/s) and gain (mm/mV); None reads them from the calibration pulse measured on the grid
        (25 or 50 mm/s, 5, 10 or 20 mm/mV), defaulting to 25 and 10 when no pulse is found. Without a grid,
        the scale comes from the pulse height and the gain, which is then read against the scale a full
        page (280 mm wide) would have.
    max_gap_mm : float
        Gaps in the trace up to this many mm are interpolated; longer ones stay NaN.

    Notes
    -----
    A row's duration is its measured length, set to the standard 250 mm (10 s at 25 mm/s) when within 4%
    of it (residual perspective), else rounded to 0.1 s.

    Returns
    -------
    Recording
        float32 ``(samples, leads)`` mV over the printed row duration: the 12 standard leads for standard
        layouts (``row0``, ``row1``, ... for ``"Nx1"``), NaN where a lead was not printed or not readable.
        A lead printed twice (in a cell and in a rhythm strip) takes the strip's reading where it has one.
        ``meta`` holds ``layout``, ``rows`` (leads per row), ``grid`` (found, px per mm in x and y, rotation,
        perspective), ``speed``, ``gain``, ``row_seconds`` and ``confidence`` (lead -> 0..1).

    Raises
    ------
    ValueError
        For a file that is not an image, an image without a readable ECG trace, or a layout that does not
        match the rows found.
    """
    rate = check_fs(fs)
    rgb = grid_mod.load_image(image_or_path)
    rgb, page_h = grid_mod.rectify_page(rgb)
    trace_ink, grid_ink = grid_mod.ink_maps(rgb)
    angle = grid_mod.skew_angle(np.maximum(trace_ink, grid_ink))
    trace_ink, grid_ink = grid_mod.rotate_maps([trace_ink, grid_ink], angle)
    mask = _close_gaps(trace_ink > _INK_THRESHOLD)
    scale = grid_mod.grid_scale(grid_ink, mask)
    if scale.found:
        columns, lines = grid_mod.grid_lines(grid_ink, mask)
    if scale.found and columns.any() and float(np.median(trace_ink[:, columns])) > 0.2:
        # a grid that shows in the trace ink (grey, or darkened): its lines need strong ink to count
        strong = trace_ink > _STRONG_INK
        mask[:, columns] &= strong[:, columns]
        mask[lines, :] &= strong[lines, :]
    baselines = find_baselines(mask, scale)
    if not baselines:
        raise ValueError(
            f"no ECG trace found in the image: {mask.mean():.2%} of pixels are dark ink, no row of trace spans "
            f"the page (grid {'found' if scale.found else 'not found'}); give a printout with visible traces"
        )
    width = line_width(mask)
    spacing = float(np.median(np.diff(baselines))) if len(baselines) > 1 else 40 * scale.px_per_mm_y
    rows = [measure_row(mask, b, scale, width, reach=0.85 * spacing) for b in baselines]
    heights = [r.pulse_height for r in rows if r.pulse_height and r.pulse_height > 0]
    widths = [r.pulse_width for r in rows if r.pulse_width and r.pulse_width > 0]
    if gain is None:
        gain = _snap(float(np.median(heights)) / scale.px_per_mm_y, GAINS) if heights else 10.0
    if not scale.found and heights:
        mm = float(np.median(heights)) / float(gain)
        scale = grid_mod.GridScale(mm, mm, False)
        rows = [measure_row(mask, b, scale, width, reach=0.85 * spacing) for b in baselines]
    if speed is None:
        speed = _snap(float(np.median(widths)) / scale.px_per_mm_x / 0.2, SPEEDS) if widths else 25.0
    gain, speed = float(gain), float(speed)
    name, plan = choose_layout(mask, rows, scale, layout)
    px_per_s, px_per_mv = speed * scale.px_per_mm_x, gain * scale.px_per_mm_y
    row_seconds = float(np.median([r.x_end - r.x_start for r in rows])) / px_per_s
    nominal = TRACE_MM / speed
    row_seconds = nominal if abs(row_seconds / nominal - 1) < 0.04 else round(row_seconds, 1)
    names = STANDARD_LEADS if plan[0][0] in STANDARD_LEADS else tuple(cells[0] for cells in plan)
    n = int(round(row_seconds * rate))
    signal = np.full((n, len(names)), np.nan, np.float32)
    quality = {lead: [] for lead in names}
    for r, (row, cells) in enumerate(zip(rows, plan)):
        top = baselines[r - 1] + 2 * scale.px_per_mm_y if r > 0 else row.baseline - spacing
        bottom = baselines[r + 1] - 2 * scale.px_per_mm_y if r + 1 < len(rows) else row.baseline + spacing
        tau, values, jumps = _read_row(trace_ink, mask, row, top, bottom, scale, width, px_per_s, px_per_mv, len(cells), row_seconds)
        cell_s = row_seconds / len(cells)
        for c, lead in enumerate(cells):
            first, stop = int(round(c * cell_s * rate)), min(n, int(round((c + 1) * cell_s * rate)))
            inside = (tau >= c * cell_s - 0.5 / px_per_s) & (tau < (c + 1) * cell_s + 0.5 / px_per_s)
            samples = _resample(tau[inside], values[inside], np.arange(first, stop) / rate, max_gap_mm / (speed * 1.0))
            ok = np.isfinite(samples)
            k = names.index(lead)
            signal[first:stop, k] = np.where(ok, samples, signal[first:stop, k])
            quality[lead].append(ok.mean() * (1 - float(jumps[inside].mean()) if inside.any() else 0.0))
    confidence = {lead: round(float(np.mean(q)), 3) for lead, q in quality.items() if q}
    meta = {
        "layout": name, "rows": [list(cells) for cells in plan], "speed": speed, "gain": gain,
        "row_seconds": row_seconds, "confidence": confidence,
        "grid": {"found": scale.found, "px_per_mm_x": scale.px_per_mm_x, "px_per_mm_y": scale.px_per_mm_y,
                 "rotation_deg": angle, "perspective": page_h is not None, "line_width_px": width},
    }
    return Recording(signal, fs=rate, lead_names=names, meta=meta)


def _close_gaps(mask: np.ndarray) -> np.ndarray:
    """Fill one-pixel vertical gaps that anti-aliasing leaves inside steep strokes."""
    import cv2

    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 1), np.uint8)) > 0


def _read_row(
    ink: np.ndarray, mask: np.ndarray, row: Row, top: float, bottom: float, scale: grid_mod.GridScale, width: float,
    px_per_s: float, px_per_mv: float, n_cells: int, row_seconds: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time (s from the row start), value (mV) and a jump flag of every readable column of one row."""
    y0, y1 = max(0, int(top)), min(mask.shape[0], int(np.ceil(bottom)))
    x0, x1 = max(0, int(np.floor(row.x_start))), min(mask.shape[1], int(np.ceil(row.x_end)) + 1)
    band = mask[y0:y1, x0:x1].copy()
    xs = np.arange(x0, x1, dtype=float)
    for k in range(1, n_cells):
        boundary = row.x_start + k * row_seconds / n_cells * px_per_s
        band[:, np.abs(xs - boundary) <= width / 2] = False
    col, run_top, run_bottom = column_runs(band)
    strength = run_darkness(col, run_top, run_bottom, ink[y0:y1, x0:x1])
    choice = follow_trace(col, run_top, run_bottom, n_cols=x1 - x0, baseline=row.baseline - y0,
                          px_per_mm=scale.px_per_mm_y, strength=strength)
    choice = drop_strays(choice, run_top, run_bottom, baseline=row.baseline - y0, px_per_mm=scale.px_per_mm_y,
                         reach=0.4 * (bottom - top) / 2)
    px, py = run_values(choice, run_top, run_bottom, ink[y0:y1, x0:x1], width=width)
    picked = choice[choice >= 0]
    jumps = np.zeros(px.size, bool)
    if picked.size > 1:
        gap = np.maximum(run_top[picked[1:]] - run_bottom[picked[:-1]], run_top[picked[:-1]] - run_bottom[picked[1:]])
        jump_cols = np.flatnonzero(choice >= 0)[1:][gap > scale.px_per_mm_y]
        jumps = np.isin(np.round(px).astype(int), jump_cols)
    return (px + x0 - row.x_start) / px_per_s, (row.baseline - py - y0) / px_per_mv, jumps


def _resample(tau: np.ndarray, values: np.ndarray, times: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Column values at ``times``; NaN farther than ``max_gap_s`` from any column.

    Columns are about 2.5 samples apart at 200 dpi and 500 Hz, so the interpolant matters on QRS strokes:
    a monotone cubic (PCHIP) follows their curvature without overshoot, where straight lines cut the
    corners of peaks. Outside the columns the end values are held.
    """
    from scipy.interpolate import PchipInterpolator

    out = np.full(times.size, np.nan)
    if tau.size == 0:
        return out
    inside = np.clip(times, tau[0], tau[-1])
    out[:] = PchipInterpolator(tau, values)(inside) if tau.size > 1 else values[0]
    i = np.clip(np.searchsorted(tau, times), 1, max(1, tau.size - 1))
    nearest = np.minimum(np.abs(times - tau[i - 1]), np.abs(tau[np.minimum(i, tau.size - 1)] - times))
    span = np.searchsorted(tau, times, side="right")
    before, after = tau[np.maximum(span - 1, 0)], tau[np.minimum(span, tau.size - 1)]
    out[(after - before > max_gap_s) & (nearest > 0.5 * max_gap_s)] = np.nan
    out[(times < tau[0] - max_gap_s) | (times > tau[-1] + max_gap_s)] = np.nan
    return out
