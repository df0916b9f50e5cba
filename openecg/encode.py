"""``encode`` and ``encode_stream``: any ECG in, the three label channels and the wave-symbol runs out.

Both run the same engine (:mod:`openecg.stream.engine`): the input is resampled to the model's rate window by
window, every lead runs through the single-lead model, the leads' probabilities are averaged per sample
(leads that are gaps or flat lines there left out: a consensus across leads), stitched with the 2-s edge
guard, decoded (:mod:`openecg.stream.decoder`) and mapped back to the input rate, so the result has one value
per input sample.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .stream import engine
from .codec import Codec
from .runtime import Predictor, get_predictor
from .errors import InputError
from .signal.recording import Recording, as_signal
from .signal.validate import check_encode_fs
from .stream.quality import signal_checks
from .stream.sources import Source, open_source
from .tokenizer.files import check_output
from .tokenizer.streamfile import StreamWriter
from .tokenizer.wavestream import merge_runs

__all__ = ["encode", "encode_stream", "encode_arrays"]

Progress = Callable[[int, "int | None"], None]


def _run(source: Source, predictor: Predictor, *, batch_size: int, progress: Progress | None,
         on_piece: Callable[[engine.Piece], None]) -> int:
    state = engine.start(predictor, fs=source.fs, n_leads=source.n_leads, batch_size=batch_size,
                         before_output=source.checks)
    for chunk in source.chunks:
        for piece in engine.feed(state, chunk):
            on_piece(piece)
        if progress is not None:
            progress(state.n_in, source.n_samples)
    for piece in engine.finish(state):
        on_piece(piece)
    return state.n_in


def _collect(source: Source, predictor: Predictor, *, batch_size: int,
             progress: Progress | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pieces: list[engine.Piece] = []
    _run(source, predictor, batch_size=batch_size, progress=progress, on_piece=pieces.append)
    channels = np.concatenate([p.labels for p in pieces], axis=1)
    symbols, lengths = merge_runs(
        np.concatenate([p.symbols for p in pieces]), np.concatenate([p.lengths for p in pieces])
    )
    return channels, symbols, lengths


def _codec(channels: np.ndarray, fs: float, symbols: np.ndarray, lengths: np.ndarray) -> Codec:
    return Codec(channels, fs, tokens=(symbols, lengths))


def encode_arrays(signal: object, fs: float | None = None, *, leads: object = None, units: str | None = None,
                  gain: float | None = None, model: str | Predictor = "default",
                  batch_size: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`encode` without the :class:`~openecg.Codec` wrapper.

    Returns
    -------
    channels : numpy.ndarray
        uint8 ``(3, samples)``: wave, beat and rhythm classes at the input rate.
    symbols, lengths : numpy.ndarray
        The wave-symbol runs (uint8 ids and int64 lengths in input samples), summing to ``samples``.
    """
    predictor = get_predictor(model)
    if isinstance(signal, Recording):
        size = signal.n_samples
    else:
        if fs is None:
            raise InputError("fs=None: the sample rate in Hz is required for an array (for example fs=500)")
        signal = as_signal(signal)
        size = len(signal)
    source = open_source(signal, fs, leads=leads, units=units, gain=gain, chunk_size=size,
                         signal_checks=signal_checks(predictor), defer_checks=True)
    return _collect(source, predictor, batch_size=batch_size, progress=None)


def encode(signal: object, fs: float | None = None, *, leads: object = None, units: str | None = None,
           gain: float | None = None, model: str | Predictor = "default", batch_size: int = 32) -> Codec:
    """Encode a short recording held in memory.

    Parameters
    ----------
    signal : array_like or Recording
        ``(samples,)`` or ``(samples, leads)``, 1 to 16 leads; NaN/inf mark gaps (gaps of a few samples are
        bridged, see :mod:`openecg.signal.gaps`).
    fs : float
        Sample rate in Hz, 50 to 20,000 (resampled to the model's rate and mapped back). Not needed for a
        Recording.
    leads : str, int, or sequence of str / int, optional
        Leads to use, by name (Recording; a bare string is one name) or index; all by default.
    units : {"mV", "uV", "V", "adc"}, optional
        Units of an array (default mV). Unless given, an amplitude implausible for mV is refused with the
        likely unit named (:mod:`openecg.signal.units`).
    gain : float, optional
        ADC counts per mV, with ``units="adc"``.
    model : str or Predictor
        A registered model name (see :func:`openecg.runtime.registered_predictors`) or a predictor object.
    batch_size : int
        Single-lead windows per model call; the result does not depend on it.

    Returns
    -------
    Codec
        One wave, beat and rhythm value per input sample, with the wave-symbol runs. Windows whose signal is
        not a readable ECG (:mod:`openecg.stream.quality`) are rhythm "noise" without beats.

    Warns
    -----
    SignalWarning
        Short gaps were bridged, the heart rate is implausible for ``fs``, the amplitude is implausible
        for the units given, or no window of the input could be read as an ECG (all of it is then noise).
    """
    channels, symbols, lengths = encode_arrays(signal, fs, leads=leads, units=units, gain=gain, model=model,
                                               batch_size=batch_size)
    return _codec(channels, signal.fs if isinstance(signal, Recording) else check_encode_fs(fs), symbols, lengths)


def encode_stream(source: object, fs: float | None = None, *, leads: object = None, units: str | None = None,
                  gain: float | None = None, model: str | Predictor = "default", batch_size: int = 32,
                  chunk_size: int = 1 << 16, progress: Progress | None = None,
                  sink: str | Path | BinaryIO | None = None) -> Codec | None:
    """Encode a recording of any length, chunk by chunk.

    Parameters
    ----------
    source : array_like, numpy.memmap, Recording, str, pathlib.Path or iterable of arrays
        The signal (``(samples, leads)``), a WFDB record, EDF, ``.npy`` or CSV path read in chunks, or an
        iterator of chunks that all have the same leads. Every kind is checked as :func:`encode` checks an
        array (:mod:`openecg.signal.validate`).
    fs : float, optional
        Sample rate in Hz; required except for WFDB/EDF files and Recordings.
    leads, units, gain, model, batch_size
        As for :func:`encode` (``units``/``gain`` for arrays, chunks, ``.npy`` and CSV).
    chunk_size : int
        Samples read at a time from arrays and files. The result does not depend on it.
    progress : callable, optional
        Called as ``progress(samples_done, samples_total_or_None)`` after each chunk.
    sink : str, pathlib.Path or binary file, optional
        Write the runs to this stream file as they are produced (see ``docs/format.md``) instead of keeping
        the labels in memory; memory then stays bounded by the batch. A path is checked before any work and
        written as ``name.part``, renamed to ``name`` at the end; if the stream fails, ``name.part`` holds
        every chunk finished before the failure (the exception's note says so), readable with
        :func:`openecg.tokenizer.streamfile.read_stream`.

    Returns
    -------
    Codec or None
        The Codec when ``sink`` is None; None when the runs went to ``sink``.
    """
    if isinstance(sink, (str, Path)):
        check_output(sink)
    predictor = get_predictor(model)
    opened = open_source(source, fs, leads=leads, units=units, gain=gain, chunk_size=chunk_size,
                         signal_checks=signal_checks(predictor), defer_checks=sink is None)
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
    except BaseException as error:
        writer.abort()
        if writer.partial is not None:
            error.add_note(
                f"openecg: the {writer.n_samples} samples encoded before this are in {str(writer.partial)!r} "
                "(a stream file without its end marker, readable with openecg.tokenizer.streamfile.read_stream)"
            )
        raise
    writer.close()
    return None
