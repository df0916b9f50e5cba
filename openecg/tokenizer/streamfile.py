"""Stream files: the runs of :func:`openecg.encode_stream` written piece by piece as they are produced,
readable up to the last complete piece if the writer dies half-way.

The byte layout is specified in one place, ``docs/format.md`` (section "Stream files"): magic
``b"OECGSTRM"``, ``VERSION``, a JSON header, then length-prefixed frames, each one container
(:mod:`openecg.tokenizer.container`) of one piece, and an end marker with the total sample count.

Each container carries its own CRC-32, so a torn or damaged frame is detected; reading stops there, keeps
the frames before it and says where and why (``StreamContents.stopped``, and a
:class:`~openecg.errors.FileWarning`). The ``end`` marker says that the writer finished. A writer given a
path writes to ``name.part`` and renames it to ``name`` when it closes; if the stream fails, the frames
finished so far stay readable in ``name.part``.

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
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import FileFormatError, FileWarning, OutputError, warn_caller
from .container import STREAM_MAGIC, Container, dumps, loads
from .files import check_output, partial_path
from .rle import Runs, labels_to_runs, runs_to_labels
from .vocab import LAYERS, tables
from .wavestream import merge_runs

__all__ = ["VERSION", "StreamWriter", "StreamContents", "read_stream"]

VERSION = 1
_PREFIX = struct.Struct("<8sHI")
_FRAME = struct.Struct("<I")
_TOTAL = struct.Struct("<Q")


class StreamWriter:
    """Write stream frames to ``sink`` (a path or a writable binary file), flushing after each one.

    Parameters
    ----------
    sink : str, pathlib.Path or binary file
        Destination. A path is checked at once (:func:`openecg.tokenizer.files.check_output`), written as
        ``name.part`` and renamed to ``name`` by :meth:`close`; :meth:`abort` closes it and leaves
        ``name.part`` (:attr:`partial`).
    fs : float
        Sample rate in Hz of the labelled samples (the input's rate).
    meta : dict
        JSON-ready facts written into the header (model name, lead names ...).
    """

    def __init__(self, sink: str | Path | BinaryIO, *, fs: float, meta: dict[str, object] | None = None):
        self.path: Path | None = None
        if isinstance(sink, (str, Path)):
            self.path = check_output(sink)
            self._file: BinaryIO = open(partial_path(self.path), "wb")
        elif hasattr(sink, "write"):
            self._file = sink
        else:
            raise ValueError(f"sink={sink!r} is neither a path nor a writable binary file; pass one of those")
        self.fs = float(fs)
        self.n_samples = 0
        header = json.dumps({"fs": self.fs, "layers": list(LAYERS) + ["symbols"], "tables": tables(), **(meta or {})})
        data = header.encode("utf-8")
        self._put(_PREFIX.pack(STREAM_MAGIC, VERSION, len(data)) + data)

    @property
    def partial(self) -> Path | None:
        """Where an owned file lives until :meth:`close` renames it (None for a file object)."""
        return None if self.path is None else partial_path(self.path)

    def _put(self, data: bytes) -> None:
        try:
            self._file.write(data)
            self._file.flush()
        except OSError as error:
            if self.path is None:
                raise
            self._file.close()
            raise OutputError(
                f"writing {str(self.partial)!r} failed after {self.n_samples} samples: {error.strerror or error}; "
                "the samples before are readable there with read_stream"
            ) from error

    def write(self, start: int, labels: np.ndarray, symbols: np.ndarray, lengths: np.ndarray) -> None:
        """Append samples ``[start, start + k)``: uint8 ``(3, k)`` labels and the symbol runs over them."""
        if start != self.n_samples:
            raise ValueError(
                f"start={start} does not follow the {self.n_samples} samples written; write pieces in order"
            )
        layers = {name: labels_to_runs(row) for name, row in zip(LAYERS, labels)}
        layers["symbols"] = Runs(np.asarray(symbols, np.uint8), np.asarray(lengths, np.int64))
        frame = dumps(Container(layers, fs=self.fs, start=int(start)))
        self._put(_FRAME.pack(len(frame)) + frame)
        self.n_samples += labels.shape[1]

    def close(self) -> None:
        """Write the end marker with the sample count; an owned file is closed and renamed to its name."""
        self._put(_FRAME.pack(0) + _TOTAL.pack(self.n_samples))
        if self.path is not None:
            self._file.close()
            os.replace(partial_path(self.path), self.path)

    def abort(self) -> None:
        """Close an owned file without the end marker; what was written stays readable in :attr:`partial`."""
        if self.path is not None:
            self._file.close()


@dataclass(frozen=True)
class StreamContents:
    """A stream file's contents: uint8 ``(3, n)`` channels, the merged symbol runs, the header, whether the
    writer finished (``complete``), and if not, where and why reading stopped (``stopped``)."""

    channels: np.ndarray
    symbols: np.ndarray
    lengths: np.ndarray
    fs: float
    header: dict[str, object]
    complete: bool
    stopped: str | None = None


def _header(data: bytes, name: str) -> tuple[dict[str, object], int]:
    if len(data) < len(STREAM_MAGIC) or data[: len(STREAM_MAGIC)] != STREAM_MAGIC:
        if data[:4] == STREAM_MAGIC[:4]:
            raise FileFormatError(
                f"{name} is an openecg container (.oecg), not a stream file: read it with openecg.load_codec"
            )
        raise FileFormatError(f"{name} starts with {bytes(data[:8])!r}, not {STREAM_MAGIC!r}: it is not an openecg stream file")
    if len(data) < _PREFIX.size:
        raise FileFormatError(
            f"{name} has {len(data)} bytes, fewer than the {_PREFIX.size} of a stream file's prefix: it is truncated"
        )
    _, version, size = _PREFIX.unpack_from(data, 0)
    if version != VERSION:
        raise FileFormatError(
            f"{name} has stream file version {version}; this openecg reads version {VERSION}: upgrade openecg"
        )
    end = _PREFIX.size + size
    if end > len(data):
        raise FileFormatError(f"{name} is truncated inside its header (bytes {_PREFIX.size}..{end} of {len(data)})")
    try:
        header = json.loads(data[_PREFIX.size:end].decode("utf-8"))
        fs = float(header["fs"])
    except (ValueError, KeyError, TypeError) as error:
        raise FileFormatError(f"{name} has a damaged header (bytes {_PREFIX.size}..{end}): {error}") from None
    if not isinstance(header, dict) or not fs > 0:
        raise FileFormatError(f"{name} has a header without a valid fs: it is damaged")
    return header, end


def read_stream(source: str | Path | BinaryIO) -> StreamContents:
    """Read a stream file up to its last intact frame.

    A file that ends early (the writer stopped) or holds a damaged frame gives the frames before that point,
    ``complete=False`` and ``stopped`` saying where (byte offset, frame number) and why; a
    :class:`~openecg.errors.FileWarning` says the same.

    Raises
    ------
    FileFormatError
        When ``source`` is not a stream file (a container is named as such), is cut inside its header, or has
        a version this code does not read.
    """
    if isinstance(source, (str, Path)):
        name = repr(str(source))
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            raise FileFormatError(f"{name} cannot be read: {error.strerror or error}") from None
    else:
        name, data = "source", source.read()
    header, offset = _header(data, name)
    complete, n, frame_no, stopped = False, 0, 0, None
    layers: list[list[np.ndarray]] = [[] for _ in LAYERS]
    symbols, lengths = [], []
    while True:
        if offset + _FRAME.size > len(data):
            stopped = f"the file ends at byte {len(data)} after {frame_no} frames, without the end marker"
            break
        (length,) = _FRAME.unpack_from(data, offset)
        if length == 0:
            total = _TOTAL.unpack_from(data, offset + _FRAME.size)[0] if offset + _FRAME.size + _TOTAL.size <= len(data) else None
            complete = total == n
            if not complete:
                stopped = (f"the end marker at byte {offset} is cut short" if total is None else
                           f"the end marker at byte {offset} counts {total} samples but the frames hold {n}")
            break
        if offset + _FRAME.size + length > len(data):
            stopped = (f"frame {frame_no} at byte {offset} declares {length} bytes but the file ends at byte "
                       f"{len(data)}: it is truncated")
            break
        try:
            frame = loads(data[offset + _FRAME.size:offset + _FRAME.size + length])
        except ValueError as error:
            stopped = f"frame {frame_no} at byte {offset} is damaged ({error})"
            break
        if frame.start != n:
            stopped = f"frame {frame_no} at byte {offset} starts at sample {frame.start}, not {n}: frames are out of order"
            break
        offset += _FRAME.size + length
        n += frame.n_samples
        frame_no += 1
        for layer, layer_name in zip(layers, LAYERS):
            layer.append(runs_to_labels(*frame.layers[layer_name]))
        symbols.append(frame.layers["symbols"].symbols)
        lengths.append(frame.layers["symbols"].lengths)
    if stopped is not None:
        warn_caller(f"{name}: read {n} samples; {stopped}", FileWarning)
    channels = np.stack([np.concatenate(layer) if layer else np.zeros(0, np.uint8) for layer in layers])
    merged = merge_runs(np.concatenate(symbols) if symbols else np.zeros(0, np.uint8),
                        np.concatenate(lengths) if lengths else np.zeros(0, np.int64))
    return StreamContents(channels, merged[0], merged[1], float(header["fs"]), header, complete, stopped)
