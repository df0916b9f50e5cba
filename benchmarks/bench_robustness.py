"""Bad and unusual inputs (issue 13): what each one gives, and how long it takes to say so.

Run from the repository root::

    OPENECG_DATA=../shared/data OMP_NUM_THREADS=1 python benchmarks/bench_robustness.py [--real]

Prints a table: case, outcome (``clear error``: an openecg error naming the problem; ``flagged``: a
warning, or the noise label on a signal that is not an ECG; ``correct``: the result of the clean input),
the first words of the error / warning / result, and the seconds it took. With ``--real`` it also measures,
on the development records, how often the quality gate turns away a window of a real ECG (per lead and per
sample after the lead consensus), and how often the heart-rate check warns at the right sample rate and at
half and double the right one. With ``--gate-noise N`` it draws N 10-s windows of each kind of Gaussian noise
(white, band-limited, pink, brown) at the model's rate and counts how many pass the quality gate by chance
(every one that passes would be labelled as an ECG), and how much of the QRS-band kurtosis lies above the
gate's threshold.
"""

from __future__ import annotations

import argparse
import csv
import glob
import io
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import openecg  # noqa: E402
from openecg.errors import FileWarning, OpenECGError, SignalWarning  # noqa: E402
from openecg.signal.io import read_window  # noqa: E402
from openecg.signal.resample import resample  # noqa: E402
from openecg.stream import quality  # noqa: E402
from openecg.tokenizer.rle import label_runs  # noqa: E402
from openecg.tokenizer.streamfile import read_stream  # noqa: E402
from openecg.tokenizer.vocab import class_id  # noqa: E402

NOISE = class_id("rhythm", "noise")


def beats(codec: openecg.Codec) -> int:
    return int(np.count_nonzero(label_runs(codec.beat)[2]))


def summary(codec: openecg.Codec) -> str:
    return f"{beats(codec)} beats, {np.mean(codec.rhythm == NOISE):.0%} noise"


def run(case: Callable[[], object], expect: str) -> tuple[str, str, float]:
    """Outcome, detail and seconds of one case. ``expect`` is "error", "warn", "noise" or a result summary."""
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = case()
        except OpenECGError as error:
            return "clear error", f"{type(error).__name__}: {error}", time.perf_counter() - started
        except ValueError as error:
            return "error (ValueError)", str(error), time.perf_counter() - started
    seconds = time.perf_counter() - started
    flags = [w for w in caught if issubclass(w.category, (SignalWarning, FileWarning))]
    detail = summary(result) if isinstance(result, openecg.Codec) else str(result)
    if flags:
        return "flagged", f"{flags[0].category.__name__}: {flags[0].message} -> {detail}", seconds
    if expect == "noise" and isinstance(result, openecg.Codec) and beats(result) == 0 and (result.rhythm == NOISE).all():
        return "flagged", f"noise label: {detail}", seconds
    if expect not in ("error", "warn", "noise") and detail == expect:
        return "correct", detail, seconds
    return "NOT CAUGHT", detail, seconds


def cases(data: Path, tmp: Path) -> list[tuple[str, Callable[[], object], str]]:
    x = read_window(data / "mitdb" / "119", start=0, stop=360 * 60, leads="MLII").signal[:, 0]
    clean = summary(openecg.encode(x, 360.0))
    rng = np.random.default_rng(0)
    lf = tmp / "leads_first.npy"
    np.save(lf, np.zeros((12, 5000), np.float32))
    np.savetxt(tmp / "transposed.csv", np.zeros((12, 5000), np.float32), delimiter=",")
    holes = {}
    for p in (0.001, 0.01, 0.05):
        holes[p] = x.copy()
        holes[p][1:-1][rng.random(len(x) - 2) < p] = np.nan
    import wfdb

    rec = read_window(data / "mitdb" / "119", start=0, stop=3600)
    for name in ("trunc", "empty", "badhea"):
        wfdb.wrsamp(name, fs=360, units=["mV", "mV"], sig_name=list(rec.lead_names), p_signal=rec.signal.astype(float),
                    fmt=["16", "16"], write_dir=str(tmp))
    dat = (tmp / "trunc.dat").read_bytes()
    (tmp / "trunc.dat").write_bytes(dat[: len(dat) // 10])
    (tmp / "empty.dat").write_bytes(b"")
    (tmp / "badhea.hea").write_text("")
    (tmp / "empty.npy").write_bytes(b"")
    (tmp / "cell.csv").write_text("0.1,0.2\n0.3,\n" * 50)
    openecg.encode_stream(x, 360.0, sink=tmp / "s.oecgs", chunk_size=3600)
    stream = (tmp / "s.oecgs").read_bytes()
    flipped = bytearray(stream)
    flipped[(14 + int.from_bytes(stream[10:14], "little") + len(stream)) // 2] ^= 0xFF
    (tmp / "flipped.oecgs").write_bytes(bytes(flipped))
    ecg500 = read_window(data / "ludb" / "data" / "1", start=0, stop=5000, leads="II").signal[:, 0]
    page = (rng.random((1100, 1700, 3)) * 255).astype(np.uint8)
    return [
        ("leads-first .npy (12, 5000) to encode_stream", lambda: openecg.encode_stream(lf, 500.0), "error"),
        ("transposed CSV to encode_stream", lambda: openecg.encode_stream(tmp / "transposed.csv", 500.0), "error"),
        ("17 leads to encode_stream", lambda: openecg.encode_stream(np.zeros((5000, 17)), 500.0), "error"),
        ("MIT-BIH 119, 60 s, mV", lambda: openecg.encode(x, 360.0), clean),
        ("119 as int16 ADC counts (x200)", lambda: openecg.encode(np.round(x * 200).astype(np.int16), 360.0), "error"),
        ("119 as ADC, units='adc', gain=200",
         lambda: openecg.encode(np.round(x * 200).astype(np.int16), 360.0, units="adc", gain=200), clean),
        ("119 in uV", lambda: openecg.encode(x * 1000, 360.0), "error"),
        ("119 in uV, units='uV'", lambda: openecg.encode(x * 1000, 360.0, units="uV"), clean),
        ("119 in V", lambda: openecg.encode(x / 1000, 360.0), "error"),
        ("119 in V, units='V'", lambda: openecg.encode(x / 1000, 360.0, units="V"), clean),
        ("119 with 0.1% isolated NaN", lambda: openecg.encode(holes[0.001], 360.0), "warn"),
        ("119 with 1% isolated NaN", lambda: openecg.encode(holes[0.01], 360.0), "warn"),
        ("119 with 5% isolated NaN", lambda: openecg.encode(holes[0.05], 360.0), "warn"),
        ("LUDB 500 Hz declared 250", lambda: openecg.encode(ecg500, 250.0), "warn"),
        ("LUDB 500 Hz declared 1000", lambda: openecg.encode(ecg500, 1000.0), "warn"),
        ("119 (360 Hz) declared 180", lambda: openecg.encode(x, 180.0), "warn"),
        ("119 (360 Hz) declared 720", lambda: openecg.encode(x, 720.0), "warn"),
        ("white noise 10 s", lambda: openecg.encode(rng.normal(size=5000), 500.0), "noise"),
        ("50 Hz sine 10 s", lambda: openecg.encode(np.sin(2 * np.pi * 50 * np.arange(5000) / 500), 500.0), "noise"),
        ("flat 10 s", lambda: openecg.encode(np.zeros(5000), 500.0), "noise"),
        ("1 sample", lambda: openecg.encode(np.array([0.5]), 500.0), "noise"),
        ("2.5 s of 119", lambda: openecg.encode(x[:900], 360.0), "noise"),
        ('leads="II" on a Recording', lambda: openecg.encode(openecg.read(data / "ludb" / "data" / "1"), leads="II"),
         summary(openecg.encode(ecg500, 500.0))),
        ("fs=1e9", lambda: openecg.encode(x, 1e9), "error"),
        ("fs=1e6, 5000 samples", lambda: openecg.encode(np.zeros(5000), 1e6), "error"),
        ("fs=0.001", lambda: openecg.encode(x, 0.001), "error"),
        ("fs=True", lambda: openecg.encode(x, True), "error"),
        ("load_codec on a stream file", lambda: openecg.load_codec(tmp / "s.oecgs"), "error"),
        ("read_stream on 12 bytes", lambda: read_stream(io.BytesIO(stream[:12])), "error"),
        ("read_stream on a torn header", lambda: read_stream(io.BytesIO(stream[:40])), "error"),
        ("read_stream, one byte flipped mid-file", lambda: read_stream(tmp / "flipped.oecgs").complete, "warn"),
        ("WFDB with truncated .dat", lambda: openecg.encode_stream(tmp / "trunc"), "error"),
        ("WFDB with empty .dat", lambda: openecg.read(tmp / "empty"), "error"),
        ("WFDB with empty .hea", lambda: openecg.read(tmp / "badhea"), "error"),
        ("a directory as the record", lambda: openecg.read(data / "mitdb"), "error"),
        ("empty .npy", lambda: openecg.read(tmp / "empty.npy", fs=500), "error"),
        ("CSV with an empty cell", lambda: openecg.read(tmp / "cell.csv", fs=500), "error"),
        ("sink in a missing folder", lambda: openecg.encode_stream(x, 360.0, sink=tmp / "no" / "x.oecgs"), "error"),
        ("sink is a directory", lambda: openecg.encode_stream(x, 360.0, sink=tmp), "error"),
        ("Codec.save into a missing folder", lambda: openecg.encode(x[:3600], 360.0).save(tmp / "no" / "x.oecg"), "error"),
        ("digitize a random-noise page", lambda: openecg.digitize(page), "error"),
    ]


def gate_rates(data: Path) -> None:
    """Share of real windows (per lead) that fail the gate, per database, and the heart-rate check."""
    import scipy.io

    groups: dict[str, list[np.ndarray]] = {}
    for path in sorted(glob.glob(str(data / "mitdb" / "*.hea"))):
        groups.setdefault("MIT-BIH (min 5-15)", []).append(read_window(path[:-4], start=360 * 300, stop=360 * 900).signal)
    for path in sorted(glob.glob(str(data / "nstdb" / "*.hea"))):
        snr = Path(path).stem[4:].replace("_", "-")
        groups.setdefault(f"NSTDB {snr} dB (min 5-15)", []).append(read_window(path[:-4], start=360 * 300, stop=360 * 900).signal)
    reference = dict(csv.reader(open(data / "cinc2017_half" / "REFERENCE.csv")))
    for path in sorted(glob.glob(str(data / "cinc2017_half" / "*.mat"))):
        label = {"N": "normal", "A": "AF", "O": "other", "~": "noisy"}[reference[Path(path).stem]]
        signal = scipy.io.loadmat(path)["val"].astype(np.float32).T / 1000.0
        groups.setdefault(f"CinC 2017 {label}", []).append(resample(signal, fs_from=300.0, fs_to=360.0))
    for path in sorted(glob.glob(str(data / "ludb" / "data" / "*.hea"))):
        groups.setdefault("LUDB (12 leads)", []).append(resample(openecg.read(path).signal, fs_from=500.0, fs_to=360.0))
    print("\n| records | windows x leads | gated | all leads gated |\n|---|---|---|---|")
    for name, signals in sorted(groups.items()):
        total = gated = all_gated = 0
        for signal in signals:
            model = resample(signal, fs_from=360.0, fs_to=250.0)
            for start in range(0, max(1, len(model) - 2500 + 1), 1500):
                window = model[start:start + 2500]
                valid = np.isfinite(window)
                ok = quality.readable(np.where(valid, window, 0), valid, fs=250.0)
                total += ok.size
                gated += int((~ok).sum())
                all_gated += int(not ok.any())
        windows = total // signals[0].shape[1]
        print(f"| {name} ({len(signals)}) | {total} | {gated / total:.2%} | {all_gated}/{windows} |")
    print("\n| records | declared fs | sample-rate warnings |\n|---|---|---|")
    for name in ("MIT-BIH (min 5-15)", "CinC 2017 normal", "CinC 2017 AF", "CinC 2017 other", "CinC 2017 noisy"):
        flags: dict[str, list[bool]] = {"right": [], "half": [], "double": []}
        for signal in groups[name]:
            for key, factor in (("right", 1.0), ("half", 0.5), ("double", 2.0)):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    quality.check_rate(signal[: int(60 * 360.0)], fs=360.0 * factor)
                flags[key].append(any(issubclass(w.category, SignalWarning) for w in caught))
        for key, f in flags.items():
            print(f"| {name} ({len(f)}) | {key} | {sum(f)}/{len(f)} |")


def doubled_fs_by_split() -> None:
    """The doubled-rate sign of :func:`openecg.stream.quality.check_rate` on every record of every database,
    training and validation splits apart (its threshold was chosen on the training records): the first minute
    declared at the right rate and at twice it; "in range" counts the doubled ones whose heart rate stays
    within :data:`~openecg.stream.quality.HEART_RATE_BPM`, which only the spectral sign can catch."""
    from openecg.data import DATASETS, iter_records

    lo, hi = quality.HEART_RATE_BPM
    print("\n| split | records | right fs: warned by the doubled sign / by the rate bounds | doubled fs, rate in range | "
          "of those warned |\n|---|---|---|---|---|")
    for split in ("train", "val"):
        right = bounds = total = in_range = caught = 0
        for name in DATASETS:
            for rec in iter_records(name, split=split):
                fs = rec.recording.fs
                x = rec.recording.signal[: int(60 * fs)].astype(np.float32)
                rate, share = quality._rate_and_high_share(x, fs=fs)
                if share is None or rate is None:
                    continue
                total += 1
                bounds += not lo <= rate <= hi
                right += lo <= rate <= hi and rate > 100 and share > quality.DOUBLED_FS_HIGH_SHARE
                rate, share = quality._rate_and_high_share(x, fs=2 * fs)
                if rate is not None and lo <= rate <= hi:
                    in_range += 1
                    caught += bool(rate > 100 and share is not None and share > quality.DOUBLED_FS_HIGH_SHARE)
        print(f"| {split} | {total} | {right} / {bounds} | {in_range} | {caught} |")


def gate_noise_rates(n: int) -> None:
    """How many of ``n`` windows of each kind of Gaussian noise pass the quality gate (chance alone)."""
    from scipy.signal import butter, sosfiltfilt

    fs, size = 250.0, 2500
    rng = np.random.default_rng(0)

    def band(lo: float, hi: float) -> Callable[[], np.ndarray]:
        sos = butter(4, [lo, hi], "bandpass", fs=fs, output="sos")
        return lambda: sosfiltfilt(sos, rng.normal(size=size))

    freqs = np.maximum(np.fft.rfftfreq(size, 1 / fs), 0.1)
    kinds = {"white": lambda: rng.normal(size=size), "0.5-40 Hz": band(0.5, 40), "1-15 Hz": band(1, 15),
             "5-30 Hz": band(5, 30), "8-25 Hz": band(8, 25), "15-45 Hz": band(15, 45),
             "pink": lambda: np.fft.irfft(np.fft.rfft(rng.normal(size=size)) / np.sqrt(freqs), n=size),
             "brown (random walk)": lambda: np.cumsum(rng.normal(size=size))}
    valid = np.ones((size, 1), bool)
    print(f"\n| Gaussian noise, {n} windows of 10 s each | pass the gate | QRS-band kurtosis, 99.9th percentile |\n|---|---|---|")
    for name, draw in kinds.items():
        passed, kurtosis = 0, []
        for _ in range(n):
            x = draw().astype(np.float32)[:, None]
            passed += int(quality.readable(x, valid, fs=fs)[0])
            kurtosis.append(quality.features(x[:, 0], fs=fs)[2, 0])
        print(f"| {name} | {passed} ({passed / n:.2%}) | {np.percentile(kurtosis, 99.9):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", action="store_true", help="also measure the gate and rate check on real records")
    parser.add_argument("--gate-noise", type=int, metavar="N", help="only count, over N windows of each kind of "
                        "Gaussian noise, the windows that pass the quality gate by chance")
    args = parser.parse_args()
    if args.gate_noise:
        gate_noise_rates(args.gate_noise)
        return
    data = Path(os.environ.get("OPENECG_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    if not data.is_dir():
        raise SystemExit(f"OPENECG_DATA={str(data)!r} is not a folder of the PhysioNet databases")
    openecg.encode(np.zeros(5000), 500.0)  # load the model once, outside the timings
    with tempfile.TemporaryDirectory() as folder:
        rows = [(name, *run(case, expect)) for name, case, expect in cases(data, Path(folder))]
    print("| case | outcome | what the user sees | seconds |\n|---|---|---|---|")
    for name, outcome, detail, seconds in rows:
        detail = detail.replace(str(data), "$DATA").replace(folder, "$TMP").replace("|", "/").replace("\n", " ")
        detail = detail if len(detail) < 200 else detail[:197] + "..."
        print(f"| {name} | {outcome} | {detail} | {seconds:.2f} |")
    if args.real:
        gate_rates(data)
        doubled_fs_by_split()


if __name__ == "__main__":
    main()
