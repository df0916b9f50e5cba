"""Run-length kernels: a per-sample label array <-> runs ``(symbols, lengths)``.

A *run* is a stretch of consecutive samples with one label. :func:`labels_to_runs` returns maximal runs (two
neighbouring runs never share a symbol); :func:`runs_to_labels` accepts any runs, including neighbours with
the same symbol, so a token stream that splits one label on purpose survives the trip back to samples.

Runs are a :class:`Runs` pair of arrays:

- ``symbols``: uint8 ``(k,)``, the label of each run (a class id of one layer, or a vocabulary symbol id);
- ``lengths``: int64 ``(k,)``, the number of samples of each run, every one ``>= 1``.

The hot paths are numba kernels that make two passes (count, then fill a preallocated array); each has a
plain-Python twin (``_labels_to_runs_reference``, ``_runs_to_labels_reference``) that the tests compare
against on random input.

Examples
--------
>>> runs = labels_to_runs(np.array([2, 2, 4, 4, 4, 2], dtype=np.uint8))
>>> runs.symbols.tolist(), runs.lengths.tolist()
([2, 4, 2], [2, 3, 1])
>>> runs_to_labels(runs.symbols, runs.lengths).tolist()
[2, 2, 4, 4, 4, 2]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

__all__ = ["Runs", "labels_to_runs", "label_runs", "runs_to_labels", "slice_runs", "concatenate_runs"]


class Runs(NamedTuple):
    """Runs of labels: ``symbols`` uint8 ``(k,)`` and ``lengths`` int64 ``(k,)`` in samples, all ``>= 1``."""

    symbols: np.ndarray
    lengths: np.ndarray

    @property
    def n_samples(self) -> int:
        """Number of samples the runs cover (the sum of ``lengths``)."""
        return int(self.lengths.sum())


def as_uint8(values: object, *, name: str) -> np.ndarray:
    """Return a 1-D integer array as contiguous uint8, or raise ``ValueError`` naming ``name``.

    Integers of another dtype are accepted when every value lies in 0..255, and an empty 1-D array of any
    dtype (``[]`` is float64) gives an empty uint8 array; nothing is clipped or wrapped.
    """
    array = np.asarray(values)
    if array.ndim == 1 and (array.dtype == np.uint8 or array.size == 0):
        return np.ascontiguousarray(array, dtype=np.uint8)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} has dtype {array.dtype}; integer labels are required (pass a uint8 array)")
    if array.ndim != 1:
        raise ValueError(f"{name} has shape {array.shape}; a 1-D array (samples,) or (runs,) is required")
    if array.size:
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            bad = low if low < 0 else high
            index = int(np.flatnonzero(array == bad)[0])
            raise ValueError(f"{name}[{index}]={bad} is outside 0..255; labels must fit in uint8")
    return array.astype(np.uint8)


def as_lengths(values: object, *, name: str = "lengths") -> np.ndarray:
    """Return run lengths as contiguous int64 ``(k,)``, or raise ``ValueError`` if any is not an integer >= 1."""
    array = np.asarray(values)
    if array.ndim == 1 and array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} has dtype {array.dtype}; integer run lengths >= 1 are required")
    if array.ndim != 1:
        raise ValueError(f"{name} has shape {array.shape}; a 1-D array (runs,) is required")
    if array.dtype == np.uint64 and array.size and int(array.max()) > np.iinfo(np.int64).max:
        index = int(np.argmax(array))
        raise ValueError(f"{name}[{index}]={int(array[index])} is too long; a run length must fit in int64")
    lengths = np.ascontiguousarray(array, dtype=np.int64)
    if lengths.size and int(lengths.min()) < 1:
        index = int(np.argmax(lengths < 1))
        raise ValueError(f"{name}[{index}]={int(lengths[index])} is not allowed; every run length must be >= 1")
    return lengths


def as_runs(symbols: object, lengths: object) -> Runs:
    """Validate a pair of run arrays (same length, uint8 symbols, lengths >= 1) and return :class:`Runs`."""
    symbol_array = as_uint8(symbols, name="symbols")
    length_array = as_lengths(lengths)
    if symbol_array.shape != length_array.shape:
        raise ValueError(
            f"symbols has {symbol_array.size} runs but lengths has {length_array.size}; give one length per symbol"
        )
    return Runs(symbol_array, length_array)


@njit(cache=True, nogil=True)
def _count_runs(labels: np.ndarray) -> int:
    n = labels.shape[0]
    if n == 0:
        return 0
    count = 1
    for i in range(1, n):
        count += np.int64(labels[i] != labels[i - 1])
    return count


@njit(cache=True, nogil=True)
def _fill_runs(labels: np.ndarray, symbols: np.ndarray, lengths: np.ndarray) -> None:
    n = labels.shape[0]
    k = 0
    begin = 0
    current = labels[0]
    for i in range(1, n):
        value = labels[i]
        if value != current:
            symbols[k] = current
            lengths[k] = i - begin
            k += 1
            begin = i
            current = value
    symbols[k] = current
    lengths[k] = n - begin


@njit(cache=True, nogil=True)
def _fill_labels(symbols: np.ndarray, lengths: np.ndarray, out: np.ndarray) -> None:
    position = 0
    for j in range(symbols.shape[0]):
        symbol = symbols[j]
        end = position + lengths[j]
        for i in range(position, end):
            out[i] = symbol
        position = end


def labels_to_runs(labels: object) -> Runs:
    """Run-length encode a per-sample label array.

    Parameters
    ----------
    labels : array_like of int
        ``(samples,)`` labels, any length (0 gives no runs); integer values in 0..255.

    Returns
    -------
    Runs
        Maximal runs: ``symbols`` uint8 ``(k,)``, ``lengths`` int64 ``(k,)`` with ``lengths.sum() == samples``.

    Examples
    --------
    >>> labels_to_runs([0, 0, 0, 1]).lengths.tolist()
    [3, 1]
    """
    array = as_uint8(labels, name="labels")
    k = _count_runs(array)
    symbols = np.empty(k, dtype=np.uint8)
    lengths = np.empty(k, dtype=np.int64)
    if k:
        _fill_runs(array, symbols, lengths)
    return Runs(symbols, lengths)


def label_runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run-length form of a 1-D uint8 label array with run starts: ``(starts, lengths, values)``, each ``(k,)``.

    >>> [a.tolist() for a in label_runs(np.array([0, 0, 2, 2, 2, 0], np.uint8))]
    [[0, 2, 5], [2, 3, 1], [0, 2, 0]]
    """
    values, lengths = labels_to_runs(labels)
    return np.cumsum(lengths) - lengths, lengths, values


def runs_to_labels(symbols: object, lengths: object) -> np.ndarray:
    """Expand runs back to a per-sample label array.

    Parameters
    ----------
    symbols : array_like of int
        ``(k,)`` label of each run, values in 0..255.
    lengths : array_like of int
        ``(k,)`` samples in each run, every one ``>= 1``.

    Returns
    -------
    numpy.ndarray
        uint8 ``(lengths.sum(),)``.

    Examples
    --------
    >>> runs_to_labels([4, 2], [2, 1]).tolist()
    [4, 4, 2]
    """
    runs = as_runs(symbols, lengths)
    out = np.empty(int(runs.lengths.sum()), dtype=np.uint8)
    _fill_labels(runs.symbols, runs.lengths, out)
    return out


def slice_runs(runs: Runs, start: int, stop: int) -> Runs:
    """Cut runs to the samples ``start:stop`` (``0 <= start <= stop <= runs.n_samples``), exactly.

    Runs cut by ``start`` or ``stop`` are shortened; neighbouring runs keep their boundaries, so slicing and
    concatenating the pieces gives back the same runs except where a run was cut in two.
    """
    ends = np.cumsum(runs.lengths)
    total = int(ends[-1]) if ends.size else 0
    if not 0 <= start <= stop <= total:
        raise ValueError(f"start={start}, stop={stop} must satisfy 0 <= start <= stop <= {total} (the runs' length)")
    begins = ends - runs.lengths
    first = int(np.searchsorted(ends, start, side="right"))
    last = int(np.searchsorted(begins, stop, side="left"))
    if stop == start:
        first = last = 0
    lengths = np.minimum(ends[first:last], stop) - np.maximum(begins[first:last], start)
    return Runs(runs.symbols[first:last].copy(), lengths)


def concatenate_runs(pieces: list[Runs]) -> Runs:
    """Join runs end to end; neighbouring runs with the same symbol stay separate (nothing is merged)."""
    if not pieces:
        return Runs(np.empty(0, dtype=np.uint8), np.empty(0, dtype=np.int64))
    return Runs(
        np.concatenate([p.symbols for p in pieces]).astype(np.uint8, copy=False),
        np.concatenate([p.lengths for p in pieces]).astype(np.int64, copy=False),
    )


def _labels_to_runs_reference(labels: list[int]) -> tuple[list[int], list[int]]:
    """Plain-Python twin of :func:`labels_to_runs` (for tests)."""
    symbols: list[int] = []
    lengths: list[int] = []
    for value in labels:
        if symbols and symbols[-1] == value:
            lengths[-1] += 1
        else:
            symbols.append(value)
            lengths.append(1)
    return symbols, lengths


def _runs_to_labels_reference(symbols: list[int], lengths: list[int]) -> list[int]:
    """Plain-Python twin of :func:`runs_to_labels` (for tests)."""
    labels: list[int] = []
    for symbol, length in zip(symbols, lengths, strict=True):
        labels.extend([symbol] * length)
    return labels
