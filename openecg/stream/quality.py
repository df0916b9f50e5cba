"""The signal-quality gate: is a window of one lead an ECG the model can read?

The model labels whatever it is given, so a window that is not an ECG (white noise, a mains sine, a flat
line, too little signal to judge) must never reach the labels as sinus rhythm with beats. Each window of
each lead is judged from the signal alone, at the model's rate, on its samples that are not gaps:

* **enough signal**: at least :data:`MIN_JUDGE_S` seconds that are not gaps or padding;
* **ECG band**: at least :data:`MIN_BAND_FRACTION` of the power above 0.5 Hz lies below 40 Hz (white noise
  spreads evenly up to the Nyquist rate);
* **not one tone**: at most :data:`MAX_TONE_FRACTION` of the power above 2 Hz lies within 1 Hz of its
  strongest frequency (a sine, mains hum);
* **QRS spikes**: the 8-25 Hz band (where QRS complexes live) holds at least :data:`MIN_QRS_FRACTION` of the
  power and is spiky, with kurtosis at least :data:`MIN_QRS_KURTOSIS` (Gaussian noise of any colour has 3,
  a sine 1.5; QRS complexes give 5 to 30).

The thresholds leave a margin on both sides: on 10-s windows of the development records (MIT-BIH, NSTDB at
every SNR, SVDB, CPSC 2021, LUDB, CinC 2017) the lowest band fraction is 0.63, the highest tone fraction
0.82, the lowest QRS fraction 0.003; white, coloured and random-walk noise and sines fail (figures in
``docs/robustness.md``, from ``benchmarks/bench_robustness.py --gate``).

A lead that fails is left out of the lead consensus, like a gap or a flat line; where every lead fails, the
samples are unreadable: wave "other", no beat, rhythm "noise" (:mod:`openecg.stream.decoder`). When that is
true of every window of an input, the stream also warns (:class:`~openecg.errors.SignalWarning`).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> noise = rng.normal(size=(2500, 1)).astype(np.float32)
>>> readable(noise, np.ones_like(noise, bool), fs=250.0).tolist()
[False]
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from ..errors import SignalWarning, warn_caller

__all__ = [
    "MIN_JUDGE_S",
    "MIN_BAND_FRACTION",
    "MAX_TONE_FRACTION",
    "MIN_QRS_KURTOSIS",
    "MIN_QRS_FRACTION",
    "HEART_RATE_BPM",
    "DOUBLED_FS_HIGH_SHARE",
    "readable",
    "features",
    "signal_checks",
    "heart_rate",
    "check_rate",
]

MIN_JUDGE_S = 3.0
MIN_BAND_FRACTION = 0.5
MAX_TONE_FRACTION = 0.9
MIN_QRS_KURTOSIS = 4.0
MIN_QRS_FRACTION = 0.001

_BAND_HZ = (0.5, 40.0)
_TONE_FROM_HZ = 2.0
_QRS_HZ = (8.0, 25.0)
_TONE_HZ = 1.0
_TAPER_S = 0.25
_QRS_EDGE_HZ = 5.0


def signal_checks(predictor: object) -> bool:
    """Whether the input checks (amplitude, heart rate) and this gate apply to a predictor's input: always,
    except for a predictor that declares ``signal_checks = False`` (the test oracles, which are fed
    synthetic ramps and levels, not ECGs)."""
    return bool(getattr(predictor, "signal_checks", True))


class _Bins(NamedTuple):
    """What :func:`features` needs for ``n`` samples at ``fs``, computed once per (n, fs): the Hann window,
    the 0.25-s cosine end tapers and their length, the QRS-band gain per rfft bin (1 from 8 to 25 Hz,
    raised-cosine edges 5 Hz wide on each side), the bin frequencies, and the bins of each band as slices."""

    hann: np.ndarray
    taper: np.ndarray
    edge: int
    gain: np.ndarray
    freqs: np.ndarray
    above: slice  # >= 0.5 Hz
    band: slice  # 0.5 to 40 Hz
    high: slice  # >= 2 Hz, where a tone is looked for
    qrs: slice  # 8 to 25 Hz


@functools.lru_cache(maxsize=16)
def _bins(n: int, fs: float) -> _Bins:
    edge = min(int(_TAPER_S * fs), n // 4)
    taper = np.ones(n)
    if edge:
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(edge) / edge)
        taper[:edge], taper[n - edge:] = ramp, ramp[::-1]
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    (lo, hi), w = _QRS_HZ, _QRS_EDGE_HZ
    rise = np.clip((freqs - (lo - w)) / (2 * w), 0, 1) * np.clip(((hi + w) - freqs) / (2 * w), 0, 1)

    def from_(hz: float) -> int:  # first bin at or above hz
        return int(np.searchsorted(freqs, hz, side="left"))

    def to(hz: float) -> int:  # past the last bin at or below hz
        return int(np.searchsorted(freqs, hz, side="right"))

    return _Bins(np.hanning(n), taper, edge, 0.5 - 0.5 * np.cos(np.pi * rise), freqs,
                 slice(from_(_BAND_HZ[0]), None), slice(from_(_BAND_HZ[0]), to(_BAND_HZ[1])),
                 slice(from_(_TONE_FROM_HZ), None), slice(from_(_QRS_HZ[0]), to(_QRS_HZ[1])))


def features(x: np.ndarray, *, fs: float) -> np.ndarray:
    """Band fraction, tone fraction, QRS-band kurtosis and QRS-band power fraction of each column.

    Parameters
    ----------
    x : numpy.ndarray
        ``(k,)`` or ``(k, leads)`` finite samples at ``fs`` Hz.

    Returns
    -------
    numpy.ndarray
        float64 ``(4, leads)`` (``(4, 1)`` for 1-D input), rows as listed above. For the kurtosis the QRS band
        (8-25 Hz with smooth 5-Hz edges) is cut from the spectrum of the signal with 0.25-s cosine tapers at
        both ends, and the kurtosis is taken between the tapers.
    """
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    x = x - x.mean(axis=0)
    n = len(x)
    bins = _bins(n, float(fs))
    coefficients = np.fft.rfft(x * bins.hann[:, None], axis=0)
    spectrum = coefficients.real * coefficients.real + coefficients.imag * coefficients.imag
    above = spectrum[bins.above].sum(axis=0)
    total = np.maximum(above, 1e-300)
    band = spectrum[bins.band].sum(axis=0) / total
    high = spectrum[bins.high]
    peak = bins.freqs[bins.high][np.argmax(high, axis=0)]
    near = np.abs(bins.freqs[:, None] - peak[None, :]) <= _TONE_HZ
    near[:bins.high.start] = False
    tone = (spectrum * near).sum(axis=0) / np.maximum(high.sum(axis=0), 1e-300)
    qrs = np.fft.irfft(np.fft.rfft(x * bins.taper[:, None], axis=0) * bins.gain[:, None], n=n, axis=0)
    power = qrs[bins.edge:n - bins.edge] ** 2
    var = power.mean(axis=0)
    kurtosis = np.where(var > 0, (power * power).mean(axis=0) / np.maximum(var * var, 1e-300), 0.0)
    out = np.array([band, tone, kurtosis, spectrum[bins.qrs].sum(axis=0) / total])
    out[:, above <= 0] = np.array([0.0, 1.0, 0.0, 0.0])[:, None]
    return out


def _passes(f: np.ndarray) -> np.ndarray:
    return ((f[0] >= MIN_BAND_FRACTION) & (f[1] <= MAX_TONE_FRACTION) & (f[2] >= MIN_QRS_KURTOSIS)
            & (f[3] >= MIN_QRS_FRACTION))


def readable(signal: np.ndarray, valid: np.ndarray, *, fs: float) -> np.ndarray:
    """Which leads of a window pass the gate.

    Parameters
    ----------
    signal : numpy.ndarray
        float32 ``(window, leads)`` in mV at the model's rate ``fs`` (gaps zero-filled).
    valid : numpy.ndarray
        bool ``(window, leads)``: samples that are signal (not gaps, flat stretches or padding).
    fs : float
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        bool ``(leads,)``.
    """
    out = np.zeros(signal.shape[1], bool)
    whole = valid.all(axis=0)
    if whole.any() and len(signal) >= MIN_JUDGE_S * fs:
        out[whole] = _passes(features(signal[:, whole], fs=fs))
    for lead in np.flatnonzero(~whole):
        x = signal[valid[:, lead], lead]
        if len(x) >= MIN_JUDGE_S * fs:
            out[lead] = _passes(features(x, fs=fs))[0]
    return out


HEART_RATE_BPM: tuple[float, float] = (40.0, 200.0)
"""Heart rates (beats per minute) that pass :func:`check_rate` without a warning."""

DOUBLED_FS_HIGH_SHARE = 0.5
"""Above this ratio of 25-50 Hz to 8-25 Hz power, with a heart rate above 100, :func:`check_rate` warns that
``fs`` may be twice the true rate. On the training records of every database (357 recordings, first minute)
the ratio stays under 0.43 at the right rate; declared at twice their rate, 76 of the 214 whose heart rate
then stays in range exceed it (``docs/robustness.md``)."""

_COMMON_FS = (100.0, 125.0, 128.0, 200.0, 250.0, 256.0, 300.0, 360.0, 400.0, 500.0, 512.0, 1000.0, 1024.0, 2000.0)


@functools.lru_cache(maxsize=16)
def _qrs_band(fs: float) -> np.ndarray:
    """Second-order sections of the 2nd-order Butterworth QRS band-pass at ``fs`` (designed once per rate)."""
    from scipy.signal import butter

    return butter(2, _QRS_HZ, btype="band", fs=fs, output="sos")


@functools.lru_cache(maxsize=16)
def _qrs_band_power_gain(fs: float, n: int) -> np.ndarray:
    """``|H|^4`` of :func:`_qrs_band` at the ``rfft`` bins of ``n`` samples: the power gain of filtering forward
    and backward, so that a lead's band power can be read from its spectrum without filtering it."""
    from scipy.signal import sosfreqz

    _, h = sosfreqz(_qrs_band(fs), worN=np.fft.rfftfreq(n, 1.0 / fs), fs=fs)
    return np.abs(h) ** 4


def heart_rate(x: np.ndarray, *, fs: float) -> float | None:
    """Beat rate (per minute, at the declared ``fs``) of ``(samples, leads)`` mV: the median interval between
    the peaks of the most active lead's QRS-band envelope (80-ms mean of the 8-25 Hz band's magnitude; peaks
    above 0.3 times its 99.5th percentile, at least 0.25 s apart); None under 8 s or with fewer than 3 peaks.

    The most active lead is the one with the most power after the zero-phase band-pass, read from the leads'
    spectra (:func:`_qrs_band_power_gain`), so that only that lead is filtered.
    """
    return _rate_and_high_share(x, fs=fs)[0]


def _rate_and_high_share(x: np.ndarray, *, fs: float) -> tuple[float | None, float | None]:
    """:func:`heart_rate`, and the most active lead's power at 25-50 Hz over its power at 8-25 Hz (periodogram at
    the declared ``fs``); (None, None) under 8 s. The ratio is None when ``fs`` < 100 Hz, the 8-25 Hz band is
    empty, or that band is not spiky as QRS complexes are (kurtosis under :data:`MIN_QRS_KURTOSIS`, the gate's
    rule: noise has 3), since then it says nothing about the sample rate."""
    from scipy.fft import rfft
    from scipy.signal import find_peaks, sosfiltfilt

    if len(x) < 8 * fs:
        return None, None
    x = np.where(np.isfinite(x), x, 0.0).astype(np.float32, copy=False)
    x = x - x.mean(axis=0, dtype=np.float64).astype(np.float32)
    power = np.abs(rfft(x, axis=0)) ** 2
    lead = int(np.argmax(_qrs_band_power_gain(float(fs), len(x)) @ power)) if x.shape[1] > 1 else 0
    freqs = np.fft.rfftfreq(len(x), 1.0 / fs)
    qrs_band = float(power[(freqs >= _QRS_HZ[0]) & (freqs <= _QRS_HZ[1]), lead].sum())
    high = float(power[(freqs > _QRS_HZ[1]) & (freqs <= 2 * _QRS_HZ[1]), lead].sum())
    band = sosfiltfilt(_qrs_band(float(fs)), x[:, lead].astype(np.float64))
    squared = band * band
    spiky = np.mean(squared * squared) >= MIN_QRS_KURTOSIS * np.mean(squared) ** 2 > 0
    share = high / qrs_band if fs >= 4 * _QRS_HZ[1] and qrs_band > 0 and spiky else None
    envelope = np.abs(band)
    width = max(1, int(0.08 * fs))
    envelope = np.convolve(envelope, np.ones(width) / width, mode="same")
    peaks, _ = find_peaks(envelope, height=0.3 * np.percentile(envelope, 99.5), distance=max(1, int(0.25 * fs)))
    if len(peaks) < 3:
        return None, share
    return float(60.0 * fs / np.median(np.diff(peaks))), share


def check_rate(x: np.ndarray, *, fs: float) -> None:
    """Warn (:class:`~openecg.errors.SignalWarning`) when the sample rate looks wrong at the declared ``fs``.

    Two signs: a heart rate outside :data:`HEART_RATE_BPM` (naming the common sample rate that would make it
    about 75 per minute), or a heart rate above 100 per minute with the QRS energy at twice its usual
    frequencies (the 25-50 Hz band holding more than :data:`DOUBLED_FS_HIGH_SHARE` of the 8-25 Hz band's power),
    which is what a recording declared at twice its true rate shows: its heart rate then often stays under 200.

    ``x`` is ``(samples, leads)`` mV, typically the first minute of a recording.
    """
    rate, share = _rate_and_high_share(x, fs=fs)
    lo, hi = HEART_RATE_BPM
    if rate is None:
        return
    if not lo <= rate <= hi:
        likely = sorted(_COMMON_FS, key=lambda f: abs(np.log(rate * f / fs / 75.0)))[:2]
        options = " or ".join(f"fs={f:g} (heart rate {rate * f / fs:.0f})" for f in likely)
        warn_caller(
            f"the heart rate at fs={fs:g} Hz would be {rate:.0f} per minute, outside {lo:g} to {hi:g}: check the "
            f"sample rate; the nearest usual ones are {options} (a wrong fs ruins every label)",
            SignalWarning,
        )
    elif rate > 100.0 and share is not None and share > DOUBLED_FS_HIGH_SHARE:
        warn_caller(
            f"at fs={fs:g} Hz the QRS complexes carry their energy at twice the usual frequencies (25-50 Hz holds "
            f"{share:.0%} of the 8-25 Hz power; this check expects under {DOUBLED_FS_HIGH_SHARE:.0%}) and the heart "
            f"rate would be {rate:.0f} per minute: fs may be twice the true rate. If the recording was made at "
            f"{fs / 2:g} Hz, pass fs={fs / 2:g} (heart rate {rate / 2:.0f}); a wrong fs ruins every label",
            SignalWarning,
        )
