"""What the subcommands share: the user-error type, output paths checked before any work and written under
a temporary name, default output names, progress bars and the one-line summary of a result."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    import argparse

    from ..codec import Codec

__all__ = ["INTERRUPTED", "CommandError", "RECORD_SUFFIXES", "add_output_arguments", "beside", "checked_output", "staged",
           "progress", "describe", "say"]

RECORD_SUFFIXES = (".hea", ".dat", ".edf", ".bdf", ".npy", ".csv", ".oecg", ".oecgs", ".png", ".jpg", ".jpeg",
                   ".tif", ".tiff", ".bmp", ".pdf")
"""Suffixes that :func:`beside` replaces (any other suffix, as in WFDB record names with dots, is kept)."""


INTERRUPTED = threading.Event()
"""Set by the command line's Ctrl-C handler; long work checks it between steps (see :func:`progress`)."""


class CommandError(InputError):
    """A user error found by a command (an output that exists, a format it cannot tell): reported as one line
    on stderr with exit status 3."""


def add_output_arguments(parser: argparse.ArgumentParser, *, default: str) -> None:
    """``-o/--out`` (default: ``default``) and ``--force``."""
    parser.add_argument("-o", "--out", default=None, help=f"output path (default: {default})")
    parser.add_argument("--force", action="store_true", help="overwrite outputs that exist")


def beside(source: str | os.PathLike[str], suffix: str) -> Path:
    """The output name beside ``source``: ``rec.hea`` / ``rec`` / ``rec.npy`` -> ``rec<suffix>``."""
    path = Path(source)
    if path.suffix.lower() in RECORD_SUFFIXES:
        return path.with_suffix(suffix)
    return path.with_name(path.name + suffix)


def checked_output(path: str | os.PathLike[str], *, force: bool, folder: bool = False) -> Path:
    """Refuse an output path before any work: an existing file without ``force``, a file where a folder is
    wanted or the reverse, a missing or read-only parent folder."""
    out = Path(path)
    if folder:
        if out.exists() and not out.is_dir():
            raise CommandError(f"output {out} is a file; give a folder")
        if out.is_dir() and any(out.iterdir()) and not force:
            raise CommandError(f"output folder {out} is not empty; pass --force to write into it")
        parent = out.parent
    else:
        if out.is_dir():
            raise CommandError(f"output {out} is a folder; give a file name")
        if out.exists() and not force:
            raise CommandError(f"output {out} exists; pass --force to overwrite it")
        parent = out.parent
    if not parent.is_dir():
        raise CommandError(f"cannot write {out}: the folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise CommandError(f"cannot write {out}: no write permission in {parent}")
    return out


@contextmanager
def staged(outputs: Sequence[Path], *, keep_partial: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside the outputs; write each output there under its own name.

    On success every output written is moved into place (``os.replace``, so a reader never sees half a file). On
    failure the temporary files are removed. On Ctrl-C with ``keep_partial`` (stream files, readable up to
    where they stopped) each written file is kept as ``<output>.part``; the interrupt carries a note saying
    what was kept.
    """
    outputs = [Path(p) for p in outputs]
    temp = Path(tempfile.mkdtemp(prefix=".openecg-", dir=outputs[0].parent))
    try:
        yield temp
    except KeyboardInterrupt as error:
        kept = []
        for out in outputs:
            written = [temp / name for name in (out.name, out.name + ".part") if (temp / name).exists()]
            if keep_partial and written:
                os.replace(written[0], out.with_name(out.name + ".part"))
                kept.append(str(out.with_name(out.name + ".part")))
        error.add_note(f"kept the partial output {', '.join(kept)} (readable up to where it stopped)" if kept
                       else f"nothing written to {', '.join(map(str, outputs))}")
        raise
    else:
        for out in outputs:
            if (temp / out.name).exists():
                os.replace(temp / out.name, out)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


@contextmanager
def progress(args: argparse.Namespace, *, unit: str, description: str) -> Iterator[Callable[[int, int | None], None]]:
    """A ``progress(done, total)`` callback drawing a tqdm bar on stderr; silent with ``-q`` or when stderr is
    not a terminal. It raises KeyboardInterrupt when Ctrl-C was pressed and the interrupt got lost."""
    from tqdm import tqdm

    bar = tqdm(desc=description, unit=unit, unit_scale=True, leave=False,
               disable=args.quiet or not sys.stderr.isatty(), file=sys.stderr)

    def update(done: int, total: int | None) -> None:
        if INTERRUPTED.is_set():
            raise KeyboardInterrupt
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()


def say(args: argparse.Namespace, message: str, *, level: int = 0) -> None:
    """Print ``message`` to stdout unless ``-q``; ``level=1`` only with ``-v``."""
    if not args.quiet and args.verbose >= level:
        print(message, flush=True)


def describe(codec: Codec) -> str:
    """One line: beats per class, mean heart rate and the rhythm classes by share of time."""
    beats, episodes = codec.beats(), codec.episodes()
    names, counts = np.unique(beats["class_name"], return_counts=True)
    text = f"{len(beats['sample'])} beats"
    if len(names):
        text += " (" + ", ".join(f"{c} {n}" for n, c in zip(names, counts, strict=True)) + ")"
    if len(beats["sample"]) > 1:
        span = (beats["sample"][-1] - beats["sample"][0]) / codec.fs
        text += f", heart rate {60 * (len(beats['sample']) - 1) / span:.0f} bpm"
    if codec.n_samples:
        share: dict[str, float] = {}
        for name, duration in zip(episodes["class_name"], episodes["duration"], strict=True):
            share[str(name)] = share.get(str(name), 0.0) + float(duration)
        text += ", rhythm " + ", ".join(f"{name} {100 * s / codec.duration:.0f}%"
                                        for name, s in sorted(share.items(), key=lambda kv: -kv[1]))
    return text
