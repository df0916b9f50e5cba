"""The ``openecg`` command line; each subcommand has its own parser setup and command function.

- ``openecg encode RECORD --out FILE`` encodes a WFDB record, an EDF file, or a ``.npy`` or CSV array (with
  ``--fs``) with a progress bar on stderr;
- ``openecg render SOURCE OUT`` renders ECG printout images with annotations from a folder of WFDB records.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

__all__ = ["main", "progress_bar"]


def progress_bar(stream: TextIO | None = None, *, width: int = 30) -> Callable[[int, int | None], None]:
    """A ``progress(done, total)`` callback that redraws a text bar on ``stream`` (default stderr)."""
    began = time.perf_counter()
    stream = stream or sys.stderr

    def show(done: int, total: int | None) -> None:
        elapsed = time.perf_counter() - began
        if total:
            filled = int(width * done / total)
            stream.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {100 * done / total:5.1f}% "
                         f"{done}/{total} samples {elapsed:6.1f} s")
        else:
            stream.write(f"\r{done} samples {elapsed:6.1f} s")
        stream.flush()

    return show


def _encode(args: argparse.Namespace) -> int:
    from .encode import encode_stream

    source = Path(args.record)
    leads = [int(x) if x.isdigit() else x for x in args.leads.split(",")] if args.leads else None
    bar = None if args.quiet else progress_bar()
    out = Path(args.out)
    options = dict(leads=leads, model=args.model, batch_size=args.batch_size, progress=bar)
    if out.suffix == ".oecgs":
        encode_stream(source, args.fs, sink=out, **options)
    else:
        encode_stream(source, args.fs, **options).save(out)
    if bar is not None:
        sys.stderr.write("\n")
    return 0


def _add_render_parser(subparsers: argparse._SubParsersAction) -> None:
    from .paper.degrade import PRESETS
    from .paper.page import GRID_COLOURS, PAGES_MM

    p = subparsers.add_parser("render", help="render ECG printout images with annotations from a WFDB folder")
    p.add_argument("source", help="folder of WFDB records (.hea/.dat), searched recursively")
    p.add_argument("output", help="folder to write images, annotations and signals into")
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
    p.set_defaults(run=_render_command)


def _render_command(args: argparse.Namespace) -> int:
    """Render every record under ``args.source`` and write ``<record>_<k>.png`` with its annotations.

    Per image: the PNG, ``.json`` (render info, segments with their pixel<->(t, mV) mapping, boxes,
    homography), ``.yolo.txt`` (lead boxes) and ``.label.yolo.txt`` (lead-name boxes), ``.npy`` (the printed
    ground truth, float32 (samples, leads) mV, NaN where not printed) and, with ``--masks``, ``.masks.npz``.
    """
    import cv2
    import numpy as np
    import wfdb

    from .paper.annotate import trace_masks, yolo_labels
    from .paper.printout import render
    from .signal.recording import Recording

    source, output = Path(args.source), Path(args.output)
    if not source.is_dir():
        raise ValueError(f"source={str(source)!r} is not a folder; give a folder of WFDB records")
    headers = sorted(source.rglob("*.hea"), key=lambda p: (len(p.stem), str(p)))
    if not headers:
        raise ValueError(f"source={str(source)!r} holds no WFDB header (.hea) files")
    output.mkdir(parents=True, exist_ok=True)
    written = 0
    for header in headers[: args.limit]:
        record = wfdb.rdrecord(str(header.with_suffix("")))
        signal = record.p_signal if record.p_signal is not None else record.dac()
        recording = Recording(np.asarray(signal, np.float32), fs=record.fs, lead_names=record.sig_name)
        for k in range(args.per_record):
            seed = args.seed * 100003 + written
            result = render(recording, layout=args.layout, speed=args.speed, gain=args.gain, dpi=args.dpi,
                            paper_size=args.paper, grid=args.grid, degradation=args.degradation, seed=seed)
            stem = output / f"{header.stem}_{k}"
            cv2.imwrite(str(stem.with_suffix(".png")), result.image[..., ::-1])
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
    print(f"wrote {written} images to {output}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = argparse.ArgumentParser(prog="openecg", description="Turn ECGs into label channels and wave tokens.")
    commands = parser.add_subparsers(dest="command", required=True)
    enc = commands.add_parser("encode", help="encode a record (WFDB, EDF or .npy) to a codec or stream file")
    enc.add_argument(
        "record", help="WFDB record (path without suffix or .hea), EDF file, or .npy/.csv (samples, leads) in mV"
    )
    enc.add_argument("--out", required=True,
                     help="output: FILE.oecg (codec container) or FILE.oecgs (stream file, written as it goes)")
    enc.add_argument("--fs", type=float, default=None, help="sample rate in Hz (required for .npy and .csv)")
    enc.add_argument("--leads", default=None, help="comma-separated lead names or indices (default: all)")
    enc.add_argument("--model", default="default", help="registered model name (default: %(default)s)")
    enc.add_argument("--batch-size", type=int, default=32, help="windows per model call (default: %(default)s)")
    enc.add_argument("--quiet", action="store_true", help="no progress bar")
    enc.set_defaults(run=_encode)
    _add_render_parser(commands)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except ValueError as error:
        parser.exit(2, f"openecg {args.command}: error: {error}\n")


if __name__ == "__main__":
    raise SystemExit(main())
