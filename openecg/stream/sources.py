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

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, SignalWarning, warn_caller
from ..signal.gaps import GapBridge, max_bridged
from ..signal.io import CHECK_S, open_file
from ..signal.recording import Recording, as_signal
from ..signal.units import check_amplitude, unit_scale
from ..signal.validate import MAX_LEADS, check_dtype, check_encode_fs, check_fs, check_shape, select_leads
from .quality import check_rate

__all__ = ["Source", "open_source", "as_chunk", "MAX_LEADS"]


@dataclass
class Source:
    """An opened source: sample rate, lead names, length when known, and the chunk iterator (float32 mV,
    short gaps bridged, see :mod:`openecg.signal.gaps`).

    ``checks`` is None once the amplitude and heart-rate checks have run (at opening), or, when they were
    deferred (``open_source(..., defer_checks=True)``), the call that runs them: the consumer must make it
    before it hands out any result.
    """

    fs: float
    lead_names: tuple[str, ...]
    n_samples: int | None
    chunks: Iterator[np.ndarray]
    checks: Callable[[], None] | None = None

    @property
    def n_leads(self) -> int:
        """Number of leads in every chunk."""
        return len(self.lead_names)


def as_chunk(chunk: object, n_leads: int) -> np.ndarray:
    """One chunk of a stream as float32 ``(samples, n_leads)``; any length, even shorter than ``n_leads``."""
    array = np.asarray(chunk)
    check_dtype(array.dtype, name="chunk")
    if array.ndim == 1 and n_leads == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[1] != n_leads:
        hint = " (it looks leads-first: pass chunk.T)" if array.ndim == 2 and array.shape[0] == n_leads else ""
        raise InputError(
            f"chunk has shape {array.shape} but the stream has {n_leads} leads{hint}; "
            "every chunk must be (samples, leads) with the same leads"
        )
    return np.asarray(array, dtype=np.float32)


def _array_chunks(array: np.ndarray, cols: list[int], chunk_size: int, scale: float) -> Iterator[np.ndarray]:
    for i in range(0, len(array), chunk_size):
        block = np.asarray(array[i:i + chunk_size])
        block = block[:, None] if block.ndim == 1 else block[:, cols]
        yield np.asarray(block * scale if scale != 1.0 else block, dtype=np.float32)


def _checked(chunks: Iterator[np.ndarray], fs: float, n_leads: int, *, units: str | None,
             signal_checks: bool, defer: bool = False) -> tuple[Iterator[np.ndarray], Callable[[], None] | None]:
    """Read the first :data:`~openecg.signal.io.CHECK_S` seconds and check them (amplitude for the units,
    heart rate for the sample rate): at once, or, with ``defer``, in the call returned beside the chunk
    iterator (every chunk with its short gaps bridged)."""
    head: list[np.ndarray] = []
    have = 0
    for chunk in chunks:
        head.append(chunk)
        have += len(chunk)
        if have >= CHECK_S * fs:
            break
    bridged = _bridged(itertools.chain(head, chunks), fs, n_leads)
    if not (signal_checks and head):
        return bridged, None
    start = np.concatenate(head)

    def check() -> None:
        check_amplitude(start, fs=fs, units=units, name="source")
        check_rate(start, fs=fs)

    if defer:
        return bridged, check
    check()
    return bridged, None


def _bridged(chunks: Iterable[np.ndarray], fs: float, n_leads: int) -> Iterator[np.ndarray]:
    bridge = GapBridge(n_leads, max_len=max_bridged(fs))
    for chunk in chunks:
        out = bridge.feed(chunk)
        if len(out):
            yield out
    last = bridge.finish()
    if len(last):
        yield last
    if bridge.n_gaps:
        warn_caller(
            f"bridged {bridge.n_gaps} short gap(s) ({bridge.n_samples} missing samples, runs of at most "
            f"{bridge.max_len} samples) by linear interpolation; longer gaps are labelled noise",
            SignalWarning,
        )


def open_source(source: object, fs: float | None = None, *, leads: object = None, chunk_size: int = 1 << 16,
                units: str | None = None, gain: float | None = None, signal_checks: bool = True,
                defer_checks: bool = False) -> Source:
    """Open ``source`` for chunked reading, with every check of :mod:`openecg.signal.validate`.

    Parameters
    ----------
    source : array_like, numpy.memmap, Recording, str, pathlib.Path or iterable of arrays
        ``(samples,)`` or ``(samples, leads)``; a path to a WFDB record (``.hea`` or no suffix), an EDF/BDF,
        ``.npy`` or CSV file (read range by range, see :func:`openecg.signal.io.open_file`); or an iterable of
        chunks.
    fs : float, optional
        Sample rate in Hz (within :data:`~openecg.signal.validate.FS_RANGE_HZ`); required for arrays and
        iterables, taken from the header for WFDB/EDF files.
    leads : str, int or sequence of them, optional
        Leads to keep (:func:`openecg.signal.validate.select_leads`).
    chunk_size : int
        Samples per chunk read from arrays and files.
    units, gain
        Units of arrays, ``.npy``/CSV files and chunks (:mod:`openecg.signal.units`); default mV, checked.
    signal_checks : bool
        Check the amplitude and heart rate of the first minute (test oracles fed non-ECG signals turn this
        off). Short gaps are bridged either way.
    defer_checks : bool
        Leave those checks to the consumer (:attr:`Source.checks`) instead of running them here, so that they
        can run while the model works on the first windows.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise InputError(f"chunk_size={chunk_size!r} must be a positive integer number of samples")
    size = int(chunk_size)
    if isinstance(source, (str, Path)):
        opened = open_file(source, fs=fs, leads=leads, units=units, gain=gain)
        rate = check_encode_fs(opened.fs, name=f"the sample rate of {str(source)!r}")
        if opened.n_samples == 0:
            raise InputError(f"source {str(source)!r} holds no samples; a non-empty recording is required")
        stated = "file" if opened.units_stated else units
        chunks, checks = _checked(opened.chunks(size), rate, len(opened.names), units=stated,
                                  signal_checks=signal_checks, defer=defer_checks)
        return Source(rate, opened.names, opened.n_samples, chunks, checks)
    if isinstance(source, Recording):
        if fs is not None and check_fs(fs) != source.fs:
            raise InputError(f"fs={fs!r} differs from the Recording's fs={source.fs}; leave fs out for a Recording")
        if units is not None or gain is not None:
            raise InputError(f"units={units!r}: a Recording states its units ({source.units!r}); leave units out")
        rate = check_encode_fs(source.fs, name="the Recording's fs")
        cols = select_leads(source.lead_names, leads, where="the Recording")
        scale = unit_scale(source.units)
        chunks, checks = _checked(_array_chunks(source.signal, cols, size, scale), rate, len(cols),
                                  units=source.units, signal_checks=signal_checks, defer=defer_checks)
        return Source(rate, tuple(source.lead_names[c] for c in cols), source.n_samples, chunks, checks)
    if fs is None:
        raise InputError(
            "fs=None: the sample rate in Hz is required for arrays and chunk iterators (for example fs=250)"
        )
    rate = check_encode_fs(fs)
    scale = unit_scale(units, gain=gain)
    if isinstance(source, (np.ndarray, list, tuple)) or (hasattr(source, "shape") and hasattr(source, "__getitem__")):
        array = source if isinstance(source, np.ndarray) else np.asarray(source)
        check_shape(array.shape, name="source")
        check_dtype(array.dtype, name="source")
        width = 1 if array.ndim == 1 else array.shape[1]
        cols = select_leads([f"lead{i}" for i in range(width)], leads, where="the array")
        chunks, checks = _checked(_array_chunks(array, cols, size, scale), rate, len(cols), units=units,
                                  signal_checks=signal_checks, defer=defer_checks)
        return Source(rate, tuple(f"lead{c}" for c in cols), int(len(array)), chunks, checks)
    if isinstance(source, Iterable) and not isinstance(source, (bytes, str, dict)):
        return _iter_source(iter(source), rate, leads, scale, units=units, signal_checks=signal_checks,
                            defer_checks=defer_checks)
    raise InputError(
        f"source of type {type(source).__name__} is not supported; "
        "pass an array, a memory map, a path or an iterator of chunks"
    )


def _iter_source(chunks: Iterator[object], fs: float, leads: object, scale: float, *, units: str | None,
                 signal_checks: bool, defer_checks: bool) -> Source:
    first = None
    for first in chunks:
        if np.size(first):
            break
    if first is None or not np.size(first):
        raise InputError("source is empty (the iterator gave no samples); at least one sample is required")
    head = as_signal(first, name="chunk")
    cols = select_leads([f"lead{i}" for i in range(head.shape[1])], leads, where="the chunks")

    def rest() -> Iterator[np.ndarray]:
        yield head[:, cols] * np.float32(scale)
        for chunk in chunks:
            yield as_chunk(chunk, head.shape[1])[:, cols] * np.float32(scale)

    checked, checks = _checked(rest(), fs, len(cols), units=units, signal_checks=signal_checks,
                               defer=defer_checks)
    return Source(fs, tuple(f"lead{c}" for c in cols), None, checked, checks)
