"""``openecg report INPUT [-o OUT.html]``: the HTML Holter report of a record (and its JSON beside it).

INPUT is a record (WFDB, EDF, ``.npy`` or CSV with ``--fs``), encoded first chunk by chunk (only the strips'
windows are read again), or an encoded result (``.oecg`` or ``.oecgs``), reported without strips since it holds
no signal.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from .common import beside, checked_output

if TYPE_CHECKING:
    from ..codec import Codec

__all__ = ["register", "run", "RESULT_SUFFIXES", "output_path", "load_result", "lead_list"]

RESULT_SUFFIXES = (".oecg", ".oecgs")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write a Holter report (HTML and JSON) for a record or a result",
        description="Encode a record and write a self-contained HTML report (summary, overview, a strip per "
                    "finding) with its JSON beside it.")
    parser.add_argument("input", help="WFDB record, EDF file, .npy/.csv (with --fs), or an .oecg/.oecgs result")
    parser.add_argument("-o", "--out", default=None, help="the .html file (default: beside the input)")
    parser.add_argument("--force", action="store_true", help="overwrite outputs that exist")
    parser.add_argument("--fs", type=float, default=None, help="sample rate in Hz (required for .npy and .csv)")
    parser.add_argument("--leads", default=None, help="comma-separated lead names (default: all)")
    parser.add_argument("--model", default="default", help="registered model name (default: %(default)s)")
    parser.add_argument("--pause", type=float, default=2.0, help="pause threshold in s (default: %(default)s)")
    parser.set_defaults(func=run)


def output_path(source: str, out: str | None, *, suffix: str, force: bool) -> Path:
    """``out``, or ``source`` with ``suffix`` beside it (:func:`~openecg.cli.common.beside`), checked before
    any work by :func:`~openecg.cli.common.checked_output`."""
    target = Path(out) if out else beside(source, suffix)
    if suffix == ".html" and target.suffix.lower() != ".html":
        raise InputError(f"--out {target} must end in .html")
    return checked_output(target, force=force)


def load_result(source: str) -> Codec | None:
    """The codec of an ``.oecg``/``.oecgs`` result (:func:`openecg.load_codec` reads both), or None when
    ``source`` is a record."""
    from ..codec import load_codec

    return load_codec(source) if Path(source).suffix.lower() in RESULT_SUFFIXES else None


def lead_list(leads: str | None) -> list[str] | None:
    """``--leads I,II`` as a list of names."""
    return [name.strip() for name in leads.split(",")] if leads else None


def run(args: argparse.Namespace) -> int:
    from ..encode import encode_stream
    from ..reports import report
    from ..reports.html import write_html

    out = output_path(args.input, args.out, suffix=".html", force=args.force)
    json_out = out.with_suffix(".json")
    if json_out.exists() and not args.force:
        raise InputError(f"output {json_out} exists; pass --force to overwrite it")
    began = time.perf_counter()
    codec, signal, comments, leads = load_result(args.input), None, [], lead_list(args.leads)
    if codec is None:
        from ..signal.io import open_file

        comments = open_file(args.input, fs=args.fs, leads=leads).meta.get("comments", [])
        codec, signal = encode_stream(args.input, args.fs, leads=leads, model=args.model), args.input
    result = report(codec, pause_s=args.pause)
    write_html(result, out, codec=codec, signal=signal, fs=args.fs, leads=leads, record_name=Path(args.input).name,
               header_comments=comments, json_path=json_out)
    if not getattr(args, "quiet", False):
        hr = result.heart_rate["mean_bpm"]
        print(f"wrote {out} and {json_out.name} in {time.perf_counter() - began:.1f} s: "
              f"{result.duration_s:.1f} s of ECG, {result.beats['total']} beats"
              + (f", heart rate {hr:.0f} bpm" if hr is not None else ""))
    return 0
