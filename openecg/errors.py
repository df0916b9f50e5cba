"""The exceptions and warnings openecg raises, so callers (and the command line) can tell user errors from bugs.

Every error about the caller's input is an :class:`InputError`, which is also a ``ValueError`` so that
``except ValueError`` keeps working; errors about a file's contents are :class:`FileFormatError`; a missing
optional dependency is :class:`MissingDependencyError` (also an ``ImportError``) naming the extra to install.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType

__all__ = [
    "OpenECGError",
    "InputError",
    "FileFormatError",
    "MissingDependencyError",
    "OutputError",
    "SignalWarning",
    "FileWarning",
    "require",
    "warn_caller",
]


class OpenECGError(Exception):
    """Base class of every error openecg raises on purpose."""


class InputError(OpenECGError, ValueError):
    """The input cannot be encoded as given: the message names the argument, the value and the fix."""


class FileFormatError(InputError):
    """A file is missing, truncated, corrupt or of another format: the message names the file and the problem."""


class MissingDependencyError(OpenECGError, ImportError):
    """An optional dependency is not installed: the message names the ``pip install "openecg[extra]"`` to run."""


class OutputError(OpenECGError, OSError):
    """An output file could not be written (disk full, no permission): the message names the file; nothing
    half-written is left under its name."""


class SignalWarning(UserWarning):
    """The input was encoded but looks implausible (units, sample rate, quality): the message names the likely cause."""


class FileWarning(UserWarning):
    """A file was read only in part (a stream file cut short or damaged): the message says where and why."""


def warn_caller(message: str, category: type[Warning]) -> None:
    """Issue a warning attributed to the first frame outside openecg: the line of the caller's code that
    asked for the work (not an internal line that depends on how the pipeline is nested), so that the
    report names it and ``warnings`` filters by module apply to the caller's module."""
    package = __name__.partition(".")[0]
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == package:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import an optional dependency, or raise :class:`MissingDependencyError` naming the extra to install.

    Parameters
    ----------
    module : str
        The import name (``"wfdb"``, ``"cv2"``, ``"onnxruntime"`` ...).
    extra : str
        The openecg extra that installs it (``"data"``, ``"digitize"`` ...).
    feature : str
        What needs it, for the message (``"reading WFDB records"``).

    Examples
    --------
    >>> require("json", extra="data", feature="a test").__name__
    'json'
    >>> require("no_such_module_here", extra="data", feature="reading WFDB records")
    Traceback (most recent call last):
    ...
    openecg.errors.MissingDependencyError: reading WFDB records needs the optional dependency 'no_such_module_here', which is not installed: pip install "openecg[data]"
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        if error.name not in (module, module.split(".")[0]):
            raise
        raise MissingDependencyError(
            f"{feature} needs the optional dependency {module.split('.')[0]!r}, which is not installed: "
            f'pip install "openecg[{extra}]"'
        ) from error
