"""Training and inference feed the model the same samples: one resampler, one index-rounding rule."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from openecg import encode_stream
from openecg.data import load_record
from openecg.signal.recording import Recording
from openecg.signal.resample import map_index
from openecg.stage2.tracks import tracks_from_record

FS_MODEL = 250.0
WINDOW = 2500


class Recorder:
    """A predictor that keeps every window it is given and answers 'other / none / sinus' everywhere."""

    fs = FS_MODEL
    window = WINDOW

    def __init__(self) -> None:
        self.windows: list[np.ndarray] = []

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        self.windows.extend(np.array(row) for row in x)
        probs = {name: np.zeros((x.shape[0], WINDOW, k), np.float32) for name, k in (("wave", 5), ("beat", 7), ("rhythm", 7))}
        for p in probs.values():
            p[..., 0] = 1.0
        return probs


def _excerpt(record, seconds: float):
    """The first ``seconds`` of a labelled record, labels and beats cut to match."""
    rec = record.recording
    n = min(rec.n_samples, int(round(seconds * rec.fs)))
    recording = Recording(rec.signal[:n], rec.fs, rec.lead_names)
    keep = record.beats < n
    return dataclasses.replace(record, recording=recording, labels=record.labels[..., :n], mask=record.mask[..., :n],
                               beats=record.beats[keep], beat_classes=record.beat_classes[keep])


@pytest.mark.parametrize(("dataset", "record", "seconds"), [("mitdb", "119", 47.3), ("ludb", "1", 10.0), ("svdb", "800", 33.1)])
def test_training_windows_equal_the_streams_model_input(data_dir, dataset, record, seconds) -> None:
    rec = _excerpt(load_record(dataset, record, root=data_dir), seconds)
    track = tracks_from_record(rec, fs=FS_MODEL)[0]
    recorder = Recorder()
    encode_stream(rec.recording.signal[:, 0], rec.recording.fs, model=recorder, chunk_size=997)
    n = track.signal.size
    starts = list(range(0, n - WINDOW + 1, WINDOW - 1000))
    if starts[-1] + WINDOW != n:
        starts.append(n - WINDOW)
    assert len(recorder.windows) == len(starts) >= 1
    for start, seen in zip(starts, recorder.windows):
        assert np.array_equal(seen, track.signal[start:start + WINDOW]), (dataset, start)


def test_labels_and_beats_use_the_streams_index_rule(data_dir) -> None:
    rec = _excerpt(load_record("mitdb", "119", root=data_dir), 20.0)
    track = tracks_from_record(rec, fs=FS_MODEL)[0]
    fs = rec.recording.fs
    back = map_index(np.arange(track.signal.size), fs_from=FS_MODEL, fs_to=fs)
    assert np.array_equal(track.labels, rec.labels[0][:, np.minimum(back, rec.recording.n_samples - 1)])
    model_beats = map_index(rec.beats, fs_from=fs, fs_to=FS_MODEL)
    assert (track.qrs[model_beats[model_beats < track.signal.size]] == 1).all()
