"""Render a recording as an ECG printout: layout geometry, page drawing, degradation and annotations.

A layout is a list of printed rows; each row holds equal-length cells, one lead per cell, side by side in
time. ``"3x4"`` prints three rows of four leads (2.5 s each at 25 mm/s), ``"3x4+k"`` adds ``k`` full-length
rhythm strips, ``"6x2"`` and ``"6x2+1"`` are the two-column formats, ``"12x1"`` one lead per row, and
``"Nx1"`` (``N`` from 1 to 12) the first ``N`` leads of any record, one per row. Every row starts with a
1 mV, 0.2 s calibration pulse, then a 1 mm gap, then 250 mm of trace: 10 s at 25 mm/s, 5 s at 50 mm/s.

Examples
--------
>>> layout_rows("3x4+1", ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"))[3]
('II',)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..signal.recording import Recording
from . import page

__all__ = ["STANDARD_LEADS", "LAYOUTS", "layout_rows", "canonical_lead", "Segment", "RenderResult", "render"]

STANDARD_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
LAYOUTS = ("3x4", "3x4+1", "3x4+2", "3x4+3", "6x2", "6x2+1", "12x1", "Nx1")
SPEEDS = (25.0, 50.0)
GAINS = (5.0, 10.0, 20.0)
TRACE_MM = 250.0
MARGIN_MM, HEADER_MM, BOTTOM_MM = 6.0, 20.0, 6.0
PULSE_AT_MM = 2.0
_STANDARD_ROWS = {
    "3x4": (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6")),
    "6x2": (("I", "V1"), ("II", "V2"), ("III", "V3"), ("aVR", "V4"), ("aVL", "V5"), ("aVF", "V6")),
    "12x1": tuple((name,) for name in STANDARD_LEADS),
}


def canonical_lead(name: str) -> str:
    """The standard spelling of a lead name (``"avr"`` -> ``"aVR"``); other names are returned unchanged."""
    for standard in STANDARD_LEADS:
        if standard.lower() == str(name).strip().lower():
            return standard
    return str(name)


def layout_rows(
    layout: str, lead_names: Sequence[str], *, rhythm_leads: Sequence[str] = ("II", "V1", "V5")
) -> tuple[tuple[str, ...], ...]:
    """The printed rows of ``layout``: one tuple of lead names per row, cells in time order.

    Parameters
    ----------
    layout : str
        One of :data:`LAYOUTS`, with ``N`` a number for ``"Nx1"``.
    lead_names : sequence of str
        The record's leads; standard layouts need the 12 standard leads.
    rhythm_leads : sequence of str
        Leads of the ``k`` rhythm strips of ``"3x4+k"`` and ``"6x2+1"``, first ``k`` used.
    """
    names = tuple(canonical_lead(n) for n in lead_names)
    match = re.fullmatch(r"(3x4|6x2|12x1)(?:\+([0-3]))?|(\d+)x1", str(layout))
    if match is None or (match.group(1) == "6x2" and match.group(2) not in (None, "1")) or (
        match.group(1) == "12x1" and match.group(2) is not None
    ):
        raise ValueError(f"layout={layout!r} is not supported; allowed: {', '.join(LAYOUTS)} (N from 1 to 12)")
    if match.group(3) is not None:
        n_rows = int(match.group(3))
        if not 1 <= n_rows <= min(12, len(names)):
            raise ValueError(f"layout={layout!r} needs {n_rows} leads but the record has {len(names)}; use N from 1 to {len(names)}")
        return tuple((name,) for name in names[:n_rows])
    missing = [lead for lead in STANDARD_LEADS if lead not in names]
    if missing:
        raise ValueError(
            f"layout={layout!r} needs the 12 standard leads; the record lacks {', '.join(missing)}: use layout='Nx1'"
        )
    strips = int(match.group(2) or 0)
    rhythm = tuple(canonical_lead(n) for n in rhythm_leads)[:strips]
    if len(rhythm) < strips or any(lead not in names for lead in rhythm):
        raise ValueError(f"rhythm_leads={tuple(rhythm_leads)!r} must name {strips} of the record's leads for layout={layout!r}")
    return _STANDARD_ROWS[match.group(1)] + tuple((lead,) for lead in rhythm)


@dataclass(frozen=True)
class Segment:
    """One printed cell: lead ``lead`` from record time ``t0`` to ``t1`` seconds.

    ``x0`` is the page-pixel x of time ``t0`` and ``baseline`` the page-pixel y of 0 mV; ``px_per_s`` and
    ``px_per_mv`` scale time and voltage. ``signal`` holds the printed samples (float32 mV at ``fs``), the
    first at time ``t0``.
    """

    lead: str
    row: int
    col: int
    t0: float
    t1: float
    x0: float
    baseline: float
    px_per_s: float
    px_per_mv: float
    signal: np.ndarray = field(repr=False)
    fs: float

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """Page pixels ``(x, y)`` of every printed sample, float64 ``(samples,)`` each (NaN where missing)."""
        x = self.x0 + np.arange(self.signal.size) / self.fs * self.px_per_s
        return x, self.baseline - self.signal.astype(np.float64) * self.px_per_mv


@dataclass(frozen=True)
class RenderResult:
    """A rendered printout and its annotations.

    Attributes
    ----------
    image : numpy.ndarray
        uint8 RGB ``(height, width, 3)``.
    segments : tuple of Segment
        Every printed cell, in page pixels.
    homography : numpy.ndarray
        float64 ``(3, 3)`` mapping page pixels to image pixels (identity without geometric degradation).
    boxes : tuple of dict
        ``{"kind": "lead" | "label", "lead", "segment", "box": (x0, y0, x1, y1)}`` in image pixels.
    info : dict
        layout, speed, gain, dpi, paper, grid, seed, start, fs, lead names, page size, line width.
    """

    image: np.ndarray = field(repr=False)
    segments: tuple[Segment, ...]
    homography: np.ndarray = field(repr=False)
    boxes: tuple[dict, ...]
    info: dict

    def to_pixel(self, segment: int, t: np.ndarray, mv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image pixels ``(x, y)`` of record time ``t`` (s) and voltage ``mv`` printed in ``segments[segment]``."""
        seg = self.segments[segment]
        x = seg.x0 + (np.asarray(t, float) - seg.t0) * seg.px_per_s
        y = seg.baseline - np.asarray(mv, float) * seg.px_per_mv
        return _apply(self.homography, x, y)

    def to_signal(self, segment: int, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Record time (s) and voltage (mV) of image pixels ``(x, y)`` inside ``segments[segment]``."""
        seg = self.segments[segment]
        px, py = _apply(np.linalg.inv(self.homography), x, y)
        return seg.t0 + (px - seg.x0) / seg.px_per_s, (seg.baseline - py) / seg.px_per_mv

    def reference(self) -> np.ndarray:
        """Ground truth of the printout: float32 ``(samples, leads)`` mV over the printed time span at ``fs``.

        Leads follow ``info["lead_names"]``; NaN where a lead was not printed. A lead printed twice (a cell and
        a rhythm strip) takes the values of both, which are the same samples.
        """
        fs, start = self.info["fs"], self.info["start"]
        n = int(round(self.info["row_seconds"] * fs))
        names = list(self.info["lead_names"])
        out = np.full((n, len(names)), np.nan, np.float32)
        for seg in self.segments:
            first = int(round((seg.t0 - start) * fs))
            stop = min(n, first + seg.signal.size)
            out[first:stop, names.index(seg.lead)] = seg.signal[: stop - first]
        return out


def _apply(h: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, float), np.asarray(y, float)
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    return (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / w, (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / w


def _choice(value: float, allowed: tuple[float, ...], name: str) -> float:
    if float(value) not in allowed:
        raise ValueError(f"{name}={value!r} is not supported; allowed: {', '.join(f'{a:g}' for a in allowed)}")
    return float(value)


def render(
    recording: Recording,
    *,
    layout: str = "3x4+1",
    rhythm_leads: Sequence[str] = ("II", "V1", "V5"),
    speed: float = 25.0,
    gain: float = 10.0,
    dpi: float = 200.0,
    paper_size: str = "letter",
    grid: str = "red",
    start: float | None = None,
    degradation: str | None = None,
    seed: int = 0,
    labels: bool = True,
    separators: bool = True,
    header: bool = True,
    line_width_mm: float = 0.3,
) -> RenderResult:
    """Print ``recording`` as an ECG page, reproducibly from ``seed``.

    Parameters
    ----------
    recording : Recording
        Signal in mV, ``(samples, leads)`` at ``recording.fs``; standard layouts need the 12 standard leads.
    layout : str
        See :func:`layout_rows`.
    rhythm_leads : sequence of str
        Leads of the rhythm strips (lead II first by default).
    speed, gain : float
        Paper speed in mm/s (25 or 50) and gain in mm/mV (5, 10 or 20).
    dpi : float
        Resolution in dots per inch (100 to 600 typical).
    paper_size : str
        ``"letter"`` or ``"a4"``, landscape.
    grid : str
        A key of :data:`openecg.paper.page.GRID_COLOURS`.
    start : float or None
        Record time in seconds printed first; None draws it from ``seed``.
    degradation : str or None
        None, or a preset of :func:`openecg.paper.degrade.degrade` (``"scan"``, ``"photo"``, ...).
    seed : int
        Seed of every random choice; the same arguments and seed give the same image.
    labels, separators, header : bool
        Print lead names, separator ticks between cells, and a text header.
    line_width_mm : float
        Trace thickness in mm.

    Returns
    -------
    RenderResult
    """
    from .degrade import degrade

    if not isinstance(recording, Recording):
        raise ValueError(f"recording must be an openecg Recording, got {type(recording).__name__}; wrap arrays as Recording(signal, fs=...)")
    speed, gain = _choice(speed, SPEEDS, "speed"), _choice(gain, GAINS, "gain")
    names = tuple(canonical_lead(n) for n in recording.lead_names)
    rows = layout_rows(layout, names, rhythm_leads=rhythm_leads)
    rng = np.random.default_rng(seed)
    image = page.blank_page(paper=paper_size, dpi=dpi)
    scale = page.px_per_mm(dpi)
    fs = recording.fs
    page_w, page_h = page.PAGES_MM[paper_size]
    grid_w = np.floor((page_w - 2 * MARGIN_MM) / 5) * 5
    grid_h = np.floor((page_h - HEADER_MM - BOTTOM_MM) / 5) * 5
    lead_in = PULSE_AT_MM + 3 + 0.2 * speed
    row_seconds = min(TRACE_MM, grid_w - lead_in) / speed
    latest = max(0.0, recording.duration - row_seconds)
    begin = float(rng.uniform(0, latest)) if start is None else float(start)
    if not 0 <= begin <= latest + 1e-9:
        raise ValueError(f"start={start!r} is outside the record; allowed: 0 to {latest:g} s for {row_seconds:g} s rows")
    begin = round(begin * fs) / fs
    left, top = (page_w - grid_w) / 2, HEADER_MM
    page.draw_grid(image, box=(left * scale, top * scale, (left + grid_w) * scale, (top + grid_h) * scale), scale=scale, style=grid)
    width = line_width_mm * scale
    spacing = grid_h / len(rows)
    px_per_s, px_per_mv = speed * scale, gain * scale
    trace_x = (left + lead_in) * scale
    segments, boxes = [], []
    for r, cells in enumerate(rows):
        base = (top + (r + 0.6) * spacing) * scale
        pulse = np.array([0, 1, 1, 1 + 0.2 * speed, 1 + 0.2 * speed, 2 + 0.2 * speed]) + left + PULSE_AT_MM
        page.draw_polyline(image, pulse * scale, base - np.array([0, 0, 1, 1, 0, 0]) * px_per_mv, width=width, colour=(0, 0, 0))
        cell_s = row_seconds / len(cells)
        for c, lead in enumerate(cells):
            t0 = begin + c * cell_s
            first = int(round(t0 * fs))
            stop = min(int(round((t0 + cell_s) * fs)), recording.n_samples)
            values = recording.signal[first:stop, names.index(lead)].copy()
            x0 = trace_x + c * cell_s * px_per_s
            segments.append(Segment(lead, r, c, t0, t0 + cell_s, x0, base, px_per_s, px_per_mv, values, fs))
            xs, ys = segments[-1].points()
            page.draw_polyline(image, xs, ys, width=width, colour=(0, 0, 0))
            finite = np.isfinite(ys)
            if finite.any():
                boxes.append({"kind": "lead", "lead": lead, "segment": len(segments) - 1,
                              "box": (xs[0] - width, ys[finite].min() - width, xs[-1] + width, ys[finite].max() + width)})
            if separators and c > 0:
                page.draw_polyline(image, np.array([x0, x0]), base + np.array([-2.5, 2.5]) * scale, width=width, colour=(0, 0, 0))
            if labels:
                box = page.draw_text(image, lead, x=x0 + 1.0 * scale, y=base - 0.42 * spacing * scale, height=2.5 * scale)
                boxes.append({"kind": "label", "lead": lead, "segment": len(segments) - 1, "box": box})
    if header:
        text = f"openecg render   {speed:g} mm/s   {gain:g} mm/mV   {fs:g} Hz   seed {seed}"
        page.draw_text(image, text, x=left * scale, y=8 * scale, height=3 * scale)
        page.draw_text(image, f"{layout}   start {begin:.3f} s   {', '.join(names)}", x=left * scale, y=14 * scale, height=2.5 * scale)
    page_px = [int(image.shape[1]), int(image.shape[0])]
    homography = np.eye(3)
    if degradation is not None:
        image, homography = degrade(image, preset=degradation, seed=int(rng.integers(2**31)))
    boxes = [dict(b, box=warp_box(homography, b["box"])) for b in boxes]
    info = {
        "layout": layout, "rows": [list(cells) for cells in rows], "speed": speed, "gain": gain, "dpi": float(dpi),
        "paper": paper_size, "grid": grid, "seed": seed, "start": begin, "row_seconds": row_seconds, "fs": fs,
        "lead_names": list(names), "page_px": page_px,
        "line_width_px": float(width), "degradation": degradation,
    }
    return RenderResult(image, tuple(segments), homography, tuple(boxes), info)


def warp_box(h: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The axis-aligned bounding box of ``box`` = ``(x0, y0, x1, y1)`` after the homography ``h``."""
    x0, y0, x1, y1 = box
    x, y = _apply(h, np.array([x0, x1, x1, x0]), np.array([y0, y0, y1, y1]))
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())
