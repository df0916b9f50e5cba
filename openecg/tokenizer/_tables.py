"""Checks of label ids against the tables of :mod:`openecg.tokenizer.vocab`, shared by the codec modules."""

from __future__ import annotations

import numpy as np

from .vocab import _TABLES, Entry

__all__ = ["TABLE_NAMES", "table_entries", "check_ids"]

TABLE_NAMES: tuple[str, ...] = tuple(_TABLES)
"""``"symbols"`` (the 13-symbol vocabulary) and the three label layers ``"wave"``, ``"beat"``, ``"rhythm"``."""


def table_entries(table: str) -> tuple[Entry, ...]:
    """The entries of the table called ``table`` (one of :data:`TABLE_NAMES`)."""
    if table not in _TABLES:
        raise ValueError(f"table={table!r} is not a table; allowed: {', '.join(TABLE_NAMES)}")
    return _TABLES[table]


def check_ids(symbols: np.ndarray, table: str, *, name: str = "symbols") -> None:
    """Raise ``ValueError`` if any id in ``symbols`` (uint8 ``(k,)``) is not an id of ``table``."""
    size = len(table_entries(table))
    if symbols.size and int(symbols.max()) >= size:
        index = int(np.argmax(symbols >= size))
        raise ValueError(
            f"{name}[{index}]={int(symbols[index])} is not in the {table} table; allowed ids are 0..{size - 1}"
        )
