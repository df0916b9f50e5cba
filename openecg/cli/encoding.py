"""``openecg encode INPUT [-o OUT]``: encode a record into a codec file (``.oecg``), or into a stream file when
``OUT`` ends in ``.oecgs``; the summary line gives the output, the time taken, the beats and heart rate."""

from __future__ import annotations

import argparse
import time

from .common import CommandError, add_output_arguments, beside, checked_output, describe, progress, say, staged

__all__ = ["register", "run", "add_encode_arguments", "encode_file"]

SUFFIXES = (".oecg", ".oecgs")


def add_encode_arguments(parser: argparse.ArgumentParser, *, suffix: str) -> None:
    """The input and encoding options shared by ``encode`` and ``stream``."""
    parser.add_argument("input", help="WFDB record (name or .hea), EDF/BDF file, or .npy/.csv (samples, leads) in mV")
    add_output_arguments(parser, default=f"beside the input, with suffix {suffix}")
    parser.add_argument("--fs", type=float, default=None, help="sample rate in Hz (required for .npy and .csv)")
    parser.add_argument("--leads", default=None, help="comma-separated lead names or indices (default: all)")
    parser.add_argument("--model", default="default", help="registered model name (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=32, help="windows per model call (default: %(default)s)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "encode", help="encode a record (WFDB, EDF, .npy, CSV) into a codec file (.oecg)",
        description="Encode a record into a codec file (.oecg); -o FILE.oecgs writes a stream file instead.")
    add_encode_arguments(parser, suffix=".oecg")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return encode_file(args, suffix=".oecg")


def encode_file(args: argparse.Namespace, *, suffix: str) -> int:
    """Encode ``args.input`` into ``args.out`` (default: beside the input with ``suffix``) and print a summary.

    A stream file (``.oecgs``) is written as the work goes; interrupted, it is kept as ``OUT.part``.
    """
    from ..encode import encode_stream
    from ..codec import load_codec

    out = checked_output(args.out or beside(args.input, suffix), force=args.force)
    if out.suffix not in SUFFIXES:
        raise CommandError(f"--out {out} must end in .oecg (codec file) or .oecgs (stream file)")
    leads = [int(x) if x.isdigit() else x for x in args.leads.split(",")] if args.leads else None
    began = time.perf_counter()
    with staged([out], keep_partial=out.suffix == ".oecgs") as temp, \
            progress(args, unit="sample", description="encoding") as bar:
        options = dict(leads=leads, model=args.model, batch_size=args.batch_size, progress=bar)
        if out.suffix == ".oecgs":
            encode_stream(args.input, args.fs, sink=temp / out.name, **options)
        else:
            encode_stream(args.input, args.fs, **options).save(temp / out.name)
    codec = load_codec(out)
    say(args, f"wrote {out} in {time.perf_counter() - began:.1f} s: {codec.duration:.1f} s of ECG, {describe(codec)}")
    say(args, f"model {args.model}, batch size {args.batch_size}; {codec.n_samples} samples at {codec.fs:g} Hz, "
              f"{0 if codec.tokens() is None else codec.tokens().symbols.size} token runs", level=1)
    return 0
