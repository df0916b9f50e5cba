"""``openecg.report``: the fields on synthetic codecs with known answers, on real records against their
reference beats, the JSON round trip, and the intervals against the cardiologists' LUDB annotations."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

import openecg
from openecg import Codec, Report
from openecg.errors import InputError
from openecg.reports.sequence import beat_sequence, find_patterns
from openecg.reports.intervals import lead_median_intervals
from openecg.tokenizer.vocab import class_id

N, S, V, PACED = (class_id("beat", name) for name in ("N", "S", "V", "paced"))
FS = 250


def synthetic(rr_s: list[float], classes: list[int] | None = None, *,
              noise: tuple[float, float] | None = None) -> Codec:
    """Beats (P 40 ms, PR 160 ms, QRS 100 ms, QT 400 ms) at the given RR intervals, first QRS at 1 s."""
    onsets = np.rint(np.concatenate([[1.0], 1.0 + np.cumsum(rr_s)]) * FS).astype(int)
    n = onsets[-1] + 2 * FS
    wave, beat, rhythm = (np.zeros(n, np.uint8) for _ in range(3))
    for k, onset in enumerate(onsets):
        wave[onset - 40:onset - 30] = 1
        wave[onset:onset + 25] = 2
        wave[onset + 60:onset + 100] = 3
        beat[onset:onset + 25] = N if classes is None else classes[k]
    if noise is not None:
        rhythm[int(noise[0] * FS):int(noise[1] * FS)] = class_id("rhythm", "noise")
    return Codec(np.stack([wave, beat, rhythm]), fs=FS)


def test_regular_rhythm_gives_exact_rate_intervals_and_hrv() -> None:
    result = openecg.report(synthetic([0.8] * 30))
    assert result.heart_rate["mean_bpm"] == 75.0
    assert result.heart_rate["min_bpm"] == result.heart_rate["max_bpm"] == 75.0
    assert (result.intervals["pr_ms"], result.intervals["qrs_ms"], result.intervals["qt_ms"]) == (160.0, 100.0, 400.0)
    assert result.intervals["qtc_bazett_ms"] == pytest.approx(400 / np.sqrt(0.8), abs=0.1)
    assert result.intervals["qtc_fridericia_ms"] == pytest.approx(400 / np.cbrt(0.8), abs=0.1)
    assert result.hrv["sdnn_ms"] == 0.0 and result.hrv["rmssd_ms"] == 0.0 and result.hrv["n_nn"] == 30
    assert result.beats["total"] == 31 and result.beats["N"]["percent"] == 100.0
    assert result.pauses == [] and result.patterns == []


def test_hrv_uses_only_nn_intervals() -> None:
    rr = [0.8, 0.9] * 10
    classes = [N] * 21
    classes[10] = V
    result = openecg.report(synthetic(rr, classes))
    nn = np.array([r for k, r in enumerate(rr, start=1) if classes[k] == N and classes[k - 1] == N]) * 1000
    assert result.hrv["n_nn"] == nn.size
    assert result.hrv["sdnn_ms"] == pytest.approx(nn.std(ddof=1), abs=0.05)
    assert result.beats["V"]["count"] == 1


def test_hrv_leaves_out_atrial_fibrillation() -> None:
    codec = synthetic([0.8, 0.6, 1.1, 0.7] * 10)
    channels = codec.channels.copy()
    channels[2, int(12 * FS):] = class_id("rhythm", "AF")
    result = openecg.report(Codec(channels, fs=FS))
    onsets = np.rint((1.0 + np.cumsum([0.8, 0.6, 1.1, 0.7] * 10)) * FS)
    assert result.hrv["n_nn"] == int((onsets < 12 * FS).sum()), "intervals ending in AF are not N-N"
    assert result.beats["N"]["count"] == 41 and result.rhythm_burden["AF"]["seconds"] > 20


def test_pauses_patterns_and_noise() -> None:
    rr = [0.8] * 10 + [2.6] + [0.8] * 10
    classes = [N, V, N, V, N, V, N, N, V, V, N, N, V, V, V, N, N, S, S, N, N, N]
    codec = synthetic(rr, classes)
    result = openecg.report(codec)
    assert [p["duration_s"] for p in result.pauses] == [2.6]
    assert result.pattern_counts == {"S_couplet": 1, "V_bigeminy": 1, "V_couplet": 1, "V_run": 1}
    assert openecg.report(codec, pause_s=3.0).pauses == []
    noisy = openecg.report(synthetic(rr, classes, noise=(9.5, 11.0)))
    assert noisy.pauses == [], "an RR interval across noise is not measured, so it is no pause"
    assert noisy.signal_quality["noise_s"] == 1.5
    assert noisy.rhythm_burden["noise"]["seconds"] == 1.5


def test_split_qrs_counts_as_one_beat() -> None:
    codec = synthetic([0.8] * 5)
    channels = codec.channels.copy()
    channels[1, 250 + 10:250 + 13] = 0
    assert len(Codec(channels, fs=FS).events("beat", drop_class=0)) == 7
    assert len(beat_sequence(Codec(channels, fs=FS))) == 6


def test_hourly_rows_on_long_records() -> None:
    result = openecg.report(synthetic([1.0] * 4000))
    assert [row["hour"] for row in result.hourly] == [0, 1]
    assert sum(row["beats"] for row in result.hourly) == result.beats["total"]
    assert result.hourly[0]["mean_bpm"] == 60.0
    assert openecg.report(synthetic([1.0] * 100)).hourly == []


def test_json_round_trip_and_summary() -> None:
    result = openecg.report(synthetic([0.8, 0.7, 2.5, 0.8] * 5))
    text = result.to_json()
    json.loads(text)
    assert Report.from_json(text) == result
    assert "NaN" not in text
    summary = result.summary()
    assert "Heart rate" in summary and "Pauses" in summary and "QTc" in summary
    with pytest.raises(ValueError, match="unknown keys"):
        Report.from_dict({**result.to_dict(), "extra": 1})


def test_no_beats_or_all_noise() -> None:
    empty = openecg.report(Codec(np.zeros((3, 2500), np.uint8), fs=FS))
    assert empty.beats["total"] == 0 and empty.heart_rate["mean_bpm"] is None and empty.intervals["qrs_ms"] is None
    assert "no measured RR interval" in empty.summary()
    noisy = openecg.report(synthetic([0.8] * 5, noise=(0.0, 10.0)))
    assert noisy.rr["n"] == 0 and noisy.hrv["n_nn"] == 0 and noisy.signal_quality["readable_s"] == 0.0
    assert Report.from_json(noisy.to_json()) == noisy


def test_refusals() -> None:
    with pytest.raises(InputError, match="fs=None"):
        openecg.report(np.zeros(5000, np.float32))
    with pytest.raises(InputError, match="pause_s"):
        openecg.report(synthetic([0.8] * 3), pause_s=0)


@pytest.fixture(scope="module")
def mitdb_119(data_dir):
    """MIT-BIH 119 (a validation record, ventricular bigeminy), first 120 s, and its reference beat classes."""
    import wfdb

    from openecg.data.labels import AAMI

    record = openecg.read(data_dir / "mitdb" / "119")
    n = int(120 * record.fs)
    annotation = wfdb.rdann(str(data_dir / "mitdb" / "119"), "atr", sampto=n)
    classes = np.array([AAMI[s] for s in annotation.symbol if s in AAMI], np.uint8)
    return record.signal[:n], record.fs, classes


def test_report_beats_against_mitdb_reference(mitdb_119) -> None:
    signal, fs, reference = mitdb_119
    result = openecg.report(signal, fs=fs)
    counts = Counter(reference.tolist())
    assert abs(result.beats["total"] - len(reference)) <= 0.01 * len(reference)
    assert abs(result.beats["V"]["count"] - counts[V]) <= 0.1 * counts[V]
    expected = Counter(p.kind for p in find_patterns(reference))
    for kind in ("V_bigeminy", "V_trigeminy"):
        assert abs(result.pattern_counts.get(kind, 0) - expected[kind]) <= 1, kind
    assert 55 <= result.heart_rate["mean_bpm"] <= 75
    assert result.rhythm_burden["sinus"]["percent"] > 90
    chunks = (signal[k:k + 10_000] for k in range(0, len(signal), 10_000))
    assert openecg.report(chunks, fs=fs) == result, "streamed chunk by chunk, the report is the same"


def test_report_paced_share_against_mitdb_reference(data_dir) -> None:
    import wfdb

    record = openecg.read(data_dir / "mitdb" / "217")
    n = int(60 * record.fs)
    annotation = wfdb.rdann(str(data_dir / "mitdb" / "217"), "atr", sampto=n)
    paced = sum(s in ("/", "f") for s in annotation.symbol)
    beats = sum(s in ("/", "f", "N", "V", "F", "Q", "A") for s in annotation.symbol)
    result = openecg.report(record.signal[:n], fs=record.fs)
    assert abs(result.pacing["paced_percent"] - 100 * paced / beats) <= 10


@pytest.mark.parametrize("record", ["1", "7", "16", "19"])
def test_intervals_against_ludb_cardiologists(data_dir, record) -> None:
    """The first four LUDB validation records (openecg/data/splits/ludb.json); reference: per lead the median of the
    annotated beats, then the median over the 12 leads. Tolerance per record: 20 ms for PR and QRS, 30 ms for
    QT (IEC 60601-2-51 allows mean differences of 10, 10 and 25 ms over a database)."""
    from openecg.data import load_record, load_split

    assert record in load_split("ludb")["val"][:4]
    labelled = load_record("ludb", record, root=data_dir)
    result = openecg.report(labelled.recording)
    reference = lead_median_intervals(labelled.labels[:, 0], fs=labelled.recording.fs, masks=labelled.mask[:, 0])
    for key, tolerance in (("pr_ms", 20.0), ("qrs_ms", 20.0), ("qt_ms", 30.0)):
        assert reference[key] is not None and result.intervals[key] is not None, key
        assert abs(result.intervals[key] - reference[key]) <= tolerance, (key, result.intervals[key], reference[key])


def test_report_is_a_top_level_function_not_a_module() -> None:
    import types

    import openecg.reports

    assert callable(openecg.report) and not isinstance(openecg.report, types.ModuleType)
    assert openecg.report is openecg.reports.report and openecg.Report is openecg.reports.Report
