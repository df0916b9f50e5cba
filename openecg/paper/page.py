"""ECG paper: page sizes, grid colours, and the drawing primitives (grid, anti-aliased traces, text).

Coordinates are image pixels with the origin at the top-left pixel's centre, x to the right and y down;
a length of ``mm`` millimetres is ``mm * dpi / 25.4`` pixels. Images are uint8 RGB ``(height, width, 3)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PAGES_MM", "GRID_COLOURS", "px_per_mm", "blank_page", "draw_grid", "draw_polyline", "draw_text"]

PAGES_MM: dict[str, tuple[float, float]] = {"letter": (279.4, 215.9), "a4": (297.0, 210.0)}
"""Landscape page sizes ``(width, height)`` in mm."""

GRID_COLOURS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]] | None] = {
    "red": ((248, 196, 196), (232, 120, 120)),
    "pink": ((252, 218, 226), (240, 160, 182)),
    "blue": ((206, 222, 246), (128, 160, 226)),
    "green": ((206, 236, 212), (116, 190, 138)),
    "grey": ((214, 214, 214), (160, 160, 160)),
    "none": None,
}
"""RGB ``(minor, major)`` line colours of each grid style; ``"none"`` prints no grid."""

_SHIFT = 4  # fixed-point bits for sub-pixel drawing with opencv


def px_per_mm(dpi: float) -> float:
    """Pixels per millimetre at ``dpi`` dots per inch."""
    return float(dpi) / 25.4


def blank_page(*, paper: str, dpi: float, colour: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """A landscape page of ``paper`` size at ``dpi``: uint8 RGB ``(height, width, 3)`` filled with ``colour``."""
    if paper not in PAGES_MM:
        raise ValueError(f"paper={paper!r} is not supported; allowed: {', '.join(PAGES_MM)}")
    if not 50 <= dpi <= 1200:
        raise ValueError(f"dpi={dpi!r} is out of range; allowed: 50 to 1200 dots per inch (100 to 600 is typical)")
    width_mm, height_mm = PAGES_MM[paper]
    scale = px_per_mm(dpi)
    page = np.empty((int(round(height_mm * scale)), int(round(width_mm * scale)), 3), np.uint8)
    page[:] = colour
    return page


def _fixed(value: float) -> int:
    return int(round(value * (1 << _SHIFT)))


def draw_grid(image: np.ndarray, *, box: tuple[float, float, float, float], scale: float, style: str) -> None:
    """Draw 1 mm minor and 5 mm major lines inside ``box`` = ``(x0, y0, x1, y1)`` pixels, in place.

    ``scale`` is pixels per mm; ``style`` a key of :data:`GRID_COLOURS`. Lines start at ``(x0, y0)``.
    """
    import cv2

    if style not in GRID_COLOURS:
        raise ValueError(f"grid={style!r} is not supported; allowed: {', '.join(GRID_COLOURS)}")
    colours = GRID_COLOURS[style]
    if colours is None:
        return
    x0, y0, x1, y1 = box
    n_x = int(np.floor((x1 - x0) / scale + 1e-6))
    n_y = int(np.floor((y1 - y0) / scale + 1e-6))
    for major in (False, True):
        colour = colours[1] if major else colours[0]
        width = max(1, int(round(scale * (0.2 if major else 0.1))))
        for i in range(n_x + 1):
            if (i % 5 == 0) == major:
                x = _fixed(x0 + i * scale)
                cv2.line(image, (x, _fixed(y0)), (x, _fixed(y0 + n_y * scale)), colour, width, cv2.LINE_AA, _SHIFT)
        for j in range(n_y + 1):
            if (j % 5 == 0) == major:
                y = _fixed(y0 + j * scale)
                cv2.line(image, (_fixed(x0), y), (_fixed(x0 + n_x * scale), y), colour, width, cv2.LINE_AA, _SHIFT)


def draw_polyline(
    image: np.ndarray, x: np.ndarray, y: np.ndarray, *, width: float, colour: int | tuple[int, int, int]
) -> None:
    """Draw the anti-aliased polyline through pixel points ``(x[i], y[i])`` in place; NaN points break it.

    ``width`` is the line thickness in pixels (at least 1).
    """
    import cv2

    points = np.stack([np.asarray(x, float), np.asarray(y, float)], axis=1)
    finite = np.isfinite(points).all(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite.astype(np.int8), [0]])))
    pieces = [
        np.round(points[start:stop] * (1 << _SHIFT)).astype(np.int32) for start, stop in zip(edges[::2], edges[1::2])
    ]
    if pieces:
        thickness = max(1, int(round(width)))
        cv2.polylines(image, pieces, False, colour, thickness, cv2.LINE_AA, _SHIFT)


def draw_text(
    image: np.ndarray, text: str, *, x: float, y: float, height: float, colour: tuple[int, int, int] = (0, 0, 0)
) -> tuple[int, int, int, int]:
    """Write ``text`` with its baseline-left corner at pixel ``(x, y)`` and cap height ``height`` pixels.

    Returns the text's box ``(x0, y0, x1, y1)`` in pixels.
    """
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = height / 22.0
    thickness = max(1, int(round(height / 10)))
    (w, h), base = cv2.getTextSize(text, font, scale, thickness)
    cv2.putText(image, text, (int(round(x)), int(round(y))), font, scale, colour, thickness, cv2.LINE_AA)
    return int(round(x)), int(round(y - h)), int(round(x + w)), int(round(y + base))
