"""The second beat stage (RR context): features, streaming safety, JSON round trip, use in the decoder."""

from __future__ import annotations

import numpy as np
import pytest

from openecg import encode, encode_stream
from openecg.stream.rr_beats import FEATURE_NAMES, RR_WINDOW_S, BeatStage, beat_features
from openecg.stream.engine import CONTEXT_S
from openecg.tokenizer.rle import label_runs
from openecg.tokenizer.vocab import class_id

FS = 250.0
WINDOW = 2500
N, S = class_id("beat", "N"), class_id("beat", "S")


def premature_stage() -> BeatStage:
    """A hand-set stage: S when the previous RR is more than 15 % shorter than the local mean, else N."""
    f = len(FEATURE_NAMES)
    coef = np.zeros((2, f))
    coef[1, FEATURE_NAMES.index("log_rr_prev_rel")] = -1.0
    return BeatStage(classes=(N, S), mean=np.zeros(f), scale=np.ones(f), coef=coef, intercept=np.array([0.0, -0.1625]))


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


def test_rr_window_fits_inside_the_decoder_context():
    assert RR_WINDOW_S + 0.5 < CONTEXT_S


def test_features_see_prematurity():
    starts = np.array([0, 200, 400, 512, 800, 1000])
    feats = beat_features(starts, np.full(6, 25), np.tile([0.0, 0.6, 0.4, 0, 0, 0, 0], (6, 1)), FS)
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


def test_json_round_trip_and_validation(tmp_path):
    stage = premature_stage()
    stage.to_json(tmp_path / "beat_stage.json")
    again = BeatStage.from_json(tmp_path / "beat_stage.json")
    assert again.classes == stage.classes and np.array_equal(again.coef, stage.coef)
    with pytest.raises(ValueError, match="coef has shape"):
        BeatStage(classes=(N, S), mean=np.zeros(len(FEATURE_NAMES)), scale=np.ones(len(FEATURE_NAMES)),
                  coef=np.zeros((3, 2)), intercept=np.zeros(2))
    with pytest.raises(ValueError, match="classes="):
        BeatStage(classes=(0, S), mean=stage.mean, scale=stage.scale, coef=stage.coef, intercept=stage.intercept)
