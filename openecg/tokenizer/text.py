"""Text renderings of runs, for reading and for diffs (display formats: store runs with the container).

- :func:`render_compact`: one character per run (the table's ``char``), for example ``"_p_qrs_t_"``.
- :func:`render_timed`: one ``<char><milliseconds>`` item per run, separated by spaces, for example
  ``"p80 _40 q20 r40"``; durations are ``length * 1000 / fs`` rounded to the nearest millisecond.

``table`` names the table the ids come from: ``"symbols"`` (the 13-symbol vocabulary) or a label layer
(``"wave"``, ``"beat"``, ``"rhythm"``), as in :mod:`openecg.tokenizer.vocab`.

Examples
--------
>>> render_compact([2, 4, 2, 5, 6, 7], table="symbols")
'_p_qrs'
>>> render_timed([4, 2, 5, 6], [20, 10, 5, 10], fs=250)
'p80 _40 q20 r40'
>>> render_compact([0, 1, 0, 2], table="wave")
'_p_N'
"""

from __future__ import annotations

import numpy as np

from ..signal.recording import check_fs
from .vocab import check_ids, table_entries
from .rle import as_lengths, as_uint8

__all__ = ["render_compact", "render_timed"]


def _chars(symbols: object, table: str) -> np.ndarray:
    ids = as_uint8(symbols, name="symbols")
    check_ids(ids, table)
    lookup = np.array([entry.char for entry in table_entries(table)])
    return lookup[ids]


def render_compact(symbols: object, *, table: str = "symbols") -> str:
    """One character per run.

    Parameters
    ----------
    symbols : array_like of int
        ``(k,)`` ids of ``table``.
    table : str
        ``"symbols"``, ``"wave"``, ``"beat"`` or ``"rhythm"``.

    Returns
    -------
    str
        ``k`` characters.
    """
    return "".join(_chars(symbols, table).tolist())


def render_timed(symbols: object, lengths: object, *, fs: float, table: str = "symbols") -> str:
    """One ``<char><ms>`` item per run, separated by single spaces.

    Parameters
    ----------
    symbols : array_like of int
        ``(k,)`` ids of ``table``.
    lengths : array_like of int
        ``(k,)`` run lengths in samples at ``fs``.
    fs : float
        Sample rate in Hz.
    table : str
        ``"symbols"``, ``"wave"``, ``"beat"`` or ``"rhythm"``.

    Returns
    -------
    str
        For example ``"p80 _40 q20"``; milliseconds are rounded to the nearest integer.
    """
    chars = _chars(symbols, table)
    samples = as_lengths(lengths)
    if samples.shape != chars.shape:
        raise ValueError(f"symbols has {chars.size} runs but lengths has {samples.size}; give one length per symbol")
    milliseconds = np.rint(samples * (1000.0 / check_fs(fs))).astype(np.int64)
    return " ".join(np.char.add(chars, milliseconds.astype(str)).tolist())
