"""``openecg convert RESULT -o OUT``: the beats, rhythm episodes, waves or tokens of an ``.oecg``/``.oecgs`` file
as text, CSV, JSON or a WFDB annotation file (format from ``--format`` or the suffix of ``OUT``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .common import CommandError, beside, checked_output, say, staged

if TYPE_CHECKING:
    from ..codec import Codec

__all__ = ["register", "run", "FORMATS"]

FORMATS = {".txt": "text", ".csv": "csv", ".json": "json", ".atr": "wfdb"}
"""Output suffix -> format; any other suffix needs ``--format``."""


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..tokenizer.annotations import TABLE_NAMES

    parser = subparsers.add_parser(
        "convert", help="write tokens, beats, waves or episodes as text, CSV, JSON or WFDB annotations",
        description="Write the beats, rhythm episodes, waves or tokens of an .oecg/.oecgs file as text, CSV, "
                    "JSON or a WFDB annotation file (beats and rhythm changes, read by wfdb.rdann).")
    parser.add_argument("input", help="an .oecg codec file or .oecgs stream file")
    parser.add_argument("-o", "--out", default=None,
                        help="output file; its suffix picks the format (.txt, .csv, .json, .atr) "
                             "(default: beside the input, INPUT.<table>.csv, or INPUT.atr for WFDB)")
    parser.add_argument("--force", action="store_true", help="overwrite an output that exists")
    parser.add_argument("--table", default="beats", choices=[*TABLE_NAMES, "all"],
                        help="what to write (default: %(default)s; 'all' for JSON only)")
    parser.add_argument("--format", default=None, choices=sorted(set(FORMATS.values())),
                        help="output format (default: from the suffix of --out)")
    parser.set_defaults(func=run)


def _text(codec: Codec, table: str) -> str:
    if table == "tokens":
        return codec.render("symbols", timed=True) + "\n"
    columns = codec.table(table)
    rows = [list(columns)] + [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
                              for row in zip(*(c.tolist() for c in columns.values()), strict=True)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    return "".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) + "\n" for row in rows)


def run(args: argparse.Namespace) -> int:
    from ..codec import load_codec
    from ..tokenizer.annotations import TABLE_NAMES

    began = time.perf_counter()
    fmt = args.format or (FORMATS.get(Path(args.out).suffix.lower()) if args.out else "csv")
    if fmt is None:
        raise CommandError(f"cannot tell the format from --out {args.out}; use a suffix .txt, .csv, .json or .atr "
                           "or give --format")
    if args.table == "all" and fmt != "json":
        raise CommandError(f"--table all works with JSON only; pick one of {', '.join(TABLE_NAMES)} for {fmt}")
    default = ".atr" if fmt == "wfdb" else f".{args.table}.{'txt' if fmt == 'text' else fmt}"
    out = checked_output(args.out or beside(args.input, default), force=args.force)
    codec = load_codec(args.input)
    with staged([out]) as temp:
        target = temp / out.name
        if fmt == "json":
            codec.to_json(target, tables=TABLE_NAMES if args.table == "all" else (args.table,))
        elif fmt == "csv":
            codec.to_csv(target, table=args.table)
        elif fmt == "text":
            target.write_text(_text(codec, args.table), encoding="utf-8")
        else:
            name, _, extension = out.name.partition(".")
            if not extension:
                raise CommandError(f"--out {out} needs an annotator suffix for WFDB (for example {out}.atr)")
            codec.write_annotations(name, write_dir=temp, extension=extension)
    what = "beats and rhythm changes" if fmt == "wfdb" else args.table
    say(args, f"wrote {out} ({fmt}, {what}) in {time.perf_counter() - began:.1f} s")
    return 0
