"""Degradations that make a clean printout look scanned or photographed, reproducible from a seed.

Each photometric step maps a float32 RGB image in [0, 1] to another; the geometric steps also return the
3x3 homography from input to output pixels so that annotations can follow. Presets:

- ``"scan"``: rotation up to 3 degrees, sensor noise, JPEG, blur, brightness/contrast and a colour cast;
- ``"photo"``: camera tilt up to 15 degrees (perspective) onto a table background, uneven light, a shadow,
  blur, noise and JPEG;
- ``"damaged"``: a scan with creases, wrinkles, stains and handwritten strokes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PRESETS", "degrade", "rotate", "perspective"]

PRESETS = ("scan", "photo", "damaged")


def degrade(image: np.ndarray, *, preset: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Apply the degradation ``preset`` to a uint8 RGB ``(height, width, 3)`` image.

    Returns the degraded uint8 RGB image and the float64 ``(3, 3)`` homography from input to output pixels.
    """
    if preset not in PRESETS:
        raise ValueError(f"degradation={preset!r} is not supported; allowed: {', '.join(PRESETS)} or None")
    rng = np.random.default_rng(seed)
    img = image.astype(np.float32) / 255.0
    h = np.eye(3)
    if preset in ("scan", "damaged"):
        img, h = rotate(img, angle=float(rng.uniform(-3, 3)))
        if preset == "damaged":
            img = creases(img, rng)
            img = stains(img, rng)
            img = strokes(img, rng)
        img = colour(img, rng, strength=0.12)
        img = blur(img, sigma=float(rng.uniform(0.3, 1.0)))
        img = noise(img, rng, sigma=float(rng.uniform(0.01, 0.03)))
        quality = int(rng.integers(50, 90))
    else:
        img, h = perspective(img, rng, max_tilt=15.0)
        img = lighting(img, rng)
        img = colour(img, rng, strength=0.15)
        img = blur(img, sigma=float(rng.uniform(0.5, 1.2)))
        img = noise(img, rng, sigma=float(rng.uniform(0.01, 0.04)))
        quality = int(rng.integers(50, 85))
    return jpeg(np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8), quality=quality), h


def rotate(img: np.ndarray, *, angle: float, fill: float = 0.97) -> tuple[np.ndarray, np.ndarray]:
    """Rotate by ``angle`` degrees (counter-clockwise) about the centre, same size, ``fill`` outside."""
    import cv2

    height, width = img.shape[:2]
    m = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    out = cv2.warpAffine(img, m, (width, height), flags=cv2.INTER_LINEAR, borderValue=(fill, fill, fill))
    return out, np.vstack([m, [0, 0, 1]])


def perspective(img: np.ndarray, rng: np.random.Generator, *, max_tilt: float) -> tuple[np.ndarray, np.ndarray]:
    """View the page through a camera tilted up to ``max_tilt`` degrees, on a darker table background."""
    import cv2

    height, width = img.shape[:2]
    f = 1.2 * max(height, width)
    k = np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1.0]])
    ax, ay = np.deg2rad(rng.uniform(-max_tilt, max_tilt, 2))
    az = np.deg2rad(rng.uniform(-4, 4))
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    h = k @ rz @ ry @ rx @ np.linalg.inv(k)
    corners = np.array([[0, 0, 1], [width, 0, 1], [width, height, 1], [0, height, 1]], float) @ h.T
    corners = corners[:, :2] / corners[:, 2:]
    span = corners.max(axis=0) - corners.min(axis=0)
    fit = float(rng.uniform(0.82, 0.92)) * min(width / span[0], height / span[1])
    offset = np.array([width, height]) / 2 - fit * (corners.max(axis=0) + corners.min(axis=0)) / 2
    h = np.array([[fit, 0, offset[0]], [0, fit, offset[1]], [0, 0, 1]]) @ h
    table = np.array(rng.uniform([0.25, 0.2, 0.15], [0.5, 0.42, 0.35]), np.float32)
    out = cv2.warpPerspective(img, h, (width, height), flags=cv2.INTER_LINEAR, borderValue=tuple(float(v) for v in table))
    return out, h


def lighting(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uneven light (a smooth gradient and a bright spot) and one soft shadow."""
    import cv2

    height, width = img.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    gx, gy = rng.uniform(-0.25, 0.25, 2)
    light = 1 + gx * (xx / width - 0.5) + gy * (yy / height - 0.5)
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    light += 0.12 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (0.3 * width) ** 2)
    shadow = np.zeros((height, width), np.float32)
    pts = (rng.uniform(0, 1, (4, 2)) * [width, height]).astype(np.int32)
    cv2.fillConvexPoly(shadow, cv2.convexHull(pts), 1.0)
    shadow = cv2.GaussianBlur(shadow, (0, 0), width / 30)
    light *= 1 - float(rng.uniform(0.15, 0.35)) * shadow
    return img * light[..., None]


def colour(img: np.ndarray, rng: np.random.Generator, *, strength: float) -> np.ndarray:
    """Brightness, contrast and a per-channel colour cast of up to ``strength``."""
    contrast = rng.uniform(1 - strength, 1 + strength)
    brightness = rng.uniform(-strength, strength) / 2
    cast = rng.uniform(1 - strength, 1 + strength / 3, 3).astype(np.float32)
    return ((img - 0.5) * contrast + 0.5 + brightness) * cast


def blur(img: np.ndarray, *, sigma: float) -> np.ndarray:
    """Gaussian blur of ``sigma`` pixels (focus or scanner optics)."""
    import cv2

    return cv2.GaussianBlur(img, (0, 0), sigma)


def noise(img: np.ndarray, rng: np.random.Generator, *, sigma: float) -> np.ndarray:
    """Additive Gaussian sensor noise of standard deviation ``sigma`` (image in [0, 1])."""
    return img + rng.normal(0, sigma, img.shape).astype(np.float32)


def jpeg(image: np.ndarray, *, quality: int) -> np.ndarray:
    """Round-trip a uint8 RGB image through JPEG at ``quality`` (1 to 100)."""
    import cv2

    ok, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].copy()


def creases(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fold creases and wrinkles: thin bright/dark lines with soft shading across the page."""
    import cv2

    height, width = img.shape[:2]
    shade = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        p0 = (int(rng.uniform(0, width)), 0) if rng.random() < 0.5 else (0, int(rng.uniform(0, height)))
        p1 = (int(rng.uniform(0, width)), height) if p0[1] == 0 else (width, int(rng.uniform(0, height)))
        cv2.line(shade, p0, p1, float(rng.choice([-1, 1])) * 0.25, max(1, width // 800))
    for _ in range(int(rng.integers(3, 8))):
        pts = (rng.uniform(0, 1, (3, 2)) * [width, height]).astype(np.int32)
        cv2.polylines(shade, [pts], False, float(rng.uniform(-0.08, 0.08)), max(1, width // 400))
    shade = cv2.GaussianBlur(shade, (0, 0), 1.5)
    return img * (1 + shade[..., None])


def stains(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Translucent brownish blots (coffee, water)."""
    import cv2

    height, width = img.shape[:2]
    mask = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        centre = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        axes = (int(rng.uniform(0.02, 0.08) * width), int(rng.uniform(0.02, 0.08) * width))
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, float(rng.uniform(0.2, 0.45)), -1)
    mask = cv2.GaussianBlur(mask, (0, 0), width / 200)
    tint = np.array([0.75, 0.6, 0.4], np.float32)
    return img * (1 - mask[..., None]) + img * tint * mask[..., None]


def strokes(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Handwritten-like pen strokes (wavy blue or black curves)."""
    import cv2

    height, width = img.shape[:2]
    out = np.ascontiguousarray(img)
    for _ in range(int(rng.integers(1, 4))):
        x0, y0 = rng.uniform(0.05, 0.8) * width, rng.uniform(0.02, 0.95) * height
        t = np.linspace(0, 1, 60)
        length = rng.uniform(0.05, 0.2) * width
        xs = x0 + t * length
        ys = y0 + rng.uniform(0.005, 0.02) * height * np.sin(2 * np.pi * t * rng.uniform(3, 8))
        pen = (0.1, 0.15, 0.55) if rng.random() < 0.6 else (0.1, 0.1, 0.1)
        pts = np.round(np.stack([xs, ys], 1) * 16).astype(np.int32)
        cv2.polylines(out, [pts], False, pen, max(1, width // 900), cv2.LINE_AA, 4)
    return out
