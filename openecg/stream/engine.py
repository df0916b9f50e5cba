"""The streaming engine: windows scheduled as input arrives, batched through a predictor, stitched with the
2-s edge guard, decoded in fixed blocks and mapped back to the input rate.

Everything that a later chunk needs travels in a :class:`StreamState`; :func:`feed` and :func:`finish` take
it and return the finished :class:`Piece` s. The state keeps only the samples still needed (the windows not
yet run, the decode context, a rhythm run shorter than the minimum episode, the QRS run that has not ended),
so memory is bounded by the batch size, not by the recording. Every output sample is a fixed function of the
input (window placement, decode blocks and their context are all on absolute grids; the rhythm episode
filter carries its state across blocks), so the pieces concatenate to the same result for any chunk size
and any batch size.

Examples
--------
>>> class Flat:
...     fs, window = 250.0, 2500
...     def predict(self, x):
...         b = len(x)
...         one = lambda k: np.broadcast_to(np.eye(k, dtype=np.float32)[0], (b, 2500, k))
...         return {"wave": one(5), "beat": one(7), "rhythm": one(7)}
>>> state = start(Flat(), fs=500.0, n_leads=1, batch_size=4)
>>> pieces = feed(state, np.random.default_rng(0).normal(size=(30000, 1))) + finish(state)
>>> sum(p.labels.shape[1] for p in pieces), int(pieces[0].start)
(30000, 0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from . import decoder, quality
from ..errors import SignalWarning, warn_caller
from ..tokenizer.vocab import NOISE, OTHER, QRS_CLASSES
from .decoder import N_FEATURES, EpisodeState, absorb_short_episodes, decode_frames
from ..runtime import Predictor
from ..runtime.heads import HEADS, VALID, to_samples
from .sources import as_chunk
from ..tokenizer.wavestream import wave_tokens
from ..signal.resample import map_index, resampled_length
from .geometry import GUARD_S, Geometry, extract, input_ratio, input_span, plan

__all__ = ["StreamState", "Piece", "start", "feed", "finish", "BLOCK_S", "CONTEXT_S", "FLAT_MV"]

BLOCK_S = 60.0
CONTEXT_S = 10.0
FLAT_S = 2.0
FLAT_MV = 0.01
AHEAD = 1

Window = tuple[int, int, int, np.ndarray, np.ndarray]
"""A scheduled window: ``(start, lo, hi, signal (window, leads) float32, valid (window, leads) bool)``."""
Region = tuple[int, int, int, np.ndarray]
"""A window's result: ``(start, lo, hi, features (window, 20) float32)``."""
_POOL: ThreadPoolExecutor | None = None


@dataclass(frozen=True)
class Piece:
    """A finished stretch of output: input samples ``[start, start + labels.shape[1])``.

    ``labels`` is uint8 ``(3, k)`` (wave, beat, rhythm) and ``symbols``/``lengths`` the wave-symbol runs
    covering exactly these samples (runs may continue into the next piece).
    """

    start: int
    labels: np.ndarray
    symbols: np.ndarray
    lengths: np.ndarray


@dataclass
class StreamState:
    """All a stream carries between chunks; build it with :func:`start`.

    Positions are absolute sample indices, at the input rate for ``n_in``, ``buf*`` and ``pend*``, at the
    model rate for the rest.

    Attributes
    ----------
    predictor, fs, n_leads, batch_size
        The model, the input rate in Hz, the lead count, rows per model call.
    geo, ratio, block, context
        Window geometry, ``fs / predictor.fs`` (exact), decode block and its context in model samples.
    n_in : int
        Input samples received.
    buf_start, buf, bad
        Input kept: float32 ``(k, leads)`` from ``buf_start`` with gaps zero-filled, and where they were.
    next_k, queue, inflight, tail
        Next grid window to schedule, windows waiting for a full batch, batches on the inference thread
        (oldest first, each with the future of its heads' probabilities), and the features of the last
        window past its region (used if the recording ends with it).
    feat_start, feat, next_block
        Stitched features ``(k, 20)`` from ``feat_start``; next decode block.
    rhythm_filter, lab_start, lab, rhythm_end
        Episode-filter state; decoded labels ``(3, k)`` from ``lab_start``, the rhythm row final up to
        ``rhythm_end``.
    pend_start, pend, open_wide
        Labels mapped to the input rate and not yet emitted (a QRS may still be open), and the wave class
        of a wide QRS that the last piece ended in (-1 if none).
    finished : bool
        Set by :func:`finish`.
    gate : bool
        Leave out of the lead consensus the leads of a window that fail the quality gate
        (:func:`openecg.stream.quality.readable`).
    readable_windows : int
        Windows scheduled so far with at least one readable lead (none at the end: :func:`finish` warns).
    before_output : callable or None
        Input checks still to run (see :func:`start`); None once they have.
    """

    predictor: Predictor
    fs: float
    n_leads: int
    batch_size: int
    geo: Geometry
    ratio: Fraction
    block: int
    context: int
    n_in: int = 0
    buf_start: int = 0
    buf: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), np.float32))
    bad: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), bool))
    next_k: int = 0
    queue: list[Window] = field(default_factory=list)
    inflight: list[tuple[list[Window], Future[dict[str, np.ndarray]]]] = field(default_factory=list)
    tail: np.ndarray | None = None
    feat_start: int = 0
    feat: np.ndarray = field(default_factory=lambda: np.zeros((0, N_FEATURES), np.float32))
    next_block: int = 0
    rhythm_filter: EpisodeState = field(default_factory=lambda: EpisodeState(min_len=0))
    lab_start: int = 0
    lab: np.ndarray = field(default_factory=lambda: np.zeros((3, 0), np.uint8))
    rhythm_end: int = 0
    pend_start: int = 0
    pend: np.ndarray = field(default_factory=lambda: np.zeros((3, 0), np.uint8))
    open_wide: int = -1
    finished: bool = False
    gate: bool = True
    readable_windows: int = 0
    stages: tuple[object | None, object | None] = (None, None)
    before_output: Callable[[], None] | None = None


def start(predictor: Predictor, *, fs: float, n_leads: int, batch_size: int = 32,
          before_output: Callable[[], None] | None = None) -> StreamState:
    """A fresh stream for ``n_leads`` leads at ``fs`` Hz, ``batch_size`` single-lead windows per predict
    (with the per-window quality gate unless the predictor opts out, see :mod:`openecg.stream.quality`).

    ``before_output`` (the deferred input checks of :class:`~openecg.stream.sources.Source`) runs once, on
    this thread, right after the first batch goes to the inference thread (so it overlaps the model) and in
    any case before the first piece is returned; whatever it raises stops the stream before any output."""
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer (windows per model call)")
    guard = int(round(GUARD_S * predictor.fs))
    state = StreamState(
        predictor=predictor,
        fs=float(fs),
        n_leads=int(n_leads),
        batch_size=int(batch_size),
        geo=Geometry(window=int(predictor.window), guard=guard),
        ratio=input_ratio(fs, predictor.fs),
        block=int(round(BLOCK_S * predictor.fs)),
        context=int(round(CONTEXT_S * predictor.fs)),
        rhythm_filter=EpisodeState(min_len=int(round(decoder.MIN_EPISODE_S * predictor.fs))),
        gate=quality.signal_checks(predictor),
        stages=decoder.model_stages(predictor, n_leads=int(n_leads)),
        before_output=before_output,
    )
    state.buf = np.zeros((0, n_leads), np.float32)
    state.bad = np.zeros((0, n_leads), bool)
    return state


def _n_model(state: StreamState) -> int:
    """Model-rate samples of the input received so far (the whole recording once it has ended)."""
    return max(1, resampled_length(state.n_in, fs_from=state.fs, fs_to=state.predictor.fs))


def _to_model(state: StreamState, i: np.ndarray) -> np.ndarray:
    """The model sample nearest to each input sample ``i`` (absolute indices)."""
    return map_index(i, fs_from=state.fs, fs_to=state.predictor.fs)


def readable(signal: np.ndarray, size: int) -> np.ndarray:
    """bool ``(window, leads)``: where the peak-to-peak of ``signal`` ``(window, leads)`` over the centred
    ``size`` samples (reflected at the ends) is at least ``FLAT_MV``.

    Any ``size`` consecutive samples hold a whole block of ``size // 2`` aligned to the start (or the last
    such block, aligned to the end), so when every such block reaches ``FLAT_MV`` every sample does: the
    sliding filters run only on windows with a flat stretch."""
    from scipy.ndimage import maximum_filter1d, minimum_filter1d

    half = max(1, size // 2)
    k = len(signal) // half
    blocks = np.ptp(signal[:k * half].reshape(k, half, signal.shape[1]), axis=1)
    if k and (blocks >= FLAT_MV).all() and (np.ptp(signal[-half:], axis=0) >= FLAT_MV).all():
        return np.ones(signal.shape, bool)
    return maximum_filter1d(signal, size, axis=0) - minimum_filter1d(signal, size, axis=0) >= FLAT_MV


def _schedule(state: StreamState, start_: int, lo: int, hi: int) -> None:
    W = state.geo.window
    a, b = input_span(start_, W, state.ratio)
    lo_in, hi_in = max(a, 0) - state.buf_start, min(b, state.n_in) - state.buf_start
    args = (max(a, 0), state.n_in, start_, W, state.ratio)
    signal = extract(state.buf[lo_in:hi_in], *args)
    if state.bad[lo_in:hi_in].any():
        valid = ~(extract(state.bad[lo_in:hi_in].astype(np.float32), *args) > 0.5)
    else:
        valid = np.ones(signal.shape, bool)
    valid &= readable(signal, max(1, int(round(FLAT_S * state.predictor.fs))))
    pad = max(0, _n_model(state) - start_) if state.finished else W
    valid[pad:] = False
    if state.gate:
        valid &= quality.readable(signal, valid, fs=state.predictor.fs)
    state.readable_windows += bool(valid.any())
    state.queue.append((start_, lo, hi, signal, valid))


def _stitch(state: StreamState, regions: list[Region]) -> None:
    """Append the owned part ``[lo, hi)`` of each window's features ``(window, 20)`` (started at ``start``)."""
    end = state.feat_start + len(state.feat)
    parts = [state.feat]
    for start_, lo, hi, feats in regions:
        if lo != end:
            raise RuntimeError(f"stitching gap: a window region starts at {lo}, the output ends at {end}")
        parts.append(feats[lo - start_:hi - start_])
        state.tail = feats[hi - start_:]
        end = hi
    state.feat = np.concatenate(parts)


def _predict(predictor: Predictor, batch: list[Window], *, batch_size: int) -> dict[str, np.ndarray]:
    """Each head's probabilities for every row (window and lead, window-major) of ``batch``, ``batch_size``
    rows per call. Rows where nothing is readable (all gap or flat) are not run: they are noise by rule and
    weigh nothing in the fusion (their rows are left zero). A predictor with ``predict_frames`` is read at
    its heads' own rates. Runs on the inference thread, so it touches nothing but its arguments."""
    x = np.concatenate([signal.T for _, _, _, signal, _ in batch])
    window = x.shape[1]
    live = np.flatnonzero(np.concatenate([valid.any(axis=0) for *_, valid in batch]))
    predict = getattr(predictor, "predict_frames", None) or predictor.predict
    if len(live) == len(x) <= batch_size:  # one call for every row (the usual case): its outputs as they are
        heads = predict(x)
    else:
        heads = {head.name: None for head in HEADS}
        for i in range(0, len(live), batch_size):
            rows = live[i:i + batch_size]
            if rows[-1] - rows[0] == len(rows) - 1:  # consecutive rows: slices, not fancy indexing
                rows = slice(int(rows[0]), int(rows[-1]) + 1)
            out = predict(np.ascontiguousarray(x[rows]))
            for head in HEADS:
                if heads[head.name] is None:
                    heads[head.name] = np.zeros((len(x),) + out[head.name].shape[1:], np.float32)
                heads[head.name][rows] = out[head.name]
        for head in HEADS:
            if heads[head.name] is None:  # nothing was run: every row is noise
                heads[head.name] = np.zeros((len(x), window, head.size), np.float32)
    return heads


def _fuse(batch: list[Window], heads: dict[str, np.ndarray], *, n_leads: int) -> list[Region]:
    """Fuse the leads of each window of ``batch`` from its rows' ``heads`` (:func:`_predict`): per window, the
    owned region and its features ``(window, 20)``. A window whose leads are all readable is fused at the
    heads' own rates before the rows are repeated to samples (the same numbers as repeating first). Runs on
    the stream's thread while the inference thread runs the next batch."""
    window = len(batch[0][3])
    if n_leads == 1:  # the general case below, exactly, in one pass over the batch
        readable_ = np.stack([valid[:, 0] for *_, valid in batch])
        fused = np.empty((len(batch), window, N_FEATURES), np.float32)
        for head in HEADS:
            fused[..., head.columns] = to_samples(heads[head.name], window)
        fused[~readable_] = 0.0
        fused[..., VALID] = readable_
        return [(start_, lo, hi, f) for (start_, lo, hi, _, _), f in zip(batch, fused)]
    regions = []
    for j, (start_, lo, hi, _, valid) in enumerate(batch):
        rows = slice(j * n_leads, (j + 1) * n_leads)
        fused = np.empty((window, N_FEATURES), np.float32)
        if valid.all():  # the general case below, exactly (every weight 1), fused before the rows are repeated
            for head in HEADS:
                fused[:, head.columns] = to_samples(heads[head.name][rows].sum(axis=0) / np.float32(n_leads), window)
            fused[:, VALID] = 1.0
        else:
            weight = valid.T[..., None].astype(np.float32)
            total = weight.sum(axis=0)
            p = np.concatenate([to_samples(heads[head.name][rows], window) for head in HEADS], axis=-1)
            fused[:, :VALID] = (p * weight).sum(axis=0) / np.maximum(total, 1.0)
            fused[:, VALID:] = total / n_leads
        regions.append((start_, lo, hi, fused))
    return regions


def _inference_pool() -> ThreadPoolExecutor:
    """The one inference thread of the process (ONNX Runtime and LiteRT release the GIL while they run)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openecg-inference")
    return _POOL


def _run_queue(state: StreamState, *, final: bool, decode: bool = False) -> None:
    """Send the queued windows to the inference thread once they fill a batch (or at the end); stitch the
    results of earlier batches in order, keeping at most ``AHEAD`` batches in flight while the stream goes
    on (all of them are collected when ``final``). With ``decode``, the blocks each result completes are
    decoded before waiting for the next, while the inference thread runs it."""
    rows = len(state.queue) * state.n_leads
    if state.queue and (rows >= state.batch_size or final):
        job = _inference_pool().submit(_predict, state.predictor, state.queue, batch_size=state.batch_size)
        state.inflight.append((state.queue, job))
        state.queue = []
        _checks_before_output(state)
    while len(state.inflight) > (0 if final else AHEAD):
        batch, job = state.inflight.pop(0)
        _stitch(state, _fuse(batch, job.result(), n_leads=state.n_leads))
        if decode and state.inflight:
            _decode_blocks(state, None)


def _settle_rhythm(state: StreamState, raw: np.ndarray, *, final: bool) -> None:
    """Run the episode filter over newly decoded rhythm; its final samples overwrite ``lab[2]`` in order."""
    settled = absorb_short_episodes(raw, state.rhythm_filter, final=final)
    at = state.rhythm_end - state.lab_start
    state.lab[2, at:at + len(settled)] = settled
    state.rhythm_end += len(settled)


def _decode_blocks(state: StreamState, m: int | None) -> None:
    feat_end = state.feat_start + len(state.feat)
    while True:
        lo = state.next_block * state.block
        hi = lo + state.block
        if m is None and feat_end < hi + state.context:
            return
        if m is not None:
            if lo >= m:
                return
            hi = min(hi, m)
        c_lo, c_hi = max(0, lo - state.context), min(feat_end, hi + state.context)
        labels = decode_frames(state.feat[c_lo - state.feat_start:c_hi - state.feat_start], state.predictor.fs,
                               beat_stage=state.stages[0], af_stage=state.stages[1])
        state.lab = np.concatenate([state.lab, labels[:, lo - c_lo:hi - c_lo]], axis=1)
        _settle_rhythm(state, labels[2, lo - c_lo:hi - c_lo], final=False)
        state.next_block += 1


def _map_back(state: StreamState, m: int | None) -> None:
    lab_end = state.rhythm_end
    i0 = state.pend_start + state.pend.shape[1]
    if m is None:
        i1 = min(math.ceil(Fraction(2 * lab_end - 1, 2) * state.ratio), state.n_in)
    else:
        i1 = state.n_in
    if i1 <= i0:
        return
    j = np.minimum(_to_model(state, np.arange(i0, i1)), lab_end - 1)
    labels = state.lab[:, j - state.lab_start]
    gap = state.bad[i0 - state.buf_start:i1 - state.buf_start].all(axis=1)
    labels[0, gap] = OTHER
    labels[1, gap] = 0
    labels[2, gap] = NOISE
    state.pend = np.concatenate([state.pend, labels], axis=1)
    keep = int(_to_model(state, np.array([i1]))[0]) - 1
    keep = max(state.lab_start, min(keep, lab_end))
    state.lab = state.lab[:, keep - state.lab_start:]
    state.lab_start = keep


def _checks_before_output(state: StreamState) -> None:
    checks, state.before_output = state.before_output, None
    if checks is not None:
        checks()


def _emit(state: StreamState, *, final: bool) -> list[Piece]:
    n = state.pend.shape[1]
    if n == 0:
        return []
    a = state.pend_start - state.buf_start
    signal = state.buf[a:a + n]
    symbols, lengths, done = wave_tokens(
        state.pend[0], state.pend[2], signal, state.fs, final=final, open_wide=state.open_wide
    )
    if done == 0:
        return []
    _checks_before_output(state)
    last = int(state.pend[0, done - 1])
    state.open_wide = last if last in QRS_CLASSES else -1
    piece = Piece(state.pend_start, state.pend[:, :done].copy(), symbols, lengths)
    state.pend = state.pend[:, done:]
    state.pend_start += done
    return [piece]


def _trim(state: StreamState) -> None:
    k = max(0, state.next_k - 1)
    keep_in = max(0, min(state.pend_start, input_span(k * state.geo.stride, state.geo.window, state.ratio)[0]))
    if keep_in > state.buf_start:
        cut = keep_in - state.buf_start
        state.buf, state.bad = state.buf[cut:], state.bad[cut:]
        state.buf_start = keep_in
    keep_feat = max(state.feat_start, state.next_block * state.block - state.context)
    state.feat = state.feat[keep_feat - state.feat_start:]
    state.feat_start = keep_feat


def feed(state: StreamState, chunk: object) -> list[Piece]:
    """Add ``chunk`` (float32 mV ``(samples, leads)`` or ``(samples,)``, NaN for gaps) to the stream and
    return the pieces it finished (possibly none). A long chunk is taken in steps of about one batch of
    windows, so memory stays bounded by the batch size whatever the chunk size."""
    if state.finished:
        raise ValueError("chunk was fed to a stream that has finished; start a new stream")
    x = as_chunk(chunk, state.n_leads)
    step = int(max(state.block, state.geo.stride * max(1, state.batch_size // state.n_leads)) * state.ratio) + 1
    pieces: list[Piece] = []
    for i in range(0, len(x), step):
        pieces += _feed_step(state, x[i:i + step])
    return pieces


def _feed_step(state: StreamState, x: np.ndarray) -> list[Piece]:
    bad = ~np.isfinite(x)
    state.buf = np.concatenate([state.buf, np.where(bad, np.float32(0), x)])
    state.bad = np.concatenate([state.bad, bad])
    state.n_in += len(x)
    geo = state.geo
    while input_span(state.next_k * geo.stride, geo.window, state.ratio)[1] <= state.n_in:
        lo, hi = geo.grid_region(state.next_k)
        _schedule(state, state.next_k * geo.stride, lo, hi)
        state.next_k += 1
        _run_queue(state, final=False)
    _decode_blocks(state, None)
    _map_back(state, None)
    pieces = _emit(state, final=False)
    _trim(state)
    return pieces


def finish(state: StreamState) -> list[Piece]:
    """End the stream: run the remaining windows (the last one flush with the end, or one zero-padded
    window for a recording shorter than a window) and return the last pieces."""
    if state.n_in == 0:
        raise ValueError("source is empty (0 samples); at least one sample is required")
    state.finished = True
    m = _n_model(state)
    for start_, lo, hi in plan(m, state.geo):
        is_grid = start_ % state.geo.stride == 0 and start_ // state.geo.stride < state.next_k
        if not is_grid:
            _schedule(state, start_, lo, hi)
    _run_queue(state, final=True, decode=True)
    feat_end = state.feat_start + len(state.feat)
    if feat_end < m:
        if state.tail is None or feat_end + len(state.tail) != m:
            raise RuntimeError(f"stitching gap at the end: output ends at {feat_end}, recording at {m}")
        state.feat = np.concatenate([state.feat, state.tail])
    _decode_blocks(state, m)
    _settle_rhythm(state, np.zeros(0, np.uint8), final=True)
    _map_back(state, m)
    pieces = _emit(state, final=True)
    state.buf = state.buf[:0]
    state.bad = state.bad[:0]
    if state.gate and state.readable_windows == 0:
        _warn_unreadable(state)
    return pieces


def _warn_unreadable(state: StreamState) -> None:
    seconds = state.n_in / state.fs
    short = (f"; {seconds:.3g} s is under the {quality.MIN_JUDGE_S:g} s the gate needs to judge a lead"
             if seconds < quality.MIN_JUDGE_S else "")
    warn_caller(
        f"no window of the input could be read as an ECG (in every window every lead was a gap, a flat line or "
        f"failed the signal-quality gate{short}): all {state.n_in} samples are labelled noise, without beats. "
        f"Check that the input holds ECG leads in mV at fs={state.fs:g} Hz",
        SignalWarning,
    )
