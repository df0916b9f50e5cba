"""The exceptions and warnings openecg raises, so callers (and the command line) can tell user errors from bugs.

Every error about the caller's input is an :class:`InputError`, which is also a ``ValueError`` so that
``except ValueError`` keeps working; errors about a file's contents are :class:`FileFormatError`; a missing
optional dependency is :class:`MissingDependencyError` (also an ``ImportError``) naming the extra to install.
"""

from __future__ import annotations

__all__ = ["OpenECGError", "InputError", "FileFormatError", "MissingDependencyError", "SignalWarning"]


class OpenECGError(Exception):
    """Base class of every error openecg raises on purpose."""


class InputError(OpenECGError, ValueError):
    """The input cannot be encoded as given: the message names the argument, the value and the fix."""


class FileFormatError(InputError):
    """A file is missing, truncated, corrupt or of another format: the message names the file and the problem."""


class MissingDependencyError(OpenECGError, ImportError):
    """An optional dependency is not installed: the message names the ``pip install "openecg[extra]"`` to run."""


class SignalWarning(UserWarning):
    """The input was encoded but looks implausible (units, sample rate, quality): the message names the likely cause."""
