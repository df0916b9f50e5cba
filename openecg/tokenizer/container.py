"""The versioned container: runs of one or more layers, packed, with a JSON header and a CRC-32.

The byte layout is specified in one place, ``docs/format.md`` (section "Container"): magic ``b"OECG"``,
``FORMAT_VERSION``, a JSON header, the packed words of each layer (:mod:`openecg.tokenizer.packed`), CRC-32.

The header holds ``fs`` (Hz), ``start`` (the sample of the recording where the runs begin),
``n_samples`` (samples covered by every layer), ``vocab_version``, ``attrs`` (free JSON metadata) and
``layers``: one ``{"layer", "table", "n_runs", "n_words"}`` object per payload. A layer is named after the
table its ids come from: ``"wave"``, ``"beat"``, ``"rhythm"`` or ``"symbols"`` (the 13-symbol token stream).
Keys are sorted and the JSON is compact, so one container always gives the same bytes.

:func:`loads` checks everything and raises ``ValueError`` on any mismatch: a short or truncated buffer, the
wrong magic, a newer or unknown version, a bad checksum, a malformed header, a vocabulary version other
than this openecg's, word counts that do not match the payload, ids outside their table, and layers that do
not cover ``n_samples`` samples.

Examples
--------
>>> runs = Runs(np.array([2, 4, 2], dtype=np.uint8), np.array([10, 20, 5]))
>>> data = dumps(Container({"symbols": runs}, fs=250.0))
>>> data[:4], len(data)
(b'OECG', 162)
>>> loads(data).layers["symbols"].lengths.tolist()
[10, 20, 5]
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from ..signal.recording import check_fs
from .packed import pack, unpack
from .rle import Runs, as_runs
from .vocab import TABLE_NAMES, VOCAB_VERSION, check_ids

__all__ = ["MAGIC", "FORMAT_VERSION", "Container", "dumps", "loads", "save", "load"]

MAGIC = b"OECG"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<4sHI")
_CRC = struct.Struct("<I")
_ALIGN = 8
_HEADER_KEYS = ("attrs", "fs", "layers", "n_samples", "start", "vocab_version")
_LAYER_KEYS = ("layer", "n_runs", "n_words", "table")


@dataclass(frozen=True, eq=False)
class Container:
    """Runs of one or more layers over the same samples, with their sample rate and position.

    Attributes
    ----------
    layers : Mapping[str, Runs]
        Layer name (``"wave"``, ``"beat"``, ``"rhythm"`` or ``"symbols"``) -> runs with ids of that table.
        Every layer covers the same number of samples.
    fs : float
        Sample rate in Hz.
    start : int
        Sample of the recording where the runs begin (``>= 0``).
    attrs : dict
        Extra JSON-ready metadata stored in the header.
    """

    layers: Mapping[str, Runs]
    fs: float
    start: int = 0
    attrs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.layers, Mapping) or not self.layers:
            raise ValueError(f"layers={self.layers!r} must be a non-empty mapping of layer name -> Runs")
        layers: dict[str, Runs] = {}
        for name, runs in self.layers.items():
            if name not in TABLE_NAMES:
                raise ValueError(f"layers has a layer {name!r}; allowed: {', '.join(TABLE_NAMES)}")
            checked = as_runs(*runs)
            check_ids(checked.symbols, name, name=f"layers[{name!r}].symbols")
            layers[name] = checked
        totals = {name: runs.n_samples for name, runs in layers.items()}
        if len(set(totals.values())) > 1:
            raise ValueError(f"layers cover different numbers of samples {totals}; every layer must cover the same")
        if isinstance(self.start, bool) or not isinstance(self.start, (int, np.integer)) or self.start < 0:
            raise ValueError(f"start={self.start!r} must be an integer sample index >= 0")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "fs", check_fs(self.fs))
        object.__setattr__(self, "start", int(self.start))
        object.__setattr__(self, "attrs", dict(self.attrs))

    @property
    def n_samples(self) -> int:
        """Samples covered by every layer."""
        return next(iter(self.layers.values())).n_samples

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Container):
            return NotImplemented
        mine = (self.fs, self.start, self.attrs, list(self.layers))
        return (
            mine == (other.fs, other.start, other.attrs, list(other.layers))
            and all(
                np.array_equal(a.symbols, b.symbols) and np.array_equal(a.lengths, b.lengths)
                for a, b in zip(self.layers.values(), other.layers.values(), strict=True)
            )
        )

    __hash__ = None  # type: ignore[assignment]


def dumps(container: Container) -> bytes:
    """Serialize ``container`` to bytes (layout: ``docs/format.md``, "Container")."""
    payloads = [pack(runs.symbols, runs.lengths) for runs in container.layers.values()]
    header = {
        "attrs": container.attrs,
        "fs": container.fs,
        "layers": [
            {"layer": name, "n_runs": int(runs.symbols.size), "n_words": int(words.size), "table": name}
            for (name, runs), words in zip(container.layers.items(), payloads, strict=True)
        ],
        "n_samples": container.n_samples,
        "start": container.start,
        "vocab_version": VOCAB_VERSION,
    }
    try:
        text = json.dumps(header, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"attrs={container.attrs!r} is not JSON-serializable ({error}); use str, numbers, lists, dicts"
        ) from None
    text += b" " * (-(_PREFIX.size + len(text)) % _ALIGN)
    prefix = _PREFIX.pack(MAGIC, FORMAT_VERSION, len(text))
    body = b"".join([prefix, text, *(words.astype("<u2").tobytes() for words in payloads)])
    return body + _CRC.pack(zlib.crc32(body))


def loads(data: bytes | bytearray | memoryview) -> Container:
    """Read a container written by :func:`dumps`; raise ``ValueError`` on any mismatch (see module doc)."""
    buffer = bytes(data)
    minimum = _PREFIX.size + _CRC.size
    if len(buffer) < minimum:
        raise ValueError(f"data has {len(buffer)} bytes; an openecg container has at least {minimum}: it is truncated")
    magic, version, header_size = _PREFIX.unpack_from(buffer)
    if magic != MAGIC:
        raise ValueError(f"data starts with {magic!r}, not the container magic {MAGIC!r}: it is not an openecg container")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"data has container format version {version}, newer than this openecg reads "
            f"(version {FORMAT_VERSION}): upgrade openecg"
        )
    if version < 1:
        raise ValueError(f"data has container format version {version}; allowed: 1..{FORMAT_VERSION}")
    stored = _CRC.unpack_from(buffer, len(buffer) - _CRC.size)[0]
    computed = zlib.crc32(memoryview(buffer)[: -_CRC.size])
    if stored != computed:
        raise ValueError(
            f"data has checksum {stored:#010x} but its bytes give {computed:#010x}: the container is truncated or corrupted"
        )
    end = _PREFIX.size + header_size
    if end > len(buffer) - _CRC.size:
        raise ValueError(f"data has header length {header_size}, past the end of its {len(buffer)} bytes")
    header = _parse_header(buffer[_PREFIX.size : end])
    payload = np.frombuffer(buffer, dtype="<u2", offset=end, count=(len(buffer) - _CRC.size - end) // 2)
    counts = [layer["n_words"] for layer in header["layers"]]
    if 2 * sum(counts) != len(buffer) - _CRC.size - end:
        raise ValueError(
            f"data header lists {sum(counts)} words ({2 * sum(counts)} bytes) but the payload has "
            f"{len(buffer) - _CRC.size - end} bytes"
        )
    layers: dict[str, Runs] = {}
    offset = 0
    for layer, count in zip(header["layers"], counts, strict=True):
        runs = unpack(payload[offset : offset + count].astype(np.uint16))
        offset += count
        name = layer["layer"]
        if runs.symbols.size != layer["n_runs"]:
            raise ValueError(f"data layer {name!r} lists {layer['n_runs']} runs but its words hold {runs.symbols.size}")
        if runs.n_samples != header["n_samples"]:
            raise ValueError(f"data layer {name!r} covers {runs.n_samples} samples but the header says {header['n_samples']}")
        layers[name] = runs
    return Container(layers, fs=header["fs"], start=header["start"], attrs=header["attrs"])


def _parse_header(text: bytes) -> dict[str, Any]:
    try:
        header = json.loads(text.decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"data header is not UTF-8 JSON ({error}): the container is corrupted") from None
    if not isinstance(header, dict) or sorted(header) != list(_HEADER_KEYS):
        found = sorted(header) if isinstance(header, dict) else type(header).__name__
        raise ValueError(f"data header has keys {found}; required: {list(_HEADER_KEYS)}")
    if header["vocab_version"] != VOCAB_VERSION:
        raise ValueError(
            f"data has vocab_version={header['vocab_version']!r}; this openecg reads vocab_version={VOCAB_VERSION}"
        )
    for key in ("n_samples", "start"):
        if not _is_count(header[key]):
            raise ValueError(f"data header has {key}={header[key]!r}; an integer >= 0 is required")
    if not isinstance(header["attrs"], dict):
        raise ValueError(f"data header has attrs={header['attrs']!r}; a JSON object is required")
    layers = header["layers"]
    if not isinstance(layers, list) or not layers:
        raise ValueError(f"data header has layers={layers!r}; a non-empty list is required")
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or sorted(layer) != list(_LAYER_KEYS):
            raise ValueError(f"data header layers[{i}]={layer!r} must have exactly the keys {list(_LAYER_KEYS)}")
        if layer["layer"] not in TABLE_NAMES or layer["table"] != layer["layer"]:
            raise ValueError(
                f"data header layers[{i}] has layer={layer['layer']!r}, table={layer['table']!r}; "
                f"allowed: one of {', '.join(TABLE_NAMES)}, the same for both"
            )
        if not (_is_count(layer["n_runs"]) and _is_count(layer["n_words"])):
            raise ValueError(f"data header layers[{i}] has n_runs or n_words that is not an integer >= 0: {layer!r}")
    if len({layer["layer"] for layer in layers}) != len(layers):
        raise ValueError(f"data header lists a layer twice: {[layer['layer'] for layer in layers]}")
    return header


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def save(path: str | PathLike[str], container: Container) -> None:
    """Write ``container`` to the file ``path`` (conventionally ``*.oecg``)."""
    Path(path).write_bytes(dumps(container))


def load(path: str | PathLike[str]) -> Container:
    """Read a container from the file ``path``."""
    return loads(Path(path).read_bytes())
