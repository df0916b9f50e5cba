"""Codec: views, events, renderings, the edge guard, slicing, concatenation and files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import openecg
from openecg import Codec
from openecg.codec import EDGE_GUARD_S
from openecg.tokenizer import Container, Runs, dumps, labels_to_runs, runs_to_labels
from openecg.tokenizer.synthetic import synthetic_channels

GOLDEN = Path(__file__).parent / "golden"


def golden_codec() -> Codec:
    spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.codec()


def events_reference(labels: np.ndarray) -> list[list[int]]:
    """Plain-Python events: one [start, end, class] per maximal run."""
    events: list[list[int]] = []
    for i, value in enumerate(labels.tolist()):
        if events and events[-1][2] == value and events[-1][1] == i:
            events[-1][1] = i + 1
        else:
            events.append([i, i + 1, value])
    return events


@pytest.fixture(scope="module")
def minute() -> Codec:
    return Codec(synthetic_channels(60.0, fs=250.0, seed=5), 250.0)


def test_views_and_properties(minute: Codec) -> None:
    assert minute.n_samples == 15000 and len(minute) == 15000 and minute.duration == 60.0
    assert minute.wave.dtype == np.uint8 and minute.wave.shape == (15000,)
    assert np.shares_memory(minute.wave, minute.channels) and np.shares_memory(minute.rhythm, minute.channels)
    assert np.array_equal(minute.channel("beat"), minute.beat)
    with pytest.raises(ValueError, match="read-only"):
        minute.wave[0] = 1


def test_constructor_keeps_a_view_of_uint8_input() -> None:
    channels = np.zeros((3, 10), dtype=np.uint8)
    codec = Codec(channels, 100)
    assert np.shares_memory(codec.channels, channels) and channels.flags.writeable


@pytest.mark.parametrize("layer", ["wave", "beat", "rhythm"])
def test_events_match_reference(minute: Codec, layer: str) -> None:
    labels = minute.channel(layer)
    expected = events_reference(labels)
    events = minute.events(layer)
    assert events.dtype == np.int64 and events.shape == (len(expected), 3)
    assert events.tolist() == expected
    assert minute.events(layer, drop_class=0).tolist() == [e for e in expected if e[2] != 0]
    assert minute.events(layer, drop_class=[0, 1]).tolist() == [e for e in expected if e[2] not in (0, 1)]


def test_events_eval_only_keeps_events_inside_the_guard(minute: Codec) -> None:
    guard = int(EDGE_GUARD_S * 250)
    events = minute.events("wave", drop_class=0, eval_only=True)
    assert events[:, 0].min() >= guard and events[:, 1].max() <= 15000 - guard
    everything = minute.events("wave", drop_class=0)
    inside = (everything[:, 0] >= guard) & (everything[:, 1] <= 15000 - guard)
    assert np.array_equal(events, everything[inside])


def test_eval_mask_and_inner_respect_start_and_recording_length() -> None:
    channels = np.zeros((3, 1000), dtype=np.uint8)
    whole = Codec(channels, 100.0)
    assert np.flatnonzero(whole.eval_mask)[[0, -1]].tolist() == [200, 799]
    assert whole.inner().start == 200 and whole.inner().n_samples == 600
    middle = whole[300:700]
    assert middle.eval_mask.all() and middle.inner() == middle
    head = whole[100:400]
    assert np.flatnonzero(~head.eval_mask).tolist() == list(range(100))
    late = Codec(channels[:, :300], 100.0, start=5000, recording_length=5400)
    assert np.flatnonzero(late.eval_mask)[[0, -1]].tolist() == [0, 199]
    short = Codec(channels[:, :300], 100.0)
    assert not short.eval_mask.any() and short.inner().n_samples == 0


def test_render(minute: Codec) -> None:
    text = minute.render("wave")
    assert len(text) == labels_to_runs(minute.wave).symbols.size
    assert set(text) <= {"_", "p", "N", "t"}
    codec = golden_codec()
    assert codec.render("wave") == "_p_N_t_N_t_"
    assert codec.render("wave", timed=True).startswith("_160 p100 _60 N100")
    assert codec.render("symbols") == "_p_qrs_t_w_t__"
    with pytest.raises(ValueError, match="needs tokens"):
        minute.render("symbols")


def test_slicing_and_concatenation_round_trip(minute: Codec) -> None:
    pieces = [minute[0:1], minute[1:4999], minute[4999:15000], minute[15000:]]
    assert [p.start for p in pieces] == [0, 1, 4999, 15000]
    assert Codec.concatenate(pieces) == minute
    assert minute[-10:].start == 14990
    assert minute[:].recording_length == 15000 and minute[0:10].recording_length == 15000


def test_tokens_are_sliced_exactly() -> None:
    codec = golden_codec()
    tokens = runs_to_labels(*codec.tokens())
    for low, high in [(0, 750), (17, 300), (44, 45), (700, 700), (0, 0)]:
        piece = codec[low:high]
        assert piece.tokens() is not None and piece.tokens().n_samples == high - low
        assert np.array_equal(runs_to_labels(*piece.tokens()), tokens[low:high])
    joined = Codec.concatenate([codec[:100], codec[100:101], codec[101:]])
    assert np.array_equal(joined.channels, codec.channels) and np.array_equal(runs_to_labels(*joined.tokens()), tokens)
    assert joined.tokens().symbols.size == codec.tokens().symbols.size + 2, "cut runs stay cut: nothing is merged"
    assert Codec.concatenate([codec[:40], codec[40:]]) == codec, "a cut on a run boundary changes nothing"
    assert Codec.concatenate([codec[:100], Codec(codec.channels[:, 100:], 250.0, start=2600)]).tokens() is None


def test_files_round_trip(tmp_path: Path, minute: Codec) -> None:
    assert Codec.loads(minute.dumps()) == minute
    codec = golden_codec()
    codec.save(tmp_path / "c.oecg")
    loaded = openecg.load_codec(tmp_path / "c.oecg")
    assert loaded == codec and loaded.recording_length == 10000 and loaded.start == 2500
    assert np.array_equal(loaded.tokens().lengths, codec.tokens().lengths)


def test_golden_codec_file_reads_back() -> None:
    assert Codec.load(GOLDEN / "codec_v1.oecg") == golden_codec()


def test_config_is_json_ready(minute: Codec) -> None:
    import json

    config = json.loads(json.dumps(minute.get_config()))
    assert config == {"fs": 250.0, "start": 0, "n_samples": 15000, "recording_length": 15000, "has_tokens": False}
    assert repr(minute) == "Codec(n_samples=15000, fs=250.0, duration=60 s, start=0, tokens=None)"


def test_equality() -> None:
    a = golden_codec()
    assert a == golden_codec()
    assert a != a[1:]
    assert a != Codec(a.channels, 250.0, start=2500, recording_length=10000)
    assert a != Codec(a.channels, 500.0, start=2500, tokens=a.tokens(), recording_length=10000)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"channels": np.zeros((2, 5), dtype=np.uint8)}, r"channels has shape \(2, 5\); required \(3, n\)"),
        ({"channels": np.zeros((3, 5))}, r"channels\[0\] has dtype float64"),
        ({"channels": np.full((3, 5), 5, dtype=np.uint8)}, r"channels\[0\] \(wave\)\[0\]=5 is not in the wave table"),
        ({"channels": np.array([[0] * 5, [0] * 5, [7] * 5])}, r"channels\[2\] \(rhythm\)\[0\]=7 is not in the rhythm"),
        ({"fs": 0}, "fs=0 must be a finite sample rate"),
        ({"start": -1}, "start=-1 must be an integer sample index >= 0"),
        ({"recording_length": 3}, "recording_length=3 is shorter than start \\+ n_samples = 5"),
        ({"tokens": ([2], [4])}, "tokens cover 4 samples but channels have 5"),
        ({"tokens": ([13], [5])}, r"tokens symbols\[0\]=13 is not in the symbols table"),
        ({"tokens": ([2], [0])}, r"lengths\[0\]=0 is not allowed"),
    ],
)
def test_bad_constructor_arguments(kwargs: dict[str, object], match: str) -> None:
    arguments: dict[str, object] = {"channels": np.zeros((3, 5), dtype=np.uint8), "fs": 250.0, **kwargs}
    channels, fs = arguments.pop("channels"), arguments.pop("fs")
    with pytest.raises(ValueError, match=match):
        Codec(channels, fs, **arguments)  # type: ignore[arg-type]


def test_bad_calls(minute: Codec) -> None:
    with pytest.raises(ValueError, match="layer='ecg' is not a label layer; allowed: wave, beat, rhythm"):
        minute.events("ecg")
    with pytest.raises(ValueError, match="drop_class=9 has 9; allowed class ids of wave: 0..4"):
        minute.events("wave", drop_class=9)
    with pytest.raises(ValueError, match="step 2"):
        minute[::2]
    with pytest.raises(ValueError, match="is not a slice"):
        minute[3]  # type: ignore[index]
    with pytest.raises(ValueError, match="codecs is empty"):
        Codec.concatenate([])
    with pytest.raises(ValueError, match="codecs\\[1\\].start=20 but codecs\\[0\\] ends at 10"):
        Codec.concatenate([minute[:10], minute[20:30]])
    with pytest.raises(ValueError, match="codecs\\[1\\].fs=500.0 differs"):
        Codec.concatenate([minute[:10], Codec(minute.channels[:, 10:20], 500.0, start=10)])
    wave_only = dumps(Container({"wave": labels_to_runs(minute.wave)}, fs=250.0))
    with pytest.raises(ValueError, match="missing \\['beat', 'rhythm'\\]"):
        Codec.loads(wave_only)


def test_24_hour_codec_file_round_trip() -> None:
    codec = Codec(synthetic_channels(24 * 3600.0, fs=250.0, seed=11), 250.0)
    data = codec.dumps()
    assert len(data) < 3_000_000
    assert Codec.loads(data) == codec
    runs = Runs(*labels_to_runs(codec.wave))
    assert codec.events("wave").shape == (runs.symbols.size, 3)
