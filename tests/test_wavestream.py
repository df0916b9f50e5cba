"""The compiled QRS kernel of the wave stream agrees with its plain-Python twin on random input."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from openecg.tokenizer.wavestream import _qrs_symbols_reference, qrs_symbols, wave_tokens

# values on a 1/64-mV grid are exact in float32: with amplitudes that are multiples of 10/64 mV the lobe
# threshold (10 % of the amplitude) lands on the grid, and at 128, 256 and 512 Hz steps of 100/64, 50/64 and
# 25/64 mV have a slope of exactly 200 mV/s, so both comparisons are tested at equality
levels = st.sampled_from([0, 4, -4, 8, -8, 20, -20, 40, -40]) | st.sampled_from([25, 50, 100, 125]) | st.integers(-130, 130)


@st.composite
def qrs_runs(draw):
    fs = draw(st.sampled_from([128.0, 250.0, 256.0, 360.0, 500.0, 512.0]))
    leads = draw(st.integers(1, 3))
    runs = draw(st.lists(st.tuples(st.integers(1, int(0.2 * fs)), st.booleans(), st.integers(0, 5)), min_size=1,
                         max_size=6))
    n = sum(length + gap for length, _, gap in runs)
    values = np.array(draw(st.lists(levels, min_size=n * leads, max_size=n * leads))).reshape(n, leads) / 64
    return fs, values.astype(np.float32), runs


EQUAL_LOBE = (250.0, np.array([[0], [-40], [8], [40]], np.float32) / 64, [(4, False, 0)])  # lobe == threshold
EQUAL_SLOPE = (256.0, np.array([[0], [50], [50], [-40], [40]], np.float32) / 64, [(5, True, 0)])  # 200 mV/s


@settings(max_examples=300, deadline=None)
@given(qrs_runs())
@example(EQUAL_LOBE)
@example(EQUAL_SLOPE)
def test_qrs_kernel_matches_reference(case):
    fs, signal, runs = case
    starts, lengths, paced, at = [], [], [], 0
    for length, is_paced, gap in runs:
        starts.append(at)
        lengths.append(length)
        paced.append(is_paced)
        at += length + gap
    out = np.zeros(len(signal), np.uint8)
    qrs_symbols(out, signal, np.array(starts), np.array(lengths), np.array(paced), fs)
    for start, length, is_paced in zip(starts, lengths, paced):
        expected = _qrs_symbols_reference(signal[start:start + length], fs, is_paced)
        np.testing.assert_array_equal(out[start:start + length], expected)


def test_wave_tokens_on_a_long_record_matches_the_reference():
    """Many QRS runs in one call, the way a stream piece holds them."""
    rng = np.random.default_rng(0)
    fs, n = 250.0, 250 * 600
    wave = np.zeros(n, np.uint8)
    for start in range(100, n - 100, 200):
        wave[start:start + rng.integers(10, 40)] = rng.choice([2, 4])
    signal = np.cumsum(rng.normal(0, 0.05, (n, 2)), axis=0).astype(np.float32)
    symbols, lengths, done = wave_tokens(wave, np.zeros(n, np.uint8), signal, fs)
    per_sample = np.repeat(symbols, lengths)
    for start in np.flatnonzero(np.diff(wave.astype(int), prepend=0) > 0):
        end = start + np.argmax(wave[start:] == 0)
        expected = _qrs_symbols_reference(signal[start:end], fs, wave[start] == 4)
        np.testing.assert_array_equal(per_sample[start:end], expected)
    assert done == n
