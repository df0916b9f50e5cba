"""The AF stage (RR irregularity + rhythm probabilities): features, streaming safety, JSON round trip."""

from __future__ import annotations

import numpy as np
import pytest

from openecg import encode, encode_stream
from openecg.stream.af import AF_FEATURE_NAMES, AF_STAGE_REACH_S, SETTINGS, AFStage, af_features
from openecg.stream.engine import CONTEXT_S
from openecg.stream.stage_classifier import StageClassifier
from openecg.tokenizer.vocab import class_id

FS = 250.0
WINDOW = 2500
AF, SINUS = class_id("rhythm", "AF"), class_id("rhythm", "sinus")


def irregularity_stage() -> AFStage:
    """A hand-set stage: AF when the normalised successive RR difference is above about 0.15."""
    f = len(AF_FEATURE_NAMES)
    coef = np.zeros((f, 2))
    coef[AF_FEATURE_NAMES.index("log_nsd"), 1] = 4.0
    return AFStage(StageClassifier(feature_names=AF_FEATURE_NAMES, classes=(0, 1), mean=np.zeros(f), scale=np.ones(f),
                                   weights=(coef,), biases=(np.array([0.0, -4.0 * np.log(0.15)]),),
                                   offsets=np.zeros(2), settings=SETTINGS))


class SinusOracle:
    """QRS wherever the input is above 1 mV, beat N, rhythm always sinus: only the stage can call AF."""

    fs = FS
    window = WINDOW
    beat_stage = None

    def __init__(self, stage: AFStage | None) -> None:
        self.af_stage = stage

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        b, w = x.shape
        wave = np.eye(5, dtype=np.float32)[np.where(x > 1.0, 2, 0)]
        beat = np.eye(7, dtype=np.float32)[np.ones((b, w), np.int64)]
        rhythm = np.eye(7, dtype=np.float32)[np.zeros((b, w), np.int64)]
        return {"wave": wave, "beat": beat, "rhythm": rhythm}


def af_in_the_middle(seconds: float, af_from: float, af_to: float, seed: int = 0) -> np.ndarray:
    """A 250-Hz signal with 100-ms QRS: RR 0.8 s +- 2 %, and RR uniform in 0.4-1.1 s between af_from and af_to."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.02, 0.02, int(seconds * FS)).astype(np.float32)
    t = 0.5
    while t < seconds - 1:
        i = int(round(t * FS))
        x[i:i + 25] = 2.0
        t += rng.uniform(0.4, 1.1) if af_from <= t < af_to else rng.uniform(0.78, 0.82)
    return x


def test_af_reach_fits_inside_the_decoder_context():
    assert AF_STAGE_REACH_S + 0.5 < CONTEXT_S


def test_features_separate_irregular_from_regular():
    rng = np.random.default_rng(1)
    regular = np.cumsum(rng.uniform(195, 205, 40)).astype(int)
    irregular = np.cumsum(rng.uniform(100, 275, 40)).astype(int)
    sums = np.tile([0, 1.0, 0, 0, 0, 0, 0], (40, 1))
    probs = np.tile(np.eye(7)[0], (12000, 1))
    wave = np.tile(np.eye(5)[0], (12000, 1))
    nsd = AF_FEATURE_NAMES.index("log_nsd")
    reg = af_features(regular, np.full(40, 25), sums, wave, probs, FS)
    irr = af_features(irregular, np.full(40, 25), sums, wave, probs, FS)
    assert reg.shape == (40, len(AF_FEATURE_NAMES)) and np.isfinite(reg).all() and np.isfinite(irr).all()
    assert irr[10:30, nsd].min() > reg[10:30, nsd].max()
    assert reg[20, AF_FEATURE_NAMES.index("p_sinus")] == pytest.approx(1.0)


def test_qrs_features_tell_noise_detections_from_clean_complexes():
    """Runs of one width with a sure QRS probability (AF or sinus) against runs of any width the network is
    unsure of (false detections in noise), and the irregularity beyond AF's."""
    rng = np.random.default_rng(2)
    starts = np.cumsum(rng.uniform(100, 275, 40)).astype(int)
    sums = np.tile([0, 1.0, 0, 0, 0, 0, 0], (40, 1))
    probs = np.tile(np.eye(7)[0], (12000, 1))
    clean, noisy = np.tile(np.eye(5)[0], (12000, 1)), np.tile(np.eye(5)[0], (12000, 1))
    widths = rng.integers(8, 40, 40)
    for s, w in zip(starts, widths):
        clean[s:s + 25] = np.eye(5)[2]
        noisy[s:s + w] = [0.4, 0, 0.6, 0, 0]
    a = af_features(starts, np.full(40, 25), sums, clean, probs, FS)
    b = af_features(starts, widths, sums, noisy, probs, FS)
    qrs, cv = AF_FEATURE_NAMES.index("qrs_prob"), AF_FEATURE_NAMES.index("qrs_width_cv")
    assert a[10:30, qrs] == pytest.approx(1.0) and b[10:30, qrs] == pytest.approx(0.6)
    assert a[10:30, cv] == pytest.approx(0.0, abs=1e-6) and b[10:30, cv].min() > 0.2
    beyond = AF_FEATURE_NAMES.index("robust_nsd_from_af")
    robust = AF_FEATURE_NAMES.index("log_robust_nsd")
    assert np.allclose(a[:, beyond], (a[:, robust] - np.log(0.15)) ** 2)


def test_stage_is_identical_for_every_chunking_and_finds_the_irregular_stretch():
    x = af_in_the_middle(200.0, 70.0, 130.0)
    stage = irregularity_stage()
    whole = encode(x, FS, model=SinusOracle(stage))
    for chunk in (1009, 20_000, 64_000):
        assert np.array_equal(encode_stream(x, FS, model=SinusOracle(stage), chunk_size=chunk).rhythm, whole.rhythm), chunk
    rhythm = whole.rhythm
    assert (rhythm[int(85 * FS):int(115 * FS)] == AF).mean() > 0.95
    assert (rhythm[:int(50 * FS)] == SINUS).all() and (rhythm[int(150 * FS):] == SINUS).all()
    assert (encode(x, FS, model=SinusOracle(None)).rhythm == SINUS).all()


def test_json_round_trip_and_validation(tmp_path):
    stage = irregularity_stage()
    stage.to_json(tmp_path / "af_stage.json")
    again = AFStage.from_json(tmp_path / "af_stage.json")
    assert np.array_equal(again.classifier.weights[0], stage.classifier.weights[0])
    assert np.array_equal(again.classifier.biases[0], stage.classifier.biases[0])
    with pytest.raises(ValueError, match="classes="):
        AFStage(StageClassifier(**{**stage.classifier.__dict__, "classes": (1, 2)}))


def test_synthesised_af_is_irregular_and_sinus_arrhythmia_is_not(data_dir):
    from scipy.signal import find_peaks

    from openecg.data import load_record
    from openecg.stage2.synth_af import FS as SFS
    from openecg.stage2.synth_af import KINDS, SYNTH_S, source_beats, synth_recording

    signal, r_peaks = source_beats(load_record("mitdb", "101", root=data_dir))
    rng = np.random.default_rng(0)
    for kind in ("af", "sinus_arrhythmia", "ectopy"):
        x = synth_recording(signal, r_peaks, rng, kind=kind)
        assert x.shape == (int(SYNTH_S * SFS),) and np.isfinite(x).all()
        peaks, _ = find_peaks(x, height=0.6 * x.max(), distance=int(0.25 * SFS))
        rr = np.diff(peaks) / SFS
        successive = np.mean(np.abs(np.diff(rr))) / rr.mean()
        near_median = np.mean(np.abs(rr / np.median(rr) - 1) < 0.05)
        if kind == "af":
            assert successive > 0.12 and near_median < 0.4, (kind, successive, near_median)
        elif kind == "sinus_arrhythmia":
            assert successive < 0.08, (kind, successive)
        else:  # premature beats: irregular, but the sinus RR between them regular
            assert successive > 0.08 and near_median > 0.4, (kind, successive, near_median)
    with pytest.raises(ValueError, match="kind="):
        synth_recording(signal, r_peaks, rng, kind="flutter")
    assert set(KINDS) == {"af", "sinus_arrhythmia", "ectopy", "noisy_sinus"}


def test_synthetic_training_tracks_carry_only_what_the_recipe_makes_sure_of(data_dir):
    from openecg.data import load_record
    from openecg.stage2.synth_af import FS as SFS
    from openecg.stage2.synth_af import synth_recording, synth_track
    from openecg.tokenizer.vocab import class_id

    from openecg.stage2.synth_af import source_beats

    signal, r_peaks = source_beats(load_record("mitdb", "101", root=data_dir))
    af_id, sinus_id, n_id, s_id = (class_id("rhythm", "AF"), class_id("rhythm", "sinus"), class_id("beat", "N"),
                                   class_id("beat", "S"))
    for kind in ("af", "sinus_arrhythmia", "ectopy"):
        track = synth_track(signal, r_peaks, np.random.default_rng(4), kind=kind, record="mitdb/101:0")
        # the very recording the AF stage is given for the same draws, so both learn one recipe
        np.testing.assert_array_equal(track.signal, synth_recording(signal, r_peaks, np.random.default_rng(4), kind=kind))
        assert track.dataset == "synth_af" and track.record == f"mitdb/101:0:{kind}"
        assert track.mask[2].all() and (track.labels[2] == (af_id if kind == "af" else sinus_id)).all()
        beat_ids = set(np.unique(track.labels[1][track.mask[1]]))
        assert beat_ids == ({0, n_id, s_id} if kind == "ectopy" else {0, n_id})
        peaks = np.flatnonzero(track.qrs == 1)
        assert peaks.size > 40 * 0.04 * SFS  # at least 40 beats of 60 s, each with its 41-sample core
        if kind == "af":  # "no wave" only where nothing was pasted: far from every QRS core
            assert 0.1 < track.mask[0].mean() < 0.6 and (track.labels[0][track.mask[0]] == 0).all()
            far = np.min(np.abs(np.flatnonzero(track.mask[0])[:, None] - peaks[None, ::5]), axis=1)
            assert far.min() > 0.05 * SFS
        else:
            assert not track.mask[0].any()
    with pytest.raises(ValueError, match="kind="):
        synth_track(signal, r_peaks, np.random.default_rng(4), kind="noisy_sinus")


def test_synthetic_tracks_come_from_the_split_asked_for(data_dir):
    from openecg.data import load_split
    from openecg.stage2.synth_af import TRACK_KINDS, synth_tracks

    tracks = synth_tracks("val", per_record=1, seed=3, root=data_dir)
    val = {f"{name}/{r}" for name in ("mitdb", "svdb") for r in load_split(name)["val"]}
    sources = {t.record.rsplit(":", 2)[0] for t in tracks}
    assert sources and sources <= val
    assert len(tracks) == len(sources) * len(TRACK_KINDS)
    again = synth_tracks("val", per_record=1, seed=3, root=data_dir)
    assert all(np.array_equal(a.signal, b.signal) for a, b in zip(tracks, again))


def test_noisy_sinus_adds_the_given_noise_at_its_share_of_the_rms(data_dir):
    from openecg.data import load_record
    from openecg.stage2.synth_af import FS as SFS
    from openecg.stage2.synth_af import NOISE_RMS, SYNTH_S, source_beats, synth_recording

    signal, r_peaks = source_beats(load_record("mitdb", "101", root=data_dir))
    noise = np.cumsum(np.random.default_rng(1).normal(size=int(100 * SFS))).astype(np.float32)  # a random walk
    with pytest.raises(ValueError, match="noise="):
        synth_recording(signal, r_peaks, np.random.default_rng(2), kind="noisy_sinus")
    with pytest.raises(ValueError, match="noise="):
        synth_recording(signal, r_peaks, np.random.default_rng(2), kind="noisy_sinus", noise=noise[:100])
    noisy = synth_recording(signal, r_peaks, np.random.default_rng(2), kind="noisy_sinus", noise=noise)
    clean = synth_recording(signal, r_peaks, np.random.default_rng(2), kind="noisy_sinus", noise=np.zeros_like(noise))
    assert noisy.shape == (int(SYNTH_S * SFS),) and np.isfinite(noisy).all()
    ratio = np.std(noisy - clean) / np.std(clean)  # the same draws but for the white 0.01-mV floor
    assert NOISE_RMS[0] * 0.9 < ratio < NOISE_RMS[1] * 1.1


def test_features_of_a_block_decoded_with_its_context_equal_those_of_the_whole():
    """What the stream engine does: decode a block with ``CONTEXT_S`` on both sides; the AF decision of every
    sample inside the block must not change."""
    from openecg.stage2.beat_stage import qrs_runs, stitched_features
    from openecg.stream.decoder import RHYTHM_SLICE, WAVE_SLICE

    x = af_in_the_middle(120.0, 40.0, 80.0, seed=3)
    feats = stitched_features(SinusOracle(None), x, FS)
    rng = np.random.default_rng(0)
    feats[:, WAVE_SLICE.start + 1] = rng.uniform(0, 0.5, len(feats))  # P-wave probabilities that vary
    feats[:, WAVE_SLICE.start + 2] *= rng.uniform(0.5, 1.0, len(feats))  # and QRS probabilities
    feats[:, RHYTHM_SLICE.start + 1] = rng.uniform(0, 0.3, len(feats))
    f = len(AF_FEATURE_NAMES)
    stage = AFStage(StageClassifier(feature_names=AF_FEATURE_NAMES, classes=(0, 1), mean=np.zeros(f),
                                    scale=np.ones(f), weights=(rng.normal(size=(f, 2)),), biases=(np.zeros(2),),
                                    offsets=np.zeros(2), settings=SETTINGS))

    def rhythm(part: np.ndarray) -> np.ndarray:
        starts, lengths, sums = qrs_runs(part, FS)
        base = np.zeros(len(part), np.uint8)
        return stage.apply(base, starts, lengths, sums, part[:, WAVE_SLICE], part[:, RHYTHM_SLICE], FS)

    whole = rhythm(feats)
    context = int(CONTEXT_S * FS)
    for lo in range(int(12 * FS), int(100 * FS), int(3.1 * FS)):
        hi = lo + int(5 * FS)
        part = rhythm(feats[lo - context:hi + context])
        assert np.array_equal(part[context:context + hi - lo], whole[lo:hi]), lo
