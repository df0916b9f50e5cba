"""Signal units: converting arrays to mV once, at the edge, and checking that the amplitude is plausible.

openecg works in millivolts. An array given to :func:`openecg.encode`, :func:`openecg.encode_stream` or
:func:`openecg.read` is taken as mV unless ``units=`` says otherwise (``"uV"``, ``"V"``, or ``"adc"`` with
``gain=`` ADC counts per mV); WFDB and EDF files state their own units. Because a wrong unit silently
ruins every label, the amplitude is checked: the typical 1st-to-99th percentile range over 2-s stretches of
the most active lead must lie in :data:`AMPLITUDE_RANGE_MV`. Outside it, an array whose units were not
given is refused (:class:`~openecg.errors.InputError` naming the likely unit); when the units were given
(or came from a file) a :class:`~openecg.errors.SignalWarning` is issued instead.

Examples
--------
>>> unit_scale("uV")
0.001
>>> unit_scale("adc", gain=200)
0.005
>>> round(typical_amplitude(np.sin(np.arange(5000) / 20.0)[:, None], fs=500.0), 2)
2.0
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import InputError, SignalWarning, warn_caller

__all__ = ["UNITS", "AMPLITUDE_RANGE_MV", "unit_scale", "file_unit_scales", "typical_amplitude", "check_amplitude"]

UNITS: dict[str, float] = {"mV": 1.0, "uV": 1e-3, "V": 1e3, "adc": float("nan")}
"""Accepted ``units=`` and their factor to mV (``"adc"`` takes its factor from ``gain=``)."""

_FILE_UNITS = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3, "nu": 1.0, "": 1.0}

AMPLITUDE_RANGE_MV: tuple[float, float] = (0.01, 20.0)
"""Plausible typical amplitude (mV) of an ECG: the median over 2-s stretches of the 1st-to-99th percentile
range, taken on the lead where it is largest. Real ECGs lie near 0.3 to 5 mV; microvolts or ADC counts give
hundreds to thousands, volts a few thousandths."""

_FLAT_MV = 1e-5
_SEGMENT_S = 2.0


def unit_scale(units: str | None, *, gain: float | None = None) -> float:
    """The factor that turns values in ``units`` into mV (``units=None`` means mV).

    Parameters
    ----------
    units : {"mV", "uV", "V", "adc"} or None
        Units of the values given.
    gain : float, optional
        ADC counts per mV; required with ``units="adc"`` and refused otherwise.
    """
    if units is None:
        units = "mV"
    if units not in UNITS:
        raise InputError(f"units={units!r} is not supported; allowed: {', '.join(map(repr, UNITS))}")
    if units == "adc":
        if gain is None or isinstance(gain, bool) or not np.isfinite(float(gain)) or float(gain) <= 0:
            raise InputError(
                f"units='adc' needs gain=<ADC counts per mV> > 0 (got gain={gain!r}); "
                "the record's gain is in its header (often 200 or 1000)"
            )
        return 1.0 / float(gain)
    if gain is not None:
        raise InputError(f"gain={gain!r} is only used with units='adc'; leave it out for units={units!r}")
    return UNITS[units]


def file_unit_scales(units: list[str], *, path: object) -> np.ndarray:
    """Per-lead factors to mV from the unit strings a WFDB/EDF header gives (``mV``, ``uV``, ``V``)."""
    scales = []
    for unit in units:
        key = (unit or "").strip().lower()
        if key not in _FILE_UNITS:
            raise InputError(f"{str(path)!r} has signal units {unit!r}; openecg reads mV, uV and V")
        scales.append(_FILE_UNITS[key])
    return np.asarray(scales, dtype=np.float64)


def typical_amplitude(x: np.ndarray, *, fs: float) -> float:
    """Median over 2-s stretches of the 1st-to-99th percentile range, on the lead where it is largest.

    Parameters
    ----------
    x : numpy.ndarray
        ``(samples, leads)`` in the units to check; NaN/inf are ignored.
    fs : float
        Sample rate in Hz.

    Returns
    -------
    float
        The amplitude in the units of ``x`` (0 for an empty or all-gap input).
    """
    step = max(2, int(round(_SEGMENT_S * fs)))
    n = len(x) // step * step
    segments = x[:n].reshape(-1, step, x.shape[1]) if n else x[None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        finite = np.isfinite(segments)
        if finite.all():  # the usual case: the plain percentile and median, 7-20x faster than the NaN-aware ones
            lo, hi = np.percentile(segments, [1.0, 99.0], axis=1)
            per_lead = np.median(hi - lo, axis=0)
        else:
            clean = np.where(finite, segments, np.nan).astype(np.float64)
            lo, hi = np.nanpercentile(clean, [1.0, 99.0], axis=1)
            per_lead = np.nanmedian(hi - lo, axis=0)
    per_lead = per_lead[np.isfinite(per_lead)]
    return float(per_lead.max()) if per_lead.size else 0.0


def check_amplitude(x: np.ndarray, *, fs: float, units: str | None, name: str = "signal") -> None:
    """Refuse (``units=None``) or warn about (units given) an amplitude outside :data:`AMPLITUDE_RANGE_MV`.

    Parameters
    ----------
    x : numpy.ndarray
        ``(samples, leads)`` already converted to mV (the first tens of seconds are enough).
    fs : float
        Sample rate in Hz.
    units : str or None
        The units the caller gave (None: not given, assumed mV); names the source in the message.

    Under 2 s of signal is not judged (too little to tell an isoelectric stretch from a unit error).
    """
    if len(x) < _SEGMENT_S * fs:
        return
    amplitude = typical_amplitude(x, fs=fs)
    lo, hi = AMPLITUDE_RANGE_MV
    if amplitude <= _FLAT_MV or lo <= amplitude <= hi:
        return
    if amplitude > hi:
        counts = bool(np.all(np.mod(x[np.isfinite(x)][:100_000], 1.0) == 0))
        likely = (
            f"ADC counts (about {amplitude / 1.5:.0f} per mV): pass units='adc', gain=<counts per mV>"
            if counts else "microvolts: pass units='uV'"
        )
        other = "; if it is in microvolts pass units='uV'" if counts else "; if it is ADC counts pass units='adc', gain="
        fix = likely + other
    else:
        fix = "volts: pass units='V'"
    message = (
        f"{name} has a typical amplitude of {amplitude:.4g} mV (median 1st-99th percentile range over 2-s "
        f"stretches), outside the {lo:g} to {hi:g} mV of an ECG; it looks like {fix}"
    )
    if units is None:
        raise InputError(message + " (or units='mV' to encode it as given, with a warning)")
    warn_caller(message, SignalWarning)
