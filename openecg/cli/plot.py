"""``openecg plot INPUT -o OUT.png|svg|pdf [--kind strip|12lead|overview] [--start S] [--duration S]``.

A strip or a 12-lead page of a record reads and encodes only the shown stretch, with 10 s of context on each
side (clipped at the record's ends); the overview encodes the whole record, chunk by chunk. An encoded result
(``.oecg`` / ``.oecgs``) holds no signal, so it gives the overview only.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..errors import InputError
from .report import lead_list, load_result, output_path

__all__ = ["register", "run", "KINDS", "CONTEXT_S"]

KINDS = ("strip", "12lead", "overview")
CONTEXT_S = 10.0
"""Seconds encoded on each side of a plotted stretch, so its labels come from windows with full context."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plot", help="plot a record with its labels (PNG, SVG, PDF)",
        description="Plot an ECG strip or 12-lead page on ECG paper with its waves, beats and rhythm, or the "
                    "Holter overview (heart rate, rhythm, ectopy).")
    parser.add_argument("input", help="WFDB record, EDF file, .npy/.csv (with --fs), or an .oecg/.oecgs result")
    parser.add_argument("-o", "--out", default=None, help="output .png, .svg or .pdf (default: beside the input, .png)")
    parser.add_argument("--force", action="store_true", help="overwrite outputs that exist")
    parser.add_argument("--kind", choices=KINDS, default="strip", help="what to draw (default: %(default)s)")
    parser.add_argument("--start", type=float, default=0.0, help="first second shown (default: 0)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds shown (default: %(default)s)")
    parser.add_argument("--lead", default="0", help="lead name or index of a strip (default: the first)")
    parser.add_argument("--fs", type=float, default=None, help="sample rate in Hz (required for .npy and .csv)")
    parser.add_argument("--leads", default=None, help="comma-separated lead names (default: all)")
    parser.add_argument("--model", default="default", help="registered model name (default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..codec import Codec
    from ..encode import encode, encode_stream
    from ..plot import holter_overview, save_figure, strip, twelve_lead
    from ..plot.style import SUFFIXES
    from ..signal.io import open_file, read_window

    out = output_path(args.input, args.out, suffix=Path(args.out).suffix.lower() if args.out else ".png",
                      force=args.force)
    if out.suffix.lower() not in SUFFIXES:
        raise InputError(f"--out {out} must end in {', '.join(SUFFIXES)}")
    began = time.perf_counter()
    codec, leads, title = load_result(args.input), lead_list(args.leads), Path(args.input).name
    if args.kind == "overview":
        figure = holter_overview(codec if codec is not None else
                                 encode_stream(args.input, args.fs, leads=leads, model=args.model), title=title)
    elif codec is not None:
        raise InputError(f"--kind {args.kind} draws the signal, which {args.input} does not hold; give the record "
                         "or use --kind overview")
    else:
        source = open_file(args.input, fs=args.fs, leads=leads)
        fs, length = source.fs, source.n_samples
        if not 0 <= args.start < length / fs:
            raise InputError(f"--start {args.start} is outside the record (0 to {length / fs:g} s)")
        if args.duration <= 0:
            raise InputError(f"--duration {args.duration} must be > 0 seconds")
        first = max(int(round((args.start - CONTEXT_S) * fs)), 0)
        last = min(int(round((args.start + args.duration + CONTEXT_S) * fs)), length)
        piece = read_window(args.input, start=first, stop=last, fs=args.fs, leads=leads)
        encoded = encode(piece, model=args.model)
        codec = Codec(encoded.channels, fs, start=first, tokens=encoded.tokens(), recording_length=length)
        shown = min(args.duration, length / fs - args.start)
        options = dict(start=args.start - first / fs, duration=shown, title=f"{title}, from {args.start:g} s")
        if args.kind == "strip":
            lead = int(args.lead) if args.lead.isdigit() else args.lead
            figure = strip(codec, piece, lead=lead, **options)
        else:
            figure = twelve_lead(codec, piece, **options)
    save_figure(figure, out)
    if not getattr(args, "quiet", False):
        print(f"wrote {out} ({args.kind}) in {time.perf_counter() - began:.1f} s")
    return 0
