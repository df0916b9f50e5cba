"""Stream files: the runs of :func:`openecg.encode_stream` written piece by piece as they are produced,
readable up to the last complete piece if the writer dies half-way.

The byte layout is specified in one place, ``docs/format.md`` (section "Stream files"): magic
``b"OECGSTRM"``, ``VERSION``, a JSON header, then length-prefixed frames, each one container
(:mod:`openecg.tokenizer.container`) of one piece, and an end marker with the total sample count.

Each container carries its own CRC-32, so a torn last frame is detected and dropped; the ``end`` marker
says that the writer finished.

Examples
--------
>>> import io
>>> buf = io.BytesIO()
>>> w = StreamWriter(buf, fs=360.0, meta={"model": "test"})
>>> w.write(0, np.zeros((3, 5), np.uint8), np.array([2], np.uint8), np.array([5]))
>>> w.close()
>>> s = read_stream(io.BytesIO(buf.getvalue()))
>>> s.channels.shape, s.complete, s.fs, s.header["model"]
((3, 5), True, 360.0, 'test')
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .container import Container, dumps, loads
from .rle import Runs, labels_to_runs, runs_to_labels
from .vocab import LAYERS, tables
from .wavestream import merge_runs

__all__ = ["MAGIC", "VERSION", "StreamWriter", "StreamContents", "read_stream"]

MAGIC = b"OECGSTRM"
VERSION = 1
_PREFIX = struct.Struct("<8sHI")
_FRAME = struct.Struct("<I")
_TOTAL = struct.Struct("<Q")


class StreamWriter:
    """Write stream frames to ``sink`` (a path or a writable binary file), flushing after each one.

    Parameters
    ----------
    sink : str, pathlib.Path or binary file
        Destination; a path is created (or truncated) and closed by :meth:`close` or :meth:`abort`.
    fs : float
        Sample rate in Hz of the labelled samples (the input's rate).
    meta : dict
        JSON-ready facts written into the header (model name, lead names ...).
    """

    def __init__(self, sink: str | Path | BinaryIO, *, fs: float, meta: dict[str, object] | None = None):
        if isinstance(sink, (str, Path)):
            self._file: BinaryIO = open(sink, "wb")
            self._owned = True
        elif hasattr(sink, "write"):
            self._file = sink
            self._owned = False
        else:
            raise ValueError(f"sink={sink!r} is neither a path nor a writable binary file; pass one of those")
        self.fs = float(fs)
        header = json.dumps({"fs": self.fs, "layers": list(LAYERS) + ["symbols"], "tables": tables(), **(meta or {})})
        data = header.encode("utf-8")
        self._file.write(_PREFIX.pack(MAGIC, VERSION, len(data)) + data)
        self._file.flush()
        self.n_samples = 0

    def write(self, start: int, labels: np.ndarray, symbols: np.ndarray, lengths: np.ndarray) -> None:
        """Append samples ``[start, start + k)``: uint8 ``(3, k)`` labels and the symbol runs over them."""
        if start != self.n_samples:
            raise ValueError(
                f"start={start} does not follow the {self.n_samples} samples written; write pieces in order"
            )
        layers = {name: labels_to_runs(row) for name, row in zip(LAYERS, labels)}
        layers["symbols"] = Runs(np.asarray(symbols, np.uint8), np.asarray(lengths, np.int64))
        frame = dumps(Container(layers, fs=self.fs, start=int(start)))
        self._file.write(_FRAME.pack(len(frame)) + frame)
        self._file.flush()
        self.n_samples += labels.shape[1]

    def close(self) -> None:
        """Write the end marker with the sample count and close an owned file."""
        self._file.write(_FRAME.pack(0) + _TOTAL.pack(self.n_samples))
        self._file.flush()
        if self._owned:
            self._file.close()

    def abort(self) -> None:
        """Close an owned file without the end marker (what was written stays readable)."""
        if self._owned:
            self._file.close()


@dataclass(frozen=True)
class StreamContents:
    """A stream file's contents: uint8 ``(3, n)`` channels, the merged symbol runs, the header, and whether
    the writer finished (``complete``) or stopped early."""

    channels: np.ndarray
    symbols: np.ndarray
    lengths: np.ndarray
    fs: float
    header: dict[str, object]
    complete: bool


def read_stream(source: str | Path | BinaryIO) -> StreamContents:
    """Read a stream file up to its last complete frame.

    Raises
    ------
    ValueError
        When ``source`` is not a stream file or has a version this code does not read.
    """
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source.read()
    if len(data) < _PREFIX.size or data[:8] != MAGIC:
        raise ValueError(f"source starts with {bytes(data[:8])!r}, not {MAGIC!r}: it is not an openecg stream file")
    _, version, size = _PREFIX.unpack_from(data, 0)
    if version != VERSION:
        raise ValueError(
            f"stream file version {version} is not supported (this openecg reads {VERSION}); upgrade openecg"
        )
    header = json.loads(data[_PREFIX.size:_PREFIX.size + size].decode("utf-8"))
    offset, complete, n = _PREFIX.size + size, False, 0
    layers: list[list[np.ndarray]] = [[] for _ in LAYERS]
    symbols, lengths = [], []
    while offset + _FRAME.size <= len(data):
        (length,) = _FRAME.unpack_from(data, offset)
        offset += _FRAME.size
        if length == 0:
            complete = offset + _TOTAL.size <= len(data) and _TOTAL.unpack_from(data, offset)[0] == n
            break
        try:
            frame = loads(data[offset:offset + length])
        except ValueError:
            break
        if frame.start != n:
            break
        offset += length
        n += frame.n_samples
        for layer, name in zip(layers, LAYERS):
            layer.append(runs_to_labels(*frame.layers[name]))
        symbols.append(frame.layers["symbols"].symbols)
        lengths.append(frame.layers["symbols"].lengths)
    channels = np.stack([np.concatenate(layer) if layer else np.zeros(0, np.uint8) for layer in layers])
    merged = merge_runs(np.concatenate(symbols) if symbols else np.zeros(0, np.uint8),
                        np.concatenate(lengths) if lengths else np.zeros(0, np.int64))
    return StreamContents(channels, merged[0], merged[1], float(header["fs"]), header, complete)
