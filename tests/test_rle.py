"""labels <-> runs: numba kernels against their plain-Python twins, edge cases and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openecg.tokenizer.rle import (
    _labels_to_runs_reference,
    _runs_to_labels_reference,
    concatenate_runs,
    labels_to_runs,
    runs_to_labels,
    slice_runs,
)

labels_strategy = st.lists(st.integers(0, 3), max_size=300) | st.lists(st.integers(0, 255), max_size=50)
runs_strategy = st.lists(st.tuples(st.integers(0, 255), st.integers(1, 40)), max_size=60)


@settings(deadline=None)
@given(labels_strategy)
def test_labels_to_runs_matches_reference(labels: list[int]) -> None:
    runs = labels_to_runs(np.array(labels, dtype=np.uint8))
    assert runs.symbols.dtype == np.uint8 and runs.lengths.dtype == np.int64
    assert (runs.symbols.tolist(), runs.lengths.tolist()) == _labels_to_runs_reference(labels)
    assert runs_to_labels(*runs).tolist() == labels


@settings(deadline=None)
@given(runs_strategy)
def test_runs_to_labels_matches_reference(pairs: list[tuple[int, int]]) -> None:
    symbols = [s for s, _ in pairs]
    lengths = [n for _, n in pairs]
    labels = runs_to_labels(np.array(symbols, dtype=np.uint8), np.array(lengths, dtype=np.int64))
    assert labels.dtype == np.uint8
    assert labels.tolist() == _runs_to_labels_reference(symbols, lengths)


@settings(deadline=None)
@given(runs_strategy, st.data())
def test_slice_runs_matches_slicing_labels(pairs: list[tuple[int, int]], data: st.DataObject) -> None:
    runs = labels_to_runs(_runs_to_labels_reference([s for s, _ in pairs], [n for _, n in pairs]))
    runs = concatenate_runs([runs])
    total = runs.n_samples
    start = data.draw(st.integers(0, total))
    stop = data.draw(st.integers(start, total))
    piece = slice_runs(runs, start, stop)
    assert (piece.lengths >= 1).all()
    assert runs_to_labels(*piece).tolist() == runs_to_labels(*runs)[start:stop].tolist()
    left, right = slice_runs(runs, 0, start), slice_runs(runs, start, total)
    assert runs_to_labels(*concatenate_runs([left, right])).tolist() == runs_to_labels(*runs).tolist()


def test_adjacent_runs_of_one_symbol_expand_and_stay_separate_in_concatenation() -> None:
    assert runs_to_labels([3, 3, 1], [2, 1, 2]).tolist() == [3, 3, 3, 1, 1]
    joined = concatenate_runs([labels_to_runs([3, 3]), labels_to_runs([3])])
    assert joined.symbols.tolist() == [3, 3] and joined.lengths.tolist() == [2, 1]


def test_empty_and_single_sample() -> None:
    empty = labels_to_runs(np.zeros(0, dtype=np.uint8))
    assert empty.symbols.size == 0 and empty.n_samples == 0
    assert runs_to_labels(*empty).size == 0
    assert labels_to_runs([7]).lengths.tolist() == [1]


def test_other_integer_dtypes_are_accepted_when_in_range() -> None:
    runs = labels_to_runs(np.array([1, 1, 200], dtype=np.int64))
    assert runs.symbols.tolist() == [1, 200]
    assert runs_to_labels(np.array([5], dtype=np.int32), np.array([3], dtype=np.uint32)).tolist() == [5, 5, 5]


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (np.array([0.0, 1.0]), "labels has dtype float64; integer labels"),
        (np.array([True, False]), "labels has dtype bool"),
        (np.array([0, -1]), r"labels\[1\]=-1 is outside 0..255"),
        (np.array([0, 256]), r"labels\[1\]=256 is outside 0..255"),
        (np.zeros((2, 2), dtype=np.uint8), r"labels has shape \(2, 2\)"),
        (np.array(["a"]), "labels has dtype <U1"),
    ],
)
def test_bad_labels_raise(labels: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        labels_to_runs(labels)


@pytest.mark.parametrize(
    ("symbols", "lengths", "match"),
    [
        ([1, 2], [3, 0], r"lengths\[1\]=0 is not allowed; every run length must be >= 1"),
        ([1, 2], [-2, 1], r"lengths\[0\]=-2 is not allowed"),
        ([1, 2], [1.0, 2.0], "lengths has dtype float64"),
        ([1, 2], [1], "symbols has 2 runs but lengths has 1"),
        ([1, 300], [1, 1], r"symbols\[1\]=300 is outside 0..255"),
        ([1], np.array([2**63], dtype=np.uint64), "too long"),
    ],
)
def test_bad_runs_raise(symbols: list[int], lengths: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        runs_to_labels(symbols, lengths)


def test_slice_runs_out_of_range_raises() -> None:
    with pytest.raises(ValueError, match=r"start=2, stop=9 must satisfy 0 <= start <= stop <= 3"):
        slice_runs(labels_to_runs([1, 1, 2]), 2, 9)
