"""``encode`` and ``encode_stream``: any ECG in, the three label channels and the wave-symbol runs out.

Both run the same engine (:mod:`openecg.stream.engine`): the input is resampled to the model's rate window by
window, every lead runs through the single-lead model, the leads' probabilities are averaged per sample
(leads that are gaps or flat lines there left out: a consensus across leads), stitched with the 2-s edge
guard, decoded (:mod:`openecg.stream.decoder`) and mapped back to the input rate, so the result has one value
per input sample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .stream import engine as stream
from .codec import Codec
from .runtime import Predictor, get_predictor
from .signal.recording import Recording, as_signal, check_fs
from .stream.sources import Source, open_source
from .tokenizer.streamfile import StreamWriter
from .tokenizer.wavestream import merge_runs

__all__ = ["encode", "encode_stream", "encode_arrays"]

Progress = Callable[[int, "int | None"], None]


def _run(source: Source, predictor: Predictor, *, batch_size: int, progress: Progress | None,
         on_piece: Callable[[stream.Piece], None]) -> int:
    state = stream.start(predictor, fs=source.fs, n_leads=source.n_leads, batch_size=batch_size)
    for chunk in source.chunks:
        for piece in stream.feed(state, chunk):
            on_piece(piece)
        if progress is not None:
            progress(state.n_in, source.n_samples)
    for piece in stream.finish(state):
        on_piece(piece)
    return state.n_in


def _collect(source: Source, predictor: Predictor, *, batch_size: int,
             progress: Progress | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pieces: list[stream.Piece] = []
    _run(source, predictor, batch_size=batch_size, progress=progress, on_piece=pieces.append)
    channels = np.concatenate([p.labels for p in pieces], axis=1)
    symbols, lengths = merge_runs(
        np.concatenate([p.symbols for p in pieces]), np.concatenate([p.lengths for p in pieces])
    )
    return channels, symbols, lengths


def _codec(channels: np.ndarray, fs: float, symbols: np.ndarray, lengths: np.ndarray) -> Codec:
    return Codec(channels, fs, tokens=(symbols, lengths))


def encode_arrays(signal: object, fs: float | None = None, *, leads: Sequence[str | int] | None = None,
                  model: str | Predictor = "default",
                  batch_size: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`encode` without the :class:`~openecg.Codec` wrapper.

    Returns
    -------
    channels : numpy.ndarray
        uint8 ``(3, samples)``: wave, beat and rhythm classes at the input rate.
    symbols, lengths : numpy.ndarray
        The wave-symbol runs (uint8 ids and int64 lengths in input samples), summing to ``samples``.
    """
    if isinstance(signal, Recording):
        source = open_source(signal, fs, leads=leads, chunk_size=signal.n_samples)
    else:
        if fs is None:
            raise ValueError("fs=None: the sample rate in Hz is required for an array (for example fs=500)")
        array = as_signal(signal)
        source = open_source(array, check_fs(fs), leads=leads, chunk_size=len(array))
    return _collect(source, get_predictor(model), batch_size=batch_size, progress=None)


def encode(signal: object, fs: float | None = None, *, leads: Sequence[str | int] | None = None,
           model: str | Predictor = "default", batch_size: int = 32) -> Codec:
    """Encode a short recording held in memory.

    Parameters
    ----------
    signal : array_like or Recording
        float mV ``(samples,)`` or ``(samples, leads)``, 1 to 12 (up to 16) leads; NaN/inf mark gaps.
    fs : float
        Sample rate in Hz (any; resampled to the model's rate and mapped back). Not needed for a Recording.
    leads : sequence of str or int, optional
        Leads to use, by name (Recording) or index; all by default.
    model : str or Predictor
        A registered model name (see :func:`openecg.runtime.registered_predictors`) or a predictor object.
    batch_size : int
        Single-lead windows per model call; the result does not depend on it.

    Returns
    -------
    Codec
        One wave, beat and rhythm value per input sample, with the wave-symbol runs.
    """
    channels, symbols, lengths = encode_arrays(signal, fs, leads=leads, model=model, batch_size=batch_size)
    rate = signal.fs if isinstance(signal, Recording) else check_fs(fs)
    return _codec(channels, rate, symbols, lengths)


def encode_stream(source: object, fs: float | None = None, *, leads: Sequence[str | int] | None = None,
                  model: str | Predictor = "default", batch_size: int = 32, chunk_size: int = 1 << 16,
                  progress: Progress | None = None, sink: str | Path | BinaryIO | None = None) -> Codec | None:
    """Encode a recording of any length, chunk by chunk.

    Parameters
    ----------
    source : array_like, numpy.memmap, Recording, str, pathlib.Path or iterable of arrays
        The signal (mV, ``(samples, leads)``), a WFDB record or EDF path read in chunks, or an iterator of
        chunks that all have the same leads.
    fs : float, optional
        Sample rate in Hz; required except for files and Recordings.
    leads, model, batch_size
        As for :func:`encode`.
    chunk_size : int
        Samples read at a time from arrays and files. The result does not depend on it.
    progress : callable, optional
        Called as ``progress(samples_done, samples_total_or_None)`` after each chunk.
    sink : str, pathlib.Path or binary file, optional
        Write the runs to this stream file as they are produced (see ``docs/format.md``) instead of keeping
        the labels in memory; memory then stays bounded by the batch. If the stream fails, the file holds
        every chunk finished before the failure, readable with :func:`openecg.tokenizer.streamfile.read_stream`.

    Returns
    -------
    Codec or None
        The Codec when ``sink`` is None; None when the runs went to ``sink``.
    """
    opened = open_source(source, fs, leads=leads, chunk_size=chunk_size)
    predictor = get_predictor(model)
    if sink is None:
        channels, symbols, lengths = _collect(opened, predictor, batch_size=batch_size, progress=progress)
        return _codec(channels, opened.fs, symbols, lengths)
    writer = StreamWriter(sink, fs=opened.fs, meta={
        "model": model if isinstance(model, str) else type(model).__name__,
        "model_fs": float(predictor.fs),
        "lead_names": list(opened.lead_names),
    })
    try:
        _run(opened, predictor, batch_size=batch_size, progress=progress,
             on_piece=lambda p: writer.write(p.start, p.labels, p.symbols, p.lengths))
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return None
