"""``report``: the clinical summary of an encoded ECG (heart rate, HRV, intervals, ectopy, rhythm, pauses).

Everything is derived from the three label channels of a :class:`~openecg.Codec`: beats and their classes
from the beat channel, intervals from the wave channel (:mod:`openecg.reports.intervals`), rhythm episodes and
noise from the rhythm channel, pacer spikes from the wave-symbol runs when the codec has them. Times are
seconds from the start of the recording (a codec sliced from the middle keeps its place).

Examples
--------
>>> wave = np.tile(np.repeat(np.array([0, 1, 0, 2, 0, 3, 0], dtype=np.uint8), [20, 25, 25, 25, 50, 40, 65]), 20)
>>> beat = np.where(wave == 2, 1, 0).astype(np.uint8)
>>> codec = Codec(np.stack([wave, beat, np.zeros_like(wave)]), fs=250)
>>> result = report(codec)
>>> result.heart_rate["mean_bpm"], result.intervals["pr_ms"], result.intervals["qrs_ms"]
(60.0, 200.0, 100.0)
>>> result.beats["N"]["count"], result.rhythm_burden["sinus"]["percent"]
(20, 100.0)
>>> Report.from_json(result.to_json()) == result
True
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field, fields, replace
from os import PathLike
from typing import Any

import numpy as np

from ..codec import Codec
from ..errors import InputError
from ..tokenizer.vocab import BEAT_CLASSES, NOISE, RHYTHM_CLASSES, class_id, symbol_id
from .sequence import N_BEAT, beat_sequence, find_patterns, find_pauses, rolling_rate
from .intervals import measure_beats, median_intervals

__all__ = ["Report", "report", "PAUSE_S", "HR_WINDOW_BEATS", "SINUS_DRIVEN", "REPORT_VERSION"]

REPORT_VERSION = 1
PAUSE_S = 2.0
"""Default pause threshold: an RR interval longer than this many seconds."""
HR_WINDOW_BEATS = 8
"""Minimum and maximum heart rate are taken over averages of this many consecutive RR intervals."""
SINUS_DRIVEN = tuple(class_id("rhythm", name) for name in ("sinus", "AV_block", "BBB"))
"""Rhythm classes whose N beats are conducted from the sinus node: the N-N intervals of HRV lie in them (atrial
fibrillation, paced and ventricular rhythms are left out)."""
STREAM_ABOVE_S = 600.0
"""Signals longer than this are encoded with :func:`openecg.encode_stream` instead of :func:`openecg.encode`."""

_PACED_BEAT = class_id("beat", "paced")
_PACER = symbol_id("pacer")


@dataclass
class Report:
    """The summary of one recording; every field is plain JSON data (numbers, strings, lists, dicts).

    Attributes
    ----------
    fs, start_s, duration_s : float
        Sample rate (Hz) of the codec, where it begins in the recording and its length (s).
    heart_rate : dict
        ``mean_bpm`` (beats over measured RR time), ``min_bpm`` / ``max_bpm`` (over
        :data:`HR_WINDOW_BEATS`-interval averages) with ``min_at_s`` / ``max_at_s``, ``window_beats``.
    hrv : dict
        Time-domain HRV on N-N intervals (both beats N, in a rhythm of :data:`SINUS_DRIVEN`, no noise between):
        ``n_nn``, ``mean_nn_ms``, ``sdnn_ms``, ``rmssd_ms``, ``pnn50_percent``; None when fewer than 2 (3 for
        RMSSD and pNN50).
    rr : dict
        All measured RR intervals: ``n``, ``mean_s``, ``min_s``, ``max_s``.
    intervals : dict
        Medians from :func:`openecg.reports.intervals.median_intervals` and ``beats_used`` (``"N"``, or
        ``"paced"`` when there are no N beats).
    beats : dict
        ``total`` and, per beat class name, ``{"count", "percent"}`` (burden: share of all beats).
    patterns : list of dict
        Ectopic couplets, runs, bigeminy and trigeminy: ``kind``, ``start_s``, ``beats`` (or cycles).
    pattern_counts : dict
        Episodes per kind.
    rhythm_episodes : list of dict
        ``rhythm``, ``start_s``, ``duration_s`` of each run of the rhythm channel.
    rhythm_burden : dict
        Per rhythm class name: ``seconds`` and ``percent`` of the readable time (noise: of all the time).
    pauses : list of dict
        RR intervals longer than ``pause_threshold_s``: ``start_s`` (the beat before), ``duration_s``.
    pause_threshold_s : float
    pacing : dict
        ``paced_beats``, ``paced_percent``, ``paced_rhythm_s``, ``pacer_spikes`` (None without tokens).
    signal_quality : dict
        ``noise_s``, ``noise_percent``, ``readable_s``.
    hourly : list of dict
        On records longer than an hour, per clock hour from the start: ``hour``, ``start_s``, ``duration_s``,
        ``beats``, ``mean_bpm``, ``min_bpm``, ``max_bpm`` and the count of each ectopic class.
    version : int
    """

    fs: float
    start_s: float
    duration_s: float
    heart_rate: dict[str, Any]
    hrv: dict[str, Any]
    rr: dict[str, Any]
    intervals: dict[str, Any]
    beats: dict[str, Any]
    patterns: list[dict[str, Any]]
    pattern_counts: dict[str, int]
    rhythm_episodes: list[dict[str, Any]]
    rhythm_burden: dict[str, dict[str, float]]
    pauses: list[dict[str, float]]
    pause_threshold_s: float
    pacing: dict[str, Any]
    signal_quality: dict[str, float]
    hourly: list[dict[str, Any]] = field(default_factory=list)
    version: int = REPORT_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return asdict(self)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """Rebuild a report from :meth:`to_dict` output."""
        names = {f.name for f in fields(cls)}
        optional = {"hourly", "version"}
        unknown, missing = set(data) - names, {f.name for f in fields(cls) if f.name not in data} - optional
        if unknown or missing:
            raise InputError(f"report data has unknown keys {sorted(unknown)} and misses {sorted(missing)}")
        if data.get("version", REPORT_VERSION) != REPORT_VERSION:
            raise InputError(f"report version {data['version']} is not {REPORT_VERSION}; upgrade openecg")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> Report:
        """Rebuild a report from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))

    def save(self, path: str | PathLike[str]) -> None:
        """Write the report as JSON to ``path``."""
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.to_json())

    def summary(self) -> str:
        """A readable multi-line text summary."""
        from .formatting import summary_text

        return summary_text(self)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _heart_rate(rr: np.ndarray, times: np.ndarray) -> dict[str, Any]:
    measured = np.isfinite(rr)
    if measured.sum() == 0:
        return {"mean_bpm": None, "min_bpm": None, "max_bpm": None, "min_at_s": None, "max_at_s": None,
                "window_beats": HR_WINDOW_BEATS}
    window = int(min(HR_WINDOW_BEATS, measured.sum()))
    rates = rolling_rate(rr, beats=window)
    ends = times[measured][window - 1:]
    return {
        "mean_bpm": _round(60.0 / rr[measured].mean()),
        "min_bpm": _round(rates.min()),
        "max_bpm": _round(rates.max()),
        "min_at_s": _round(ends[int(np.argmin(rates))], 2),
        "max_at_s": _round(ends[int(np.argmax(rates))], 2),
        "window_beats": window,
    }


def _hrv(rr: np.ndarray, classes: np.ndarray, rhythm: np.ndarray) -> dict[str, Any]:
    normal = (classes == N_BEAT) & np.isin(rhythm, SINUS_DRIVEN)
    nn_mask = np.isfinite(rr) & normal  # rr[0] is NaN: the first beat has no interval
    nn_mask[1:] &= normal[:-1]
    nn = rr[nn_mask] * 1000.0
    adjacent = nn_mask[1:] & nn_mask[:-1]
    successive = np.diff(rr)[adjacent] * 1000.0
    return {
        "n_nn": int(nn.size),
        "mean_nn_ms": _round(nn.mean()) if nn.size else None,
        "sdnn_ms": _round(nn.std(ddof=1)) if nn.size > 1 else None,
        "rmssd_ms": _round(np.sqrt(np.mean(successive**2))) if successive.size else None,
        "pnn50_percent": _round(100.0 * np.mean(np.abs(successive) > 50.0)) if successive.size else None,
    }


def _episodes(codec: Codec, start_s: float) -> list[dict[str, Any]]:
    return [
        {"rhythm": RHYTHM_CLASSES[c].name, "start_s": round(start_s + a / codec.fs, 3),
         "duration_s": round((b - a) / codec.fs, 3)}
        for a, b, c in codec.events("rhythm").tolist()
    ]


def _burden(codec: Codec) -> dict[str, dict[str, float]]:
    runs = codec.runs("rhythm")
    seconds = np.bincount(runs.symbols, weights=runs.lengths, minlength=len(RHYTHM_CLASSES)) / codec.fs
    readable = seconds.sum() - seconds[NOISE]
    burden = {}
    for entry in RHYTHM_CLASSES:
        total = seconds.sum() if entry.id == NOISE else readable
        percent = 100.0 * seconds[entry.id] / total if total > 0 else 0.0
        burden[entry.name] = {"seconds": round(float(seconds[entry.id]), 2), "percent": round(float(percent), 2)}
    return burden


def _hourly(times: np.ndarray, rr: np.ndarray, classes: np.ndarray, duration_s: float) -> list[dict[str, Any]]:
    rows = []
    for hour in range(int(np.ceil(duration_s / 3600.0))):
        inside = (times >= hour * 3600.0) & (times < (hour + 1) * 3600.0)
        rate = _heart_rate(rr[inside], times[inside])
        row = {"hour": hour, "start_s": hour * 3600.0, "duration_s": round(min(3600.0, duration_s - hour * 3600.0), 3),
               "beats": int(inside.sum()), "mean_bpm": rate["mean_bpm"], "min_bpm": rate["min_bpm"],
               "max_bpm": rate["max_bpm"]}
        row.update({e.name: int((classes[inside] == e.id).sum()) for e in BEAT_CLASSES[2:]})
        rows.append(row)
    return rows


def _summarize(codec: Codec, *, pause_s: float = PAUSE_S) -> Report:
    """The :class:`Report` of an encoded recording (see :func:`report`)."""
    fs, start_s = codec.fs, codec.start / codec.fs
    table = beat_sequence(codec)
    times = table.time + start_s
    classes, rr = table.classes, table.rr
    measured = rr[np.isfinite(rr)]

    counts = np.bincount(classes, minlength=len(BEAT_CLASSES))
    total = int(counts[1:].sum())
    beats: dict[str, Any] = {"total": total}
    for entry in BEAT_CLASSES[1:]:
        beats[entry.name] = {"count": int(counts[entry.id]),
                             "percent": round(100.0 * counts[entry.id] / total, 2) if total else 0.0}

    measured_beats = measure_beats(codec.wave, fs=fs)
    beat_class_at = codec.beat[measured_beats.onset]
    dominant = N_BEAT if (beat_class_at == N_BEAT).any() else _PACED_BEAT
    after_dominant = np.concatenate([[False], beat_class_at[:-1] == dominant])
    measured_beats = replace(measured_beats, rr=np.where(after_dominant, measured_beats.rr, np.nan))
    intervals = {**median_intervals(measured_beats, select=beat_class_at == dominant),
                 "beats_used": BEAT_CLASSES[dominant].name}

    patterns = find_patterns(classes)
    pauses = find_pauses(table, threshold_s=pause_s)
    tokens = codec.tokens()
    burden = _burden(codec)
    return Report(
        fs=fs,
        start_s=round(start_s, 6),
        duration_s=round(codec.duration, 6),
        heart_rate=_heart_rate(rr, times),
        hrv=_hrv(rr, classes, codec.rhythm[table.onset]),
        rr={"n": int(measured.size), "mean_s": _round(measured.mean(), 4) if measured.size else None,
            "min_s": _round(measured.min(), 4) if measured.size else None,
            "max_s": _round(measured.max(), 4) if measured.size else None},
        intervals=intervals,
        beats=beats,
        patterns=[{"kind": p.kind, "start_s": round(float(times[p.start]), 3), "beats": p.count} for p in patterns],
        pattern_counts=dict(sorted(Counter(p.kind for p in patterns).items())),
        rhythm_episodes=_episodes(codec, start_s),
        rhythm_burden=burden,
        pauses=[{"start_s": round(float(times[k - 1]), 3), "duration_s": round(float(rr[k]), 3)} for k in pauses],
        pause_threshold_s=float(pause_s),
        pacing={
            "paced_beats": int(counts[_PACED_BEAT]),
            "paced_percent": beats["paced"]["percent"],
            "paced_rhythm_s": burden["paced"]["seconds"],
            "pacer_spikes": None if tokens is None else int((tokens.symbols == _PACER).sum()),
        },
        signal_quality={
            "noise_s": burden["noise"]["seconds"],
            "noise_percent": burden["noise"]["percent"],
            "readable_s": round(codec.duration - burden["noise"]["seconds"], 2),
        },
        hourly=_hourly(times - start_s, rr, classes, codec.duration) if codec.duration > 3600.0 else [],
    )


def report(signal_or_codec: object, *, fs: float | None = None, leads: list[str | int] | None = None,
           model: str = "default", pause_s: float = PAUSE_S, progress: Any = None) -> Report:
    """Summarize an ECG: heart rate, HRV, intervals, ectopy, rhythm episodes, pauses, pacing, signal quality.

    Parameters
    ----------
    signal_or_codec : Codec, Recording, array_like, str, pathlib.Path or iterable of arrays
        An encoded recording, or anything :func:`openecg.encode_stream` reads (float mV ``(samples,)`` or
        ``(samples, leads)``, a Recording, a WFDB record or EDF path, an iterator of chunks), which is encoded
        first: with :func:`openecg.encode` up to 10 minutes, chunk by chunk with :func:`openecg.encode_stream`
        beyond that and for files and iterators.
    fs : float, optional
        Sample rate in Hz of an array (not used for a Codec, a Recording or a file).
    leads, model
        As for :func:`openecg.encode`; not used for a Codec.
    pause_s : float
        Pause threshold in seconds (default :data:`PAUSE_S`, 2.0).
    progress : callable, optional
        Passed to :func:`openecg.encode_stream`.

    Returns
    -------
    Report
    """
    if isinstance(pause_s, bool) or not (isinstance(pause_s, (int, float)) and np.isfinite(pause_s) and pause_s > 0):
        raise InputError(f"pause_s={pause_s!r} must be a positive number of seconds (default {PAUSE_S})")
    if isinstance(signal_or_codec, Codec):
        return _summarize(signal_or_codec, pause_s=pause_s)
    from ..encode import encode, encode_stream
    from ..signal.recording import Recording, check_fs

    options: dict[str, Any] = {"leads": leads, "model": model}
    if isinstance(signal_or_codec, Recording):
        short = signal_or_codec.duration <= STREAM_ABOVE_S
    elif isinstance(signal_or_codec, (str, PathLike)) or not hasattr(signal_or_codec, "__len__"):
        short = False
    else:
        if fs is None:
            raise InputError("fs=None: the sample rate in Hz is required for an array (for example fs=500)")
        short = len(signal_or_codec) / check_fs(fs) <= STREAM_ABOVE_S  # type: ignore[arg-type]
    if short:
        codec = encode(signal_or_codec, fs, **options)
    else:
        codec = encode_stream(signal_or_codec, fs, progress=progress, **options)
    return _summarize(codec, pause_s=pause_s)  # type: ignore[arg-type]
