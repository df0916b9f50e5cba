"""Packed runs: one ``uint16`` word per run (more for runs over 4096 samples), exact in both directions.

The word layout is specified in one place, ``docs/format.md`` (section "Packed word"): a 4-bit nibble (symbol
id of a new run, or 15 for a continuation word) over a 12-bit digit of ``length - 1``, least significant
digit first; runs of up to 4096 samples take one word, up to ``MAX_RUN_LENGTH`` (2**48) four. Each run begins
with its own start word, so two neighbouring runs of one symbol stay two runs.

The encoding is canonical, so ``pack(*unpack(words))`` gives ``words`` back and ``unpack(*pack(...))`` gives
the runs back; :func:`unpack` refuses anything :func:`pack` cannot produce (a leading continuation word, a
reserved nibble, a last continuation digit of zero, more than three continuation words). Words are native
uint16 in memory and little-endian on disk.

Examples
--------
>>> words = pack([4, 2, 2], [20, 5000, 3])
>>> [hex(w) for w in words]
['0x4013', '0x2387', '0xf001', '0x2002']
>>> symbols, lengths = unpack(words)
>>> symbols.tolist(), lengths.tolist()
([4, 2, 2], [20, 5000, 3])
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .rle import Runs, as_runs

__all__ = ["MAX_RUN_LENGTH", "MAX_SYMBOL", "pack", "unpack"]

MAX_SYMBOL = 12
"""Largest symbol id a start word may hold (the 13-symbol vocabulary uses 0..12)."""
MAX_RUN_LENGTH = 1 << 48
"""Longest run one start word and three continuation words can hold (about 35,000 years at 250 Hz)."""

_CONTINUATION = 15
_MAX_CONTINUATIONS = 3

# Error kinds reported by the unpack kernel, turned into messages by ``_unpack_error``.
_OK, _LEADING, _RESERVED, _TOO_MANY, _ZERO_DIGIT = 0, 1, 2, 3, 4


@njit(cache=True, nogil=True)
def _count_words(symbols: np.ndarray, lengths: np.ndarray) -> tuple[int, int]:
    total = 0
    for j in range(symbols.shape[0]):
        length = lengths[j]
        if symbols[j] > MAX_SYMBOL or length < 1 or length > MAX_RUN_LENGTH:
            return -1, j
        total += 1
        rest = (length - 1) >> 12
        while rest > 0:
            total += 1
            rest >>= 12
    return total, -1


@njit(cache=True, nogil=True)
def _fill_words(symbols: np.ndarray, lengths: np.ndarray, words: np.ndarray) -> None:
    w = 0
    for j in range(symbols.shape[0]):
        value = lengths[j] - 1
        words[w] = (np.uint16(symbols[j]) << 12) | np.uint16(value & 0xFFF)
        w += 1
        value >>= 12
        while value > 0:
            words[w] = np.uint16(0xF000) | np.uint16(value & 0xFFF)
            w += 1
            value >>= 12


@njit(cache=True, nogil=True)
def _count_runs(words: np.ndarray) -> tuple[int, int, int]:
    runs = 0
    continuations = 0
    last_digit = 1
    for i in range(words.shape[0]):
        nibble = words[i] >> 12
        if nibble == _CONTINUATION:
            if runs == 0:
                return runs, i, _LEADING
            continuations += 1
            if continuations > _MAX_CONTINUATIONS:
                return runs, i, _TOO_MANY
            last_digit = words[i] & 0xFFF
        else:
            if nibble > MAX_SYMBOL:
                return runs, i, _RESERVED
            if last_digit == 0:
                return runs, i - 1, _ZERO_DIGIT
            runs += 1
            continuations = 0
            last_digit = 1
    if last_digit == 0:
        return runs, words.shape[0] - 1, _ZERO_DIGIT
    return runs, -1, _OK


@njit(cache=True, nogil=True)
def _fill_runs(words: np.ndarray, symbols: np.ndarray, lengths: np.ndarray) -> None:
    k = -1
    shift = 0
    for i in range(words.shape[0]):
        word = words[i]
        digit = np.int64(word & 0xFFF)
        if (word >> 12) == _CONTINUATION:
            lengths[k] += digit << shift
            shift += 12
        else:
            k += 1
            symbols[k] = word >> 12
            lengths[k] = digit + 1
            shift = 12


def pack(symbols: object, lengths: object) -> np.ndarray:
    """Pack runs into ``uint16`` words (format above).

    Parameters
    ----------
    symbols : array_like of int
        ``(k,)`` symbol ids in ``0..MAX_SYMBOL``.
    lengths : array_like of int
        ``(k,)`` run lengths in samples, ``1..MAX_RUN_LENGTH``.

    Returns
    -------
    numpy.ndarray
        uint16 ``(w,)`` with ``w >= k`` (``w == k`` when no run is longer than 4096 samples).
    """
    runs = as_runs(symbols, lengths)
    total, bad = _count_words(runs.symbols, runs.lengths)
    if bad >= 0:
        symbol, length = int(runs.symbols[bad]), int(runs.lengths[bad])
        if symbol > MAX_SYMBOL:
            raise ValueError(
                f"symbols[{bad}]={symbol} is outside the vocabulary; allowed ids are 0..{MAX_SYMBOL} "
                "(openecg.tokenizer.SYMBOLS)"
            )
        raise ValueError(
            f"lengths[{bad}]={length} cannot be packed; allowed run lengths are 1..{MAX_RUN_LENGTH}: "
            "split the run"
        )
    words = np.empty(total, dtype=np.uint16)
    _fill_words(runs.symbols, runs.lengths, words)
    return words


def unpack(words: object) -> Runs:
    """Unpack ``uint16`` words into runs; the exact inverse of :func:`pack`.

    Parameters
    ----------
    words : array_like of uint16
        ``(w,)`` packed words.

    Returns
    -------
    Runs
        ``symbols`` uint8 ``(k,)`` and ``lengths`` int64 ``(k,)``.
    """
    array = np.asarray(words)
    if array.dtype != np.uint16 or array.ndim != 1:
        raise ValueError(f"words has dtype {array.dtype} and shape {array.shape}; a 1-D uint16 array is required")
    array = np.ascontiguousarray(array)
    k, bad, kind = _count_runs(array)
    if kind != _OK:
        raise ValueError(_unpack_error(array, bad, kind))
    symbols = np.empty(k, dtype=np.uint8)
    lengths = np.empty(k, dtype=np.int64)
    _fill_runs(array, symbols, lengths)
    return Runs(symbols, lengths)


def _unpack_error(words: np.ndarray, index: int, kind: int) -> str:
    word = f"words[{index}]=0x{int(words[index]):04x}"
    if kind == _LEADING:
        return f"{word} is a continuation word but no run starts before it; packed runs begin with a start word"
    if kind == _RESERVED:
        return f"{word} has the reserved nibble {int(words[index]) >> 12}; allowed: 0..{MAX_SYMBOL} and 15"
    if kind == _TOO_MANY:
        return f"{word} is continuation word {_MAX_CONTINUATIONS + 1} of one run; at most {_MAX_CONTINUATIONS} are allowed"
    return f"{word} is a last continuation word with digit 0, which pack never writes; the words are corrupted"


def _pack_reference(symbols: list[int], lengths: list[int]) -> list[int]:
    """Plain-Python twin of :func:`pack` (for tests)."""
    words: list[int] = []
    for symbol, length in zip(symbols, lengths, strict=True):
        value = length - 1
        words.append((symbol << 12) | (value & 0xFFF))
        value >>= 12
        while value:
            words.append(0xF000 | (value & 0xFFF))
            value >>= 12
    return words


def _unpack_reference(words: list[int]) -> tuple[list[int], list[int]]:
    """Plain-Python twin of :func:`unpack` for valid words (for tests)."""
    symbols: list[int] = []
    lengths: list[int] = []
    shift = 0
    for word in words:
        if word >> 12 == _CONTINUATION:
            lengths[-1] += (word & 0xFFF) << shift
            shift += 12
        else:
            symbols.append(word >> 12)
            lengths.append((word & 0xFFF) + 1)
            shift = 12
    return symbols, lengths
