"""A short, openly licensed example recording shipped with openecg (see ``README.md`` in this folder).

Examples
--------
>>> rec = example()
>>> rec.signal.shape, rec.fs, rec.lead_names
((21600, 2), 360.0, ('MLII', 'V1'))
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..signal.recording import Recording

__all__ = ["example", "EXAMPLE_NAME"]

EXAMPLE_NAME = "mitdb_119"
"""The example's file stem: the first 60 s of MIT-BIH Arrhythmia record 119 (ODC-By 1.0)."""

_FOLDER = Path(__file__).parent


def example() -> Recording:
    """The first 60 s of MIT-BIH Arrhythmia record 119 (MLII and V1 at 360 Hz, ventricular bigeminy).

    Returns
    -------
    Recording
        float32 mV ``(21600, 2)`` at 360 Hz; ``meta`` holds the source, licence and citation facts.
    """
    meta = json.loads((_FOLDER / f"{EXAMPLE_NAME}.json").read_text(encoding="utf-8"))
    counts = np.load(_FOLDER / f"{EXAMPLE_NAME}.npy").astype(np.float32)
    signal = (counts - np.asarray(meta["baseline"], np.float32)) / np.asarray(meta["adc_gain"], np.float32)
    return Recording(signal, fs=meta["fs"], lead_names=meta["lead_names"], meta={**meta, "path": EXAMPLE_NAME})
