"""``openecg render SOURCE OUTPUT``: ECG printout images with annotations, from a folder of WFDB records.

Per image: the PNG, ``.json`` (render info, segments with their pixel <-> (t, mV) mapping, boxes, homography),
``.yolo.txt`` (lead boxes) and ``.label.yolo.txt`` (lead-name boxes), ``.npy`` (the printed ground truth,
float32 ``(samples, leads)`` mV, NaN where not printed) and, with ``--masks``, ``.masks.npz``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from .common import CommandError, checked_output, say

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..paper.degrade import PRESETS
    from ..paper.page import GRID_COLOURS, PAGES_MM

    p = subparsers.add_parser("render", help="render ECG printout images with annotations from a folder of WFDB records",
                              description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("source", help="folder of WFDB records (.hea/.dat), searched recursively")
    p.add_argument("output", help="folder to write images, annotations and signals into")
    p.add_argument("--force", action="store_true", help="write into an output folder that is not empty")
    p.add_argument("--layout", default="3x4+1", help="3x4, 3x4+1..3, 6x2, 6x2+1, 12x1 or Nx1 (default 3x4+1)")
    p.add_argument("--per-record", type=int, default=1, help="images per record, each with its own seed")
    p.add_argument("--dpi", type=float, default=200.0)
    p.add_argument("--speed", type=float, default=25.0, help="paper speed in mm/s (25 or 50)")
    p.add_argument("--gain", type=float, default=10.0, help="gain in mm/mV (5, 10 or 20)")
    p.add_argument("--paper", default="letter", choices=sorted(PAGES_MM))
    p.add_argument("--grid", default="red", choices=list(GRID_COLOURS))
    p.add_argument("--degradation", default=None, choices=list(PRESETS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--masks", action="store_true", help="also write per-segment trace masks (.npz)")
    p.add_argument("--limit", type=int, default=None, help="render at most this many records")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import cv2
    import numpy as np
    from tqdm import tqdm

    from ..paper.annotate import trace_masks, yolo_labels
    from ..paper.printout import render
    from ..signal.io import read_wfdb

    began = time.perf_counter()
    source = Path(args.source)
    if not source.is_dir():
        raise CommandError(f"source {source} is not a folder; give a folder of WFDB records")
    output = checked_output(args.output, force=args.force, folder=True)
    headers = sorted(source.rglob("*.hea"), key=lambda p: (len(p.stem), str(p)))
    if not headers:
        raise CommandError(f"source {source} holds no WFDB header (.hea) files")
    output.mkdir(exist_ok=True)
    written = 0
    for header in tqdm(headers[: args.limit], desc="rendering", unit="record", leave=False,
                       disable=args.quiet or None):
        recording = read_wfdb(header)
        for k in range(args.per_record):
            seed = args.seed * 100003 + written
            result = render(recording, layout=args.layout, speed=args.speed, gain=args.gain, dpi=args.dpi,
                            paper_size=args.paper, grid=args.grid, degradation=args.degradation, seed=seed)
            stem = output / f"{header.stem}_{k}"
            if not cv2.imwrite(str(stem.with_suffix(".png")), result.image[..., ::-1]):
                raise OSError(f"could not write {stem.with_suffix('.png')}")
            segments = [
                {"lead": s.lead, "row": s.row, "col": s.col, "t0": s.t0, "t1": s.t1, "x0": s.x0,
                 "baseline": s.baseline, "px_per_s": s.px_per_s, "px_per_mv": s.px_per_mv}
                for s in result.segments
            ]
            meta = {"record": header.stem, "info": result.info, "segments": segments,
                    "boxes": list(result.boxes), "homography": result.homography.tolist()}
            Path(f"{stem}.json").write_text(json.dumps(meta, indent=1))
            Path(f"{stem}.yolo.txt").write_text(yolo_labels(result, kind="lead") + "\n")
            Path(f"{stem}.label.yolo.txt").write_text(yolo_labels(result, kind="label") + "\n")
            np.save(f"{stem}.npy", result.reference())
            if args.masks:
                np.savez_compressed(f"{stem}.masks.npz", masks=trace_masks(result))
            written += 1
    say(args, f"wrote {written} images to {output} in {time.perf_counter() - began:.1f} s")
    return 0
