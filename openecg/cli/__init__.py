"""The ``openecg`` command line.

Each subcommand lives in its own module (named in :data:`COMMANDS`) exposing ``register(subparsers)``, which
adds its parser and sets ``func=run``, and ``run(args) -> int``. Only the module of the command being run is
imported, so ``openecg --help`` stays fast.

Exit status: 0 success, 1 internal error (a bug: the traceback with ``--debug``), 2 usage error (argparse),
3 input or data error (one line on stderr: :class:`openecg.errors.OpenECGError`, ``ValueError``, ``OSError``,
a missing optional dependency), 130 interrupted (Ctrl-C; says what partial output was kept), 141 stdout
closed by its reader (``openecg info x | head``; quietly).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Sequence

from .._version import __version__
from ..errors import FileWarning, OpenECGError, SignalWarning
from . import common

__all__ = ["main", "COMMANDS", "EXIT_OK", "EXIT_INTERNAL", "EXIT_USAGE", "EXIT_INPUT", "EXIT_INTERRUPTED"]

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE, what shells report for a writer whose reader went away."""

COMMANDS: dict[str, tuple[str, str]] = {
    "quickstart": ("openecg.cli.quickstart", "encode the bundled example recording, print a summary, plot it"),
    "encode": ("openecg.cli.encoding", "encode a record (WFDB, EDF, .npy, CSV) into a codec file (.oecg)"),
    "stream": ("openecg.cli.stream", "encode a long record into a stream file (.oecgs), written as it goes"),
    "info": ("openecg.cli.info", "tell what a record or an .oecg/.oecgs file holds"),
    "convert": ("openecg.cli.convert", "write tokens, beats, waves or episodes as text, CSV, JSON or WFDB annotations"),
    "report": ("openecg.cli.report", "write a Holter report (HTML and JSON) for a record or a result"),
    "plot": ("openecg.cli.plot", "plot a record with its labels (PNG, SVG, PDF)"),
    "digitize": ("openecg.cli.digitize", "read paper ECG images into WFDB records or .npy arrays"),
    "render": ("openecg.cli.render", "render ECG printout images with annotations from a folder of WFDB records"),
    "corpus": ("openecg.corpus.command", "encode many records into a zarr store, locally or on a Dask cluster"),
}
"""Subcommand name -> (module, one-line help)."""

_INSTALL_HINTS = {"wfdb": "data", "pyedflib": "data", "cv2": "digitize", "matplotlib": "plot", "zarr": "stores",
                  "dask": "cluster", "distributed": "cluster", "torch": "train", "transformers": "train"}


def _chosen(argv: Sequence[str]) -> str | None:
    for token in argv:
        if not token.startswith("-"):
            return token
    return None


_SHARED = (
    (("-q", "--quiet"), dict(action="store_true", help="no progress bars and no summary (errors still go to stderr)")),
    (("-v", "--verbose"), dict(action="count", help="say more (repeatable)")),
    (("--debug",), dict(action="store_true", help="show the traceback of any error")),
)


def _shared(parser: argparse.ArgumentParser, *, default: object) -> None:
    """Add the global options (a command that defines one of them itself keeps its own)."""
    for flags, options in _SHARED:
        try:
            parser.add_argument(*flags, default=default, **options)
        except argparse.ArgumentError:
            continue


def _unavailable(name: str, module: str, reason: str) -> object:
    def run(args: argparse.Namespace) -> int:
        print(f"openecg {name}: not available in this installation ({module} {reason}); "
              "install the full openecg or pick another command (openecg --help)", file=sys.stderr)
        return EXIT_INTERNAL
    return run


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the full arguments of ``command`` (its module imported) and one-line stubs of the rest."""
    parser = argparse.ArgumentParser(prog="openecg", description="Turn ECGs into label channels and wave tokens.")
    parser.add_argument("--version", action="version", version=f"openecg {__version__}")
    _shared(parser, default=None)
    parser.set_defaults(quiet=False, verbose=0, debug=False)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        if name != command:
            subparsers.add_parser(name, help=help_text, description=help_text)
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is None or not module_name.startswith(error.name):
                raise
            stub = subparsers.add_parser(name, help=help_text, description=help_text)
            stub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
            stub.set_defaults(func=_unavailable(name, module_name, "is missing"))
            continue
        module.register(subparsers)
        _shared(subparsers.choices[name], default=argparse.SUPPRESS)
    return parser


def _one_line(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, ModuleNotFoundError) and error.name in _INSTALL_HINTS and "pip install" not in text:
        text += f'; install it with: pip install "openecg[{_INSTALL_HINTS[error.name]}]"'
    return " ".join(text.split())


def _warning_line(where: str, default: Callable[..., None]) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints openecg's own warnings as one line, ``openecg CMD: warning: ...``,
    on stderr (not Python's file, line and source line), and leaves every other warning to ``default``."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001 - warnings' signature
        if issubclass(category, (SignalWarning, FileWarning)):
            print(f"{where}: warning: {' '.join(str(message).split())}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    return show


def run(args: argparse.Namespace) -> int:
    """Run the parsed command, turning exceptions into a message on stderr and an exit status, and openecg's
    warnings into one line each on stderr."""
    where = f"openecg {args.command}"
    common.INTERRUPTED.clear()
    with warnings.catch_warnings():
        warnings.showwarning = _warning_line(where, warnings.showwarning)
        return _run(args, where)


def _run(args: argparse.Namespace, where: str) -> int:
    try:
        return int(args.func(args) or EXIT_OK)
    except KeyboardInterrupt as error:
        notes = "; ".join(getattr(error, "__notes__", [])) or "no output was written"
        print(f"{where}: interrupted; {notes}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # stdout closed by the reader (openecg info x | head): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (OpenECGError, ValueError, OSError, ModuleNotFoundError) as error:
        if args.debug:
            traceback.print_exc()
        print(f"{where}: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as error:  # noqa: BLE001 - the last resort: report, don't crash with a traceback
        if args.debug:
            traceback.print_exc()
            return EXIT_INTERNAL
        print(f"{where}: internal error ({type(error).__name__}: {_one_line(error)}); rerun with --debug "
              "for the traceback and report it", file=sys.stderr)
        return EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = _chosen(arguments)
    parser = build_parser(command if command in COMMANDS else None)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    previous = signal.signal(signal.SIGINT, _interrupt) if threading.current_thread() is threading.main_thread() else None
    try:
        return run(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _interrupt(signum: int, frame: object) -> None:
    """Ctrl-C: raise KeyboardInterrupt, and remember it for :func:`common.check_interrupted`, since an interrupt
    raised inside a finalizer (numba's compiler has some) is swallowed by Python."""
    common.INTERRUPTED.set()
    raise KeyboardInterrupt
