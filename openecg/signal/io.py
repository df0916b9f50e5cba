"""Reading ECG files into a :class:`Recording`: WFDB, EDF/EDF+, ``.npy`` and CSV, whole or in chunks.

Every format goes through one small source object that knows the sample rate, the lead names, the length
and how to read a sample range, so :func:`read`, :func:`read_window` and :func:`iter_chunks` share one path
and a window of a long record is read without loading the whole file (CSV is streamed line by line).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .recording import Recording, check_fs

__all__ = ["read", "read_wfdb", "read_window", "iter_chunks", "open_file", "FORMATS"]

FORMATS: tuple[str, ...] = (".hea", ".edf", ".bdf", ".npy", ".csv")
"""File suffixes :func:`read` dispatches on (a WFDB record may also be named without ``.hea``)."""

_UNIT_SCALE = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3, "nu": 1.0, "": 1.0}


def _to_mv(units: list[str], *, path: object) -> np.ndarray:
    scales = []
    for unit in units:
        key = (unit or "").strip().lower()
        if key not in _UNIT_SCALE:
            raise ValueError(f"path={str(path)!r} has signal units {unit!r}; allowed: mV, uV, V")
        scales.append(_UNIT_SCALE[key])
    return np.asarray(scales, dtype=np.float64)


@dataclass(frozen=True)
class _Source:
    fs: float
    names: tuple[str, ...]
    n_samples: int
    read: Callable[[int, int], np.ndarray]
    meta: dict[str, object]


def _select(names: list[str], leads: list[str] | None, *, path: object) -> list[int]:
    if leads is None:
        return list(range(len(names)))
    lower = [name.lower() for name in names]
    missing = [name for name in leads if name.lower() not in lower]
    if missing:
        raise ValueError(f"leads={leads!r}: {missing} not in {str(path)!r}; allowed: {', '.join(names)}")
    return [lower.index(name.lower()) for name in leads]


def _wfdb_source(path: Path, leads: list[str] | None) -> _Source:
    import wfdb

    header = wfdb.rdheader(str(path))
    channels = _select(list(header.sig_name), leads, path=path)
    scale = _to_mv([header.units[c] for c in channels], path=path)

    def read_range(start: int, stop: int) -> np.ndarray:
        record = wfdb.rdrecord(str(path), sampfrom=start, sampto=stop, channels=channels)
        return record.p_signal * scale

    return _Source(
        float(header.fs),
        tuple(header.sig_name[c] for c in channels),
        int(header.sig_len),
        read_range,
        {"comments": list(header.comments), "path": str(path)},
    )


def _edf_source(path: Path, leads: list[str] | None) -> _Source:
    import pyedflib

    with pyedflib.EdfReader(str(path)) as edf:
        names = [label.strip() for label in edf.getSignalLabels()]
        channels = _select(names, leads, path=path)
        rates = {float(edf.getSampleFrequency(c)) for c in channels}
        if len(rates) != 1:
            raise ValueError(
                f"path={str(path)!r} mixes sample rates {sorted(rates)} across leads; pass leads= with one rate"
            )
        scale = _to_mv([edf.getPhysicalDimension(c) for c in channels], path=path)
        length = int(min(edf.getNSamples()[c] for c in channels))

    def read_range(start: int, stop: int) -> np.ndarray:
        with pyedflib.EdfReader(str(path)) as edf:
            columns = [edf.readSignal(c, start=start, n=stop - start) for c in channels]
        return np.stack(columns, axis=1) * scale

    return _Source(rates.pop(), tuple(names[c] for c in channels), length, read_range, {"path": str(path)})


def _named(count: int, leads: list[str] | None, *, path: object) -> tuple[str, ...]:
    if leads is None:
        return tuple(f"lead{i}" for i in range(count))
    if len(leads) != count:
        raise ValueError(f"leads={leads!r} names {len(leads)} leads but {str(path)!r} has {count}; give one name per column")
    return tuple(leads)


def _npy_source(path: Path, fs: float, leads: list[str] | None) -> _Source:
    array = np.load(path, mmap_mode="r", allow_pickle=False)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"path={str(path)!r} holds dtype {array.dtype}; a numeric array in mV is required")
    if array.ndim not in (1, 2):
        raise ValueError(f"path={str(path)!r} holds shape {array.shape}; allowed: (samples,) or (samples, leads)")
    columns = 1 if array.ndim == 1 else array.shape[1]
    names = _named(columns, leads, path=path)

    def read_range(start: int, stop: int) -> np.ndarray:
        return np.asarray(array[start:stop], dtype=np.float64).reshape(stop - start, columns)

    return _Source(fs, names, int(array.shape[0]), read_range, {"path": str(path)})


def _csv_header(path: Path) -> tuple[list[str] | None, int]:
    with open(path, encoding="utf-8") as handle:
        first = handle.readline().strip()
    cells = [cell.strip() for cell in first.split(",")]
    try:
        [float(cell) for cell in cells]
    except ValueError:
        return cells, 1
    return None, 0


def _csv_source(path: Path, fs: float, leads: list[str] | None) -> _Source:
    header, skip = _csv_header(path)
    with open(path, encoding="utf-8") as handle:
        length = sum(1 for line in handle if line.strip()) - skip
    if header is not None:
        channels = _select(header, leads, path=path)
        names = tuple(header[c] for c in channels)
    else:
        with open(path, encoding="utf-8") as handle:
            count = len(handle.readline().split(","))
        channels = list(range(count))
        names = _named(count, leads, path=path)

    def read_range(start: int, stop: int) -> np.ndarray:
        with open(path, encoding="utf-8") as handle:
            lines = itertools.islice((ln for ln in handle if ln.strip()), skip + start, skip + stop)
            table = np.loadtxt(lines, delimiter=",", ndmin=2, usecols=channels)
        return table.reshape(stop - start, len(channels))

    return _Source(fs, names, max(length, 0), read_range, {"path": str(path)})


def open_file(path: str | os.PathLike, fs: float | None, leads: list[str] | None) -> _Source:
    """Open ``path`` for reading by sample range, without loading it: rate, lead names, length, ``read(a, b)``."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".hea" or (suffix not in FORMATS and file.with_name(file.name + ".hea").is_file()):
        record = file.with_suffix("") if suffix == ".hea" else file
        if not record.with_name(record.name + ".hea").is_file():
            raise ValueError(f"path={str(path)!r}: no WFDB header {record}.hea found")
        source = _wfdb_source(record, leads)
    elif not file.is_file():
        raise ValueError(f"path={str(path)!r} does not exist; give an existing {', '.join(FORMATS)} file")
    elif suffix in (".edf", ".bdf"):
        source = _edf_source(file, leads)
    elif suffix in (".npy", ".csv"):
        if fs is None:
            raise ValueError(f"fs=None: {suffix} files carry no sample rate; pass fs= in Hz (for example fs=500)")
        maker = _npy_source if suffix == ".npy" else _csv_source
        return maker(file, check_fs(fs), leads)
    else:
        raise ValueError(f"path={str(path)!r} has suffix {suffix!r}; allowed: {', '.join(FORMATS)} or a WFDB record name")
    if fs is not None and abs(check_fs(fs) - source.fs) > 1e-9 * source.fs:
        raise ValueError(f"fs={fs!r} contradicts the file's {source.fs} Hz; leave fs=None or resample after reading")
    return source


def _recording(source: _Source, start: int, stop: int) -> Recording:
    signal = source.read(start, stop)
    meta = {**source.meta, "start_sample": start}
    return Recording(signal.astype(np.float32), fs=source.fs, lead_names=source.names, meta=meta)


def read(path: str | os.PathLike, *, fs: float | None = None, leads: list[str] | None = None) -> Recording:
    """Read an ECG file into a :class:`Recording` (float32 mV ``(samples, leads)``).

    Parameters
    ----------
    path : str or os.PathLike
        A WFDB record (``rec.hea`` or ``rec``), EDF/EDF+/BDF (``.edf``/``.bdf``), ``.npy`` ``(samples,)`` or
        ``(samples, leads)`` in mV, or CSV with one column per lead (optional header row of lead names).
    fs : float or None
        Sample rate in Hz: required for ``.npy`` and CSV; for WFDB/EDF it must match the file when given.
    leads : list of str or None
        WFDB/EDF/CSV with a header: the leads to keep, in order (case-insensitive). ``.npy`` and header-less
        CSV: one name per column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ecg.csv"
    >>> _ = path.write_text("I,II\\n0.1,0.2\\n0.3,0.4\\n0.5,0.6\\n")
    >>> rec = read(path, fs=250)
    >>> rec.lead_names, rec.signal.shape
    (('I', 'II'), (3, 2))
    """
    source = open_file(path, fs, leads)
    if source.n_samples == 0:
        raise ValueError(f"path={str(path)!r} holds no samples; a non-empty recording is required")
    return _recording(source, 0, source.n_samples)


def read_wfdb(path: str | os.PathLike, *, leads: list[str] | None = None) -> Recording:
    """Read a WFDB record (``path`` with or without ``.hea``); the dataset loaders use this."""
    return read(path, leads=leads)


def read_window(
    path: str | os.PathLike, *, start: int, stop: int, fs: float | None = None, leads: list[str] | None = None
) -> Recording:
    """Read samples ``start:stop`` of a file without loading the rest (``meta["start_sample"]`` = ``start``)."""
    source = open_file(path, fs, leads)
    if not (0 <= start < stop <= source.n_samples):
        raise ValueError(f"start={start}, stop={stop} must satisfy 0 <= start < stop <= {source.n_samples} (the length)")
    return _recording(source, start, stop)


def iter_chunks(
    path: str | os.PathLike, *, chunk: int, fs: float | None = None, leads: list[str] | None = None
) -> Iterator[Recording]:
    """Yield consecutive chunks of ``chunk`` samples (the last may be shorter), each read on its own.

    Each chunk's ``meta["start_sample"]`` gives its position in the file.
    """
    if not isinstance(chunk, (int, np.integer)) or chunk <= 0:
        raise ValueError(f"chunk={chunk!r} must be a positive number of samples")
    source = open_file(path, fs, leads)
    for start in range(0, source.n_samples, int(chunk)):
        yield _recording(source, start, min(start + int(chunk), source.n_samples))
