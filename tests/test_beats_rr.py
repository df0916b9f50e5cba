"""The second beat stage (RR context): features, streaming safety, JSON round trip, use in the decoder."""

from __future__ import annotations

import numpy as np
import pytest

from openecg import encode, encode_stream
from openecg.stream.engine import CONTEXT_S
from openecg.stream.rr_beats import FEATURE_NAMES, REACH_S, SETTINGS, BeatStage, beat_features, pre_qrs_p, window_median
from openecg.stream.stage_classifier import StageClassifier
from openecg.tokenizer.rle import label_runs
from openecg.tokenizer.vocab import class_id

FS = 250.0
WINDOW = 2500
N, S, V = class_id("beat", "N"), class_id("beat", "S"), class_id("beat", "V")


def premature_stage() -> BeatStage:
    """A hand-set stage: S when the previous RR is more than 15 % shorter than the local median, else N."""
    f = len(FEATURE_NAMES)
    coef = np.zeros((f, 2))
    coef[FEATURE_NAMES.index("log_rr_prev_rel"), 1] = -1.0
    return BeatStage(StageClassifier(feature_names=FEATURE_NAMES, classes=(N, S), mean=np.zeros(f), scale=np.ones(f),
                                     weights=(coef,), biases=(np.array([0.0, -0.1625]),), offsets=np.zeros(2),
                                     settings=SETTINGS))


def random_stage(seed: int, features: np.ndarray | None = None) -> BeatStage:
    """An MLP with random weights over every feature, standardised on ``features`` when given: any feature
    that broke streaming would show."""
    rng = np.random.default_rng(seed)
    f = len(FEATURE_NAMES)
    mean = np.zeros(f) if features is None else features.mean(axis=0)
    scale = np.ones(f) if features is None else np.maximum(features.std(axis=0), 1e-3)
    return BeatStage(StageClassifier(
        feature_names=FEATURE_NAMES, classes=(N, S, V), mean=mean, scale=scale,
        weights=(rng.normal(size=(f, 8)), rng.normal(size=(8, 3))), biases=(rng.normal(size=8), np.zeros(3)),
        offsets=np.zeros(3), settings=SETTINGS))


class QrsOracle:
    """QRS wherever the input is above 1 mV; beat probabilities N 0.6 / S 0.4 everywhere; sinus rhythm."""

    fs = FS
    window = WINDOW

    def __init__(self, stage: BeatStage | None) -> None:
        self.beat_stage = stage

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        b, w = x.shape
        wave = np.eye(5, dtype=np.float32)[np.where(x > 1.0, 2, 0)]
        beat = np.zeros((b, w, 7), np.float32)
        beat[..., 1], beat[..., 2] = 0.6, 0.4
        rhythm = np.eye(7, dtype=np.float32)[np.zeros((b, w), np.int64)]
        return {"wave": wave, "beat": beat, "rhythm": rhythm}


class WaveOracle(QrsOracle):
    """Like :class:`QrsOracle`, plus P waves where the input is between 0.3 and 1 mV and an AF probability
    that follows the input's slow wander, so every beat feature varies."""

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        out = super().predict(x)
        p = (x > 0.3) & (x <= 1.0)
        out["wave"][p] = np.eye(5, dtype=np.float32)[1]
        af = np.clip(np.abs(x) * 3, 0, 1)
        out["rhythm"][..., 0], out["rhythm"][..., 1] = 1 - af, af
        return out


def irregular_beats(seconds: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 250-Hz signal with 100-ms QRS at RR 0.8 s, every 7th beat 0.45 s early; returns (signal, onsets)."""
    rng = np.random.default_rng(seed)
    onsets, t = [], 0.5
    while t < seconds - 1:
        onsets.append(t)
        t += 0.45 if len(onsets) % 7 == 0 else rng.uniform(0.75, 0.85)
    x = rng.uniform(-0.02, 0.02, int(seconds * FS)).astype(np.float32)
    idx = np.rint(np.array(onsets) * FS).astype(int)
    for i in idx:
        x[i:i + 25] = 2.0
    return x, idx


def irregular_with_p(seconds: float, seed: int = 0) -> np.ndarray:
    """QRS at irregular RR (0.35-1.3 s), a P wave before most of them, and a slow 0.1-mV wander."""
    rng = np.random.default_rng(seed)
    n = int(seconds * FS)
    x = (0.1 * np.sin(np.arange(n) / FS / 3.0)).astype(np.float32)
    t = 0.5
    while t < seconds - 1:
        i = int(round(t * FS))
        if rng.random() < 0.7:
            x[i - 40:i - 15] = 0.6
        x[i:i + int(rng.integers(15, 40))] = 2.0
        t += rng.uniform(0.35, 1.3)
    return x


def test_features_reach_fits_inside_the_decoder_context():
    assert REACH_S + 0.5 < CONTEXT_S


def test_window_median_matches_a_plain_loop():
    rng = np.random.default_rng(3)
    centre = np.sort(rng.uniform(0, 60, 80))
    values = rng.normal(size=80)
    values[rng.random(80) < 0.1] = np.nan
    for skip in (0, 1, 2):
        got = window_median(centre, values, 5.0, skip=skip)
        for i in range(80):
            inside = [j for j in range(80) if abs(centre[j] - centre[i]) <= 5.0 and j - skip >= 0
                      and abs(centre[j - skip] - centre[i]) <= 5.0 and np.isfinite(values[j])]
            want = np.median(values[inside]) if inside else np.nan
            assert got[i] == pytest.approx(want, nan_ok=True), (skip, i)


def test_p_wave_is_looked_for_before_the_qrs_and_after_the_previous_one():
    wave = np.zeros((1000, 5))
    wave[:, 0] = 1
    wave[430:450, 1], wave[430:450, 0] = 0.9, 0.1   # a P wave 50-70 ms before the QRS at sample 500
    wave[510:520, 1], wave[510:520, 0] = 0.8, 0.2   # P-like probability inside that QRS (500-525)
    p_max, p_mean = pre_qrs_p(np.array([500, 580]), np.array([25, 25]), wave, FS)
    assert p_max[0] == pytest.approx(0.9) and 0 < p_mean[0] < 0.9
    assert p_max[1] == 0.0 and p_mean[1] == 0.0  # the second QRS looks back only to the end of the first


def test_features_see_prematurity():
    starts = np.array([0, 200, 400, 512, 800, 1000])
    wave = np.tile(np.eye(5)[0], (1200, 1))
    rhythm = np.tile(np.eye(7)[0], (1200, 1))
    feats = beat_features(starts, np.full(6, 25), np.tile([0.0, 0.6, 0.4, 0, 0, 0, 0], (6, 1)), wave, rhythm, FS)
    prev = feats[:, FEATURE_NAMES.index("log_rr_prev_rel")]
    assert prev[3] < -0.5 and abs(prev[2]) < 0.1 and feats[0, FEATURE_NAMES.index("missing_neighbour")] == 1
    assert np.isfinite(feats).all() and feats.shape == (6, len(FEATURE_NAMES))


def test_stage_is_identical_for_every_chunking_and_marks_premature_beats():
    x, onsets = irregular_beats(150.0)
    stage = premature_stage()
    whole = encode(x, FS, model=QrsOracle(stage))
    for chunk in (997, 15_000, 40_001):
        assert np.array_equal(encode_stream(x, FS, model=QrsOracle(stage), chunk_size=chunk).beat, whole.beat), chunk
    beat_at = whole.beat[onsets + 10]
    premature = np.zeros(len(onsets), bool)
    premature[7::7] = True
    assert (beat_at[premature] == S).all() and (beat_at[~premature & (np.arange(len(onsets)) > 0)] == N).all()
    plain = encode(x, FS, model=QrsOracle(None)).beat
    assert set(np.unique(plain[plain > 0]).tolist()) == {N}


@pytest.mark.parametrize("seed", [0, 1])
def test_every_feature_is_identical_for_every_chunking(seed):
    from openecg.stage2.beat_stage import run_features, stitched_features

    x = irregular_with_p(140.0, seed)
    stage = random_stage(seed, run_features(stitched_features(WaveOracle(None), x, FS), FS)[2])
    whole = encode(x, FS, model=WaveOracle(stage)).beat
    assert len(np.unique(whole[whole > 0])) >= 2
    for chunk in (1013, 17_000, 50_001):
        assert np.array_equal(encode_stream(x, FS, model=WaveOracle(stage), chunk_size=chunk).beat, whole), chunk


def test_json_round_trip_and_validation(tmp_path):
    stage = random_stage(0)
    stage.to_json(tmp_path / "beat_stage.json")
    again = BeatStage.from_json(tmp_path / "beat_stage.json")
    assert again.classifier.classes == stage.classifier.classes
    assert all(np.array_equal(a, b) for a, b in zip(again.classifier.weights, stage.classifier.weights))
    with pytest.raises(ValueError, match="classes="):
        BeatStage(StageClassifier(**{**stage.classifier.__dict__, "classes": (0, S, V)}))


def test_features_of_a_block_decoded_with_its_context_equal_those_of_the_whole():
    """What the stream engine does: decode a block with ``CONTEXT_S`` on both sides; the features of the runs
    inside the block must not change."""
    from openecg.stage2.beat_stage import run_features, stitched_features

    x = irregular_with_p(100.0, 2)
    feats = stitched_features(WaveOracle(None), x, FS)
    starts, lengths, whole = run_features(feats, FS)
    context = int(CONTEXT_S * FS)
    for lo in range(int(12 * FS), int(80 * FS), int(1.7 * FS)):
        hi = lo + int(5 * FS)
        c_lo = lo - context
        s, n, part = run_features(feats[c_lo:hi + context], FS)
        inside = (s + c_lo + n / 2 >= lo) & (s + c_lo + n / 2 < hi)
        keep = (starts + lengths / 2 >= lo) & (starts + lengths / 2 < hi)
        assert inside.sum() == keep.sum() > 2
        np.testing.assert_allclose(part[inside], whole[keep], rtol=0, atol=1e-12)


def test_feature_cache_refuses_outputs_of_another_network(tmp_path):
    pytest.importorskip("torch")
    from openecg.stage2.beat_stage import feature_cache, model_fingerprint

    first, second = tmp_path / "a", tmp_path / "b"
    for folder, content in ((first, b"weights one"), (second, b"weights two")):
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(content)
    cache = feature_cache(tmp_path / "out", str(first))
    (cache / "mitdb_100.npz").write_bytes(b"")
    assert feature_cache(tmp_path / "out", str(first)) == cache  # the same network: reused
    assert (cache / "model.sha256").read_text().strip() == model_fingerprint(str(first))
    with pytest.raises(SystemExit, match="another model"):
        feature_cache(tmp_path / "out", str(second))
    (cache / "model.sha256").unlink()  # a cache from before the stamp: its network is unknown
    with pytest.raises(SystemExit, match="no stamp"):
        feature_cache(tmp_path / "out", str(first))
