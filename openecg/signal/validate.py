"""The checks every entry point applies to its input, in one place: sample rate, shape, dtype and lead
selection. :func:`openecg.encode`, :func:`openecg.encode_stream` (arrays, memory maps, files, chunk
iterators) and :func:`openecg.read` all call these, so one input is refused the same way everywhere.

Examples
--------
>>> check_encode_fs(500)
500.0
>>> select_leads(("I", "II", "V1"), "ii", where="the record")
[1]
>>> select_leads(("I", "II", "V1"), [2, "I"], where="the record")
[2, 0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError

__all__ = ["MAX_LEADS", "FS_RANGE_HZ", "check_fs", "check_encode_fs", "check_shape", "check_dtype", "select_leads"]

MAX_LEADS = 16
"""Most leads one recording may have (12 standard leads plus a few extra)."""

FS_RANGE_HZ: tuple[float, float] = (50.0, 20_000.0)
"""Sample rates (Hz) :func:`openecg.encode` accepts: below 50 Hz a QRS is a sample or two wide; above 20 kHz
the input is not an ECG acquisition rate (and the resampler's work grows with it)."""


def check_fs(fs: object, *, name: str = "fs") -> float:
    """Return ``fs`` as a positive finite float, or raise :class:`~openecg.errors.InputError` naming it.

    ``True`` / ``False`` are refused (a bool is not a sample rate, though Python treats it as 1 / 0).
    """
    if isinstance(fs, (bool, np.bool_)):
        raise InputError(f"{name}={fs!r} is a bool, not a sample rate; pass the rate in Hz (for example {name}=500)")
    try:
        value = float(fs)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name}={fs!r} is not a number; the sample rate in Hz is required (for example fs=500)") from None
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"{name}={fs!r} must be a finite sample rate in Hz greater than 0")
    return value


def check_encode_fs(fs: object, *, name: str = "fs") -> float:
    """:func:`check_fs` plus the range :data:`FS_RANGE_HZ` that encoding accepts."""
    value = check_fs(fs, name=name)
    lo, hi = FS_RANGE_HZ
    if not lo <= value <= hi:
        raise InputError(
            f"{name}={fs!r} Hz is outside the {lo:g} Hz to {hi:g} Hz that openecg encodes; give the rate in Hz "
            "(not kHz or a sample period), or resample the signal into that range first"
        )
    return value


def check_dtype(dtype: np.dtype, *, name: str) -> None:
    """Refuse arrays that are not numeric (object, string, complex, bool)."""
    if dtype == object or not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
        raise InputError(f"{name} has dtype {dtype}; a numeric (float or integer) array in mV is required")


def check_shape(shape: tuple[int, ...], *, name: str, transpose: str | None = None) -> None:
    """Refuse shapes that are not ``(samples,)`` / ``(samples, leads)`` without reading the data.

    A leads-first shape such as ``(12, 5000)`` is refused, not transposed silently; ``transpose`` is the fix
    the message gives (default ``"pass NAME.T"``).

    >>> check_shape((12, 5000), name="signal")
    Traceback (most recent call last):
    ...
    openecg.errors.InputError: signal has shape (12, 5000), which looks leads-first; openecg takes (samples, leads): pass signal.T
    """
    if len(shape) not in (1, 2):
        raise InputError(f"{name} has {len(shape)} dimensions (shape {shape}); allowed: (samples,) or (samples, leads)")
    if shape[0] == 0 or (len(shape) == 2 and shape[1] == 0):
        raise InputError(f"{name} is empty (shape {shape}); at least one sample of one lead is required")
    if len(shape) == 1:
        return
    samples, leads = shape
    if leads > samples or (leads > MAX_LEADS and samples <= MAX_LEADS):
        fix = transpose or f"pass {name}.T"
        raise InputError(f"{name} has shape {shape}, which looks leads-first; openecg takes (samples, leads): {fix}")
    if leads > MAX_LEADS:
        raise InputError(
            f"{name} has {leads} leads (shape {shape}); at most {MAX_LEADS} are supported: "
            f"choose up to {MAX_LEADS} with leads= (names or column indices)"
        )


def select_leads(names: Sequence[str], leads: object, *, where: str) -> list[int]:
    """The column indices that ``leads`` selects from ``names``: the one lead-selection rule of openecg.

    Parameters
    ----------
    names : sequence of str
        The lead names of the source (``lead0``, ``lead1`` ... when it has none).
    leads : None, str, int or sequence of str / int
        None for all leads; a name (case-insensitive; a bare string is one name, ``"II"`` is lead II) or a
        column index, or a sequence of them, in the order wanted.
    where : str
        What holds the leads, for error messages (``"the array"``, ``"'rec.hea'"``).

    Returns
    -------
    list of int
        Column indices into ``names``, in the order of ``leads``.
    """
    if leads is None:
        return list(range(len(names)))
    items = [leads] if isinstance(leads, (str, int, np.integer)) else leads
    try:
        items = list(items)  # type: ignore[call-overload]
    except TypeError:
        raise InputError(f"leads={leads!r} is not a lead name, an index or a list of them") from None
    allowed = f"allowed: {', '.join(names)} (names) or 0..{len(names) - 1} (indices)"
    if not items:
        raise InputError(f"leads={leads!r} selects no lead; pass None for all leads or names/indices ({allowed})")
    lower = [name.lower() for name in names]
    out = []
    for lead in items:
        if isinstance(lead, (bool, np.bool_)) or not isinstance(lead, (str, int, np.integer)):
            raise InputError(f"leads contains {lead!r}, which is neither a lead name nor an index; {allowed}")
        if isinstance(lead, str):
            if lead.lower() not in lower:
                raise InputError(f"leads contains {lead!r}, which is not a lead of {where}; {allowed}")
            out.append(lower.index(lead.lower()))
        elif not 0 <= int(lead) < len(names):
            raise InputError(f"leads contains index {int(lead)}, out of range for {where}; {allowed}")
        else:
            out.append(int(lead))
    return out
