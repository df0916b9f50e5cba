"""``Recording``: a multi-lead ECG signal in physical units with its sample rate, validated once at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Recording", "as_signal", "MAX_LEADS"]

MAX_LEADS = 16
"""Most leads a recording may have; a wider array is taken to be leads-first (the fix: pass ``signal.T``)."""


def as_signal(signal: object, *, name: str = "signal") -> np.ndarray:
    """Validate an ECG array and return it as float32 ``(samples, leads)``.

    Parameters
    ----------
    signal : array_like
        ``(samples,)`` or ``(samples, leads)`` in mV. A leads-first array such as ``(12, 5000)`` is refused,
        not transposed silently: pass ``signal.T``.
    name : str
        The argument name used in error messages.

    Returns
    -------
    numpy.ndarray
        float32 ``(samples, leads)``. NaN and inf are kept (they mark gaps); see :func:`gap_mask`.

    Examples
    --------
    >>> as_signal([0.1, 0.2, 0.3]).shape
    (3, 1)
    >>> as_signal(np.zeros((12, 5000)))
    Traceback (most recent call last):
    ...
    ValueError: signal has shape (12, 5000), which looks leads-first; openecg takes (samples, leads): pass signal.T
    """
    array = np.asarray(signal)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise ValueError(f"{name} has dtype {array.dtype}; a numeric (float or integer) array in mV is required")
    if array.ndim == 1:
        array = array[:, None]
    elif array.ndim != 2:
        raise ValueError(f"{name} has {array.ndim} dimensions (shape {array.shape}); allowed: (samples,) or (samples, leads)")
    samples, leads = array.shape
    if samples == 0 or leads == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); at least one sample of one lead is required")
    if leads > MAX_LEADS and samples <= MAX_LEADS:
        raise ValueError(
            f"{name} has shape {array.shape}, which looks leads-first; openecg takes (samples, leads): pass {name}.T"
        )
    if leads > MAX_LEADS:
        raise ValueError(f"{name} has {leads} leads (shape {array.shape}); at most {MAX_LEADS} are supported")
    if samples < leads:
        raise ValueError(
            f"{name} has shape {array.shape}, which looks leads-first; openecg takes (samples, leads): pass {name}.T"
        )
    return np.ascontiguousarray(array, dtype=np.float32)


def check_fs(fs: object, *, name: str = "fs") -> float:
    """Return ``fs`` as a positive finite float, or raise ``ValueError`` naming it."""
    try:
        value = float(fs)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name}={fs!r} is not a number; the sample rate in Hz is required (for example fs=500)") from None
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}={fs!r} must be a finite sample rate in Hz greater than 0")
    return value


@dataclass(frozen=True)
class Recording:
    """An ECG recording: float32 mV samples ``(samples, leads)`` at ``fs`` Hz.

    Attributes
    ----------
    signal : numpy.ndarray
        float32 ``(samples, leads)`` in ``units`` (mV unless stated). NaN marks samples that are missing or
        unreadable.
    fs : float
        Sample rate in Hz.
    lead_names : tuple of str
        One name per lead (``"II"``, ``"V1"``, ``"MLII"`` ...).
    units : str
        Physical units of ``signal``; ``"mV"`` after :func:`openecg.read`.
    start_time : str or None
        ISO 8601 start of the recording when the file gives it.

    Examples
    --------
    >>> rec = Recording(np.zeros((5000, 2)), fs=500)
    >>> rec.lead_names, rec.duration
    (('lead0', 'lead1'), 10.0)
    """

    signal: np.ndarray
    fs: float
    lead_names: tuple[str, ...] = ()
    units: str = "mV"
    start_time: str | None = None
    meta: dict[str, object] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        signal = as_signal(self.signal)
        object.__setattr__(self, "signal", signal)
        object.__setattr__(self, "fs", check_fs(self.fs))
        names = tuple(str(n) for n in self.lead_names) or tuple(f"lead{i}" for i in range(signal.shape[1]))
        if len(names) != signal.shape[1]:
            raise ValueError(
                f"lead_names has {len(names)} names {names!r} but signal has {signal.shape[1]} leads; give one name per lead"
            )
        object.__setattr__(self, "lead_names", names)

    @property
    def n_samples(self) -> int:
        """Number of samples per lead."""
        return int(self.signal.shape[0])

    @property
    def n_leads(self) -> int:
        """Number of leads."""
        return int(self.signal.shape[1])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_samples / self.fs

    def lead(self, name: str) -> np.ndarray:
        """The float32 ``(samples,)`` signal of lead ``name`` (case-insensitive)."""
        for i, lead_name in enumerate(self.lead_names):
            if lead_name.lower() == name.lower():
                return self.signal[:, i]
        raise ValueError(f"lead={name!r} is not in this recording; allowed: {', '.join(self.lead_names)}")

    def gap_mask(self) -> np.ndarray:
        """bool ``(samples,)``: True where any lead is NaN or infinite (a gap that is later marked unreadable)."""
        return ~np.isfinite(self.signal).all(axis=1)
