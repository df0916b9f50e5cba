"""encode / encode_stream end to end with a toy level oracle: resampling, lead fusion, bad input, sinks."""

from __future__ import annotations

import io

import numpy as np
import pytest
from oracles import LevelOracle, level_signal

import openecg
from openecg.runtime import get_predictor, register_predictor
from openecg.tokenizer.streamfile import read_stream
from openecg.tokenizer.vocab import class_id

NOISE = class_id("rhythm", "noise")
QRS = class_id("wave", "QRS")


@pytest.mark.parametrize("fs", [250.0, 500.0, 360.0, 200.0, 128.0, 1000.0])
def test_resampled_and_mapped_back(fs):
    x, truth = level_signal(fs, 25.0)
    codec = openecg.encode(x, fs, model=LevelOracle())
    assert codec.n_samples == len(x) and codec.fs == fs
    assert np.mean(codec.wave == truth) > 0.97
    qrs = truth == QRS
    assert np.mean(codec.beat[qrs] == 1) > 0.95 and np.mean(codec.beat[codec.wave != QRS] == 0) == 1.0
    assert (codec.rhythm == 0).all()
    assert codec.tokens().lengths.sum() == len(x)


@pytest.mark.parametrize("seconds", [0.02, 1.0, 5.0, 9.99, 10.0, 10.01])
def test_short_records_are_padded_and_masked(seconds):
    x, truth = level_signal(500.0, seconds)
    codec = openecg.encode(x, 500.0, model=LevelOracle())
    assert codec.n_samples == len(x)
    if seconds >= 1:
        assert np.mean(codec.wave == truth) > 0.95


def test_lead_fusion_is_a_consensus_and_skips_flat_and_missing_leads():
    x, truth = level_signal(500.0, 20.0)
    late, _ = level_signal(500.0, 20.0, seed=1, offset_s=0.03)
    single = openecg.encode(x, 500.0, model=LevelOracle())
    three = openecg.encode(np.stack([x, np.zeros_like(x), np.full_like(x, np.nan)], axis=1), 500.0, model=LevelOracle())
    np.testing.assert_array_equal(three.channels, single.channels)
    voted = openecg.encode(np.stack([x, late, x + 0.001], axis=1), 500.0, model=LevelOracle())
    assert np.mean(voted.wave == truth) > 0.97


def test_gaps_and_flat_lines_are_noise_without_waves():
    fs = 360.0
    x, _ = level_signal(fs, 40.0)
    x[int(5 * fs):int(8 * fs)] = np.nan
    x[int(9 * fs)] = np.inf
    x[int(20 * fs):int(27 * fs)] = 2.0
    codec = openecg.encode(x, fs, model=LevelOracle())
    gap = ~np.isfinite(x)
    assert (codec.rhythm[gap] == NOISE).all() and (codec.wave[gap] == 0).all() and (codec.beat[gap] == 0).all()
    flat = slice(int(21.5 * fs), int(25.5 * fs))
    assert (codec.rhythm[flat] == NOISE).all() and (codec.wave[flat] == 0).all() and (codec.beat[flat] == 0).all()
    assert (codec.rhythm[int(12 * fs):int(18 * fs)] == 0).all()


def test_all_nan_record_is_noise():
    codec = openecg.encode(np.full((3000, 2), np.nan), 250.0, model=LevelOracle())
    assert (codec.rhythm == NOISE).all() and (codec.wave == 0).all() and (codec.beat == 0).all()


@pytest.mark.parametrize(
    ("signal", "fs", "match"),
    [
        (np.zeros(0), 250.0, "empty"),
        (np.zeros((0, 2)), 250.0, "empty"),
        (np.zeros(100), 0, "fs=0"),
        (np.zeros(100), -250.0, "fs=-250.0"),
        (np.zeros(100), None, "fs=None"),
        (np.zeros((12, 5000)), 500.0, "leads-first"),
    ],
)
def test_bad_input(signal, fs, match):
    with pytest.raises(ValueError, match=match):
        openecg.encode(signal, fs, model=LevelOracle())
    with pytest.raises(ValueError, match=match):
        openecg.encode_stream(signal, fs, model=LevelOracle())


def test_chunk_with_another_lead_count():
    chunks = [np.zeros((1000, 2)), np.zeros((1000, 3))]
    with pytest.raises(ValueError, match=r"chunk has shape \(1000, 3\)"):
        openecg.encode_stream(iter(chunks), 250.0, model=LevelOracle())


def test_unregistered_model_lists_the_names():
    with pytest.raises(ValueError, match=r"model='nope' is not a registered predictor; registered: "):
        openecg.encode(np.zeros(1000), 250.0, model="nope")
    register_predictor("level-test", LevelOracle)
    assert isinstance(get_predictor("level-test"), LevelOracle)
    with pytest.raises(ValueError, match="not a Predictor"):
        get_predictor(object())


@pytest.mark.parametrize("fs", [360.0, 200.0, 333.3])
def test_stream_equals_encode_for_any_chunking(fs):
    x, _ = level_signal(fs, 95.0, seed=3)
    x = np.stack([x, -x], axis=1)
    whole = openecg.encode(x, fs, model=LevelOracle())
    for chunk_size, batch_size in [(1000, 1), (4321, 7), (40000, 64)]:
        codec = openecg.encode_stream(x, fs, model=LevelOracle(), chunk_size=chunk_size, batch_size=batch_size)
        np.testing.assert_array_equal(codec.channels, whole.channels)
        np.testing.assert_array_equal(codec.tokens().symbols, whole.tokens().symbols)
        np.testing.assert_array_equal(codec.tokens().lengths, whole.tokens().lengths)
    pieces = (x[i:i + 777] for i in range(0, len(x), 777))
    np.testing.assert_array_equal(openecg.encode_stream(pieces, fs, model=LevelOracle()).channels, whole.channels)


@pytest.mark.parametrize("fs", [333.3, 128.7])
def test_no_drift_over_an_hour_at_an_odd_rate(fs):
    x, truth = level_signal(fs, 3600.0)
    codec = openecg.encode_stream(x, fs, model=LevelOracle(), chunk_size=100_000)
    last_minute = slice(-int(60 * fs), None)
    assert codec.n_samples == len(x)
    assert np.mean(codec.wave[last_minute] == truth[last_minute]) > 0.97


def test_memmap_source_and_progress(tmp_path):
    x, _ = level_signal(250.0, 70.0)
    path = tmp_path / "x.f32"
    x.tofile(path)
    mm = np.memmap(path, dtype=np.float32, mode="r")
    calls = []
    codec = openecg.encode_stream(
        mm, 250.0, model=LevelOracle(), chunk_size=5000, progress=lambda done, total: calls.append((done, total))
    )
    np.testing.assert_array_equal(codec.channels, openecg.encode(x, 250.0, model=LevelOracle()).channels)
    assert calls[-1] == (len(x), len(x)) and len(calls) == 4


def test_sink_file_matches_memory_and_survives_a_failure(tmp_path):
    x, _ = level_signal(250.0, 300.0)
    whole = openecg.encode(x, 250.0, model=LevelOracle())
    path = tmp_path / "run.oecgs"
    assert openecg.encode_stream(x, 250.0, model=LevelOracle(), sink=path, chunk_size=3000) is None
    contents = read_stream(path)
    assert contents.complete and contents.fs == 250.0
    np.testing.assert_array_equal(contents.channels, whole.channels)
    np.testing.assert_array_equal(contents.symbols, whole.tokens().symbols)

    def failing():
        for i in range(0, len(x), 3000):
            if i > 200 * 250:
                raise RuntimeError("disk unplugged")
            yield x[i:i + 3000]

    path2 = tmp_path / "broken.oecgs"
    with pytest.raises(RuntimeError, match="disk unplugged"):
        openecg.encode_stream(failing(), 250.0, model=LevelOracle(), sink=path2)
    partial = read_stream(path2)
    assert not partial.complete and partial.channels.shape[1] > 100 * 250
    np.testing.assert_array_equal(partial.channels, whole.channels[:, :partial.channels.shape[1]])
    torn = io.BytesIO(path.read_bytes()[:-100])
    assert not read_stream(torn).complete


def test_wfdb_path_is_read_in_chunks(data_dir):
    import wfdb

    record = data_dir / "mitdb" / "101"
    signal = wfdb.rdrecord(str(record), sampto=360 * 120).p_signal[:, :1]
    oracle = LevelOracle()
    from_file = openecg.encode_stream(record, leads=["MLII"], model=oracle, chunk_size=10_000)
    assert from_file.fs == 360.0 and from_file.n_samples == 650_000
    head = openecg.encode(signal, 360.0, model=oracle)
    np.testing.assert_array_equal(from_file.channels[:, : 360 * 100], head.channels[:, : 360 * 100])


def test_recording_and_lead_selection():
    x, truth = level_signal(500.0, 12.0)
    rec = openecg.Recording(np.stack([np.zeros_like(x), x], axis=1), fs=500.0, lead_names=("I", "II"))
    by_name = openecg.encode(rec, leads=["ii"], model=LevelOracle())
    by_index = openecg.encode(rec.signal, 500.0, leads=[1], model=LevelOracle())
    np.testing.assert_array_equal(by_name.channels, by_index.channels)
    assert by_name.fs == 500.0 and np.mean(by_name.wave == truth) > 0.97
    with pytest.raises(ValueError, match="leads contains 'V7'"):
        openecg.encode(rec, leads=["V7"], model=LevelOracle())
    assert openecg.encode([0.1, 0.2, 0.3], 250.0, model=LevelOracle()).n_samples == 3


def test_rhythm_episodes_across_block_seams():
    """10 min of rhythm flicker: the stream (60-s decode blocks) gives the whole-record episode rule."""
    from oracles import RhythmOracle, rhythm_signal

    from openecg.stream.decoder import MIN_EPISODE_S

    x = rhythm_signal(600.0, seed=5)
    codec = openecg.encode_stream(x, 250.0, model=RhythmOracle(), chunk_size=7000, batch_size=5)
    starts = np.flatnonzero(np.diff(codec.rhythm)) + 1
    lengths = np.diff(np.r_[0, starts, codec.n_samples])
    assert len(lengths) > 10 and lengths.min() >= MIN_EPISODE_S * 250.0
    again = openecg.encode_stream(x, 250.0, model=RhythmOracle(), chunk_size=150_000, batch_size=64)
    np.testing.assert_array_equal(codec.rhythm, again.rhythm)


def test_tokens_of_a_long_qrs_do_not_depend_on_chunking():
    x, _ = level_signal(250.0, 200.0, seed=2)
    x[20_000:21_000] = 2.0 + np.random.default_rng(0).uniform(-0.02, 0.02, 1000)
    whole = openecg.encode(x, 250.0, model=LevelOracle())
    streamed = openecg.encode_stream(x, 250.0, model=LevelOracle(), chunk_size=333, batch_size=2)
    np.testing.assert_array_equal(streamed.tokens().symbols, whole.tokens().symbols)
    np.testing.assert_array_equal(streamed.tokens().lengths, whole.tokens().lengths)
    assert (whole.tokens().symbols == 10).any()


def test_bundled_models_are_found_by_name(tmp_path, monkeypatch):
    import openecg.runtime.bundled as bundled
    from openecg.runtime import registered_predictors

    monkeypatch.setattr(bundled, "MODELS_DIR", tmp_path)
    assert "default" not in registered_predictors()
    (tmp_path / "default").mkdir()
    (tmp_path / "default" / "manifest.json").write_text('{"sha256": {}}')
    assert "default" in registered_predictors()
    with pytest.raises(ValueError, match="config.json"):
        get_predictor("default")
