"""Colours and paper scale shared by every openecg figure, and saving a figure by its file suffix.

Colours are keyed by class name of the tables in :mod:`openecg.tokenizer.vocab`, so a new class fails loudly
in :func:`class_colour` rather than being drawn in a default colour.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, MissingDependencyError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["new_figure", "SPEED_MM_S", "GAIN_MM_MV", "MM", "GRID_MINOR", "GRID_MAJOR", "TRACE", "class_colour", "save",
           "SUFFIXES"]

SPEED_MM_S = 25.0
"""Paper speed: millimetres per second."""
GAIN_MM_MV = 10.0
"""Gain: millimetres per millivolt."""
MM = 1 / 25.4
"""Inches per millimetre (matplotlib sizes are in inches)."""
GRID_MINOR = "#f6c4c4"
GRID_MAJOR = "#e07a7a"
TRACE = "#111111"

_COLOURS: dict[str, dict[str, str]] = {
    "wave": {"P": "#3b7dd8", "QRS": "#e8a33d", "T": "#3aa35b", "paced_QRS": "#8e5bc9"},
    "beat": {"N": "#333333", "S": "#1f5fbf", "V": "#d62728", "F": "#b5651d", "Q": "#7f7f7f", "paced": "#8e5bc9"},
    "rhythm": {"sinus": "#9ccf9c", "AF": "#f2a65a", "AV_block": "#e0c341", "paced": "#b79ce0",
               "BBB": "#8cb8e8", "ventricular": "#e06666", "noise": "#bdbdbd"},
}

SUFFIXES = (".png", ".svg", ".pdf")
"""File types :func:`save_figure` writes, chosen by the suffix of the path."""


def class_colour(layer: str, name: str) -> str:
    """The colour of class ``name`` of ``layer`` (``"wave"``, ``"beat"`` or ``"rhythm"``)."""
    try:
        return _COLOURS[layer][name]
    except KeyError:
        known = {key: sorted(value) for key, value in _COLOURS.items()}
        raise InputError(f"no colour for {layer}={name!r}; known: {known}") from None


def new_figure(**options: Any) -> Figure:
    """A :class:`matplotlib.figure.Figure` (no pyplot, no display), or MissingDependencyError without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise MissingDependencyError(
            'openecg.plot needs matplotlib: pip install "openecg[plot]"'
        ) from error
    return Figure(**options)


def save_figure(figure: Figure, path: str | PathLike[str], *, dpi: float = 150.0) -> Path:
    """Write ``figure`` to ``path`` as PNG, SVG or PDF according to its suffix.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    path : str or os.PathLike
        Ends in ``.png``, ``.svg`` or ``.pdf``.
    dpi : float
        Resolution of a PNG (dots per inch).
    """
    target = Path(path)
    if target.suffix.lower() not in SUFFIXES:
        raise InputError(f"path={str(path)!r} has suffix {target.suffix!r}; allowed: {', '.join(SUFFIXES)}")
    figure.savefig(target, format=target.suffix.lower()[1:], dpi=dpi, facecolor="white")
    return target
