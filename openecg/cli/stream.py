"""``openecg stream INPUT [-o OUT.oecgs]``: encode a recording of any length into a stream file, with memory
bounded by the batch; the file is readable up to the last finished piece if the run is interrupted."""

from __future__ import annotations

import argparse

from .encoding import add_encode_arguments, encode_file

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stream", help="encode a long record into a stream file (.oecgs), written as it goes",
        description="Encode a record of any length (a 24-h Holter) into a stream file (.oecgs) with bounded "
                    "memory; interrupted, the part written so far is kept as OUT.part.")
    add_encode_arguments(parser, suffix=".oecgs")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return encode_file(args, suffix=".oecgs")
