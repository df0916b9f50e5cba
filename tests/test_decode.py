"""Decoding rules (postprocess) and the 13-symbol wave stream (waves)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openecg.stream.decoder import MIN_EPISODE_S, N_FEATURES, EpisodeState, absorb_short_episodes, decode
from openecg.tokenizer.rle import label_runs
from openecg.tokenizer.rle import runs_to_labels
from openecg.tokenizer.vocab import class_id, symbol_id
from openecg.tokenizer.wavestream import merge_runs, wave_tokens

FS = 250.0


def features(wave: np.ndarray, *, beat: np.ndarray | None = None, rhythm: np.ndarray | None = None) -> np.ndarray:
    n = len(wave)
    f = np.zeros((n, N_FEATURES), np.float32)
    f[np.arange(n), wave] = 1
    f[np.arange(n), 5 + (np.zeros(n, int) if beat is None else beat)] += 0.5
    f[np.arange(n), 12 + (np.zeros(n, int) if rhythm is None else rhythm)] = 1
    f[:, 19] = 1
    return f


def test_short_waves_are_dropped_and_tiny_holes_filled():
    wave = np.zeros(600, int)
    wave[100:105] = 2          # 20-ms QRS: too short
    wave[200:230] = 2          # 120-ms QRS with a 2-sample hole
    wave[214:216] = 0
    wave[300:310] = 3          # 40-ms T: too short
    out = decode(features(wave), FS)[0]
    assert (out[95:110] == 0).all() and (out[300:310] == 0).all() and (out[200:230] == 2).all()


def test_one_beat_class_per_qrs():
    wave = np.zeros(500, int)
    wave[100:130] = 2
    beat = np.zeros(500, int)
    beat[100:112] = 3          # V on 12 samples
    beat[112:130] = 1          # N on 18: the QRS is N
    beat[300:320] = 3          # V outside any QRS: ignored
    out = decode(features(wave, beat=beat), FS)[1]
    assert (out[100:130] == 1).all() and (out[:100] == 0).all() and (out[130:] == 0).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 1500)), min_size=1, max_size=30))
def test_rhythm_episodes_are_never_shorter_than_the_minimum(segments):
    rhythm = np.concatenate([np.full(length, cls) for cls, length in segments])
    out = decode(features(np.zeros(len(rhythm), int), rhythm=rhythm), FS)[2]
    _, lengths, _ = label_runs(out)
    if len(lengths) > 1:
        assert lengths.min() >= MIN_EPISODE_S * FS


def test_unreadable_samples_are_noise_without_waves():
    wave = np.full(2000, 2)
    f = features(wave)
    f[500:1500, 19] = 0
    out = decode(f, FS)
    assert (out[2, 500:1500] == class_id("rhythm", "noise")).all()
    assert (out[0, 500:1500] == 0).all() and (out[1, 500:1500] == 0).all()


def chars(symbols: np.ndarray) -> str:
    from openecg.tokenizer.vocab import SYMBOLS

    return "".join(SYMBOLS[s].char for s in symbols)


def test_qrs_deflections_wide_qrs_pacer_and_unknown():
    fs = 500.0
    wave = np.array([0] * 50 + [2] * 40 + [0] * 50 + [2] * 70 + [0] * 50 + [4] * 80 + [0] * 20, np.uint8)
    x = np.zeros((len(wave), 1), np.float32)
    x[50:90, 0] = np.r_[np.zeros(5), np.full(15, 1.2), np.full(20, -0.5)]          # RS complex
    x[140:210, 0] = np.linspace(0, 2, 70)                                              # 140 ms: wide
    x[260:262, 0] = 5.0                                                                # pacer spike
    x[262:340, 0] = np.linspace(0, -1, 78)                                             # wide paced QRS
    rhythm = np.zeros(len(wave), np.uint8)
    rhythm[340:] = class_id("rhythm", "noise")
    symbols, lengths, done = wave_tokens(wave, rhythm, x, fs)
    assert chars(symbols) == "_rs_w_|w?" and done == len(wave)
    np.testing.assert_array_equal(lengths, [50, 20, 20, 50, 70, 50, 3, 77, 20])


def test_qs_complex_is_q_and_small_qrs_is_r():
    fs = 250.0
    wave = np.array([0] * 5 + [2] * 20 + [0] * 5, np.uint8)
    qs = np.zeros((30, 1), np.float32)
    qs[8:20, 0] = -1.0
    assert chars(wave_tokens(wave, np.zeros(30, np.uint8), qs, fs)[0]) == "_q_"
    tiny = np.full((30, 1), 0.01, np.float32)
    assert chars(wave_tokens(wave, np.zeros(30, np.uint8), tiny, fs)[0]) == "_r_"


def test_open_qrs_is_held_back_until_it_ends():
    wave = np.array([0] * 10 + [2] * 10, np.uint8)
    signal = np.zeros((20, 1), np.float32)
    symbols, lengths, done = wave_tokens(wave, np.zeros(20, np.uint8), signal, 250.0, final=False)
    assert done == 10 and lengths.sum() == 10 and symbols.tolist() == [symbol_id("iso")]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(1, 20)), max_size=20))
def test_merge_runs_keeps_the_labels(pairs):
    symbols = np.array([s for s, _ in pairs], np.uint8)
    lengths = np.array([n for _, n in pairs], np.int64)
    merged = merge_runs(symbols, lengths)
    np.testing.assert_array_equal(runs_to_labels(*merged), runs_to_labels(symbols, lengths))
    assert (merged[0][1:] != merged[0][:-1]).all()


def episodes_reference(rhythm: np.ndarray, min_len: int) -> np.ndarray:
    """The episode rule on a whole array at once (vectorised), for comparison with the streaming filter."""
    _, lengths, values = label_runs(rhythm)
    long = (lengths >= min_len) | (values == class_id("rhythm", "noise"))
    if not long.any():
        counts = np.bincount(values, weights=lengths)
        return np.full(len(rhythm), int(np.argmax(counts)), np.uint8)
    idx = np.maximum.accumulate(np.where(long, np.arange(len(values)), -1))
    idx[idx < 0] = np.flatnonzero(long)[0]
    return np.repeat(values[idx], lengths).astype(np.uint8)


@settings(max_examples=60, deadline=None)
@given(
    segments=st.lists(st.tuples(st.integers(0, 6), st.integers(1, 40)), min_size=1, max_size=40),
    cuts=st.lists(st.integers(0, 1600), max_size=6),
    min_len=st.integers(1, 30),
)
def test_streaming_episodes_equal_the_whole_array_rule(segments, cuts, min_len):
    rhythm = np.concatenate([np.full(n, c, np.uint8) for c, n in segments])
    state = EpisodeState(min_len=min_len)
    bounds = sorted({min(c, len(rhythm)) for c in cuts} | {0, len(rhythm)})
    pieces = [absorb_short_episodes(rhythm[a:b], state, final=False) for a, b in zip(bounds, bounds[1:])]
    pieces.append(absorb_short_episodes(rhythm[:0], state, final=True))
    np.testing.assert_array_equal(np.concatenate(pieces), episodes_reference(rhythm, min_len))


def test_a_long_qrs_is_emitted_as_wide_without_waiting_for_its_end():
    fs = 250.0
    wave = np.array([0] * 10 + [2] * 200, np.uint8)
    x = np.zeros((210, 1), np.float32)
    symbols, lengths, done = wave_tokens(wave, np.zeros(210, np.uint8), x, fs, final=False)
    assert done == 210 and chars(symbols) == "_w"
    more = np.array([2] * 5 + [0] * 5, np.uint8)
    symbols, lengths, done = wave_tokens(more, np.zeros(10, np.uint8), x[:10], fs, final=False, open_wide=2)
    assert chars(symbols) == "w_" and lengths.tolist() == [5, 5] and done == 10


def test_a_wide_qrs_cut_in_two_is_one_qrs_and_one_beat():
    wave = np.zeros(1500, int)
    wave[100:130] = 2          # 120 ms, a 32-ms gap, 48 ms: one wide complex cut in two
    wave[138:150] = 2
    wave[300:315] = 2          # 60 ms, a 68-ms gap, 80 ms (188 ms in all): one complex, as two fused leads
    wave[332:352] = 2          # cut MIT-BIH 208's wide beats
    wave[400:425] = 2          # 100 ms, a 68-ms gap, 100 ms: a 268-ms span is no single QRS
    wave[442:467] = 2
    wave[700:740] = 2          # 160 ms, 40 ms gap, 160 ms: a 360-ms span is no single QRS
    wave[750:790] = 2
    wave[1000:1012] = 2        # 48 ms, a 96-ms gap, 48 ms: past the 90-ms gap, two runs stay two
    wave[1036:1048] = 2
    labels = decode(features(wave, beat=np.ones(1500, int)), FS)
    assert (labels[0, 100:150] == 2).all() and (labels[1, 100:150] == 1).all()
    assert (labels[0, 300:352] == 2).all() and (labels[1, 300:352] == 1).all()
    starts, _, values = label_runs(labels[0])
    assert (values == 2).sum() == 1 + 1 + 2 + 2 + 2
    assert (labels[0, 430:442] == 0).all() and (labels[0, 740:750] == 0).all() and (labels[0, 1012:1036] == 0).all()


def test_touching_or_fragmented_qrs_pieces_are_one_beat():
    """Pieces the network labelled QRS then paced QRS with no gap, or with a short T fragment between, are
    one complex (record 116 and 207 of MIT-BIH training records showed both as two beats 20-60 ms apart)."""
    wave = np.zeros(1000, int)
    wave[100:112] = 2          # QRS 48 ms touching paced QRS 56 ms: one complex, the first piece's class
    wave[112:126] = 4
    wave[400:421] = 2          # QRS, 12 ms "other", 20 ms T fragment, QRS 44 ms: one complex
    wave[424:429] = 3
    wave[429:440] = 2
    wave[700:712] = 2          # three pieces 8 ms apart, spanning 168 ms: one complex
    wave[714:726] = 2
    wave[728:742] = 4
    labels = decode(features(wave, beat=np.ones(1000, int)), FS)
    _, _, values = label_runs(labels[0])
    assert (np.isin(values, (2, 4))).sum() == 3
    assert (labels[0, 100:126] == 2).all() and (labels[0, 400:440] == 2).all() and (labels[0, 700:742] == 2).all()
    assert (np.diff(np.flatnonzero(labels[1] > 0)) > 1).sum() == 2  # one beat label run per complex
