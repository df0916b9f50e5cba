"""Reading the printed lead names: template matching against rendered glyphs of the 12 standard names.

A cell's name is printed near its start (above the trace on most carts). The ink blobs there are gathered,
cut to their bounding box and compared with each name rendered in the common printer fonts (OpenCV's
Hershey sans, DejaVu Sans as matplotlib and ECG-Image-Kit print it, Pillow's default sans), all scaled to
the same height. No OCR engine and nothing downloaded: the templates are drawn on first use.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .grid import GridScale
from .printout import STANDARD_LEADS

__all__ = ["LabelReading", "read_label", "read_cell_labels"]

_HEIGHT = 24  # template rows after scaling the name's bounding box
_MIN_SCORE = 0.7  # a reading below this is no reading


class LabelReading(NamedTuple):
    """The best-matching lead name (None: nothing read) and its match score in [0, 1]."""

    name: str | None
    score: float


def _font_renderers() -> list:
    """Functions ``text -> bool (height, width) ink`` for the fonts available here."""
    import cv2

    def hershey(font: int, thickness: int):
        def draw(text: str) -> np.ndarray:
            (w, h), base = cv2.getTextSize(text, font, 2.0, thickness)
            canvas = np.zeros((h + base + 8, w + 8), np.uint8)
            cv2.putText(canvas, text, (4, h + 4), font, 2.0, 255, thickness, cv2.LINE_AA)
            return canvas > 127

        return draw

    renderers = [hershey(cv2.FONT_HERSHEY_SIMPLEX, 4), hershey(cv2.FONT_HERSHEY_SIMPLEX, 2), hershey(cv2.FONT_HERSHEY_DUPLEX, 2)]
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        return renderers
    fonts = [ImageFont.load_default(size=48)]
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "Arial.ttf", "LiberationSans-Regular.ttf"):
        try:
            fonts.append(ImageFont.truetype(name, 48))
        except OSError:
            continue
    for font in fonts:
        def draw(text: str, font=font) -> np.ndarray:
            canvas = Image.new("L", (60 * len(text) + 20, 80), 0)
            ImageDraw.Draw(canvas).text((10, 10), text, fill=255, font=font)
            return np.asarray(canvas) > 127

        renderers.append(draw)
    return renderers


def _normalise(ink: np.ndarray) -> np.ndarray | None:
    """The ink's bounding box scaled to :data:`_HEIGHT` rows (width in proportion), float in [0, 1]."""
    import cv2

    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size < 2 or cols.size < 1:
        return None
    box = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32)
    width = max(1, int(round(box.shape[1] * _HEIGHT / box.shape[0])))
    # a blank border, so that a solid bar (the name "I") still has a shape to correlate
    return np.pad(cv2.resize(box, (width, _HEIGHT), interpolation=cv2.INTER_AREA), 2)


@lru_cache(maxsize=1)
def _templates() -> tuple[tuple[str, np.ndarray], ...]:
    out = []
    for draw in _font_renderers():
        for name in STANDARD_LEADS:
            shape = _normalise(draw(name))
            if shape is not None:
                out.append((name, shape))
    return tuple(out)


def _similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two normalised glyph images after stretching ``a`` to ``b``'s width, less a penalty
    for unequal aspect ratios."""
    import cv2

    stretched = cv2.resize(a, (b.shape[1], b.shape[0]), interpolation=cv2.INTER_AREA)
    x, y = stretched - stretched.mean(), b - b.mean()
    corr = float(np.sum(x * y) / (np.sqrt(np.sum(x * x) * np.sum(y * y)) + 1e-9))
    return corr - 0.5 * abs(np.log(a.shape[1] / b.shape[1]))


def read_label(ink: np.ndarray) -> LabelReading:
    """The lead name printed in a bool ``(height, width)`` crop that holds only the name's ink.

    Returns the best name and its score (template correlation less an aspect penalty, clipped to [0, 1]);
    ``(None, score)`` when no name scores at least 0.7.

    Examples
    --------
    >>> import cv2
    >>> canvas = np.zeros((40, 120), np.uint8)
    >>> _ = cv2.putText(canvas, "aVL", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2)
    >>> read_label(canvas > 127).name
    'aVL'
    """
    shape = _normalise(np.asarray(ink, bool))
    if shape is None:
        return LabelReading(None, 0.0)
    best: dict[str, float] = {}
    for name, template in _templates():
        best[name] = max(best.get(name, -1.0), _similarity(shape, template))
    name = max(best, key=best.get)
    score = float(np.clip(best[name], 0.0, 1.0))
    return LabelReading(name if score >= _MIN_SCORE else None, score)


def read_cell_labels(
    mask: np.ndarray, baseline: float, starts: list[float], scale: GridScale, *, spacing: float
) -> list[LabelReading]:
    """The names printed at the starts of a row's cells.

    The name of a cell is the chain of small ink blobs (0.8 to 6 mm tall, apart from the trace) whose first
    blob (of those nearest the baseline) starts within 1 mm before to 4 mm after the cell start, in the row's band (from 0.7 row ``spacing``
    above ``baseline`` to 0.4 below: names sit above their trace); blobs join the chain while they start within 1.5 mm of its right
    end and overlap it vertically.

    Parameters
    ----------
    mask : numpy.ndarray
        bool ``(height, width)`` trace ink of the rectified page.
    baseline : float
        The row's 0 mV line, pixels.
    starts : list of float
        x of each cell's start, pixels.
    scale : GridScale
        Pixels per mm.
    spacing : float
        Distance between rows, pixels.

    Returns
    -------
    list of LabelReading
        One per cell start.
    """
    import cv2

    mm_x, mm_y = scale.px_per_mm_x, scale.px_per_mm_y
    y0, y1 = max(0, int(baseline - 0.7 * spacing)), min(mask.shape[0], int(baseline + 0.4 * spacing))
    band = mask[y0:y1].astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(band, connectivity=8)
    left, top = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP]
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    small = (h >= 0.8 * mm_y) & (h <= 6 * mm_y) & (w <= 8 * mm_x)
    out = []
    for x in starts:
        seeds = np.flatnonzero(small & (left >= x - mm_x) & (left <= x + 4 * mm_x))
        if seeds.size == 0:
            out.append(LabelReading(None, 0.0))
            continue
        # the name nearest the trace: header text or a neighbour's name may also start there
        near = seeds[np.argmin(np.abs(top[seeds] + h[seeds] / 2 + y0 - baseline))]
        line = seeds[(top[seeds] < top[near] + h[near]) & (top[seeds] + h[seeds] > top[near])]
        chain = [int(line[np.argmin(left[line])])]
        right, lo, hi = left[chain[0]] + w[chain[0]], top[chain[0]], top[chain[0]] + h[chain[0]]
        for k in np.flatnonzero(small)[np.argsort(left[small])]:
            if k in chain or left[k] < left[chain[0]]:
                continue
            if left[k] <= right + 1.5 * mm_x and top[k] < hi and top[k] + h[k] > lo:
                chain.append(int(k))
                right, lo, hi = max(right, left[k] + w[k]), min(lo, top[k]), max(hi, top[k] + h[k])
        x0 = int(left[chain].min())
        crop = np.isin(labels[lo:hi, x0:right], np.array(chain) + 1)
        out.append(read_label(crop))
    return out
