"""Chunked signal sources for :func:`openecg.encode_stream`: arrays and memory maps, files (WFDB, EDF, npy,
CSV through :mod:`openecg.signal.io`, read range by range), iterators of chunks. Each yields float32 mV
``(samples, leads)`` chunks with NaN for gaps.

Examples
--------
>>> src = open_source(np.zeros((1000, 2)), fs=500, chunk_size=400)
>>> src.fs, src.n_leads, src.n_samples, [len(c) for c in src.chunks]
(500.0, 2, 1000, [400, 400, 200])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..signal.recording import MAX_LEADS, Recording, as_signal, check_fs

__all__ = ["Source", "open_source", "check_shape", "as_chunk", "MAX_LEADS"]


@dataclass
class Source:
    """An opened source: sample rate, lead names, length when known, and the chunk iterator."""

    fs: float
    lead_names: tuple[str, ...]
    n_samples: int | None
    chunks: Iterator[np.ndarray]

    @property
    def n_leads(self) -> int:
        """Number of leads in every chunk."""
        return len(self.lead_names)


def check_shape(shape: tuple[int, ...], *, name: str) -> None:
    """Refuse shapes that are not ``(samples,)`` / ``(samples, leads)`` without reading the data."""
    if len(shape) not in (1, 2):
        raise ValueError(f"{name} has {len(shape)} dimensions (shape {shape}); allowed: (samples,) or (samples, leads)")
    if shape[0] == 0 or (len(shape) == 2 and shape[1] == 0):
        raise ValueError(f"{name} is empty (shape {shape}); at least one sample of one lead is required")
    if len(shape) == 2 and shape[1] > MAX_LEADS:
        hint = f"looks leads-first; openecg takes (samples, leads): pass {name}.T" if shape[0] <= MAX_LEADS else (
            f"at most {MAX_LEADS} leads are supported"
        )
        raise ValueError(f"{name} has shape {shape}, which {hint}")


def _check_dtype(dtype: np.dtype, *, name: str) -> None:
    if not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
        raise ValueError(f"{name} has dtype {dtype}; a numeric (float or integer) array in mV is required")


def as_chunk(chunk: object, n_leads: int) -> np.ndarray:
    """One chunk of a stream as float32 ``(samples, n_leads)``; any length, even shorter than ``n_leads``."""
    array = np.asarray(chunk)
    _check_dtype(array.dtype, name="chunk")
    if array.ndim == 1 and n_leads == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[1] != n_leads:
        hint = " (it looks leads-first: pass chunk.T)" if array.ndim == 2 and array.shape[0] == n_leads else ""
        raise ValueError(
            f"chunk has shape {array.shape} but the stream has {n_leads} leads{hint}; "
            "every chunk must be (samples, leads) with the same leads"
        )
    return np.asarray(array, dtype=np.float32)


def _select(names: Sequence[str], leads: Sequence[str | int] | None, *, where: str) -> list[int]:
    if leads is None:
        return list(range(len(names)))
    out = []
    for lead in leads:
        if isinstance(lead, (int, np.integer)) and 0 <= lead < len(names):
            out.append(int(lead))
            continue
        matches = [i for i, n in enumerate(names) if isinstance(lead, str) and n.lower() == lead.lower()]
        if not matches:
            raise ValueError(
                f"leads contains {lead!r}, which is not in {where}; "
                f"allowed: {', '.join(names)} or 0..{len(names) - 1}"
            )
        out.append(matches[0])
    if not out:
        raise ValueError("leads=[] selects no lead; pass None for all leads or a list of names or indices")
    return out


def _array_chunks(array: np.ndarray, cols: list[int], chunk_size: int) -> Iterator[np.ndarray]:
    for i in range(0, len(array), chunk_size):
        block = np.asarray(array[i:i + chunk_size])
        block = block[:, None] if block.ndim == 1 else block[:, cols]
        yield np.asarray(block, dtype=np.float32)


def _file_source(path: Path, fs: float | None, leads: Sequence[str | int] | None, chunk_size: int) -> Source:
    from ..signal.io import open_file

    opened = open_file(path, fs, None)
    cols = _select(opened.names, leads, where=str(path))

    def chunks() -> Iterator[np.ndarray]:
        for a in range(0, opened.n_samples, chunk_size):
            yield np.asarray(opened.read(a, min(opened.n_samples, a + chunk_size))[:, cols], dtype=np.float32)

    return Source(opened.fs, tuple(opened.names[c] for c in cols), int(opened.n_samples), chunks())


def open_source(source: object, fs: float | None = None, *, leads: Sequence[str | int] | None = None,
                chunk_size: int = 1 << 16) -> Source:
    """Open ``source`` for chunked reading.

    Parameters
    ----------
    source : array_like, numpy.memmap, Recording, str, pathlib.Path or iterable of arrays
        ``(samples,)`` or ``(samples, leads)`` mV; a path to a WFDB record (``.hea`` or no suffix), an EDF/BDF,
        ``.npy`` or CSV file (read range by range, see :func:`openecg.signal.io.read`); or an iterable of chunks.
    fs : float, optional
        Sample rate in Hz; required for arrays and iterables, taken from the header for files.
    leads : sequence of str or int, optional
        Leads to keep, by name (files, Recording) or index.
    chunk_size : int
        Samples per chunk read from arrays and files.
    """
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size={chunk_size!r} must be a positive integer number of samples")
    if isinstance(source, (str, Path)):
        return _file_source(Path(source), fs, leads, int(chunk_size))
    if isinstance(source, Recording):
        if fs is not None and check_fs(fs) != source.fs:
            raise ValueError(f"fs={fs!r} differs from the Recording's fs={source.fs}; leave fs out for a Recording")
        cols = _select(source.lead_names, leads, where="the Recording")
        names = tuple(source.lead_names[c] for c in cols)
        return Source(source.fs, names, source.n_samples, _array_chunks(source.signal, cols, int(chunk_size)))
    if fs is None:
        raise ValueError(
            "fs=None: the sample rate in Hz is required for arrays and chunk iterators (for example fs=250)"
        )
    rate = check_fs(fs)
    if isinstance(source, (np.ndarray, list, tuple)) or (hasattr(source, "shape") and hasattr(source, "__getitem__")):
        array = source if isinstance(source, np.ndarray) else np.asarray(source)
        check_shape(array.shape, name="source")
        _check_dtype(array.dtype, name="source")
        width = 1 if array.ndim == 1 else array.shape[1]
        cols = _select([f"lead{i}" for i in range(width)], leads, where="the array")
        names = tuple(f"lead{c}" for c in cols)
        return Source(rate, names, int(len(array)), _array_chunks(array, cols, int(chunk_size)))
    if isinstance(source, Iterable) and not isinstance(source, (bytes, str, dict)):
        return _iter_source(iter(source), rate, leads)
    raise ValueError(
        f"source of type {type(source).__name__} is not supported; "
        "pass an array, a memory map, a path or an iterator of chunks"
    )


def _iter_source(chunks: Iterator[object], fs: float, leads) -> Source:
    first = None
    for first in chunks:
        if np.size(first):
            break
    if first is None or not np.size(first):
        raise ValueError("source is empty (the iterator gave no samples); at least one sample is required")
    head = as_signal(first, name="chunk")
    cols = _select([f"lead{i}" for i in range(head.shape[1])], leads, where="the chunks")

    def rest() -> Iterator[np.ndarray]:
        yield head[:, cols]
        for chunk in chunks:
            yield as_chunk(chunk, head.shape[1])[:, cols]

    return Source(fs, tuple(f"lead{c}" for c in cols), None, rest())
