"""Streaming benchmark: 24 h of real single-lead ECG at 250 Hz, in memory and file to file, against openecg
0.11.0 on the same signal in the same run, and the latency of a 12-lead 10-s ``encode``. Wall time and,
beside it, the process's CPU time (the steadier figure on a shared machine), with the load average beside
each figure.

Signals (``--signal``), all lead 0 resampled 360 -> 250 Hz (``scipy.signal.resample_poly``):

* ``arrhythmia`` (default): the 30-min arrhythmic mix, the first 225 s of each of MIT-BIH 101 106 119 201
  203 208 217 230, concatenated; and ``--hours`` of the MIT-BIH DS1 records (101 ... 230, 22 records of
  30 min) repeated in order up to that length;
* ``mixed``: the MIT-BIH records here followed by the QTDB records, cut at ``--hours`` (no 30-min mix).

The 30-min mix is encoded, warm and in memory, by this checkout and by openecg 0.11.0 from PyPI (its
``encode_stream`` with ``model=openecg.load_codec_onnx()``), alternately ``--repeats`` times each, and the
ratio of the medians is printed. 0.11.0 runs in its own virtual environment, made on first use in
``.bench-venvs/openecg-0.11.0`` (``pip install openecg==0.11.0 "numpy<2" onnxruntime==<ours>``, so both
use the same ONNX Runtime); ``--no-baseline`` skips it. Each measurement runs in its own process so that
its peak RSS is its own.

Usage::

    OPENECG_DATA=/path/to/data python benchmarks/bench_stream.py [--model NAME] [--hours 24] [--batch-size 32]

``--model`` names a registered or bundled predictor. Without one, when no ``"default"`` model is there
yet, a stand-in numpy predictor (QRS from the slope of the signal, no P/T, beat N, rhythm sinus) is used
and the figures measure the stream machinery (windowing, resampling, stitching, decoding, tokens, sinks),
not inference. ``--random-model`` instead exports the stage-2 architecture of ``configs/stage2_small.json``
with random weights to int8 ONNX (needs the ``train`` extra) and runs it with ONNX Runtime, so the figures
include the inference cost of a model of the shipped size (its labels are meaningless).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FS = 250.0


class StandInPredictor:
    """A cheap numpy stand-in for the model: QRS where the slope is steep, beat N there, sinus rhythm."""

    fs = FS
    window = 2500

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        from scipy.ndimage import maximum_filter1d

        slope = np.abs(np.diff(x, axis=1, prepend=x[:, :1]))
        qrs = slope > 0.4 * np.maximum(slope.max(axis=1, keepdims=True), 1e-6)
        qrs = maximum_filter1d(qrs.astype(np.uint8), size=int(0.08 * FS), axis=1).astype(bool)
        b, w = x.shape
        wave = np.zeros((b, w, 5), np.float32)
        wave[..., 0] = ~qrs
        wave[..., 2] = qrs
        beat = np.zeros((b, w, 7), np.float32)
        beat[..., 0] = ~qrs
        beat[..., 1] = qrs
        rhythm = np.zeros((b, w, 7), np.float32)
        rhythm[..., 0] = 1
        return {"wave": wave, "beat": beat, "rhythm": rhythm}


def data_root() -> Path:
    root = os.environ.get("OPENECG_DATA")
    if not root or not Path(root).is_dir():
        sys.exit("set OPENECG_DATA to the folder of the PhysioNet databases (mitdb/, qtdb/)")
    return Path(root)


ARRHYTHMIA_MIX = ("101", "106", "119", "201", "203", "208", "217", "230")
MIX_SECONDS = 225
DS1 = ("101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122", "124", "201", "203", "205",
       "207", "208", "209", "215", "220", "223", "230")
BASELINE = "0.11.0"
BASELINE_VENV = REPO / ".bench-venvs" / f"openecg-{BASELINE}"
BASELINE_CHILD = """
import json, sys, time
import numpy as np
import openecg
signal = np.load(sys.argv[1])
model = openecg.load_codec_onnx()
openecg.encode_stream(signal[:15000], 250, model=model)
start, cpu = time.perf_counter(), time.process_time()
openecg.encode_stream(signal, 250, model=model)
print(json.dumps({"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu}))
"""


def mitdb_lead0(record: str, seconds: float | None = None) -> np.ndarray:
    """Lead 0 of MIT-BIH ``record`` (its first ``seconds``, or all), resampled 360 -> 250 Hz, float32 mV."""
    import wfdb
    from scipy.signal import resample_poly

    sampto = None if seconds is None else int(seconds * 360)
    x = wfdb.rdrecord(str(data_root() / "mitdb" / record), channels=[0], sampto=sampto).p_signal[:, 0]
    return resample_poly(np.nan_to_num(x), 25, 36).astype(np.float32)


def build_mix(path: Path) -> None:
    """Write the 30-min arrhythmic mix (see the module docstring) to ``path`` (.npy float32)."""
    np.save(path, np.concatenate([mitdb_lead0(r, MIX_SECONDS) for r in ARRHYTHMIA_MIX]))


def build_ds1(hours: float, path: Path) -> None:
    """Write ``hours`` of the MIT-BIH DS1 records, repeated in order, to ``path`` (.npy float32)."""
    need = int(hours * 3600 * FS)
    records = [mitdb_lead0(r) for r in DS1]
    total = sum(len(x) for x in records)
    signal = np.concatenate(records * (need // total + 1))
    np.save(path, signal[:need])


def build_recording(hours: float, path: Path) -> None:
    """Write ``hours`` of lead 0 of MIT-BIH (resampled) then QTDB to ``path`` (.npy float32)."""
    import wfdb
    from scipy.signal import resample_poly

    root = data_root()
    need = int(hours * 3600 * FS)
    parts, total = [], 0
    for db in ("mitdb", "qtdb"):
        for hea in sorted((root / db).glob("*.hea")):
            rec = wfdb.rdrecord(str(hea.with_suffix("")), channels=[0])
            x = rec.p_signal[:, 0]
            x = np.nan_to_num(x)
            if rec.fs != FS:
                x = resample_poly(x, 25, 36) if rec.fs == 360 else resample_poly(x, int(FS), int(rec.fs))
            parts.append(x.astype(np.float32))
            total += len(x)
            if total >= need:
                break
        if total >= need:
            break
    signal = np.concatenate(parts)
    if len(signal) < need:
        signal = np.tile(signal, need // len(signal) + 1)
    np.save(path, signal[:need])


def export_random_model(folder: Path) -> None:
    """Export the stage-2 small architecture with random weights as bundled model ``folder/default``."""
    import torch

    from openecg.stage2.configuration_openecg import OpenECGConfig
    from openecg.stage2.export import export_onnx, write_manifest
    from openecg.stage2.modeling_openecg import OpenECGModel

    out = folder / "default"
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    config = OpenECGConfig(**json.loads((REPO / "configs" / "stage2_small.json").read_text())["model"])
    model = OpenECGModel(config).eval()
    calibration = np.random.default_rng(0).normal(0, 1, (32, config.window)).astype(np.float32)
    export_onnx(model, out / "model.int8.onnx", calibration)
    config.save_pretrained(out)
    (out / "model.fp32.onnx").unlink()
    write_manifest(out)


def predictor(name: str | None, models_dir: str | None):
    from openecg.runtime import get_predictor
    from openecg.runtime.bundled import OnnxPredictor, bundled_models

    if models_dir:
        import openecg.runtime.bundled as bundled

        bundled.MODELS_DIR = Path(models_dir)
        return OnnxPredictor("default", threads=1), "random-weight stage2-small int8 ONNX, 1 thread"
    if name is None and "default" in bundled_models():
        name = "default"
    return (get_predictor(name), name) if name else (StandInPredictor(), "stand-in")


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM, which, unlike ru_maxrss, is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> dict[str, object]:
    import openecg

    model, name = predictor(args.model, args.models_dir)
    if args.mode == "memory":
        signal = np.load(args.input)
        openecg.encode_stream(signal[:15000], FS, model=model, batch_size=args.batch_size)  # warm, as 0.11.0
        start, cpu = time.perf_counter(), time.process_time()
        codec = openecg.encode_stream(signal, FS, model=model, batch_size=args.batch_size)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        n = codec.n_samples
    elif args.mode == "file":
        start, cpu = time.perf_counter(), time.process_time()
        openecg.encode_stream(args.input, model=model, batch_size=args.batch_size, sink=args.output)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        import wfdb

        n = int(wfdb.rdheader(args.input).sig_len)
    else:
        import wfdb

        record = data_root() / "ludb" / "data" / "1"
        signal = wfdb.rdrecord(str(record)).p_signal.astype(np.float32)
        openecg.encode(signal, 500.0, model=model)
        times, cpus = [], []
        for _ in range(20):
            start, cpu = time.perf_counter(), time.process_time()
            openecg.encode(signal, 500.0, model=model)
            times.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        return {"mode": "latency", "model": name, "median_ms": 1000 * float(np.median(times)),
                "p90_ms": 1000 * float(np.percentile(times, 90)), "cpu_ms": 1000 * float(np.median(cpus)),
                "peak_rss_mb": peak_rss_mb()}
    windows = int(np.ceil(max(0, n / FS - 10) / 6)) + 1
    return {"mode": args.mode, "model": name, "samples": n, "hours": n / FS / 3600, "wall_s": wall,
            "cpu_s": cpu, "windows_per_s": windows / wall, "peak_rss_mb": peak_rss_mb()}


def run_child(*extra: str) -> dict[str, object]:
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    command = [sys.executable, __file__, "--child", *extra]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline_python() -> Path:
    """The interpreter of the openecg 0.11.0 environment, made (once) with ``venv`` and ``pip``."""
    from importlib.metadata import version

    python = BASELINE_VENV / "bin" / "python"
    check = [str(python), "-c", "import openecg, onnxruntime; openecg.load_codec_onnx"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if python.is_file() and subprocess.run(check, cwd=tempfile.gettempdir(), env=env, capture_output=True).returncode == 0:
        return python
    print(f"making {BASELINE_VENV.relative_to(REPO)} (openecg {BASELINE} from PyPI) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(BASELINE_VENV)], check=True)
    pins = [f"openecg=={BASELINE}", "numpy<2", f"onnxruntime=={version('onnxruntime')}"]
    subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    return python


def run_baseline(python: Path, npy: Path) -> dict[str, float]:
    """openecg 0.11.0's ``encode_stream`` on ``npy``, warm, in a process outside this checkout."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"OMP_NUM_THREADS": "1"}
    out = subprocess.run([str(python), "-c", BASELINE_CHILD, str(npy)], capture_output=True, text=True, env=env,
                         cwd=tempfile.gettempdir(), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def compare_with_baseline(npy: Path, common: list[str], repeats: int) -> None:
    """Ours and 0.11.0 alternately on the 30-min mix; medians and their ratio."""
    python = baseline_python()
    ours, theirs = [], []
    for _ in range(repeats):
        r = run_child("--mode", "memory", "--input", str(npy), *common)
        ours.append((r["wall_s"], r["cpu_s"]))
        print(f"  this checkout [{r['model']}]: wall {r['wall_s']:.2f} s (cpu {r['cpu_s']:.2f} s), {load()}", flush=True)
        b = run_baseline(python, npy)
        theirs.append((b["wall_s"], b["cpu_s"]))
        print(f"  openecg {BASELINE}: wall {b['wall_s']:.2f} s (cpu {b['cpu_s']:.2f} s), {load()}", flush=True)
    (w0, c0), (w1, c1) = np.median(ours, axis=0), np.median(theirs, axis=0)
    print(f"30-min arrhythmic mix, medians of {repeats}: this checkout wall {w0:.2f} s (cpu {c0:.2f} s), "
          f"openecg {BASELINE} wall {w1:.2f} s (cpu {c1:.2f} s): {w1 / w0:.1f}x faster in wall time, "
          f"{c1 / c0:.1f}x in CPU time", flush=True)


def write_wfdb(npy: Path, folder: Path) -> Path:
    import wfdb

    signal = np.load(npy, mmap_mode="r")
    wfdb.wrsamp("long", fs=FS, units=["mV"], sig_name=["lead0"], p_signal=np.asarray(signal, np.float64)[:, None],
                fmt=["16"], adc_gain=[200.0], baseline=[0], write_dir=str(folder))
    return folder / "long"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--hours", type=float, nargs="+", default=[24.0])
    parser.add_argument("--signal", choices=["arrhythmia", "mixed"], default="arrhythmia")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side of the 0.11.0 comparison")
    parser.add_argument("--no-baseline", action="store_true", help="skip the comparison with openecg 0.11.0")
    parser.add_argument("--no-latency", action="store_true", help="skip the 12-lead latency")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--random-model", action="store_true", help="time a random-weight model of the shipped size")
    parser.add_argument("--models-dir", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=["memory", "file", "latency"], help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    common = ["--batch-size", str(args.batch_size)] + (["--model", args.model] if args.model else [])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.random_model:
            export_random_model(folder / "models")
            common += ["--models-dir", str(folder / "models")]
        print(f"{os.cpu_count()} cores, {load()}", flush=True)
        if args.signal == "arrhythmia" and not args.no_baseline:
            mix = folder / "mix_30min.npy"
            build_mix(mix)
            compare_with_baseline(mix, common, args.repeats)
        for hours in args.hours:
            npy = folder / f"ecg_{hours}h.npy"
            t0 = time.perf_counter()
            (build_ds1 if args.signal == "arrhythmia" else build_recording)(hours, npy)
            record = write_wfdb(npy, folder)
            print(f"built {hours} h of real ECG ({args.signal}) at 250 Hz in {time.perf_counter() - t0:.1f} s")
            for mode, io_args in (("memory", ["--input", str(npy)]),
                                  ("file", ["--input", str(record), "--output", str(folder / "out.oecgs")])):
                r = run_child("--mode", mode, *io_args, *common)
                print(f"{mode:>6} {r['hours']:.1f} h [{r['model']}]: wall {r['wall_s']:.1f} s "
                      f"(cpu {r['cpu_s']:.1f} s), {r['windows_per_s']:.0f} windows/s, "
                      f"peak RSS {r['peak_rss_mb']:.0f} MB, {load()}", flush=True)
        if not args.no_latency:
            r = run_child("--mode", "latency", *common)
            print(f"12-lead 10-s encode [{r['model']}]: median {r['median_ms']:.1f} ms (cpu {r['cpu_ms']:.1f} ms), "
                  f"p90 {r['p90_ms']:.1f} ms, peak RSS {r['peak_rss_mb']:.0f} MB, {load()}")


if __name__ == "__main__":
    main()
