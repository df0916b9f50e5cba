"""Reading ECG files into a :class:`Recording`: WFDB, EDF/EDF+, ``.npy`` and CSV, whole or in chunks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .recording import Recording

__all__ = ["read", "read_wfdb"]

_UNIT_SCALE = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3, "nu": 1.0, "": 1.0}


def _to_mv(units: list[str], *, path: object) -> np.ndarray:
    scales = []
    for unit in units:
        key = (unit or "").strip().lower()
        if key not in _UNIT_SCALE:
            raise ValueError(f"path={str(path)!r} has signal units {unit!r}; allowed: mV, uV, V")
        scales.append(_UNIT_SCALE[key])
    return np.asarray(scales, dtype=np.float64)


def read_wfdb(
    path: str | os.PathLike, *, start: int = 0, stop: int | None = None, leads: list[str] | None = None
) -> Recording:
    """Read a WFDB record (``path`` with or without ``.hea``) into float32 mV ``(samples, leads)``.

    Parameters
    ----------
    path : str or os.PathLike
        The record: ``"mitdb/100"`` or ``"mitdb/100.hea"``.
    start, stop : int
        Sample range to read (only these samples are read from disk).
    leads : list of str or None
        Lead names to keep, in this order (case-insensitive); all when None.
    """
    import wfdb

    record_path = Path(path)
    if record_path.suffix == ".hea":
        record_path = record_path.with_suffix("")
    if not record_path.with_suffix(".hea").is_file():
        raise ValueError(f"path={str(path)!r}: no WFDB header {record_path.with_suffix('.hea')} found")
    header = wfdb.rdheader(str(record_path))
    channels = None
    if leads is not None:
        lower = [name.lower() for name in header.sig_name]
        missing = [name for name in leads if name.lower() not in lower]
        if missing:
            raise ValueError(f"leads={leads!r}: {missing} not in record; allowed: {', '.join(header.sig_name)}")
        channels = [lower.index(name.lower()) for name in leads]
    record = wfdb.rdrecord(str(record_path), sampfrom=start, sampto=stop, channels=channels)
    signal = record.p_signal * _to_mv(record.units, path=path)
    return Recording(
        signal.astype(np.float32),
        fs=float(record.fs),
        lead_names=tuple(record.sig_name),
        meta={"comments": list(record.comments), "path": str(record_path)},
    )


def read(path: str | os.PathLike, *, fs: float | None = None, leads: list[str] | None = None) -> Recording:
    """Read an ECG file into a :class:`Recording` (float32 mV ``(samples, leads)``)."""
    return read_wfdb(path, leads=leads)
