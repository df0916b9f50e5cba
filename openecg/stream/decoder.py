"""Decode stitched class probabilities into the three label channels (wave, beat, rhythm).

All functions work at the model's sample rate on ``(samples, N_FEATURES)`` feature arrays laid out by
:data:`openecg.runtime.heads.HEADS`: 5 wave, 7 beat and 7 rhythm probabilities and, last (column ``VALID``),
the fraction of leads that were readable there (0 where every lead is a gap or a flat line).

The rules, in order:

* **wave**: argmax; a QRS cut in two or more pieces (QRS or paced-QRS runs at most ``SPLIT_QRS_GAP_S`` =
  90 ms apart, whatever lies between them, together spanning at most ``SPLIT_QRS_SPAN_S`` = 240 ms: two real
  beats that close would be under 200 ms apart; touching QRS and paced-QRS runs included) is joined into one
  run of the first piece's class; then runs shorter than
  ``MIN_WAVE_S`` of their class are dropped to "other"
  (P 40 ms, QRS and paced QRS 40 ms, T 60 ms), and "other" runs shorter than 12 ms between two runs of one
  class are filled with it. Unreadable samples are "other".
* **beat**: one class per QRS (or paced QRS) run, the argmax of the beat probabilities summed over the run
  with "none" left out, or, when the model ships one, its second beat stage (:mod:`.beats`: those sums plus
  the RR context; for a two-lead recording the one fitted on fused leads, when shipped); 0 outside QRS runs.
* **rhythm**: probabilities averaged over a centred ``RHYTHM_SMOOTH_S`` (2 s) window, argmax (AF decided by
  the model's AF stage, :mod:`.af`, when it ships one; for a two-lead recording the one fitted on fused leads,
  when shipped), then episodes
  shorter than ``MIN_EPISODE_S`` (3 s) are absorbed by the episode before them (the first one by the
  episode after it). Unreadable samples are "noise" whatever their length. :func:`decode_frames` stops
  before this filter, :func:`absorb_short_episodes` runs it piece by piece for streams, :func:`decode` does all.

Examples
--------
>>> f = np.zeros((1000, N_FEATURES), np.float32); f[:, VALID] = 1     # every lead readable
>>> f[:, [head.columns.start for head in HEADS]] = 1                  # class 0 of each head
>>> f[400:425, WAVE_SLICE.start + 2] = 2; f[400:425, BEAT_SLICE.start + 1] = 2   # a 100-ms QRS, beat N
>>> labels = decode(f, 250.0)
>>> np.unique(labels[0]).tolist(), int(labels[1, 410]), int(labels[1, 300]), np.unique(labels[2]).tolist()
([0, 2], 1, 0, [0])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..runtime.heads import HEADS, N_FEATURES, VALID
from ..tokenizer.rle import label_runs
from .af import AFStage
from .rr_beats import BeatStage
from ..tokenizer.vocab import NOISE, OTHER, QRS_CLASSES, WAVE_CLASSES, class_id

__all__ = [
    "decode",
    "decode_frames",
    "absorb_short_episodes",
    "model_stages",
    "EpisodeState",
    "N_FEATURES",
    "MIN_WAVE_S",
    "MIN_EPISODE_S",
    "RHYTHM_SMOOTH_S",
]

WAVE_SLICE, BEAT_SLICE, RHYTHM_SLICE = (head.columns for head in HEADS)

MIN_WAVE_S: dict[int, float] = {
    class_id("wave", "P"): 0.040,
    class_id("wave", "QRS"): 0.040,
    class_id("wave", "T"): 0.060,
    class_id("wave", "paced_QRS"): 0.040,
}
MAX_FILL_S = 0.012
SPLIT_QRS_GAP_S = 0.090  # 0.048 until the eleventh model round: two fused leads cut wide beats 53-86 ms apart
SPLIT_QRS_SPAN_S = 0.240
RHYTHM_SMOOTH_S = 2.0
MIN_EPISODE_S = 3.0


def _join_split_qrs(lengths: np.ndarray, values: np.ndarray, fs: float) -> np.ndarray:
    """Run values with every QRS cut in pieces made one QRS of the first piece's class: consecutive QRS or
    paced-QRS runs at most ``SPLIT_QRS_GAP_S`` apart (touching, or with "other" or short P/T fragments
    between) whose pieces together span at most ``SPLIT_QRS_SPAN_S``. A wide complex the network cut in two,
    never two beats (they would be closer than any refractory period)."""
    values = values.copy()
    qrs = np.flatnonzero(np.isin(values, QRS_CLASSES))
    if len(qrs) < 2:
        return values
    ends = np.cumsum(lengths)
    starts = ends - lengths
    max_gap, max_span = round(SPLIT_QRS_GAP_S * fs), round(SPLIT_QRS_SPAN_S * fs)
    near = np.flatnonzero((starts[qrs[1:]] - ends[qrs[:-1]] <= max_gap) & (ends[qrs[1:]] - starts[qrs[:-1]] <= max_span))
    chain_start, chain_end = -1, -1  # the first and last run of the complex joined last
    for k in near:  # only the pairs that may be one complex: a few per minute
        a, b = qrs[k], qrs[k + 1]
        start = chain_start if chain_end == a else a
        if ends[b] - starts[start] <= max_span:
            values[start:b + 1] = values[start]
            chain_start, chain_end = start, b
    return values


def _clean_waves(wave: np.ndarray, fs: float) -> np.ndarray:
    _, lengths, values = label_runs(wave)
    joined = _join_split_qrs(lengths, values, fs)
    if not np.array_equal(joined, values):
        _, lengths, values = label_runs(np.repeat(joined, lengths).astype(np.uint8))
    minimum = np.zeros(len(WAVE_CLASSES), np.int64)
    for cls, seconds in MIN_WAVE_S.items():
        minimum[cls] = int(round(seconds * fs))
    values = np.where(lengths < minimum[values], OTHER, values)
    fill = int(round(MAX_FILL_S * fs))
    if len(values) >= 3:
        inner = np.arange(1, len(values) - 1)
        gaps = inner[(values[inner] == OTHER) & (lengths[inner] <= fill) & (values[inner - 1] == values[inner + 1])]
        values[gaps] = values[gaps - 1]
    return np.repeat(values, lengths).astype(np.uint8)


def _qrs_runs(wave: np.ndarray, beat_probs: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(starts, lengths, values, qrs, sums)``: the runs of ``wave``, which are QRS, and the beat
    probabilities summed over each QRS run ``(k, 7)``."""
    starts, lengths, values = label_runs(wave)
    qrs = np.isin(values, QRS_CLASSES)
    sums = np.add.reduceat(beat_probs, starts, axis=0)[qrs] if qrs.any() else np.zeros((0, beat_probs.shape[1]))
    return starts, lengths, values, qrs, sums


def _beats(runs: tuple[np.ndarray, ...], features: np.ndarray, fs: float, beat_stage: BeatStage | None) -> np.ndarray:
    starts, lengths, values, qrs, sums = runs
    per_run = np.zeros(len(values), np.uint8)
    if qrs.any():
        if beat_stage is None:
            per_run[qrs] = np.argmax(sums[:, 1:], axis=1) + 1
        else:
            per_run[qrs] = beat_stage.classify(starts[qrs], lengths[qrs], sums, features[:, WAVE_SLICE],
                                               features[:, RHYTHM_SLICE], fs)
    return np.repeat(per_run, lengths)


@dataclass
class EpisodeState:
    """What :func:`absorb_short_episodes` carries between calls: the class of the latest long episode (-1 before the
    first), the open run (class, length, whether already known to be long) and the runs before the first
    long episode, which wait for its class."""

    min_len: int
    last_long: int = -1
    run_class: int = -1
    run_len: int = 0
    run_long: bool = False
    prefix: list[tuple[int, int]] = field(default_factory=list)


def absorb_short_episodes(rhythm: np.ndarray, state: EpisodeState, *, final: bool) -> np.ndarray:
    """Streaming episode filter: runs shorter than ``state.min_len`` (noise excepted) take the class of the
    latest long episode before them (runs before the first one take its class; with no long episode at all,
    the majority class). Returns the samples now final, in order; feeding a rhythm in any pieces gives the
    same concatenated result as feeding it at once. At most ``min_len`` samples wait, except before the
    first long episode.

    >>> state = EpisodeState(min_len=3)
    >>> np.r_[absorb_short_episodes(np.array([0, 0, 0, 1, 0], np.uint8), state, final=False),
    ...       absorb_short_episodes(np.array([0, 2, 2], np.uint8), state, final=True)].tolist()
    [0, 0, 0, 0, 0, 0, 0, 0]
    """
    out: list[tuple[int, int]] = []

    def close() -> None:
        if state.run_class < 0 or state.run_long:
            return
        if state.last_long >= 0:
            out.append((state.last_long, state.run_len))
        else:
            state.prefix.append((state.run_class, state.run_len))

    def grow(value: int, length: int) -> None:
        if state.run_long:
            out.append((value, length))
            return
        state.run_len += length
        if state.run_len >= state.min_len or value == NOISE:
            if state.last_long < 0:
                out.extend((value, n) for _, n in state.prefix)
                state.prefix.clear()
            out.append((value, state.run_len))
            state.run_long, state.last_long = True, value

    _, lengths, values = label_runs(np.asarray(rhythm, np.uint8))
    for value, length in zip(values.tolist(), lengths.tolist()):
        if value != state.run_class:
            close()
            state.run_class, state.run_len, state.run_long = value, 0, False
        grow(value, length)
    if final:
        close()
        state.run_class, state.run_len, state.run_long = -1, 0, False
        if state.prefix:
            counts = np.bincount([c for c, _ in state.prefix], weights=[n for _, n in state.prefix])
            out.extend((int(np.argmax(counts)), n) for _, n in state.prefix)
            state.prefix.clear()
    if not out:
        return np.zeros(0, np.uint8)
    classes, counts = zip(*out)
    return np.repeat(np.array(classes, np.uint8), counts)


def argmax_classes(probs: np.ndarray) -> np.ndarray:
    """``np.argmax(probs, axis=1)`` as uint8 for ``(samples, classes)`` with few classes: one vectorised
    comparison per class instead of a loop over rows (ties go to the first class, as with argmax)."""
    best = probs[:, 0].copy()
    out = np.zeros(len(probs), np.uint8)
    for c in range(1, probs.shape[1]):
        column = probs[:, c]
        higher = column > best
        out[higher] = c
        np.maximum(best, column, out=best)
    return out


def decode_frames(features: np.ndarray, fs: float, *, beat_stage: BeatStage | None = None,
                  af_stage: AFStage | None = None) -> np.ndarray:
    """:func:`decode` before the episode filter: the rhythm row is the smoothed per-sample argmax (noise
    where unreadable). Each sample depends only on features within ``RHYTHM_SMOOTH_S / 2`` of it and on
    the wave runs around it, so blocks decoded with some context agree with a decode of the whole."""
    from scipy.ndimage import uniform_filter1d

    valid = features[:, VALID] > 0
    wave = argmax_classes(features[:, WAVE_SLICE])
    wave[~valid] = OTHER
    wave = _clean_waves(wave, fs)
    runs = _qrs_runs(wave, features[:, BEAT_SLICE])
    beat = _beats(runs, features, fs, beat_stage)
    size = max(1, int(round(RHYTHM_SMOOTH_S * fs)))
    smooth = uniform_filter1d(np.ascontiguousarray(features[:, RHYTHM_SLICE].T), size=size, axis=1, mode="nearest")
    rhythm = argmax_classes(smooth.T)
    if af_stage is not None:
        starts, lengths, _, qrs, sums = runs
        rhythm = af_stage.apply(rhythm, starts[qrs], lengths[qrs], sums, features[:, WAVE_SLICE],
                                features[:, RHYTHM_SLICE], fs)
    rhythm[~valid] = NOISE
    return np.stack([wave, beat, rhythm])


FUSED_STAGE_LEADS = 2
"""The number of leads of the recordings the fused-lead stages serve: they are fitted on two-lead records with
both leads' outputs averaged. On 12-lead LUDB training records the fused-lead beat stage was worse than the
lead-0 one (paced F1 0.46 against 0.54), so recordings of three or more leads keep the lead-0 stages."""


def model_stages(predictor: object, *, n_leads: int = 1) -> tuple[BeatStage | None, AFStage | None]:
    """``(beat_stage, af_stage)`` of a predictor for a recording of ``n_leads`` leads: its ``beat_stage`` /
    ``af_stage`` objects, or built from the JSON dicts of its ``stages`` mapping (bundled models:
    ``beat_stage.json``, ``af_stage.json``). With :data:`FUSED_STAGE_LEADS` leads, the stages fitted on fused
    leads (``beat_stage_fused`` / ``af_stage_fused``: ``beat_stage.fused.json``, ``af_stage.fused.json``) where
    the predictor has them."""
    raw = getattr(predictor, "stages", None) or {}

    def stage(key: str, kind: type):  # the predictor's object, else built from its JSON dict, else None
        found = getattr(predictor, key, None)
        return found if found is not None or raw.get(key) is None else kind.from_dict(raw[key])

    if n_leads == FUSED_STAGE_LEADS:  # the fused-lead stages where shipped, else the lead-0 ones
        return (stage("beat_stage_fused", BeatStage) or stage("beat_stage", BeatStage),
                stage("af_stage_fused", AFStage) or stage("af_stage", AFStage))
    return stage("beat_stage", BeatStage), stage("af_stage", AFStage)


def decode(features: np.ndarray, fs: float, *, beat_stage: BeatStage | None = None,
           af_stage: AFStage | None = None) -> np.ndarray:
    """Label channels from stitched features.

    Parameters
    ----------
    features : numpy.ndarray
        float32 ``(samples, N_FEATURES)`` at ``fs`` (see the module docstring for the layout).
    fs : float
        The model's sample rate in Hz.
    beat_stage : BeatStage or None
        The model's second beat stage (:mod:`openecg.stream.rr_beats`, RR context); None takes the argmax.
    af_stage : AFStage or None
        The model's AF stage (:mod:`openecg.stream.af`, RR irregularity); None keeps the network's rhythm.

    Returns
    -------
    numpy.ndarray
        uint8 ``(3, samples)``: wave, beat and rhythm classes.
    """
    labels = decode_frames(features, fs, beat_stage=beat_stage, af_stage=af_stage)
    labels[2] = absorb_short_episodes(labels[2], EpisodeState(min_len=int(round(MIN_EPISODE_S * fs))), final=True)
    return labels
