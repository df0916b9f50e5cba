"""Writing output files safely: the path is checked before any work, the bytes go to a temporary name in the
same folder, and only a finished file is renamed to the name asked for (a failure never leaves a half file
under that name, nor an open handle).

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_atomic(folder / "a.oecg", b"data")
>>> sorted(p.name for p in folder.iterdir())
['a.oecg']
>>> check_output(folder / "missing" / "a.oecg")
Traceback (most recent call last):
...
openecg.errors.InputError: output ... cannot be written: its folder ... does not exist; create it first or choose another path
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError, OutputError

__all__ = ["check_output", "partial_path", "write_atomic"]


def check_output(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a Path if a file can be written there, else raise :class:`~openecg.errors.InputError`
    saying why (its folder is missing or not writable, or the path is a folder)."""
    out = Path(path)
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise InputError(f"output {str(out)!r} is a directory; give a file name inside it, e.g. {str(out / 'ecg.oecg')!r}")
    if not folder.is_dir():
        raise InputError(
            f"output {str(out)!r} cannot be written: its folder {str(folder)!r} does not exist; "
            "create it first or choose another path"
        )
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise InputError(f"output {str(out)!r} cannot be written: no write permission there; choose another path")
    return out


def partial_path(path: Path) -> Path:
    """The temporary name a file is written under until it is finished: ``name.part`` beside it."""
    return path.with_name(path.name + ".part")


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed on success (removed on failure)."""
    out = check_output(path)
    part = partial_path(out)
    try:
        with open(part, "wb") as handle:
            handle.write(data)
        os.replace(part, out)
    except OSError as error:
        part.unlink(missing_ok=True)
        raise OutputError(f"writing {str(out)!r} failed: {error.strerror or error}; nothing was written there") from error
    except BaseException:
        part.unlink(missing_ok=True)
        raise
