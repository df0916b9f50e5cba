"""Reading ECG files into a :class:`Recording`: WFDB, EDF/EDF+, ``.npy`` and CSV, whole or in chunks.

Every format goes through one :class:`FileSource` (from :func:`open_file`) that knows the sample rate, the
lead names, the length and how to read a sample range, so :func:`read`, :func:`read_window`,
:func:`iter_chunks` and the file sources of :func:`openecg.encode_stream` share one path, and a window of a
long record is read without loading the whole file (CSV is streamed line by line). Every problem with a
file is a :class:`~openecg.errors.FileFormatError` that names the file and what is wrong with it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, InputError, OpenECGError, require
from .recording import Recording
from .units import check_amplitude, file_unit_scales, unit_scale
from .validate import check_dtype, check_fs, check_shape, select_leads

__all__ = ["read", "read_wfdb", "read_window", "iter_chunks", "open_file", "FileSource", "FORMATS"]

FORMATS: tuple[str, ...] = (".hea", ".edf", ".bdf", ".npy", ".csv")
"""File suffixes :func:`read` dispatches on (a WFDB record may also be named without ``.hea``)."""

_WFDB_BYTES = {"8": 1.0, "16": 2.0, "24": 3.0, "32": 4.0, "61": 2.0, "80": 1.0, "160": 2.0, "212": 1.5,
               "310": 4 / 3, "311": 4 / 3}
_TRANSPOSE = "store it with one row per sample and one column per lead"


@dataclass(frozen=True)
class FileSource:
    """An opened ECG file: sample rate, lead names, length, and ``read(start, stop)`` -> float64 mV
    ``(stop - start, leads)``. :func:`read`, :func:`read_window`, :func:`iter_chunks` and the stream
    sources of :func:`openecg.encode_stream` all read files through it."""

    fs: float
    names: tuple[str, ...]
    n_samples: int
    read: Callable[[int, int], np.ndarray]
    meta: dict[str, object]
    units_stated: bool

    def chunks(self, size: int) -> Iterator[np.ndarray]:
        """float32 mV ``(size, leads)`` chunks from the start (the last may be shorter)."""
        for start in range(0, self.n_samples, size):
            yield np.asarray(self.read(start, min(self.n_samples, start + size)), dtype=np.float32)


def _wrap(path: object, what: str, reader: Callable[[int, int], np.ndarray]) -> Callable[[int, int], np.ndarray]:
    """``reader`` with every failure turned into a FileFormatError that names the file."""

    def read_range(start: int, stop: int) -> np.ndarray:
        try:
            return reader(start, stop)
        except OpenECGError:
            raise
        except Exception as error:  # the file parsers raise anything on damaged input
            raise FileFormatError(f"{str(path)!r} could not be read as {what}: {error}") from error

    return read_range


def _check_dat(record: Path, header: object) -> None:
    """Refuse a WFDB record whose signal files are missing or shorter than its header says."""
    length = getattr(header, "sig_len", None)
    if not length:
        return
    files: dict[str, list[str]] = {}
    for name, fmt in zip(header.file_name, header.fmt):  # type: ignore[attr-defined]
        files.setdefault(name, []).append(str(fmt))
    for name, fmts in files.items():
        dat = record.parent / name
        if not dat.is_file():
            raise FileFormatError(f"{str(dat)!r} is missing: the header {str(record)}.hea names it as a signal file")
        if any(fmt not in _WFDB_BYTES for fmt in fmts):
            continue
        need = int(np.ceil(length * sum(_WFDB_BYTES[fmt] for fmt in fmts)))
        size = dat.stat().st_size
        if size < need:
            state = "is empty" if size == 0 else f"has {size} bytes"
            raise FileFormatError(
                f"{str(dat)!r} {state} but its header {str(record)}.hea describes {length} samples of "
                f"{len(fmts)} lead(s) in format {'/'.join(sorted(set(fmts)))} ({need} bytes): the file is "
                "truncated or the header is wrong"
            )


def _without_base_time(record: Path) -> tuple[Path, object, str] | None:
    """For a header whose record line has a base time/date that is not WFDB's ``HH:MM:SS DD/MM/YYYY`` (the
    PhysioNet/CinC 2017 files write ``2014-02-28 08:02:58``): the same record without those fields, as
    ``(record path, the temporary folder that holds it, the fields dropped)``, the signal files linked
    beside it; None when the record line has no such fields."""
    import shutil
    import tempfile

    try:
        lines = (record.parent / f"{record.name}.hea").read_text(encoding="latin-1").splitlines()
    except OSError:
        return None
    at = next((i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")), None)
    if at is None:
        return None
    fields = lines[at].split()
    if len(fields) <= 4 or all(":" in f or "/" in f for f in fields[4:]):  # none, or WFDB's own form
        return None
    folder = tempfile.TemporaryDirectory(prefix="openecg-wfdb-")
    lines[at] = " ".join(fields[:4])
    (Path(folder.name) / f"{record.name}.hea").write_text("\n".join(lines) + "\n", encoding="latin-1")
    for line in lines[at + 1:]:
        name = line.split()[0] if line.strip() and not line.lstrip().startswith("#") else None
        target = Path(folder.name) / name if name else None
        if target is not None and not target.exists() and (record.parent / name).is_file():
            try:
                os.symlink((record.parent / name).resolve(), target)
            except OSError:  # no symlinks on this file system
                shutil.copyfile(record.parent / name, target)
    return Path(folder.name) / record.name, folder, " ".join(fields[4:])


def _wfdb_source(record: Path, leads: object) -> FileSource:
    wfdb = require("wfdb", extra="data", feature="reading WFDB records")
    shown, keep, dropped = record, None, None
    try:
        header = wfdb.rdheader(str(record))
    except Exception as error:  # wfdb raises IndexError, HeaderSyntaxError, ValueError ... on a bad header
        header, patched = None, _without_base_time(record)
        if patched is not None:
            record, keep, dropped = patched
            with contextlib.suppress(Exception):  # still unreadable: the original error is the one to report
                header = wfdb.rdheader(str(record))
        if header is None:
            raise FileFormatError(
                f"{str(shown)}.hea is not a readable WFDB header ({type(error).__name__}: {error}); "
                "check that it is a WFDB .hea file and not empty"
            ) from error
    if not header.sig_name or not header.fs:
        raise FileFormatError(f"{str(record)}.hea lists no signals or no sample rate; it is not a usable WFDB header")
    _check_dat(shown, header)
    channels = select_leads(list(header.sig_name), leads, where=f"{str(shown)!r}")
    scale = file_unit_scales([header.units[c] for c in channels], path=shown)

    def read_range(start: int, stop: int, _folder: object = keep) -> np.ndarray:  # holds the temporary header
        signal = wfdb.rdrecord(str(record), sampfrom=start, sampto=stop, channels=channels).p_signal
        return signal * scale

    meta: dict[str, object] = {"comments": list(header.comments), "path": str(shown)}
    if dropped is not None:
        meta["base_time_not_read"] = dropped
    return FileSource(
        float(header.fs),
        tuple(header.sig_name[c] for c in channels),
        int(header.sig_len or 0),
        _wrap(shown, "a WFDB record", read_range),
        meta,
        True,
    )


def _edf_source(path: Path, leads: object) -> FileSource:
    pyedflib = require("pyedflib", extra="data", feature="reading EDF/BDF files")
    try:
        with pyedflib.EdfReader(str(path)) as edf:
            names = [label.strip() for label in edf.getSignalLabels()]
            channels = select_leads(names, leads, where=f"{str(path)!r}")
            rates = {float(edf.getSampleFrequency(c)) for c in channels}
            units = [edf.getPhysicalDimension(c) for c in channels]
            length = int(min(edf.getNSamples()[c] for c in channels))
    except OpenECGError:
        raise
    except Exception as error:  # pyedflib raises OSError with its own wording on a damaged file
        raise FileFormatError(f"{str(path)!r} is not a readable EDF/BDF file: {error}") from error
    if len(rates) != 1:
        raise InputError(f"{str(path)!r} mixes sample rates {sorted(rates)} across leads; pass leads= with one rate")
    scale = file_unit_scales(units, path=path)

    def read_range(start: int, stop: int) -> np.ndarray:
        with pyedflib.EdfReader(str(path)) as edf:
            columns = [edf.readSignal(c, start=start, n=stop - start) for c in channels]
        return np.stack(columns, axis=1) * scale

    return FileSource(rates.pop(), tuple(names[c] for c in channels), length,
                      _wrap(path, "an EDF/BDF file", read_range), {"path": str(path)}, True)


def _names(count: int, lead_names: list[str] | None, *, path: object) -> list[str]:
    if lead_names is None:
        return [f"lead{i}" for i in range(count)]
    if isinstance(lead_names, str) or len(lead_names) != count:
        raise InputError(
            f"lead_names={lead_names!r} does not give one name per column of {str(path)!r} ({count} columns)"
        )
    return [str(name) for name in lead_names]


def _npy_source(path: Path, fs: float, leads: object, lead_names: list[str] | None, scale: float) -> FileSource:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as error:  # EOFError on an empty file, ValueError on a damaged header
        state = "is empty" if path.stat().st_size == 0 else f"is not a readable .npy file ({error})"
        raise FileFormatError(f"{str(path)!r} {state}; save the signal with numpy.save") from error
    name = f"{str(path)!r}"
    check_dtype(array.dtype, name=name)
    check_shape(array.shape, name=name, transpose=f"save the transposed array ({_TRANSPOSE})")
    columns = 1 if array.ndim == 1 else array.shape[1]
    names = _names(columns, lead_names, path=path)
    cols = select_leads(names, leads, where=name)

    def read_range(start: int, stop: int) -> np.ndarray:
        block = np.asarray(array[start:stop], dtype=np.float64).reshape(stop - start, columns)
        return block[:, cols] * scale

    return FileSource(fs, tuple(names[c] for c in cols), int(array.shape[0]), read_range, {"path": str(path)}, False)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _csv_layout(path: Path) -> tuple[list[str] | None, int, int]:
    """Header names (or None), rows of data, columns."""
    with open(path, encoding="utf-8") as handle:
        lines = (line for line in handle if line.strip())
        first = next(lines, None)
        rows = sum(1 for _ in lines)
    if first is None:
        raise FileFormatError(f"{str(path)!r} is empty; a CSV with one column per lead is required")
    cells = [cell.strip() for cell in first.split(",")]
    numeric = [_is_number(cell) for cell in cells]
    if all(numeric):
        return None, rows + 1, len(cells)
    if any(numeric):
        raise FileFormatError(
            f"{str(path)!r} line 1 mixes numbers and text {cells[:6]}; give a header row of lead names or none"
        )
    return cells, rows, len(cells)


def _csv_source(path: Path, fs: float, leads: object, lead_names: list[str] | None, scale: float) -> FileSource:
    header, rows, count = _csv_layout(path)
    skip = 0 if header is None else 1
    name = f"{str(path)!r}"
    check_shape((rows, count), name=name, transpose=f"transpose the file ({_TRANSPOSE})")
    names = header if header is not None else _names(count, lead_names, path=path)
    channels = select_leads(names, leads, where=name)

    def read_range(start: int, stop: int) -> np.ndarray:
        with open(path, encoding="utf-8") as handle:
            lines = itertools.islice((ln for ln in handle if ln.strip()), skip + start, skip + stop)
            try:
                table = np.loadtxt(lines, delimiter=",", ndmin=2, usecols=channels)
            except ValueError as error:
                raise FileFormatError(
                    f"{name}: {error} (rows counted from sample {start}); every cell must be a number: "
                    "write a missing sample as nan"
                ) from None
        return table.reshape(stop - start, len(channels)) * scale

    return FileSource(fs, tuple(names[c] for c in channels), rows, read_range, {"path": str(path)}, False)


def open_file(path: str | os.PathLike, *, fs: float | None = None, leads: object = None,
              units: str | None = None, gain: float | None = None,
              lead_names: list[str] | None = None) -> FileSource:
    """Open an ECG file for reading by sample range, checking everything that can be checked without
    reading the samples (header, sizes, shape, leads, units).

    Parameters
    ----------
    path, fs, leads, units, gain, lead_names
        As for :func:`read`.

    Raises
    ------
    FileFormatError
        The file is missing, empty, truncated, damaged or of another format; the message names it.
    InputError
        The arguments do not fit the file.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if file.is_dir():
        records = sorted(p.stem for p in file.glob("*.hea"))[:3]
        hint = f" (it holds WFDB records such as {', '.join(records)}: give one, e.g. {str(file / records[0])!r})" if records else ""
        raise FileFormatError(f"{str(path)!r} is a directory, not a recording{hint}; give one file or WFDB record")
    if suffix == ".hea" or (suffix not in FORMATS and file.with_name(file.name + ".hea").is_file()):
        record = file.with_suffix("") if suffix == ".hea" else file
        if not record.with_name(record.name + ".hea").is_file():
            raise FileFormatError(f"{str(path)!r}: no WFDB header {record}.hea found")
        source = _wfdb_source(record, leads)
    elif not file.is_file():
        raise FileFormatError(f"{str(path)!r} does not exist; give an existing {', '.join(FORMATS)} file")
    elif suffix in (".edf", ".bdf"):
        source = _edf_source(file, leads)
    elif suffix in (".npy", ".csv"):
        if fs is None:
            raise InputError(f"fs=None: {suffix} files carry no sample rate; pass fs= in Hz (for example fs=500)")
        maker = _npy_source if suffix == ".npy" else _csv_source
        return maker(file, check_fs(fs), leads, lead_names, unit_scale(units, gain=gain))
    else:
        raise InputError(f"{str(path)!r} has suffix {suffix!r}; allowed: {', '.join(FORMATS)} or a WFDB record name")
    if units is not None or gain is not None or lead_names is not None:
        raise InputError(
            f"units={units!r}, gain={gain!r}, lead_names={lead_names!r}: {str(path)!r} states its own units and "
            "lead names; leave these out for WFDB and EDF files"
        )
    if fs is not None and abs(check_fs(fs) - source.fs) > 1e-9 * source.fs:
        raise InputError(f"fs={fs!r} contradicts the file's {source.fs} Hz; leave fs=None or resample after reading")
    return source


CHECK_S = 60.0
"""Seconds at the start of a recording that the amplitude check looks at."""


def _recording(source: FileSource, start: int, stop: int, *, units: str | None) -> Recording:
    signal = source.read(start, stop)
    if not source.units_stated:
        check_amplitude(signal[: int(CHECK_S * source.fs)], fs=source.fs, units=units, name=source.meta["path"])
    meta = {**source.meta, "start_sample": start}
    return Recording(signal.astype(np.float32), fs=source.fs, lead_names=source.names, meta=meta)


def read(path: str | os.PathLike, *, fs: float | None = None, leads: object = None, units: str | None = None,
         gain: float | None = None, lead_names: list[str] | None = None) -> Recording:
    """Read an ECG file into a :class:`Recording` (float32 mV ``(samples, leads)``).

    Parameters
    ----------
    path : str or os.PathLike
        A WFDB record (``rec.hea`` or ``rec``), EDF/EDF+/BDF (``.edf``/``.bdf``), ``.npy`` ``(samples,)`` or
        ``(samples, leads)``, or CSV with one column per lead (optional header row of lead names).
    fs : float or None
        Sample rate in Hz: required for ``.npy`` and CSV; for WFDB/EDF it must match the file when given.
    leads : str, int, or list of str / int, optional
        The leads to keep, in order: names (case-insensitive; a bare string is one name) or column indices
        (:func:`openecg.signal.validate.select_leads`). All by default.
    units : {"mV", "uV", "V", "adc"}, optional
        ``.npy`` and CSV: the units of the values (default mV, with an amplitude check that refuses
        implausible values and names the likely unit, see :mod:`openecg.signal.units`). WFDB/EDF state theirs.
    gain : float, optional
        ADC counts per mV, with ``units="adc"``.
    lead_names : list of str, optional
        ``.npy`` and header-less CSV: one name per column (default ``lead0``, ``lead1`` ...).

    Raises
    ------
    FileFormatError
        The file is missing, empty, truncated or damaged (the message names it and the problem).
    InputError
        The arguments do not fit the file, or the amplitude is implausible for the units.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ecg.csv"
    >>> _ = path.write_text("I,II\\n0.1,0.2\\n0.3,0.4\\n0.5,0.6\\n")
    >>> rec = read(path, fs=250)
    >>> rec.lead_names, rec.signal.shape
    (('I', 'II'), (3, 2))
    """
    source = open_file(path, fs=fs, leads=leads, units=units, gain=gain, lead_names=lead_names)
    if source.n_samples == 0:
        raise FileFormatError(f"{str(path)!r} holds no samples; a non-empty recording is required")
    return _recording(source, 0, source.n_samples, units=units)


def read_wfdb(path: str | os.PathLike, *, leads: object = None) -> Recording:
    """Read a WFDB record (``path`` with or without ``.hea``); the dataset loaders use this."""
    return read(path, leads=leads)


def read_window(path: str | os.PathLike, *, start: int, stop: int, fs: float | None = None, leads: object = None,
                units: str | None = None, gain: float | None = None) -> Recording:
    """Read samples ``start:stop`` of a file without loading the rest (``meta["start_sample"]`` = ``start``)."""
    source = open_file(path, fs=fs, leads=leads, units=units, gain=gain)
    if not (0 <= start < stop <= source.n_samples):
        raise InputError(f"start={start}, stop={stop} must satisfy 0 <= start < stop <= {source.n_samples} (the length)")
    return _recording(source, start, stop, units=units)


def iter_chunks(path: str | os.PathLike, *, chunk: int, fs: float | None = None, leads: object = None,
                units: str | None = None, gain: float | None = None) -> Iterator[Recording]:
    """Yield consecutive chunks of ``chunk`` samples (the last may be shorter), each read on its own.

    Each chunk's ``meta["start_sample"]`` gives its position in the file.
    """
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk <= 0:
        raise InputError(f"chunk={chunk!r} must be a positive number of samples")
    source = open_file(path, fs=fs, leads=leads, units=units, gain=gain)
    for start in range(0, source.n_samples, int(chunk)):
        yield _recording(source, start, min(start + int(chunk), source.n_samples), units=units)
