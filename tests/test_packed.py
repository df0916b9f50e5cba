"""Packed uint16 words: kernels against their twins, exactness, long runs and corrupted words."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openecg.tokenizer import labels_to_runs, runs_to_labels
from openecg.tokenizer.packed import MAX_RUN_LENGTH, _pack_reference, _unpack_reference, pack, unpack
from openecg.tokenizer.synthetic import synthetic_channels

lengths_strategy = st.integers(1, 5000) | st.integers(1, MAX_RUN_LENGTH) | st.sampled_from(
    [1, 4095, 4096, 4097, 2**24, 2**24 + 1, 2**36, 2**36 + 1, MAX_RUN_LENGTH]
)
runs_strategy = st.lists(st.tuples(st.integers(0, 12), lengths_strategy), max_size=40)


@settings(deadline=None)
@given(runs_strategy)
def test_pack_and_unpack_match_references_and_invert_each_other(pairs: list[tuple[int, int]]) -> None:
    symbols = np.array([s for s, _ in pairs], dtype=np.uint8)
    lengths = np.array([n for _, n in pairs], dtype=np.int64)
    words = pack(symbols, lengths)
    assert words.dtype == np.uint16
    assert words.tolist() == _pack_reference(symbols.tolist(), lengths.tolist())
    runs = unpack(words)
    assert (runs.symbols.tolist(), runs.lengths.tolist()) == _unpack_reference(words.tolist())
    assert np.array_equal(runs.symbols, symbols) and np.array_equal(runs.lengths, lengths)
    assert np.array_equal(pack(*runs), words)


@settings(deadline=None)
@given(st.lists(st.integers(0, 0xFFFF), max_size=30))
def test_unpack_accepts_exactly_what_pack_writes(raw: list[int]) -> None:
    words = np.array(raw, dtype=np.uint16)
    try:
        runs = unpack(words)
    except ValueError:
        return
    assert np.array_equal(pack(*runs), words)


def test_one_word_per_run_up_to_4096_samples_then_continuations() -> None:
    assert pack([6], [4096]).tolist() == [0x6FFF]
    assert pack([6], [4097]).tolist() == [0x6000, 0xF001]
    assert pack([6, 6], [1, 1]).tolist() == [0x6000, 0x6000]
    assert pack([4, 2, 2], [20, 5000, 3]).tolist() == [0x4013, 0x2387, 0xF001, 0x2002]
    assert pack([12], [MAX_RUN_LENGTH]).tolist() == [0xCFFF, 0xFFFF, 0xFFFF, 0xFFFF]
    assert pack(np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)).size == 0


def test_two_adjacent_runs_of_one_symbol_stay_two_runs() -> None:
    runs = unpack(pack([2, 2, 2], [5000, 5000, 1]))
    assert runs.symbols.tolist() == [2, 2, 2] and runs.lengths.tolist() == [5000, 5000, 1]


@pytest.mark.parametrize(
    ("symbols", "lengths", "match"),
    [
        ([1, 13], [1, 1], r"symbols\[1\]=13 is outside the vocabulary; allowed ids are 0..12"),
        ([15], [1], r"symbols\[0\]=15 is outside the vocabulary"),
        ([1, 2], [1, 0], r"lengths\[1\]=0 is not allowed"),
        ([1], [MAX_RUN_LENGTH + 1], rf"lengths\[0\]={MAX_RUN_LENGTH + 1} cannot be packed"),
        ([1.5], [1], "symbols has dtype float64"),
    ],
)
def test_pack_rejects_bad_runs(symbols: list[object], lengths: list[int], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pack(symbols, lengths)


@pytest.mark.parametrize(
    ("words", "match"),
    [
        ([0xF001], r"words\[0\]=0xf001 is a continuation word but no run starts before it"),
        ([0x1000, 0xD000], r"words\[1\]=0xd000 has the reserved nibble 13"),
        ([0x1000, 0xE000], "reserved nibble 14"),
        ([0x1000, 0xF000], r"words\[1\]=0xf000 is a last continuation word with digit 0"),
        ([0x1000, 0xF000, 0x2000], r"words\[1\]=0xf000 is a last continuation word"),
        ([0x1000, 0xF001, 0xF001, 0xF001, 0xF001], r"words\[4\]=0xf001 is continuation word 4"),
    ],
)
def test_unpack_rejects_corrupted_words(words: list[int], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        unpack(np.array(words, dtype=np.uint16))


def test_unpack_requires_uint16() -> None:
    with pytest.raises(ValueError, match="words has dtype int64"):
        unpack(np.array([1, 2]))


def test_24_hour_label_array_round_trip() -> None:
    fs = 250.0
    channels = synthetic_channels(24 * 3600.0, fs=fs, seed=3)
    wave = channels[0]
    assert wave.size == 21_600_000
    runs = labels_to_runs(wave)
    assert 500_000 < runs.symbols.size < 700_000
    words = pack(*runs)
    back = unpack(words)
    assert np.array_equal(back.symbols, runs.symbols) and np.array_equal(back.lengths, runs.lengths)
    assert np.array_equal(runs_to_labels(*back), wave)
    rhythm_runs = labels_to_runs(channels[2])
    assert rhythm_runs.lengths.max() > 4096
    assert np.array_equal(runs_to_labels(*unpack(pack(*rhythm_runs))), channels[2])
