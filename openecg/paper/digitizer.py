"""Image to signal: the classical digitizer.

Pipeline: load -> page outline and perspective correction -> ink maps -> deskew -> grid and mm calibration
-> rows, calibration pulses, speed and gain -> layout -> trace following per row -> mV at ``fs``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import InputError
from ..signal.recording import Recording, check_fs
from . import grid as grid_mod
from .layout import Row, choose_layout, edge_softness, find_baselines, line_width, measure_row
from .printout import GAINS, SPEEDS, STANDARD_LEADS, TRACE_MM
from .trace import column_runs, drop_strays, flat_run_centres, follow_trace, phase_correction, run_darkness, run_values

__all__ = ["digitize", "reading_confidence", "noise_terms", "NOISE_MODEL"]

_INK_THRESHOLD = 0.4
_FAINT_INK = 0.25  # the faint edge of a stroke: grown into on photos and crisp thick-pen pages (see _faint_edges)
_CRISP_EDGE = 0.18  # edge softness (layout.edge_softness) under which a page is a crisp render, not a scan
_THICK_PEN_PX = 4  # pens at least this wide on a crisp page gain from the faint edges; thinner ones lose
_COMMON_SHORTER_RUN = 0.3  # see layout.line_width
_SHARPEN = 0.05  # crisp pages: the pen fit's readings less this times their second difference (trace.run_values)
_FIT_MIN_WIDTH = 4  # crisp pens thinner than this are read without trace.fit_pen_envelope (see digitize)
_ASSUMED_LAYOUT_CONFIDENCE = 0.3
# log of the reading noise in pixels squared = const + sum(coef * evidence): least squares on the per-lead
# errors of training-split records only (15 own renders x clean/scan/photo, 12 ECG-Image-Kit pages x
# clean/wrinkled/augmented; `bench_digitize.py --fit-confidence`), const including the mean of exp(residual)
NOISE_MODEL = {
    "const": -0.0457, "jumps": 940.6311, "tall": 2.0607, "perspective": 0.7748, "rotation_deg": 0.0983,
    "checked": -0.336, "log_residual_px2": 0.2375, "log_slope_px2": 1.8339, "log_power_px2": -0.4449,
}
_UNCHECKED = {"checked": 0.0, "log_residual_px2": 0.0}
_OPAQUE_TICK = 0.85  # a separator tick column this dark hides the trace (see _see_through_tick)
_TICK_ROWS = 5  # image rows where a tick stands clear of the trace, at least, to read its centre
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
        float32 ``(samples, leads)`` mV over the printed row duration: the 12 standard leads (an ``"Nx1"``
        page with more than 12 rows adds ``row12``), NaN where a lead was not printed or not readable.
        A lead printed twice (in a cell and in a rhythm strip) takes the strip's reading where it has one.
        ``meta`` holds ``layout``, ``layout_basis`` (see :func:`~openecg.paper.layout.choose_layout`),
        ``rows`` (leads per row), ``names_read`` (the lead name read at each cell, None where none was),
        ``grid`` (found, px per mm in x and y, rotation, perspective, pen width, edge softness, whether the
        faint edges were grown and whether the pen envelope was fitted), ``speed``, ``gain``,
        ``row_seconds``, ``evidence`` (lead -> what the reading shows of its quality) and ``confidence``
        (lead -> the Pearson r to expect against the true signal, :func:`reading_confidence`; at most 0.3
        where the lead's name is an assumption).

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
    grid_shows = scale.found and columns.any() and float(np.median(trace_ink[:, columns])) > 0.2
    if grid_shows:  # a grid that shows in the trace ink (grey, or darkened): its lines need strong ink to count
        mask = _strong_on_grid(mask, trace_ink, columns, lines)
    baselines = find_baselines(mask, scale)
    if not baselines:
        raise ValueError(
            f"no ECG trace found in the image: {mask.mean():.2%} of pixels are dark ink, no row of trace spans "
            f"the page (grid {'found' if scale.found else 'not found'}); give a printout with visible traces"
        )
    if len(baselines) > 13:
        raise InputError(
            f"no ECG grid/trace found in the image: {len(baselines)} candidate trace rows (a printout has at most "
            f"13) and {mask.mean():.0%} dark ink, grid {'found' if scale.found else 'not found'}; it looks like noise "
            "or text, not an ECG printout"
        )
    width = line_width(mask, baselines, scale.px_per_mm_y)
    softness = edge_softness(mask, trace_ink, baselines, width, scale.px_per_mm_y)
    crisp = bool(softness < _CRISP_EDGE)
    if not crisp and page_h is None:  # blurred, not a photo (whose faint edges grown below restore the pen)
        width = line_width(mask, baselines, scale.px_per_mm_y, common=_COMMON_SHORTER_RUN)
    faint = page_h is not None or (crisp and width >= _THICK_PEN_PX)
    fit = not crisp or width >= _FIT_MIN_WIDTH
    layout_mask = mask  # separators, label blobs and names are read without the faint edges
    if faint:
        mask = _faint_edges(mask, trace_ink, grid=(columns, lines) if grid_shows else None)
    spacing = float(np.median(np.diff(baselines))) if len(baselines) > 1 else 40 * scale.px_per_mm_y
    phase = phase_correction(flat_run_centres(mask, trace_ink, width=width))
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
    name, plan, basis, read = choose_layout(layout_mask, rows, scale, layout)
    px_per_s, px_per_mv = speed * scale.px_per_mm_x, gain * scale.px_per_mm_y
    row_seconds = float(np.median([r.x_end - r.x_start for r in rows])) / px_per_s
    nominal = TRACE_MM / speed
    row_seconds = nominal if abs(row_seconds / nominal - 1) < 0.04 else round(row_seconds, 1)
    rows = _tick_starts(trace_ink, mask, rows, plan, scale, row_seconds * px_per_s, width)
    printed = tuple(dict.fromkeys(lead for cells in plan for lead in cells))
    names = STANDARD_LEADS if set(printed) <= set(STANDARD_LEADS) else printed
    n = int(round(row_seconds * rate))
    signal = np.full((n, len(names)), np.nan, np.float32)
    evidence: dict[str, list[dict[str, float]]] = {lead: [] for lead in names}
    for r, (row, cells) in enumerate(zip(rows, plan)):
        top = baselines[r - 1] + 2 * scale.px_per_mm_y if r > 0 else row.baseline - spacing
        bottom = baselines[r + 1] - 2 * scale.px_per_mm_y if r + 1 < len(rows) else row.baseline + spacing
        tau, values, flags = _read_row(trace_ink, mask, row, top, bottom, scale, width, px_per_s, px_per_mv, len(cells),
                                       row_seconds, fit=fit, crisp=crisp, phase=phase)
        cell_s = row_seconds / len(cells)
        for c, lead in enumerate(cells):
            first, stop = int(round(c * cell_s * rate)), min(n, int(round((c + 1) * cell_s * rate)))
            inside = (tau >= c * cell_s - 0.5 / px_per_s) & (tau < (c + 1) * cell_s + 0.5 / px_per_s)
            samples = _resample(tau[inside], values[inside], np.arange(first, stop) / rate, max_gap_mm / (speed * 1.0))
            ok = np.isfinite(samples)
            k = names.index(lead)
            signal[first:stop, k] = np.where(ok, samples, signal[first:stop, k])
            evidence[lead].append(_cell_evidence(samples, {f: v[inside] for f, v in flags.items()}, px_per_mv))
    page = {"perspective": float(page_h is not None), "rotation_deg": abs(angle), "grid_found": float(scale.found)}
    checks = _limb_residuals(signal, names, px_per_mv)
    evidence = {lead: _merge_evidence(cells, page | checks.get(lead, _UNCHECKED)) for lead, cells in evidence.items() if cells}
    confidence = {lead: round(reading_confidence(e), 3) for lead, e in evidence.items()}
    # names that are an assumption: neither separators, label blobs nor the names read confirmed them
    assumed = {lead for cells, names_read in zip(plan, read) for lead, got in zip(cells, names_read)
               if basis == "row count" or (basis == "assumed" and got is None)}
    confidence = {lead: min(c, _ASSUMED_LAYOUT_CONFIDENCE) if lead in assumed else c for lead, c in confidence.items()}
    meta = {
        "layout": name, "layout_basis": basis, "rows": [list(cells) for cells in plan],
        "names_read": [list(names_read) for names_read in read], "speed": speed, "gain": gain,
        "row_seconds": row_seconds, "confidence": confidence, "evidence": evidence,
        "grid": {"found": scale.found, "px_per_mm_x": scale.px_per_mm_x, "px_per_mm_y": scale.px_per_mm_y,
                 "rotation_deg": angle, "perspective": page_h is not None, "line_width_px": width,
                 "edge_softness": softness, "faint_edges": faint, "pen_fit": fit},
    }
    return Recording(signal, fs=rate, lead_names=names, meta=meta)


def _cell_evidence(samples: np.ndarray, flags: dict[str, np.ndarray], px_per_mv: float) -> dict[str, float]:
    """What one cell's reading shows about its own quality (see :func:`reading_confidence`)."""
    ok = np.isfinite(samples)
    read = samples[ok]
    evidence = {name: float(f.mean()) if f.size else 1.0 for name, f in flags.items()}
    evidence["coverage"] = float(ok.mean()) if ok.size else 0.0
    evidence["power_mv2"] = float(read.var()) if read.size > 1 else 0.0
    evidence["slope_px2"] = float(np.mean(np.diff(read) ** 2)) * px_per_mv**2 if read.size > 1 else 0.0
    evidence["px_per_mv"] = px_per_mv
    evidence["samples"] = float(samples.size)
    return evidence


def _merge_evidence(cells: list[dict[str, float]], page: dict[str, float]) -> dict[str, float]:
    """One lead's evidence: the cells that print it, weighted by their samples, plus the page's."""
    weights = np.array([c["samples"] for c in cells])
    weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(cells), 1 / len(cells))
    merged = {name: round(float(sum(w * c[name] for w, c in zip(weights, cells))), 6) for name in cells[0] if name != "samples"}
    return merged | page


def _limb_residuals(signal: np.ndarray, names: tuple[str, ...], px_per_mv: float) -> dict[str, dict[str, float]]:
    """Einthoven's and Goldberger's laws as checks of the reading: I + III = II and aVR + aVL + aVF = 0 hold
    for the true limb leads, so where the three of a law were read at the same times, the mean squared
    residual (pixels squared) measures their reading error. Leads without a check are left out."""
    out = {}
    for law in (("I", "III", "-II"), ("aVR", "aVL", "aVF")):
        leads = [name.lstrip("-") for name in law]
        if not all(lead in names for lead in leads):
            continue
        parts = np.stack([signal[:, names.index(lead)] * (-1 if name[0] == "-" else 1) for name, lead in zip(law, leads)])
        both = np.isfinite(parts).all(axis=0)
        if both.sum() < signal.shape[0] / 20:  # under half a second of a 10 s page: no check
            continue
        residual = parts[:, both].sum(axis=0)
        power = float(np.mean((residual - residual.mean()) ** 2)) * px_per_mv**2
        for lead in leads:
            out[lead] = {"checked": 1.0, "log_residual_px2": float(np.log1p(power))}
    return out


def noise_terms(evidence: dict[str, float]) -> dict[str, float]:
    """The value of each term of :data:`NOISE_MODEL` for one lead's evidence (``const`` is 1)."""
    power_px2 = evidence["power_mv2"] * evidence["px_per_mv"] ** 2
    terms = dict(evidence, log_slope_px2=float(np.log1p(evidence["slope_px2"])), log_power_px2=float(np.log1p(power_px2)))
    return {name: 1.0 if name == "const" else terms[name] for name in NOISE_MODEL}


def reading_confidence(evidence: dict[str, float]) -> float:
    """The Pearson r to expect between a lead's reading and the true signal, from the reading's own evidence.

    The reading noise (pixels squared) is predicted from the evidence by :data:`NOISE_MODEL` (path jumps,
    share of tall ink runs, perspective, rotation, the limb-lead law residual, the reading's slope and power),
    turned into mV with the gain, and the unread share counts as noise of the reading's own power. With
    ``snr = power / noise`` the expected correlation is ``sqrt(snr / (1 + snr))``.

    Parameters
    ----------
    evidence : dict
        One lead's ``meta["evidence"]`` entry from :func:`digitize`.

    Returns
    -------
    float
        Expected r in [0, 1].
    """
    terms = noise_terms(evidence)
    px_noise = float(np.exp(sum(coef * terms[name] for name, coef in NOISE_MODEL.items())))
    noise = px_noise / evidence["px_per_mv"] ** 2 + (1 - evidence["coverage"]) * evidence["power_mv2"]
    snr = evidence["power_mv2"] * evidence["coverage"] / max(noise, 1e-12)
    return float(np.sqrt(snr / (1 + snr)))


def _strong_on_grid(mask: np.ndarray, ink: np.ndarray, columns: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """``mask`` with grid-line pixels kept only where the ink is strong (a copy)."""
    strong = ink > _STRONG_INK
    out = mask.copy()
    out[:, columns] &= strong[:, columns]
    out[lines, :] &= strong[lines, :]
    return out


def _faint_edges(
    mask: np.ndarray, ink: np.ndarray, *, grid: tuple[np.ndarray, np.ndarray] | None
) -> np.ndarray:
    """``mask`` grown by the faint ink (darkness over 0.25) within 2 pixels above or below it.

    Used on photos and on crisp pages drawn with a thick pen (see :func:`digitize`). On photos the camera's
    blur and the perspective warp fade the tips of QRS peaks under the ink threshold, and the readings came
    out about 6% small (training-split records). Crisp renders with a pen of 4 pixels or more read QRS tips
    1 to 2 pixels short too (the anti-aliased fringe of a sharp turn stays under the threshold): 16 clean
    training pages gain 0.9 dB. On scans the same growth follows JPEG ringing and noise along the edges
    (0.5 to 2.2 dB lost), and on ECG-Image-Kit's crisp 2 to 3 pixel pens it makes the readings too large
    (1.7 to 1.9 dB lost). Grid lines that show in the trace ink stay out.
    """
    import cv2

    near = cv2.dilate(mask.astype(np.uint8), np.ones((5, 1), np.uint8)) > 0
    grown = mask | ((ink > _FAINT_INK) & near)
    return _strong_on_grid(grown, ink, *grid) if grid is not None else grown


def _close_gaps(mask: np.ndarray) -> np.ndarray:
    """Fill one-pixel vertical gaps that anti-aliasing leaves inside steep strokes."""
    import cv2

    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 1), np.uint8)) > 0


def _read_row(
    ink: np.ndarray, mask: np.ndarray, row: Row, top: float, bottom: float, scale: grid_mod.GridScale, width: float,
    px_per_s: float, px_per_mv: float, n_cells: int, row_seconds: float, *, fit: bool, crisp: bool,
    phase: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Time (s from the row start), value (mV) and flags of every readable column of one row: ``jumps``
    (the path jumped more than 1 mm to reach it) and ``tall`` (its ink run is taller than the pen plus
    1.5 pixels: a steep stroke or a turning point, where readings are least exact)."""
    y0, y1 = max(0, int(top)), min(mask.shape[0], int(np.ceil(bottom)))
    x0, x1 = max(0, int(np.floor(row.x_start))), min(mask.shape[1], int(np.ceil(row.x_end)) + 1)
    band, ink = mask[y0:y1, x0:x1].copy(), ink[y0:y1, x0:x1].copy()
    bounds = [row.x_start + k * row_seconds / n_cells * px_per_s for k in range(1, n_cells)]
    for boundary in bounds:
        tick = _tick_columns(mask, row.baseline, boundary, scale, width, x0, x1, blur=not crisp)
        if crisp:
            _see_through_tick(ink, band, tick, row.baseline - y0, scale)
        else:
            band[:, tick] = False
    # one path per cell: a cell boundary is a change of lead, and near it the next lead's first ink (and
    # the last lead's end) lie beside the trace
    edges = [0] + [int(np.clip(np.ceil(b) - x0, 0, x1 - x0)) for b in bounds] + [x1 - x0]
    xs, ys, jumps, tall = [], [], [], []
    after = None
    for lo, hi in zip(edges[:-1], edges[1:]):
        col, run_top, run_bottom = column_runs(band[:, lo:hi])
        strength = run_darkness(col, run_top, run_bottom, ink[:, lo:hi])
        choice = follow_trace(col, run_top, run_bottom, n_cols=hi - lo, baseline=row.baseline - y0,
                              px_per_mm=scale.px_per_mm_y, strength=strength, after=after)
        choice = drop_strays(choice, run_top, run_bottom, baseline=row.baseline - y0, px_per_mm=scale.px_per_mm_y,
                             reach=0.4 * (bottom - top) / 2)
        px, py = run_values(choice, run_top, run_bottom, ink[:, lo:hi], width=width, fit=fit, phase=phase,
                            sharpen=_SHARPEN if crisp else 0.0)
        picked = choice[choice >= 0]
        after = (float(run_top[picked[-1]]), float(run_bottom[picked[-1]])) if picked.size else after
        jumped = np.zeros(px.size, bool)
        if picked.size > 1:
            gap = np.maximum(run_top[picked[1:]] - run_bottom[picked[:-1]], run_top[picked[:-1]] - run_bottom[picked[1:]])
            jumped[1:] = gap > scale.px_per_mm_y
        xs.append(px + lo)
        ys.append(py)
        jumps.append(jumped)
        tall.append((run_bottom[picked] - run_top[picked] + 1) > width + 1.5)
    px, py = np.concatenate(xs), np.concatenate(ys)
    flags = {"jumps": np.concatenate(jumps), "tall": np.concatenate(tall)}
    return (px + x0 - row.x_start) / px_per_s, (row.baseline - py - y0) / px_per_mv, flags


def _see_through_tick(
    ink: np.ndarray, band: np.ndarray, columns: np.ndarray, baseline: float, scale: grid_mod.GridScale
) -> None:
    """Read the trace through the faint edge columns of a separator tick, in place on a row's ``ink`` and
    ``band`` (its mask); the tick's opaque columns are blanked.

    Ink darkens multiplicatively: where a tick of darkness ``L`` covers a column, a trace pixel of darkness
    ``d`` shows ``1 - (1 - L) (1 - d)``. ``L`` is the median darkness of the column within 2 mm of the
    baseline; over the tick's rows (the rows around the baseline at least half that dark, and one more at
    either end) the trace is ``d = 1 - (1 - ink) / (1 - L)``. A column whose tick is at least 0.85 times as
    dark as the tick's darkest column (the pen's full darkness) leaves nothing to see and is blanked.
    """
    up, down = max(0, int(baseline - 2 * scale.px_per_mm_y)), min(ink.shape[0], int(baseline + 2 * scale.px_per_mm_y) + 1)
    centre = int(np.clip(round(baseline), 0, ink.shape[0] - 1))
    cols = np.flatnonzero(columns)
    levels = np.median(ink[up:down][:, cols], axis=0) if cols.size else np.zeros(0)
    for c, level in zip(cols, levels):
        dark = ink[:, c] >= level / 2
        if level >= _OPAQUE_TICK * levels.max() or not dark[centre]:
            band[:, c] = False
            continue
        clear_above, clear_below = np.flatnonzero(~dark[: centre + 1]), np.flatnonzero(~dark[centre:])
        lo = int(clear_above[-1]) if clear_above.size else 0  # the first clear row either side is included
        hi = centre + int(clear_below[0]) + 1 if clear_below.size else ink.shape[0]
        seen = np.clip(1 - (1 - ink[lo:hi, c]) / (1 - level), 0, 1)
        ink[lo:hi, c], band[lo:hi, c] = seen, seen > _INK_THRESHOLD


def _tick_stretch(
    mask: np.ndarray, baseline: float, boundary: float, scale: grid_mod.GridScale, x0: int, x1: int
) -> tuple[int, int] | None:
    """The columns ``[start, stop)`` of the separator tick at a cell boundary, or None where there is none.

    A tick is a stretch of columns within 1.5 mm of ``boundary`` inked from 2 mm above to 2 mm below the
    baseline (a thin line on some carts, a bar several pixels wide on others); of several, the one nearest
    ``boundary``. Only columns ``x0`` to ``x1`` are looked at.
    """
    xs = np.arange(x0, x1, dtype=float)
    near = np.abs(xs - boundary) <= 1.5 * scale.px_per_mm_x
    up, down = max(0, int(baseline - 2 * scale.px_per_mm_y)), int(baseline + 2 * scale.px_per_mm_y) + 1
    tall = np.zeros(xs.size, bool)
    tall[near] = mask[up:down, x0:x1][:, near].mean(axis=0) >= 0.9
    if not tall.any():
        return None
    edges = np.flatnonzero(np.diff(np.concatenate([[0], tall.astype(np.int8), [0]])))
    starts, stops = edges[::2], edges[1::2]
    k = int(np.argmin(np.abs((starts + stops - 1) / 2 - (boundary - x0))))
    return x0 + int(starts[k]), x0 + int(stops[k])


def _tick_columns(
    mask: np.ndarray, baseline: float, boundary: float, scale: grid_mod.GridScale, width: float, x0: int, x1: int,
    *, blur: bool,
) -> np.ndarray:
    """bool ``(x1 - x0,)``: the columns of the separator tick at a cell boundary (:func:`_tick_stretch`), with
    one pixel of blur either side where ``blur``; without a tick, the pen's width around ``boundary``."""
    xs = np.arange(x0, x1, dtype=float)
    stretch = _tick_stretch(mask, baseline, boundary, scale, x0, x1)
    if stretch is None:
        return np.abs(xs - boundary) <= width / 2
    return (xs >= stretch[0] - int(blur)) & (xs <= stretch[1] - 1 + int(blur))


def _tick_centre(
    ink: np.ndarray, mask: np.ndarray, baseline: float, boundary: float, scale: grid_mod.GridScale
) -> float | None:
    """Sub-pixel x of the separator tick near ``boundary``, or None where no tick stands clear of the trace.

    On each image row within 2 mm of the baseline where the tick's ink is one short horizontal run clear of
    the trace (the run ends inside a window two pixels wider than the tick on either side), the darkness
    centroid of the run and the pixel on either side of it (the anti-aliased or blurred fringe); the median
    over at least 5 such rows.
    """
    half_window = int(2 * scale.px_per_mm_x) + 1
    lo_x, hi_x = max(0, int(boundary) - half_window), min(mask.shape[1], int(boundary) + half_window + 1)
    stretch = _tick_stretch(mask, baseline, boundary, scale, lo_x, hi_x)
    if stretch is None or stretch[0] - 2 < 0 or stretch[1] + 2 > mask.shape[1]:
        return None
    a, b = stretch[0] - 2, stretch[1] + 2
    xs = np.arange(a, b, dtype=float)
    up, down = max(0, int(baseline - 2 * scale.px_per_mm_y)), min(mask.shape[0], int(baseline + 2 * scale.px_per_mm_y) + 1)
    centres = []
    for y in range(up, down):
        on = mask[y, a:b]
        edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
        if edges.size != 2 or on[0] or on[-1]:  # no ink, the trace across, or a second run
            continue
        first, stop = edges[0] - 1, edges[1] + 1
        weight = ink[y, a + first : a + stop]
        if weight.sum() > 0:
            centres.append(float(np.dot(weight, xs[first:stop]) / weight.sum()))
    return float(np.median(centres)) if len(centres) >= _TICK_ROWS else None


def _tick_starts(
    ink: np.ndarray, mask: np.ndarray, rows: list[Row], plan: list[tuple[str, ...]], scale: grid_mod.GridScale,
    row_px: float, width: float,
) -> list[Row]:
    """``rows`` with the trace start of rows that show separator ticks read from the ticks' centres.

    A row's start found from its first ink (:func:`~openecg.paper.layout.measure_row`) is whole pixels plus
    half the pen: up to half a pixel off, and a QRS stroke of 3 pixels per sample then reads a pixel off
    after the score's whole-sample alignment. A tick printed at a cell boundary is a vertical line whose
    centre is that boundary: cell ``k``'s tick at ``x_start + k * row_px / cells``. The median over a row's
    ticks replaces its start where it lies within the pen's width of the first-ink start (a tick farther
    off does not mark the cell start). A row without ticks (a rhythm strip) whose first-ink start lies within
    a pixel of those of rows with ticks shares their origin (a printout starts its rows in one column) and
    takes the median of their tick starts.
    """
    found: dict[int, float] = {}
    for r, (row, cells) in enumerate(zip(rows, plan)):
        if row.start_from_edge:
            continue
        cell_px = row_px / len(cells)
        starts = [c - k * cell_px for k in range(1, len(cells))
                  if (c := _tick_centre(ink, mask, row.baseline, row.x_start + k * cell_px, scale)) is not None]
        if starts and abs(float(np.median(starts)) - row.x_start) <= width:
            found[r] = float(np.median(starts))
    if not found:
        return rows
    shared = float(np.median(list(found.values())))
    ink_starts = [rows[r].x_start for r in found]
    out = []
    for r, row in enumerate(rows):
        if r in found:
            out.append(replace(row, x_start=found[r]))
        elif not row.start_from_edge and min(abs(row.x_start - s) for s in ink_starts) <= 1.0:
            out.append(replace(row, x_start=shared))
        else:
            out.append(row)
    return out


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
