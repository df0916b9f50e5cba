"""``LabeledRecord``: one record of a database with its per-lead label layers and loss masks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..signal.recording import Recording

__all__ = ["LabeledRecord", "stack_layers"]


@dataclass(frozen=True)
class LabeledRecord:
    """A database record, its labels for the three layers and the mask saying which labels are ground truth.

    Attributes
    ----------
    dataset : str
        ``"ludb"``, ``"qtdb"``, ``"mitdb"``, ``"nstdb"``, ``"cpsc2021"`` or the folder name of any WFDB folder.
    record : str
        Record name as in the database's ``RECORDS`` (``"1"``, ``"sel100"``, ``"101"``, ``"118e06"``).
    recording : Recording
        float32 ``(n, leads)`` mV at ``recording.fs``.
    labels : numpy.ndarray
        uint8 ``(leads, 3, n)``: wave, beat and rhythm class ids (tables in :mod:`openecg.tokenizer.vocab`).
    mask : numpy.ndarray
        bool ``(leads, 3, n)``: True where that label is ground truth (the loss counts there).
    beats : numpy.ndarray
        int64 ``(k,)`` reference beat fiducial samples shared by all leads; empty if none.
    beat_classes : numpy.ndarray
        uint8 ``(k,)`` BEAT_CLASSES id per reference beat; 0 where the database does not classify beats.
    """

    dataset: str
    record: str
    recording: Recording
    labels: np.ndarray
    mask: np.ndarray
    beats: np.ndarray
    beat_classes: np.ndarray

    def __post_init__(self) -> None:
        expected = (self.recording.n_leads, 3, self.recording.n_samples)
        for name in ("labels", "mask"):
            shape = getattr(self, name).shape
            if shape != expected:
                raise ValueError(f"{name} has shape {shape}; (leads, 3, samples) = {expected} is required")
        if self.beats.shape != self.beat_classes.shape:
            raise ValueError(
                f"beats {self.beats.shape} and beat_classes {self.beat_classes.shape} must have the same shape"
            )


def stack_layers(
    layers: list[tuple[np.ndarray, np.ndarray]], *, leads: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stack per-layer ``(labels, mask)`` pairs into ``(leads, 3, n)`` arrays.

    Each entry of ``layers`` (wave, beat, rhythm) holds arrays of shape ``(n,)`` (shared by all leads) or
    ``(leads, n)``.
    """
    labels = np.stack([np.broadcast_to(lab, (leads, lab.shape[-1])) for lab, _ in layers], axis=1)
    mask = np.stack([np.broadcast_to(m, (leads, m.shape[-1])) for _, m in layers], axis=1)
    return np.ascontiguousarray(labels, dtype=np.uint8), np.ascontiguousarray(mask, dtype=bool)
