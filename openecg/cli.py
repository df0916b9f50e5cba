"""The ``openecg`` command line. ``openecg encode RECORD --out FILE`` encodes a WFDB record, an EDF file, or
a ``.npy`` or CSV array (with ``--fs``) with a progress bar on stderr."""

from __future__ import annotations

import argparse
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
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ValueError as error:
        parser.exit(2, f"openecg {args.command}: error: {error}\n")
