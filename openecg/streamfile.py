"""Stream files: the label runs of :func:`openecg.encode_stream` written chunk by chunk as they are produced,
readable up to the last complete chunk if the writer dies half-way. The layout is in ``docs/format.md``
("stream files").

Examples
--------
>>> import io
>>> buf = io.BytesIO()
>>> w = StreamWriter(buf, fs=360.0, meta={"model": "test"})
>>> w.write(0, np.zeros((3, 5), np.uint8), np.array([2], np.uint8), np.array([5]))
>>> w.close()
>>> s = read_stream(io.BytesIO(buf.getvalue()))
>>> s.channels.shape, s.complete, s.fs
((3, 5), True, 360.0)
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .postprocess import runs
from .tokenizer.vocab import tables
from .waves import merge_runs

__all__ = ["MAGIC", "VERSION", "StreamWriter", "StreamContents", "read_stream"]

MAGIC = b"OECGSTRM"
VERSION = 1
_RUNS, _DONE = b"RUNS", b"DONE"
_CHUNK_HEAD = struct.Struct("<4sII")


def _pack_runs(values: np.ndarray, lengths: np.ndarray) -> bytes:
    return struct.pack("<I", len(values)) + values.astype("<u1").tobytes() + lengths.astype("<u4").tobytes()


def _unpack_runs(payload: memoryview, offset: int) -> tuple[np.ndarray, np.ndarray, int]:
    (k,) = struct.unpack_from("<I", payload, offset)
    offset += 4
    values = np.frombuffer(payload, "<u1", k, offset).copy()
    offset += k
    lengths = np.frombuffer(payload, "<u4", k, offset).astype(np.int64)
    return values, lengths, offset + 4 * k


class StreamWriter:
    """Write stream chunks to ``sink`` (a path or a writable binary file), flushing after each one.

    Parameters
    ----------
    sink : str, pathlib.Path or binary file
        Destination; a path is created (or truncated) and closed by :meth:`close`.
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
            raise ValueError(f"sink={sink!r} is neither a path nor a writable binary file")
        header = json.dumps({"fs": float(fs), "layers": ["wave", "beat", "rhythm"], "tables": tables(), **(meta or {})})
        data = header.encode("utf-8")
        self._file.write(MAGIC + struct.pack("<HI", VERSION, len(data)) + data)
        self._file.flush()
        self.n_samples = 0

    def _chunk(self, tag: bytes, payload: bytes) -> None:
        self._file.write(_CHUNK_HEAD.pack(tag, len(payload), zlib.crc32(payload)) + payload)
        self._file.flush()

    def write(self, start: int, labels: np.ndarray, symbols: np.ndarray, lengths: np.ndarray) -> None:
        """Append samples ``[start, start + labels.shape[1])``: uint8 ``(3, k)`` labels and their symbol runs."""
        if start != self.n_samples:
            raise ValueError(f"start={start} does not follow the {self.n_samples} samples written; write pieces in order")
        parts = [struct.pack("<QI", start, labels.shape[1])]
        for layer in labels:
            _, run_lengths, values = runs(layer)
            parts.append(_pack_runs(values, run_lengths))
        parts.append(_pack_runs(symbols, lengths))
        self._chunk(_RUNS, b"".join(parts))
        self.n_samples += labels.shape[1]

    def close(self) -> None:
        """Mark the stream complete (a ``DONE`` chunk with the sample count) and close an owned file."""
        self._chunk(_DONE, struct.pack("<Q", self.n_samples))
        if self._owned:
            self._file.close()

    def abort(self) -> None:
        """Close an owned file without the ``DONE`` chunk (what was written stays readable)."""
        if self._owned:
            self._file.close()


@dataclass(frozen=True)
class StreamContents:
    """What a stream file holds: uint8 ``(3, n)`` channels, the symbol runs, the header, and whether the
    writer finished (``complete``) or stopped early."""

    channels: np.ndarray
    symbols: np.ndarray
    lengths: np.ndarray
    fs: float
    header: dict[str, object]
    complete: bool


def read_stream(source: str | Path | BinaryIO) -> StreamContents:
    """Read a stream file up to its last complete chunk.

    Raises
    ------
    ValueError
        When the file is not a stream file or has a version this code does not read.
    """
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source.read()
    view = memoryview(data)
    if data[:8] != MAGIC:
        raise ValueError(f"source starts with {bytes(data[:8])!r}, not {MAGIC!r}: it is not an openecg stream file")
    version, size = struct.unpack_from("<HI", view, 8)
    if version != VERSION:
        raise ValueError(f"stream file version {version} is not supported (this openecg reads version {VERSION}); upgrade openecg")
    header = json.loads(bytes(view[14:14 + size]).decode("utf-8"))
    offset, complete = 14 + size, False
    layers: list[list[np.ndarray]] = [[], [], []]
    symbols, lengths = [], []
    while offset + _CHUNK_HEAD.size <= len(data):
        tag, length, crc = _CHUNK_HEAD.unpack_from(view, offset)
        payload = view[offset + _CHUNK_HEAD.size:offset + _CHUNK_HEAD.size + length]
        if len(payload) < length or zlib.crc32(payload) != crc or tag not in (_RUNS, _DONE):
            break
        offset += _CHUNK_HEAD.size + length
        if tag == _DONE:
            complete = True
            break
        pos = 12
        for layer in layers:
            values, run_lengths, pos = _unpack_runs(payload, pos)
            layer.append(np.repeat(values, run_lengths))
        values, run_lengths, pos = _unpack_runs(payload, pos)
        symbols.append(values)
        lengths.append(run_lengths)
    channels = np.stack([np.concatenate(layer) if layer else np.zeros(0, np.uint8) for layer in layers])
    merged = merge_runs(np.concatenate(symbols) if symbols else np.zeros(0, np.uint8),
                        np.concatenate(lengths) if lengths else np.zeros(0, np.int64))
    return StreamContents(channels.astype(np.uint8), merged[0], merged[1], float(header["fs"]), header, complete)
