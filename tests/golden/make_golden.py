"""Write the golden container files checked byte for byte by ``tests/test_container.py`` and ``test_codec.py``.

Run from the repository root only when the format changes on purpose (and bump ``FORMAT_VERSION``)::

    PYTHONPATH=. python tests/golden/make_golden.py

The inputs are literal arrays (no random generator), so they never depend on the numpy version.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from openecg import Codec
from openecg.tokenizer import Container, Runs, dumps

HERE = Path(__file__).resolve().parent


def token_runs() -> Runs:
    """13-symbol runs with two neighbouring runs of one symbol and runs that need continuation words."""
    symbols = np.array([2, 4, 2, 5, 6, 7, 2, 8, 2, 2, 1, 0, 12], dtype=np.uint8)
    lengths = np.array([30, 45, 20, 6, 12, 8, 40, 80, 5000, 3, 2**24 + 7, 1, 4096], dtype=np.int64)
    return Runs(symbols, lengths)


def token_container() -> Container:
    """One ``"symbols"`` layer at 500 Hz starting at sample 1234, with attrs."""
    return Container({"symbols": token_runs()}, fs=500.0, start=1234, attrs={"record": "golden", "lead": "II"})


def codec() -> Codec:
    """A 3-s codec at 250 Hz: two beats (one ventricular), an AF stretch, and a tokens stream."""
    wave_runs = ([0, 1, 0, 2, 0, 3, 0, 2, 0, 3, 0], [40, 25, 15, 25, 30, 40, 150, 38, 30, 45, 312])
    wave = np.repeat(np.array(wave_runs[0], dtype=np.uint8), wave_runs[1])
    beat = np.where(wave == 2, 1, 0).astype(np.uint8)
    beat[375:413] = 3
    rhythm = np.zeros(wave.size, dtype=np.uint8)
    rhythm[500:] = 1
    token_symbols = np.array([2, 4, 2, 5, 6, 7, 2, 8, 2, 10, 2, 8, 2, 2], dtype=np.uint8)
    token_lengths = np.array([40, 25, 15, 5, 12, 8, 30, 40, 150, 38, 30, 45, 200, 112], dtype=np.int64)
    channels = np.stack([wave, beat, rhythm])
    return Codec(channels, 250.0, start=2500, tokens=(token_symbols, token_lengths), recording_length=10000)


GOLDEN = {"tokens_v1.oecg": lambda: dumps(token_container()), "codec_v1.oecg": lambda: codec().dumps()}


def main() -> None:
    for name, make in GOLDEN.items():
        (HERE / name).write_bytes(make())
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
