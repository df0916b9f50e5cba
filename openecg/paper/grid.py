"""Reading the page: image loading, ink maps, page and skew correction, grid detection and mm calibration.

Images are handled as float32 RGB in [0, 1], ``(height, width, 3)``. "Ink" is darkness relative to the
local paper colour: the trace is dark in every channel, while coloured grid lines stay bright in at least one,
so the trace map uses the brightest channel and the grid map the darkest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

__all__ = [
    "load_image", "ink_maps", "rectify_page", "skew_angle", "rotate_maps", "GridScale", "grid_scale", "grid_lines",
]

_NOMINAL_PAGE_MM = 280.0
_MIN_GRID_INK = 0.018
_PAGE_CONTRAST = 0.3  # page minus background brightness of a photo: 0.45 to 0.6 measured; paper shading < 0.22  # mean grid darkness off the trace: printed grids give 0.03 to 0.1, blank paper < 0.01


def load_image(image_or_path: object) -> np.ndarray:
    """Read a path or take an array and return float32 RGB ``(height, width, 3)`` in [0, 1].

    Arrays may be uint8 or float in [0, 1], ``(height, width)`` grey, RGB or RGBA.
    """
    import cv2

    if isinstance(image_or_path, (str, os.PathLike)):
        path = os.fspath(image_or_path)
        if not os.path.isfile(path):
            raise ValueError(f"image_or_path={path!r} does not exist; give an image file (PNG, JPEG, TIFF) or an array")
        data = np.fromfile(path, np.uint8)
        decoded = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
        if decoded is None:
            raise ValueError(
                f"image_or_path={path!r} is not a readable image ({data.size} bytes starting {bytes(data[:8])!r}); "
                "give a PNG, JPEG, TIFF or BMP file"
            )
        return decoded[..., ::-1].astype(np.float32) / 255.0
    array = np.asarray(image_or_path)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or min(array.shape[:2]) < 32:
        raise ValueError(
            f"image has shape {array.shape}; allowed: (height, width), (height, width, 3) or (height, width, 4) "
            "with sides of at least 32 pixels"
        )
    array = array[..., :3]
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"image has dtype {array.dtype}; allowed: uint8 (0-255) or float (0-1)")
    return np.clip(array, 0, 1).astype(np.float32)


def _background(channel: np.ndarray, size: int) -> np.ndarray:
    """The paper brightness under thin dark strokes: a closing on a downscaled copy, blurred and upscaled."""
    import cv2

    height, width = channel.shape
    small = cv2.resize(channel, (max(8, width // 4), max(8, height // 4)), interpolation=cv2.INTER_AREA)
    k = max(3, size // 4) | 1
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    closed = cv2.GaussianBlur(closed, (0, 0), k / 2)
    return np.maximum(cv2.resize(closed, (width, height), interpolation=cv2.INTER_LINEAR), 0.05)


def ink_maps(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trace ink and grid ink, each float32 ``(height, width)`` in [0, 1] (1 = black on paper).

    The trace ink uses the brightest channel (coloured grid lines vanish), the grid ink the darkest.
    """
    size = max(rgb.shape[:2]) // 60
    bright, dark = rgb.max(axis=2), rgb.min(axis=2)
    trace = np.clip(1 - bright / _background(bright, size), 0, 1)
    grid = np.clip(1 - dark / _background(dark, size), 0, 1)
    return trace, grid


def rectify_page(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Find a page lying on a darker background and warp it to a rectangle (photo perspective).

    Returns the rectified image and the 3x3 homography used, or the input and None when no page outline
    (a bright quadrilateral clearly smaller than the image, on a clearly darker background) is found.
    """
    import cv2

    height, width = rgb.shape[:2]
    scale = 600 / max(height, width)
    small = cv2.resize(rgb.mean(axis=2), (int(width * scale), int(height * scale)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur((small * 255).astype(np.uint8), (5, 5), 0)
    _, bw = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(bw, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return rgb, None
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    area = cv2.contourArea(hull) / (small.shape[0] * small.shape[1])
    if not 0.2 < area < 0.9:
        return rgb, None
    inside = np.zeros_like(bw)
    cv2.fillPoly(inside, [hull], 255)
    outside = inside == 0
    # a page on a table: the outside is clearly darker and holds almost no paper-bright pixels; shading of a
    # wrinkled or stained page splits the page itself, with bright paper left outside and a weak contrast
    contrast = float(small[~outside].mean()) - float(small[outside].mean())
    if contrast < _PAGE_CONTRAST * 255 or (bw[outside] > 0).mean() > 0.05:
        return rgb, None
    quad = None
    for eps in (0.01, 0.02, 0.03, 0.05):
        approx = cv2.approxPolyDP(hull, eps * cv2.arcLength(hull, True), True)
        if len(approx) == 4:
            quad = approx[:, 0, :].astype(np.float64) / scale
            break
    if quad is None:
        return rgb, None
    total, diff = quad.sum(axis=1), quad[:, 1] - quad[:, 0]
    tl, br, tr, bl = quad[np.argmin(total)], quad[np.argmax(total)], quad[np.argmin(diff)], quad[np.argmax(diff)]
    out_w = int(round((np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2))
    out_h = int(round((np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2))
    dst = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], np.float32)
    h = cv2.getPerspectiveTransform(np.array([tl, tr, br, bl], np.float32), dst)
    return cv2.warpPerspective(rgb, h, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), h


def skew_angle(ink: np.ndarray, *, max_angle: float = 6.0) -> float:
    """The rotation in degrees that makes grid lines and baselines horizontal (0 when below 0.03 degrees).

    It maximises the variance of the row profile of ``ink`` (grid plus trace, float ``(height, width)``),
    searched coarse to fine on a 900-pixel-wide copy, then to 0.02 degrees on the full image (on the copy a
    tilt under about 0.1 degrees moves a row by a pixel or two, and the search may settle on 0).
    """
    import cv2

    height, width = ink.shape
    small = cv2.resize(ink, (900, max(8, int(height * 900 / width))), interpolation=cv2.INTER_AREA)

    def sharpness(image: np.ndarray, angle: float) -> float:
        m = cv2.getRotationMatrix2D((image.shape[1] / 2, image.shape[0] / 2), angle, 1.0)
        profile = cv2.warpAffine(image, m, image.shape[::-1], flags=cv2.INTER_LINEAR).sum(axis=1)
        return float(np.var(np.diff(profile)))

    best = 0.0
    for image, step, span in ((small, 0.5, max_angle), (small, 0.1, 0.5), (ink, 0.02, 0.1)):
        angles = best + np.arange(-span, span + step / 2, step)
        best = float(angles[int(np.argmax([sharpness(image, a) for a in angles]))])
    return best if abs(best) >= 0.03 else 0.0


def rotate_maps(maps: list[np.ndarray], angle: float) -> list[np.ndarray]:
    """Rotate each float ``(height, width)`` map by ``angle`` degrees about the centre (0 outside)."""
    import cv2

    if angle == 0.0:
        return maps
    height, width = maps[0].shape
    m = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return [cv2.warpAffine(x, m, (width, height), flags=cv2.INTER_LINEAR) for x in maps]


@dataclass(frozen=True)
class GridScale:
    """Pixels per millimetre along x and y, and whether a printed grid was found (else a page-width guess)."""

    px_per_mm_x: float
    px_per_mm_y: float
    found: bool


def _period(profile: np.ndarray, guess: float) -> float | None:
    """The 1 mm period in pixels of a grid profile, refined on a far multiple; None if no periodicity."""
    p = profile - np.convolve(profile, np.ones(31) / 31, mode="same")
    n = p.size
    spectrum = np.fft.rfft(p, 2 * n)
    ac = np.fft.irfft(np.abs(spectrum) ** 2)[:n]
    if ac[0] <= 0:
        return None
    ac = ac / ac[0]

    def peak(lo: float, hi: float) -> tuple[int, float] | None:
        lo_i, hi_i = max(2, int(np.floor(lo))), min(n - 2, int(np.ceil(hi)))
        if hi_i <= lo_i:
            return None
        k = lo_i + int(np.argmax(ac[lo_i : hi_i + 1]))
        if k in (lo_i, hi_i) or ac[k] < 0.15:
            return None
        return k, float(ac[k])

    for mm in (1, 5):
        found = peak(0.75 * mm * guess, 1.33 * mm * guess)
        if found is not None:
            period = found[0] / mm
            break
    else:
        return None
    m = 5
    while m * period < 0.45 * n:
        k0 = int(round(m * period))
        half = max(2, int(0.3 * period))
        lo, hi = max(1, k0 - half), min(n - 2, k0 + half)
        k = lo + int(np.argmax(ac[lo : hi + 1]))
        a, b, c = ac[k - 1], ac[k], ac[k + 1]
        denom = a - 2 * b + c
        period = (k + (0.5 * (a - c) / denom if denom < 0 else 0.0)) / m
        m *= 2
    return period


def grid_scale(grid_ink: np.ndarray, trace_mask: np.ndarray) -> GridScale:
    """Measure the grid's pixels per mm from the periodicity of grid-line profiles along x and y.

    ``grid_ink`` is float ``(height, width)``; trace pixels (``trace_mask``, bool) are left out. The search
    for the 1 mm period is centred on the scale at which the image would be a full page (280 mm wide); that
    scale is returned with ``found=False`` when the paper is too plain to hold a grid or no period shows.
    """
    import cv2

    height, width = grid_ink.shape
    guess = width / _NOMINAL_PAGE_MM
    clean = np.where(cv2.dilate(trace_mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0, 0, grid_ink)
    core = clean[height // 6 : height - height // 12, width // 12 : width - width // 12]
    if core.mean() < _MIN_GRID_INK:
        return GridScale(guess, guess, False)
    px, py = _period(core.mean(axis=0), guess), _period(core.mean(axis=1), guess)
    if px is None and py is None:
        return GridScale(guess, guess, False)
    px = px if px is not None else py
    py = py if py is not None else px
    return GridScale(float(px), float(py), True)


def grid_lines(grid_ink: np.ndarray, trace_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """bool ``(width,)`` columns and ``(height,)`` rows that carry a printed grid line.

    A line is a column (row) whose mean grid ink off the trace stands out from its neighbourhood by more
    than a third of the strongest such excess.
    """
    import cv2
    from scipy.ndimage import median_filter

    clean = np.where(cv2.dilate(trace_mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0, 0, grid_ink)
    out = []
    for axis in (0, 1):
        profile = clean.mean(axis=axis)
        excess = profile - median_filter(profile, size=31, mode="nearest")
        out.append(excess > max(1e-3, excess.max() / 3))
    return out[0], out[1]
