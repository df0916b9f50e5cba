"""The fixed tables of openecg: the 13-symbol wave vocabulary and the classes of the three label channels.

Every id here is part of the on-disk format and of every shipped model: ids never change within a
``VOCAB_VERSION``. Each table is one tuple of ``Entry`` and is exported as JSON by :func:`tables_json`,
which is written into every saved model config, container header and corpus store.

Examples
--------
>>> SYMBOLS[6].name, SYMBOLS[6].char
('R', 'r')
>>> WAVE_CLASSES[2].name
'QRS'
>>> symbol_id("wide_qrs")
10
"""

from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np

__all__ = [
    "VOCAB_VERSION",
    "Entry",
    "SYMBOLS",
    "WAVE_CLASSES",
    "BEAT_CLASSES",
    "RHYTHM_CLASSES",
    "LAYERS",
    "symbol_id",
    "class_id",
    "tables",
    "tables_json",
    "TABLE_NAMES",
    "table_entries",
    "check_ids",
    "OTHER",
    "QRS_CLASSES",
    "NOISE",
]

VOCAB_VERSION = 1


class Entry(NamedTuple):
    """One row of a table: the fixed integer id, a short name, a one-character rendering, a description."""

    id: int
    name: str
    char: str
    description: str


SYMBOLS: tuple[Entry, ...] = (
    Entry(0, "pad", ".", "padding outside the recording"),
    Entry(1, "unk", "?", "unknown or unreadable"),
    Entry(2, "iso", "_", "isoelectric baseline between waves"),
    Entry(3, "pacer", "|", "pacemaker spike"),
    Entry(4, "P", "p", "P wave"),
    Entry(5, "Q", "q", "Q wave: first negative deflection of the QRS"),
    Entry(6, "R", "r", "R wave: positive deflection of the QRS"),
    Entry(7, "S", "s", "S wave: negative deflection after the R wave"),
    Entry(8, "T", "t", "T wave"),
    Entry(9, "U", "u", "U wave"),
    Entry(10, "wide_qrs", "w", "QRS complex wider than 120 ms"),
    Entry(11, "delta", "d", "delta wave: slurred QRS upstroke (pre-excitation)"),
    Entry(12, "J", "j", "J wave: notch at the QRS end"),
)

WAVE_CLASSES: tuple[Entry, ...] = (
    Entry(0, "other", "_", "baseline or no wave"),
    Entry(1, "P", "p", "P wave"),
    Entry(2, "QRS", "N", "QRS complex"),
    Entry(3, "T", "t", "T wave"),
    Entry(4, "paced_QRS", "P", "paced QRS complex"),
)

BEAT_CLASSES: tuple[Entry, ...] = (
    Entry(0, "none", "_", "no beat (outside a QRS)"),
    Entry(1, "N", "N", "AAMI N: normal, bundle branch block, escape (N L R e j)"),
    Entry(2, "S", "S", "AAMI S: supraventricular ectopic (A a J S)"),
    Entry(3, "V", "V", "AAMI V: ventricular ectopic (V E)"),
    Entry(4, "F", "F", "AAMI F: fusion of ventricular and normal (F)"),
    Entry(5, "Q", "Q", "AAMI Q: unclassifiable (Q)"),
    Entry(6, "paced", "/", "paced beat or fusion of paced and normal (/ f)"),
)

RHYTHM_CLASSES: tuple[Entry, ...] = (
    Entry(0, "sinus", "N", "sinus rhythm (including sinus brady/tachycardia, arrhythmia)"),
    Entry(1, "AF", "A", "atrial fibrillation or flutter"),
    Entry(2, "AV_block", "B", "atrioventricular block"),
    Entry(3, "paced", "P", "paced rhythm"),
    Entry(4, "BBB", "L", "bundle branch block"),
    Entry(5, "ventricular", "V", "ventricular rhythm (tachycardia, flutter, bigeminy runs)"),
    Entry(6, "noise", "~", "noise or unreadable signal"),
)

LAYERS: tuple[str, ...] = ("wave", "beat", "rhythm")
"""The three label channels of a :class:`openecg.Codec`, in channel order."""

_TABLES: dict[str, tuple[Entry, ...]] = {
    "symbols": SYMBOLS,
    "wave": WAVE_CLASSES,
    "beat": BEAT_CLASSES,
    "rhythm": RHYTHM_CLASSES,
}


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


def _lookup(table_name: str, name: str) -> int:
    table = _TABLES[table_name]
    for entry in table:
        if entry.name == name:
            return entry.id
    allowed = ", ".join(e.name for e in table)
    raise ValueError(f"name={name!r} is not in the {table_name} table; allowed: {allowed}")


def symbol_id(name: str) -> int:
    """Return the id of the wave-vocabulary symbol called ``name`` (for example ``"R"`` -> 6)."""
    return _lookup("symbols", name)


def class_id(layer: str, name: str) -> int:
    """Return the id of class ``name`` in the table of ``layer`` (``"wave"``, ``"beat"`` or ``"rhythm"``).

    >>> class_id("rhythm", "AF")
    1
    """
    if layer not in LAYERS:
        raise ValueError(f"layer={layer!r} is not a label layer; allowed: {', '.join(LAYERS)}")
    return _lookup(layer, name)


def tables() -> dict[str, object]:
    """All tables as plain JSON-ready data, with the vocabulary version."""
    return {
        "vocab_version": VOCAB_VERSION,
        **{key: [entry._asdict() for entry in table] for key, table in _TABLES.items()},
    }


def tables_json(*, indent: int | None = 2) -> str:
    """The tables as a JSON string (written into model configs, container headers and stores)."""
    return json.dumps(tables(), indent=indent)


OTHER = class_id("wave", "other")
QRS_CLASSES = (class_id("wave", "QRS"), class_id("wave", "paced_QRS"))
NOISE = class_id("rhythm", "noise")
