"""Stitching correctness of the stream engine, proved with an oracle that echoes each sample's index."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import FS, GUARD, WINDOW, EchoOracle, echo_decode, ramp

import openecg.stream.decoder as decoder
import openecg.stream.engine as stream
from openecg.stream.geometry import Geometry, plan


@pytest.fixture
def echo(monkeypatch):
    monkeypatch.setattr(stream, "decode_frames", echo_decode)
    monkeypatch.setattr(decoder, "MIN_EPISODE_S", 0.0)


def run_echo(n: int, *, chunk: int | None = None, batch_size: int = 8, x: np.ndarray | None = None):
    oracle = EchoOracle(n)
    state = stream.start(oracle, fs=FS, n_leads=1, batch_size=batch_size)
    x = ramp(n) if x is None else x
    pieces = []
    step = chunk or n
    for i in range(0, n, step):
        pieces += stream.feed(state, x[i:i + step])
    pieces += stream.finish(state)
    return pieces, oracle


def check_echo(pieces, n: int) -> None:
    position = 0
    for piece in pieces:
        assert piece.start == position
        t = np.arange(position, position + piece.labels.shape[1])
        np.testing.assert_array_equal(piece.labels[0], 0, err_msg=f"context violated, n={n}")
        np.testing.assert_array_equal(piece.labels[1], t % 256, err_msg=f"misplaced window, n={n}")
        np.testing.assert_array_equal(piece.labels[2], (t // 256) % 256, err_msg=f"misplaced window, n={n}")
        assert piece.lengths.sum() == piece.labels.shape[1]
        position += piece.labels.shape[1]
    assert position == n


def test_plan_tiles_every_length():
    geo = Geometry(window=WINDOW, guard=GUARD)
    for m in range(1, 4 * WINDOW):
        windows = plan(m, geo)
        assert windows[0][1] == 0 and windows[-1][2] == m
        for (s0, lo0, hi0), (s1, lo1, hi1) in zip(windows, windows[1:]):
            assert hi0 == lo1 and s1 > s0
        for start, lo, hi in windows:
            assert 0 <= start and (start + WINDOW <= m or m < WINDOW)
            assert lo - start >= min(GUARD, lo) and start + WINDOW - hi >= min(GUARD, m - hi)


def test_every_length_from_1s_to_40s(echo):
    """Every length from 1 s to 40 s, one sample apart: odd lengths, exact multiples, one sample over."""
    for n in range(int(FS), int(40 * FS) + 1):
        pieces, _ = run_echo(n)
        check_echo(pieces, n)


def test_oracle_catches_a_misplaced_guard(echo, monkeypatch):
    monkeypatch.setattr(stream, "GUARD_S", 1.0)
    pieces, _ = run_echo(int(30 * FS))
    codes = np.concatenate([p.labels[0] for p in pieces])
    assert (codes != 0).any()


@pytest.mark.parametrize("n", [1, 2499, 2500, 2501, 17 * 1500 + 1, 100_003])
def test_same_result_for_any_chunk_and_batch_size(echo, n):
    reference = np.concatenate([p.labels for p in run_echo(n, chunk=n, batch_size=64)[0]], axis=1)
    for chunk, batch_size in [(1, 1), (7, 3), (1499, 2), (2501, 5), (60_000, 1)]:
        if chunk == 1 and n > 3000:
            chunk = 997
        labels = np.concatenate([p.labels for p in run_echo(n, chunk=chunk, batch_size=batch_size)[0]], axis=1)
        np.testing.assert_array_equal(labels, reference)


def test_batches_are_full_until_the_end(echo):
    n = 40 * 1500 + WINDOW
    _, oracle = run_echo(n, batch_size=16, chunk=1000)
    assert oracle.rows == 41 and oracle.calls == 3


@pytest.mark.slow
def test_24_hour_array(echo):
    n = int(24 * 3600 * FS)
    x = ramp(n)
    oracle = EchoOracle(n)
    state = stream.start(oracle, fs=FS, n_leads=1, batch_size=64)
    position, peak = 0, 0
    for i in range(0, n, 1 << 20):
        pieces = stream.feed(state, x[i:i + (1 << 20)])
        check_echo_at(pieces, position)
        position += sum(p.labels.shape[1] for p in pieces)
        peak = max(peak, len(state.buf), len(state.feat))
    pieces = stream.finish(state)
    check_echo_at(pieces, position)
    position += sum(p.labels.shape[1] for p in pieces)
    assert position == n
    assert peak < 2_000_000, "the stream kept more than a bounded tail of the recording"


def check_echo_at(pieces, position: int) -> None:
    for piece in pieces:
        assert piece.start == position
        t = np.arange(position, position + piece.labels.shape[1])
        assert (piece.labels[0] == 0).all()
        assert (piece.labels[1] == t % 256).all() and (piece.labels[2] == (t // 256) % 256).all()
        position += piece.labels.shape[1]


def test_finished_stream_refuses_more(echo):
    state = stream.start(EchoOracle(10), fs=FS, n_leads=1)
    stream.feed(state, ramp(10))
    stream.finish(state)
    with pytest.raises(ValueError, match="finished"):
        stream.feed(state, ramp(10))


def test_bad_batch_size_and_empty_stream():
    with pytest.raises(ValueError, match="batch_size=0"):
        stream.start(EchoOracle(1), fs=FS, n_leads=1, batch_size=0)
    state = stream.start(EchoOracle(1), fs=FS, n_leads=1)
    with pytest.raises(ValueError, match="empty"):
        stream.finish(state)


def test_chunk_with_other_lead_count():
    state = stream.start(EchoOracle(1), fs=FS, n_leads=2)
    with pytest.raises(ValueError, match=r"chunk has shape \(100, 3\).*2 leads"):
        stream.feed(state, np.zeros((100, 3), np.float32))
    with pytest.raises(ValueError, match="leads-first"):
        stream.feed(state, np.zeros((2, 100), np.float32))


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 30_000),
    chunks=st.lists(st.integers(1, 9_000), min_size=1, max_size=8),
    batch_size=st.integers(1, 40),
)
def test_any_chunking_gives_the_exact_stitch(n, chunks, batch_size):
    saved = stream.decode_frames, decoder.MIN_EPISODE_S
    stream.decode_frames, decoder.MIN_EPISODE_S = echo_decode, 0.0
    try:
        oracle = EchoOracle(n)
        state = stream.start(oracle, fs=FS, n_leads=1, batch_size=batch_size)
        x, pieces, i, k = ramp(n), [], 0, 0
        while i < n:
            step = chunks[k % len(chunks)]
            pieces += stream.feed(state, x[i:i + step])
            i, k = i + step, k + 1
        pieces += stream.finish(state)
    finally:
        stream.decode_frames, decoder.MIN_EPISODE_S = saved
    check_echo(pieces, n)


@settings(max_examples=200, deadline=None)
@given(
    levels=st.lists(st.sampled_from([0.0, 0.004, 0.01, 0.02, 1.0]), min_size=1, max_size=12),
    size=st.integers(1, 60),
    leads=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_readable_shortcut_matches_the_sliding_filter(levels, size, leads, seed):
    """Flat stretches (steps of 0.004 mV stay below FLAT_MV = 0.01 mV) at random places: the block shortcut
    gives exactly the sliding peak-to-peak rule."""
    from scipy.ndimage import maximum_filter1d, minimum_filter1d

    rng = np.random.default_rng(seed)
    signal = np.repeat(np.array(levels, np.float32), rng.integers(1, 40, len(levels)))[:, None]
    signal = (signal + rng.choice([0.0, 0.003], (len(signal), leads))).astype(np.float32)
    expected = maximum_filter1d(signal, size, axis=0) - minimum_filter1d(signal, size, axis=0) >= stream.FLAT_MV
    np.testing.assert_array_equal(stream.readable(signal, size), expected)


def test_deferred_checks_run_once_before_the_first_piece(echo):
    """The input checks handed to ``start`` run once, after the first batch has gone to the model and before
    any piece comes out; what they raise stops the stream with no output."""
    fs = int(FS)
    n = 60 * fs
    calls = []

    def checks():
        calls.append(len(state.inflight))

    state = stream.start(EchoOracle(n), fs=FS, n_leads=1, batch_size=4, before_output=checks)
    pieces = stream.feed(state, ramp(n)[: 40 * fs])
    assert calls == [1]  # ran once, with the first batch in flight
    pieces += stream.feed(state, ramp(n)[40 * fs:]) + stream.finish(state)
    assert calls == [1]
    check_echo(pieces, n)

    def refuse():
        raise ValueError("amplitude looks like microvolts")

    state = stream.start(EchoOracle(n), fs=FS, n_leads=1, batch_size=4, before_output=refuse)
    with pytest.raises(ValueError, match="microvolts"):
        stream.feed(state, ramp(n))
    short = stream.start(EchoOracle(2 * fs), fs=FS, n_leads=1, before_output=refuse)  # no full batch: at finish
    assert stream.feed(short, ramp(2 * fs)) == []
    with pytest.raises(ValueError, match="microvolts"):
        stream.finish(short)


def test_encode_refuses_before_returning_with_deferred_checks():
    """``encode`` defers the amplitude and rate checks to overlap the model; they still refuse and warn."""
    import warnings

    import openecg
    from openecg.errors import InputError, SignalWarning

    t = np.arange(10 * 500) / 500
    ecg = np.exp(-((t % 0.8 - 0.4) ** 2) / 0.0002).astype(np.float32)  # 75 per minute, 1 mV spikes
    with pytest.raises(InputError, match="uV"):
        openecg.encode(ecg * 1000, 500.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        openecg.encode(ecg, 125.0)  # 19 per minute at the stated rate
    assert any(issubclass(w.category, SignalWarning) and "heart rate" in str(w.message) for w in caught)


@pytest.mark.parametrize("n_leads", [2, 12])
def test_lead_fusion_is_the_weighted_mean_of_the_readable_leads(n_leads):
    """Each window's features are the mean of its readable leads' probabilities (plus their share), the
    same numbers whether every lead is readable (a shortcut) or some are not, and rows that are wholly
    unreadable never reach the model."""
    from openecg.runtime.heads import OUTPUT_CLASSES

    rng = np.random.default_rng(n_leads)
    width = sum(OUTPUT_CLASSES.values())

    class RandomProbabilities:
        fs, window, rows = FS, WINDOW, 0

        def predict(self, x):
            self.rows += len(x)
            return {k: rng.random((len(x), WINDOW, c), dtype=np.float32) for k, c in OUTPUT_CLASSES.items()}

    predictor = RandomProbabilities()
    signal = np.zeros((WINDOW, n_leads), np.float32)
    every = np.ones((WINDOW, n_leads), bool)
    some = every.copy()
    some[: WINDOW // 3, -1] = False
    some[:, 0] = False  # a lead with nothing readable is not run (so the rows run are not consecutive)
    batch = [(0, 0, WINDOW, signal, every), (WINDOW, WINDOW, 2 * WINDOW, signal, some)]
    captured = []
    original = predictor.predict
    predictor.predict = lambda x: captured.append(original(x)) or captured[-1]
    regions = stream._fuse(batch, stream._predict(predictor, batch, batch_size=32), n_leads=n_leads)
    assert predictor.rows == 2 * n_leads - 1
    out = captured[0]
    probs = np.concatenate([out[k] for k in OUTPUT_CLASSES], axis=2)  # rows: window 0's leads, then window 1's
    first = probs[:n_leads]
    np.testing.assert_array_equal(regions[0][3][:, :width], first.sum(axis=0) / np.float32(n_leads))
    np.testing.assert_array_equal(regions[0][3][:, width], 1.0)
    second = np.zeros((n_leads, WINDOW, width), np.float32)
    second[1:] = probs[n_leads:]
    weight = some.T[..., None].astype(np.float32)
    total = weight.sum(axis=0)
    np.testing.assert_allclose(regions[1][3][:, :width], (second * weight).sum(axis=0) / np.maximum(total, 1.0),
                               rtol=1e-6)
    np.testing.assert_array_equal(regions[1][3][:, width], total[:, 0] / n_leads)


@pytest.mark.parametrize("n_leads", [1, 3, 12])
def test_fusion_at_the_heads_rates_equals_fusion_per_sample(n_leads):
    """A predictor read through ``predict_frames`` (heads at their own rates, as the bundled models give them)
    yields exactly the features of the same probabilities repeated to samples first, for windows whose leads
    are all readable, partly readable and not readable at all."""
    from openecg.runtime.bundled import per_sample
    from openecg.runtime.heads import HEAD_NAMES

    rng = np.random.default_rng(n_leads)
    rates = {"wave": WINDOW, "beat": WINDOW // 2, "rhythm": -(-WINDOW // 16)}

    class Frames:
        fs, window = FS, WINDOW

        def predict_frames(self, x):
            return {k: rng.random((len(x), rates[k], c), dtype=np.float32)
                    for k, c in zip(HEAD_NAMES, (5, 7, 7))}

        def predict(self, x):
            raise AssertionError("the stream reads predict_frames when a predictor has it")

    class Samples:  # the same numbers, per sample, through the plain protocol
        fs, window = FS, WINDOW

        def __init__(self, frames):
            self.frames = frames

        def predict(self, x):
            frame = self.frames.pop(0)
            return per_sample([frame[k] for k in HEAD_NAMES], WINDOW)

    signal = np.zeros((WINDOW, n_leads), np.float32)
    every = np.ones((WINDOW, n_leads), bool)
    some = every.copy()
    some[: WINDOW // 3, -1] = False
    none = np.zeros_like(every)
    batch = [(0, 0, WINDOW, signal, every), (WINDOW, WINDOW, 2 * WINDOW, signal, some),
             (2 * WINDOW, 2 * WINDOW, 3 * WINDOW, signal, none)]
    for windows, batch_size in ((batch, 4), (batch[:2], 64)):  # several calls; one call for every row
        recorded = []
        frames = Frames()
        original = frames.predict_frames
        frames.predict_frames = lambda x: recorded.append(original(x)) or recorded[-1]
        fast = stream._fuse(windows, stream._predict(frames, windows, batch_size=batch_size), n_leads=n_leads)
        slow = stream._fuse(windows, stream._predict(Samples(list(recorded)), windows, batch_size=batch_size),
                             n_leads=n_leads)
        assert len(recorded) == -(-2 * n_leads // batch_size)
        for a, b in zip(fast, slow, strict=True):
            assert a[:3] == b[:3]
            np.testing.assert_array_equal(a[3], b[3])
        if len(windows) == 3:
            np.testing.assert_array_equal(fast[2][3], 0.0)  # nothing readable: no probabilities, no weight
