"""The classifier both second stages share: scores, shape checks, JSON round trip and version checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from openecg.stream.stage_classifier import StageClassifier

NAMES = ("a", "b", "c")


def mlp(seed: int = 0) -> StageClassifier:
    rng = np.random.default_rng(seed)
    return StageClassifier(feature_names=NAMES, classes=(1, 2, 3), mean=rng.normal(size=3), scale=rng.uniform(1, 2, 3),
                           weights=(rng.normal(size=(3, 5)), rng.normal(size=(5, 3))),
                           biases=(rng.normal(size=5), rng.normal(size=3)), offsets=np.array([0.0, 0.5, -0.5]),
                           settings={"window_s": 8.0})


def test_scores_are_a_relu_mlp_on_standardised_features_plus_offsets():
    clf = mlp()
    x = np.random.default_rng(1).normal(size=(20, 3))
    h = np.maximum(((x - clf.mean) / clf.scale) @ clf.weights[0] + clf.biases[0], 0)
    want = h @ clf.weights[1] + clf.biases[1] + clf.offsets
    np.testing.assert_allclose(clf.scores(x), want)
    np.testing.assert_allclose(clf.probabilities(x).sum(axis=1), 1.0)
    assert set(clf.predict(x).tolist()) <= {1, 2, 3}
    assert np.array_equal(clf.predict(x), np.array([1, 2, 3])[np.argmax(want, axis=1)])


def test_json_round_trip(tmp_path):
    clf = mlp()
    clf.to_json(tmp_path / "stage.json", kind="test stage")
    raw = json.loads((tmp_path / "stage.json").read_text())
    again = StageClassifier.from_dict(raw, kind="test stage", feature_names=NAMES, settings={"window_s": 8.0})
    x = np.random.default_rng(2).normal(size=(10, 3))
    np.testing.assert_array_equal(again.scores(x), clf.scores(x))
    assert again.classes == clf.classes and again.settings == clf.settings


@pytest.mark.parametrize(("change", "match"), [
    ({"kind": "other stage"}, "kind="), ({"format": 1}, "format="), ({"feature_names": ["a", "b", "d"]}, "feature_names="),
    ({"settings": {"window_s": 6.0}}, "settings="),
])
def test_a_file_for_another_version_is_refused(change, match):
    raw = mlp().to_dict(kind="test stage") | change
    with pytest.raises(ValueError, match=match):
        StageClassifier.from_dict(raw, kind="test stage", feature_names=NAMES, settings={"window_s": 8.0})


def test_shapes_are_checked():
    clf = mlp()
    with pytest.raises(ValueError, match="mean has shape"):
        StageClassifier(**{**clf.__dict__, "mean": np.zeros(2)})
    with pytest.raises(ValueError, match="layer 1"):
        StageClassifier(**{**clf.__dict__, "weights": (clf.weights[0], np.zeros((4, 3)))})
    with pytest.raises(ValueError, match="offsets has shape"):
        StageClassifier(**{**clf.__dict__, "offsets": np.zeros(2)})
