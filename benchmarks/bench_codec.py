"""Throughput of the run-length codec on a realistic 24-hour label array at 250 Hz (one core).

Run from the repository root::

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/bench_codec.py [--hours 24] [--repeat 7]

Prints the best of ``--repeat`` timings (after one warm-up call) for labels -> runs, runs -> labels, pack
and unpack on the wave channel of :func:`openecg.tokenizer.synthetic.synthetic_channels` (about 100,000
beats and 600,000 runs per day), the container and Codec file sizes in bytes per hour, and, for scale, the
plain-Python reference kernels on the first ten minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from openecg import Codec  # noqa: E402
from openecg.tokenizer import Container, dumps, labels_to_runs, loads, pack, runs_to_labels, unpack  # noqa: E402
from openecg.tokenizer.packed import _pack_reference  # noqa: E402
from openecg.tokenizer.rle import _labels_to_runs_reference  # noqa: E402
from openecg.tokenizer.synthetic import synthetic_channels  # noqa: E402
from openecg.tokenizer.vocab import class_id  # noqa: E402


def best_seconds(function: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` calls, after one warm-up call (which also compiles numba kernels)."""
    function()
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        function()
        times.append(time.perf_counter() - begin)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    fs = 250.0
    channels = synthetic_channels(args.hours * 3600.0, fs=fs, seed=0)
    wave = channels[0]
    runs = labels_to_runs(wave)
    words = pack(*runs)
    n, k = wave.size, runs.symbols.size
    beats = int(np.count_nonzero(runs.symbols == class_id("wave", "QRS")))
    print(f"input: {args.hours:g} h at {fs:g} Hz = {n:,} samples, {beats:,} beats, {k:,} wave runs, {words.size:,} words")

    seconds = best_seconds(lambda: labels_to_runs(wave), args.repeat)
    print(f"labels -> runs : {seconds * 1e3:8.2f} ms  {n / seconds / 1e6:9.1f} M samples/s  (target >= 500)")
    seconds = best_seconds(lambda: runs_to_labels(*runs), args.repeat)
    print(f"runs -> labels : {seconds * 1e3:8.2f} ms  {n / seconds / 1e6:9.1f} M samples/s  {k / seconds / 1e6:7.1f} M runs/s")
    seconds = best_seconds(lambda: pack(*runs), args.repeat)
    print(f"pack           : {seconds * 1e3:8.2f} ms  {k / seconds / 1e6:9.1f} M runs/s     (target >= 100)")
    seconds = best_seconds(lambda: unpack(words), args.repeat)
    print(f"unpack         : {seconds * 1e3:8.2f} ms  {k / seconds / 1e6:9.1f} M runs/s     (target >= 100)")

    hours = n / fs / 3600.0
    wave_file = dumps(Container({"wave": runs}, fs=fs))
    codec = Codec(channels, fs)
    codec_file = codec.dumps()
    print(f"container, wave layer        : {len(wave_file):,} bytes = {len(wave_file) / hours:,.0f} bytes/hour")
    print(f"Codec file, wave+beat+rhythm : {len(codec_file):,} bytes = {len(codec_file) / hours:,.0f} bytes/hour")
    print(f"(uncompressed labels         : {channels.nbytes:,} bytes = {channels.nbytes / hours:,.0f} bytes/hour)")
    seconds = best_seconds(codec.dumps, args.repeat)
    print(f"Codec.dumps    : {seconds * 1e3:8.2f} ms  {3 * n / seconds / 1e6:9.1f} M samples/s (3 channels)")
    seconds = best_seconds(lambda: Codec.loads(codec_file), args.repeat)
    print(f"Codec.loads    : {seconds * 1e3:8.2f} ms  {3 * n / seconds / 1e6:9.1f} M samples/s (3 channels)")
    seconds = best_seconds(lambda: loads(wave_file), args.repeat)
    print(f"loads (wave)   : {seconds * 1e3:8.2f} ms  {k / seconds / 1e6:9.1f} M runs/s")

    head = wave[: int(600 * fs)].tolist()
    seconds = best_seconds(lambda: _labels_to_runs_reference(head), 1)
    print(f"reference labels -> runs (plain Python, 10 min): {len(head) / seconds / 1e6:6.1f} M samples/s")
    symbols, lengths = _labels_to_runs_reference(head)
    seconds = best_seconds(lambda: _pack_reference(symbols, lengths), 1)
    print(f"reference pack (plain Python, 10 min):           {len(symbols) / seconds / 1e6:6.1f} M runs/s")


if __name__ == "__main__":
    main()
