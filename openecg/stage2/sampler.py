"""Drawing training batches: which track, which 10-s window, which augmentations.

Each batch mixes the databases with fixed weights (each supervises different layers, so every batch trains
every head), picks a window around a supervised sample (or, for beat-labelled tracks, half the time around a
beat of a rare class), applies a small rate change and the augmentations of :mod:`.augment`, and normalises
with :func:`openecg.signal.normalize_windows`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..signal.normalize import normalize_windows
from . import augment
from .tracks import Track

__all__ = ["Batch", "WindowSampler"]


@dataclass(frozen=True)
class Batch:
    """A training batch; ``B`` windows of ``T`` samples.

    x: float32 ``[B, T]`` normalised; labels: uint8 ``[B, 3, T]``; mask: bool ``[B, 3, T]``;
    qrs: int8 ``[B, T]``; source: str ``[B]``, the database each window was drawn from (None where unknown).
    With a sampler's ``teacher_leads`` K: teacher_x, float32 ``[B, K, T]`` normalised, the window's own lead
    (without augmentation, or as augmented with ``teacher_own_lead="augmented"``) and up to K - 1 other leads
    of the same record at the same instants, clean (rows past
    ``teacher_n[b]`` are zero); teacher_n, int64 ``[B]``, the rows used (0 for an empty window).
    """

    x: np.ndarray
    labels: np.ndarray
    mask: np.ndarray
    qrs: np.ndarray
    source: np.ndarray | None = None
    teacher_x: np.ndarray | None = None
    teacher_n: np.ndarray | None = None


class WindowSampler:
    """Draw augmented training windows from tracks grouped by database.

    Parameters
    ----------
    tracks : dict of str to list of Track
        Tracks per database name.
    weights : dict of str to float
        Share of each database in a batch (normalised; databases without tracks are dropped).
    noise : numpy.ndarray
        float32 ``(m,)`` real electrode-motion noise at ``fs`` for :func:`augment.add_motion_noise`.
    fs, window : float, int
        Model rate and window length in samples.
    seed : int
        Seed of the sampler's generator.
    teacher_leads : int
        When above 0, each batch also carries, per window, its own lead (see ``teacher_own_lead``) and up to
        ``teacher_leads - 1`` other leads of the same record (a random choice), cut at the same instants
        (:class:`Batch` ``teacher_x``): what a teacher fusing leads, as the stream does, is run on.
    teacher_own_lead : {"clean", "augmented"}
        The window's own row of ``teacher_x``: its lead unaugmented, or the window exactly as the student
        gets it after augmentation (the other leads stay clean).
    """

    def __init__(
        self,
        tracks: dict[str, list[Track]],
        weights: dict[str, float],
        noise: np.ndarray,
        *,
        fs: float = 250.0,
        window: int = 2500,
        seed: int = 0,
        augment_data: bool = True,
        teacher_leads: int = 0,
        teacher_own_lead: str = "clean",
    ) -> None:
        if teacher_own_lead not in ("clean", "augmented"):
            raise ValueError(f"teacher_own_lead={teacher_own_lead!r}: use 'clean' or 'augmented'")
        self.tracks = {k: v for k, v in tracks.items() if v and weights.get(k, 0) > 0}
        if not self.tracks:
            raise ValueError(f"no tracks to sample from: tracks has {sorted(tracks)} and weights {weights}")
        names = sorted(self.tracks)
        share = np.array([weights[k] for k in names], dtype=float)
        self.names, self.share = names, share / share.sum()
        self.noise, self.fs, self.window = noise, fs, window
        self.rng = np.random.default_rng(seed)
        self.augment = augment_data
        self._supervised = {k: [t.supervised for t in v] for k, v in self.tracks.items()}
        self._rare = {k: [_rare_beats(t) for t in v] for k, v in self.tracks.items()}
        self.teacher_leads, self.teacher_own_lead = teacher_leads, teacher_own_lead
        self._others = {k: _other_leads(v) for k, v in self.tracks.items()} if teacher_leads else {}

    def draw(self, batch_size: int) -> Batch:
        """Draw one batch of ``batch_size`` windows."""
        rng, t_len = self.rng, self.window
        x = np.zeros((batch_size, t_len), np.float32)
        labels = np.zeros((batch_size, 3, t_len), np.uint8)
        mask = np.zeros((batch_size, 3, t_len), bool)
        qrs = np.full((batch_size, t_len), -1, np.int8)
        k_t = self.teacher_leads
        teacher_x = np.zeros((batch_size, max(k_t, 1), t_len), np.float32) if k_t else None
        teacher_n = np.zeros(batch_size, np.int64)
        source = rng.choice(self.names, size=batch_size, p=self.share)
        for b, name in enumerate(source):
            i = int(rng.integers(len(self.tracks[name])))
            track = self.tracks[name][i]
            rate = rng.uniform(0.9, 1.1) if self.augment else 1.0
            span = int(round(t_len * rate))
            rare = self._rare[name][i]
            pool = rare if rare.size and rng.random() < 0.5 else self._supervised[name][i]
            if pool.size == 0:
                continue
            centre = int(pool[rng.integers(pool.size)])
            pos = centre - int(rng.integers(0, span)) + np.linspace(0.0, span - 1, t_len)
            idx = np.rint(pos).astype(np.int64)
            inside = (idx >= 0) & (idx < track.signal.size)
            safe = np.clip(idx, 0, track.signal.size - 1)
            lo, hi = int(safe[0]), int(safe[-1]) + 1
            x[b] = np.interp(pos, np.arange(lo, hi), track.signal[lo:hi])
            labels[b] = track.labels[:, safe]
            mask[b] = track.mask[:, safe] & inside
            qrs[b] = np.where(inside, track.qrs[safe], -1)
            if teacher_x is not None:
                others = self._others[name][i]
                chosen = rng.permutation(others)[: k_t - 1] if others.size else others
                rows = [track] + [self.tracks[name][j] for j in chosen]
                for r, lead in enumerate(rows):
                    teacher_x[b, r] = x[b] if r == 0 else np.interp(pos, np.arange(lo, hi), lead.signal[lo:hi])
                teacher_n[b] = len(rows)
            if self.augment:
                self._augment(b, x, labels, mask, qrs)
                if teacher_x is not None and self.teacher_own_lead == "augmented":
                    teacher_x[b, 0] = x[b]
        if teacher_x is None:
            return Batch(normalize_windows(x), labels, mask, qrs, source)
        teacher_x = normalize_windows(teacher_x.reshape(-1, t_len)).reshape(teacher_x.shape)
        return Batch(normalize_windows(x), labels, mask, qrs, source, teacher_x, teacher_n)

    def _augment(self, b: int, x: np.ndarray, labels: np.ndarray, mask: np.ndarray, qrs: np.ndarray) -> None:
        rng = self.rng
        sig = augment.scale_and_flip(x[b], rng)
        if rng.random() < 0.5:
            sig = augment.baseline_wander(sig, self.fs, rng)
        if rng.random() < 0.3:
            sig = augment.add_motion_noise(sig, self.noise, rng)
        if rng.random() < 0.3:
            sig = augment.add_white_and_mains(sig, self.fs, rng)
        x[b] = sig
        if rng.random() < 0.04:
            augment.unreadable_span(x[b], labels[b], mask[b], qrs[b], self.fs, rng)


def _other_leads(tracks: list[Track]) -> list[np.ndarray]:
    """Per track, the indices of the other tracks of its record: its other leads (another lead name, the same
    length)."""
    by_record: dict[str, list[int]] = {}
    for j, t in enumerate(tracks):
        by_record.setdefault(t.record, []).append(j)
    return [np.array([j for j in by_record[t.record]
                      if tracks[j].lead != t.lead and tracks[j].signal.size == t.signal.size], np.int64)
            for t in tracks]


def _rare_beats(track: Track) -> np.ndarray:
    """Indices of samples labelled with a beat class other than none and N (S, V, F, Q, paced)."""
    beat, known = track.labels[1], track.mask[1]
    return np.flatnonzero(known & (beat >= 2))
