"""The noise of the MIT-BIH Noise Stress Test Database, recovered from its records for augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..signal.io import read_wfdb
from .records import dataset_root

__all__ = ["nstdb_noise"]

_NSTDB_CLEAN_S = 300


def nstdb_noise(record: str, root: str | None = None, *, mitdb_root: str | None = None) -> np.ndarray:
    """The noise added to an NSTDB record: float32 ``(n, 2)`` mV, noisy record minus the clean MIT-BIH one.

    Parameters
    ----------
    record : str
        An NSTDB record name, ``118e24`` ... ``119e_6``.
    root : str or None
        The NSTDB folder or the folder holding ``nstdb/`` (else ``$OPENECG_DATA``).
    mitdb_root : str or None
        The MIT-BIH folder; by default the ``mitdb`` folder beside the NSTDB folder.

    Notes
    -----
    The NSTDB headers declare a baseline of 1024 with digital values shifted by 1024 against MIT-BIH, which
    puts a constant 5.12 mV offset between the two readings. The offset is removed as the per-lead median of
    the difference over the first 5 minutes, which NSTDB leaves noise-free.
    """
    if not (record[:3] in ("118", "119") and record[3:4] == "e"):
        raise ValueError(f"record={record!r} is not an NSTDB noisy record; allowed: 118e24 ... 119e_6")
    nst = dataset_root("nstdb", root)
    clean_root = Path(mitdb_root) if mitdb_root is not None else dataset_root("mitdb", nst.parent)
    noisy_recording = read_wfdb(nst / record)
    noisy = noisy_recording.signal
    clean = read_wfdb(clean_root / record[:3]).signal
    n = min(len(noisy), len(clean))
    difference = noisy[:n].astype(np.float64) - clean[:n]
    offset = np.median(difference[: min(n, round(_NSTDB_CLEAN_S * noisy_recording.fs))], axis=0)
    return (difference - offset).astype(np.float32)
