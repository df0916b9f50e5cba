"""Metrics on hand-made cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from openecg.eval.beats import beat_metrics, beats_from_labels
from openecg.eval.matching import match_events
from openecg.eval.rhythm import af_record_f1, episodes, rhythm_metrics
from openecg.eval.boundaries import BOUNDARIES, wave_boundaries, wave_metrics

FS = 500  # 2 ms per sample: P/QRS/T-on/T-off tolerances are 25/20/25/50 samples


def beat_train(shift: dict[str, int] | None = None, n: int = 5000) -> np.ndarray:
    """Three beats: P 100-150, QRS 200-240, T 320-420 repeated every 1000 samples, boundaries shifted."""
    shift = shift or {}
    labels = np.zeros(n, np.uint8)
    for base in (500, 1500, 2500):
        for cls, (on, off), key in ((1, (100, 150), "P"), (2, (200, 240), "QRS"), (3, (320, 420), "T")):
            a = base + on + shift.get(f"{key}_on", 0)
            b = base + off + shift.get(f"{key}_off", 0)
            labels[a : b + 1] = cls
    return labels


def test_exact_match_is_perfect():
    ref = beat_train()
    result = wave_metrics(ref, ref.copy(), fs=FS)
    for b in BOUNDARIES:
        assert result[b]["tp"] == 3 and result[b]["f1"] == 1.0 and result[b]["mean_ms"] == 0.0
    assert result["macro_f1"] == 1.0


def test_shift_inside_and_outside_tolerance():
    ref = beat_train()
    inside = beat_train({"QRS_on": -9, "T_off": 24})  # 18 ms < 40 ms, 48 ms < 100 ms
    result = wave_metrics(ref, inside, fs=FS)
    assert result["QRS_on"]["f1"] == 1.0 and result["QRS_on"]["mean_ms"] == pytest.approx(-18.0)
    assert result["QRS_on"]["median_abs_ms"] == pytest.approx(18.0)
    assert result["T_off"]["f1"] == 1.0 and result["T_off"]["mean_ms"] == pytest.approx(48.0)
    assert result["T_off"]["sd_ms"] == pytest.approx(0.0)
    outside = beat_train({"QRS_on": -21, "T_off": 51})  # 42 ms > 40 ms, 102 ms > 100 ms
    result = wave_metrics(ref, outside, fs=FS)
    for b in ("QRS_on", "T_off"):
        assert result[b]["tp"] == 0 and result[b]["fn"] == 3 and result[b]["fp"] == 3 and result[b]["f1"] == 0
    assert result["P_on"]["f1"] == 1.0
    assert result["macro_f1"] == pytest.approx(4 / 6)


def test_missing_and_extra_waves():
    ref = beat_train()
    pred = ref.copy()
    pred[pred == 1] = 0  # no P waves detected
    pred[4000:4040] = 2  # one extra QRS
    result = wave_metrics(ref, pred, fs=FS)
    assert result["P_on"]["se"] == 0 and result["P_on"]["fn"] == 3 and np.isnan(result["P_on"]["ppv"])
    assert result["QRS_on"]["tp"] == 3 and result["QRS_on"]["fp"] == 1
    assert result["QRS_on"]["se"] == 1.0 and result["QRS_on"]["ppv"] == 0.75
    assert result["QRS_on"]["f1"] == pytest.approx(6 / 7)


def test_mask_limits_scoring_and_paced_qrs_counts_as_qrs():
    ref = beat_train()
    pred = ref.copy()
    pred[pred == 2] = 4
    mask = np.zeros(len(ref), bool)
    mask[1400:2000] = True  # only the second beat
    result = wave_metrics(ref, pred, fs=FS, mask=mask)
    assert all(result[b]["tp"] == 1 and result[b]["fn"] == 0 for b in BOUNDARIES)
    mask[:] = False
    mask[1710:2000] = True  # cuts the second QRS: its onset is not a boundary
    bounds = wave_boundaries(ref, mask=mask)
    assert len(bounds["QRS_on"]) == 0 and bounds["QRS_off"].tolist() == [1740]


def test_pooled_signals_do_not_match_across_records():
    ref = [beat_train(), beat_train()]
    pred = [beat_train(), np.zeros(5000, np.uint8)]
    result = wave_metrics(ref, pred, fs=FS)
    assert result["QRS_on"]["tp"] == 3 and result["QRS_on"]["fn"] == 3 and result["QRS_on"]["fp"] == 0
    with pytest.raises(ValueError, match="same number"):
        wave_metrics(ref, pred[:1], fs=FS)


def test_matching_is_one_to_one():
    ri, di = match_events(np.array([100, 110]), np.array([105]), tolerance=10)
    assert ri.tolist() == [0] and di.tolist() == [0]
    ri, di = match_events(np.array([100, 110]), np.array([108, 101]), tolerance=10)
    assert ri.tolist() == [0, 1] and di.tolist() == [1, 0]
    ri, di = match_events(np.array([], np.int64), np.array([5]), tolerance=10)
    assert len(ri) == 0


def test_beat_metrics_bxb():
    fs = 360
    ref = np.array([1000, 2000, 3000, 4000])
    ref_cls = np.array([1, 3, 1, 2], np.uint8)
    det = np.array([1050, 2100, 3060, 5000])  # 139 ms, 278 ms (miss), 167 ms (miss), extra
    det_cls = np.array([1, 3, 1, 1], np.uint8)
    result = beat_metrics(ref, ref_cls, det, det_cls, fs=fs)
    assert result["qrs"]["tp"] == 1 and result["qrs"]["fn"] == 3 and result["qrs"]["fp"] == 3
    det = np.array([1010, 1990, 3040, 4000])
    det_cls = np.array([1, 1, 1, 2], np.uint8)
    result = beat_metrics(ref, ref_cls, det, det_cls, fs=fs)
    assert result["qrs"]["se"] == 1.0 and result["qrs"]["ppv"] == 1.0
    assert result["N"]["tp"] == 2 and result["N"]["fp"] == 1 and result["N"]["ppv"] == pytest.approx(2 / 3)
    assert result["V"]["se"] == 0 and result["S"]["f1"] == 1.0 and np.isnan(result["F"]["se"])


def test_beats_from_labels():
    channel = np.zeros(100, np.uint8)
    channel[10:21] = 1
    channel[50:55] = 3
    beats, classes = beats_from_labels(channel)
    assert beats.tolist() == [15, 52] and classes.tolist() == [1, 3]


def test_rhythm_metrics():
    ref = np.array([0] * 50 + [1] * 30 + [0] * 20)
    pred = np.array([0] * 60 + [1] * 20 + [0] * 10 + [1] * 10)
    result = rhythm_metrics(ref, pred)
    conf = result["confusion"]
    assert conf[0, 0] == 60 and conf[1, 1] == 20 and conf[1, 0] == 10 and conf[0, 1] == 10
    assert result["accuracy"] == 0.8
    assert result["AF"]["episode_se"] == 1.0 and result["AF"]["episode_ppv"] == 0.5
    assert result["sinus"]["episodes_ref"] == 2
    mask = np.ones(100, bool)
    mask[90:] = False
    assert rhythm_metrics(ref, pred, mask=mask)["AF"]["episode_ppv"] == 1.0
    assert episodes(ref, mask=mask) == [(0, 0, 50), (1, 50, 80), (0, 80, 90)]


def test_af_record_f1():
    ref = [np.ones(100), np.zeros(100), np.ones(100), np.zeros(100)]
    pred = [np.ones(100), np.ones(100), np.zeros(100), np.zeros(100)]
    result = af_record_f1(ref, pred)
    assert (result["tp"], result["fp"], result["fn"]) == (1, 1, 1) and result["f1"] == 0.5


def test_neurokit_baseline_on_a_real_lead(data_dir):
    pytest.importorskip("neurokit2")
    from openecg.data import load_record
    from openecg.eval.baseline import neurokit_wave_labels

    rec = load_record("ludb", "2", data_dir)
    pred = neurokit_wave_labels(rec.recording.lead("II"), fs=rec.recording.fs)
    assert pred.shape == (5000,) and set(np.unique(pred)) <= {0, 1, 2, 3}
    result = wave_metrics(rec.labels[1, 0], pred, fs=500, mask=rec.mask[1, 0])
    # NeuroKit2's DWT QRS onsets run about 40 ms early on this record; its offsets and R peaks line up
    assert result["QRS_off"]["se"] > 0.5
    assert np.mean(pred[rec.beats] == 2) > 0.8


def test_a_late_offset_just_past_the_labelled_region_still_detects_it():
    ref = beat_train()
    off = wave_boundaries(ref)["QRS_off"][1]
    mask = np.zeros(len(ref), bool)
    mask[off - 60:off + 2] = True  # labelled up to one sample after the QRS offset, as QTDB's T-onset gaps
    late, far = ref.copy(), ref.copy()
    late[off + 1:off + 4] = 2  # the QRS runs on 3 samples (6 ms)
    far[off + 1:off + 31] = 2  # 60 ms: beyond the 40-ms tolerance
    assert wave_metrics(ref, late, fs=FS, mask=mask)["QRS_off"]["tp"] == 1
    result = wave_metrics(ref, far, fs=FS, mask=mask)["QRS_off"]
    assert (result["tp"], result["fn"], result["fp"]) == (0, 1, 0)  # a miss; the offset outside the mask is no FP
    early = ref.copy()
    early[off - 2:off + 1] = 0  # 3 samples early: inside the mask, matched either way
    assert wave_metrics(ref, early, fs=FS, mask=mask)["QRS_off"]["tp"] == 1
