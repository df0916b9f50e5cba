"""``openecg corpus INPUTS... -o STORE``: tokenize folders, files or a manifest into a corpus store.

The subcommand follows the command-line package's interface: :func:`register` adds its parser to the
``openecg`` subparsers and :func:`run` executes it; :func:`main` runs it alone (``python -m openecg.corpus``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import InputError
from .engines import ENGINES
from .inputs import DEFAULT_FOLDER_SUFFIXES

__all__ = ["register", "run", "main", "add_arguments"]

HELP = "tokenize many ECG records into a zarr v3 corpus store (resumable; local or on a Dask cluster)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the ``corpus`` command."""
    parser.add_argument("inputs", nargs="*", help="folders (searched recursively) and record files")
    parser.add_argument("-o", "--out", required=True, help="the store folder (new, or written before with the same options)")
    parser.add_argument("--manifest", help="CSV or Parquet table with a 'path' column (optional id, fs, leads)")
    parser.add_argument("--suffixes", default=",".join(DEFAULT_FOLDER_SUFFIXES),
                        help="file suffixes picked up in folders, comma-separated (add .png to digitize images)")
    parser.add_argument("--model", default="default", help="model name (default: the bundled model)")
    parser.add_argument("--per-lead", action="store_true", help="also store every lead's own stream")
    parser.add_argument("--leads", help="leads to keep, comma-separated, in this order")
    parser.add_argument("--fs", type=float, help="sample rate in Hz for .npy/.csv records without one")
    parser.add_argument("--engine", choices=ENGINES, default="local", help="where records run (default: local)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --engine dask)")
    parser.add_argument("--workers", type=int, default=2, help="workers of the Dask LocalCluster (default 2)")
    parser.add_argument("--batch-size", type=int, default=8, help="records per task and per part file (default 8)")
    parser.add_argument("--threads", type=int, default=1, help="inference threads per worker (default 1)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``corpus`` subcommand to the ``openecg`` command."""
    parser = subparsers.add_parser("corpus", help=HELP, description=HELP)
    add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the ``corpus`` command; 0 when every record was tokenized, 3 when some are in the error table."""
    from .job import tokenize

    if not args.inputs and not args.manifest:
        raise InputError("no inputs: give folders or files, or --manifest TABLE")
    store = tokenize(
        args.inputs, args.out, manifest=args.manifest,
        suffixes=tuple(s.strip() for s in args.suffixes.split(",") if s.strip()),
        model=args.model, per_lead=args.per_lead,
        leads=None if not args.leads else [name.strip() for name in args.leads.split(",")], fs=args.fs,
        engine="dask" if args.scheduler else args.engine, scheduler=args.scheduler, n_workers=args.workers,
        batch_size=args.batch_size, threads=args.threads, progress=not args.quiet,
    )
    errors = store.errors()
    for record, reason in zip(errors["id"].tolist(), errors["reason"].tolist(), strict=True):
        sys.stderr.write(f"error: {record}: {reason}\n")
    sys.stdout.write(f"{args.out}: {store.n_records} records, {len(errors['id'])} in the error table\n")
    return 3 if len(errors["id"]) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m openecg.corpus``: the ``corpus`` command on its own; user errors exit 2 with the message."""
    parser = argparse.ArgumentParser(prog="openecg corpus", description=HELP)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ValueError as error:
        sys.stderr.write(f"openecg corpus: error: {error}\n")
        return 2
