"""Annotations of a rendered printout: YOLO box labels, per-lead trace masks, and lead crops with overlaps.

Masks are redrawn from each :class:`~openecg.paper.printout.Segment` alone with the same pen as the
printout and mapped through the render's homography, so a mask pixel is a pixel the trace darkened, and a
lead's mask stays clean where a neighbouring lead's trace crosses it.
"""

from __future__ import annotations

import numpy as np

from . import page
from .printout import RenderResult, warp_box

__all__ = ["yolo_labels", "trace_masks", "lead_crops"]

_KINDS = ("lead", "label")


def yolo_labels(result: RenderResult, *, kind: str = "lead") -> str:
    """YOLO text labels of the ``kind`` boxes (``"lead"`` or ``"label"``): one line per box.

    Each line is ``class x_centre y_centre width height``, normalised to the image size, with ``class`` the
    lead's index in ``result.info["lead_names"]``.

    Examples
    --------
    >>> import numpy as np
    >>> from openecg.signal import Recording
    >>> from openecg.paper.printout import render
    >>> result = render(Recording(np.zeros((5000, 2)), fs=500), layout="2x1", dpi=100, header=False)
    >>> yolo_labels(result).splitlines()[0].split()[0]
    '0'
    """
    if kind not in _KINDS:
        raise ValueError(f"kind={kind!r} is not supported; allowed: {', '.join(_KINDS)}")
    height, width = result.image.shape[:2]
    names = result.info["lead_names"]
    lines = []
    for box in result.boxes:
        if box["kind"] != kind:
            continue
        x0, y0, x1, y1 = np.clip(box["box"], 0, [width, height, width, height])
        lines.append(
            f"{names.index(box['lead'])} {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} "
            f"{(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}"
        )
    return "\n".join(lines)


def trace_masks(result: RenderResult) -> np.ndarray:
    """bool ``(segments, height, width)``: the pixels of each printed segment's trace in the image.

    A pixel belongs to a segment where the segment's own pen stroke covers at least half of it.
    """
    import cv2

    height, width = result.image.shape[:2]
    page_w, page_h = result.info["page_px"]
    masks = np.zeros((len(result.segments), height, width), bool)
    warp = not np.allclose(result.homography, np.eye(3))
    for i, segment in enumerate(result.segments):
        canvas = np.zeros((page_h, page_w), np.uint8)
        x, y = segment.points()
        page.draw_polyline(canvas, x, y, width=result.info["line_width_px"], colour=255)
        if warp:
            canvas = cv2.warpPerspective(canvas, result.homography, (width, height), flags=cv2.INTER_LINEAR)
        masks[i] = canvas >= 128
    return masks


def lead_crops(result: RenderResult, *, masks: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """One ``(image, mask)`` crop per segment: the segment's time span over its whole row band.

    The band reaches the neighbouring rows' baselines, so neighbours' deflections that overlap the target
    appear in the image crop while the mask crop holds only the target's trace. Coordinates are those of the
    undegraded page mapped through the homography (the crop is the bounding box of the mapped band).
    """
    if masks is None:
        masks = trace_masks(result)
    height, width = result.image.shape[:2]
    spacing = np.median(np.diff(sorted({s.baseline for s in result.segments}))) if len(result.segments) > 1 else 200.0
    crops = []
    for i, segment in enumerate(result.segments):
        x1 = segment.x0 + (segment.t1 - segment.t0) * segment.px_per_s
        box = warp_box(result.homography, (segment.x0, segment.baseline - spacing, x1, segment.baseline + spacing))
        c0, r0 = max(0, int(box[0])), max(0, int(box[1]))
        c1, r1 = min(width, int(np.ceil(box[2]))), min(height, int(np.ceil(box[3])))
        crops.append((result.image[r0:r1, c0:c1], masks[i, r0:r1, c0:c1]))
    return crops
