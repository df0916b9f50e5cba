"""Bad and unusual input (issue 13): every case either encodes correctly, is flagged, or is refused with a
message that names the problem and the fix. Each test asserts the exact class of outcome."""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from ecg_synth import synthetic_ecg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openecg
from openecg.errors import FileFormatError, FileWarning, InputError, MissingDependencyError, OutputError, SignalWarning
from openecg.signal.gaps import bridge_gaps, max_bridged
from openecg.signal.io import read_window
from openecg.tokenizer.rle import label_runs
from openecg.tokenizer.streamfile import read_stream
from openecg.tokenizer.vocab import class_id

NOISE = class_id("rhythm", "noise")


def n_beats(codec: openecg.Codec) -> int:
    _, _, values = label_runs(codec.beat)
    return int(np.count_nonzero(values))


def quiet_encode(*args, **kwargs) -> openecg.Codec:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SignalWarning)
        return openecg.encode(*args, **kwargs)


@pytest.fixture(scope="module")
def mit119(data_dir: Path) -> np.ndarray:
    """float32 mV, 30 s of MIT-BIH 119 lead MLII at 360 Hz."""
    return read_window(data_dir / "mitdb" / "119", start=0, stop=360 * 30, leads="MLII").signal[:, 0]


@pytest.fixture(scope="module")
def mit119_beats(mit119: np.ndarray) -> int:
    return n_beats(quiet_encode(mit119, 360.0))


# --- one validation path for every entry point ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["array", "memmap", "npy", "csv", "iterator"])
def test_leads_first_is_refused_by_every_entry_point(tmp_path, kind):
    x = np.zeros((12, 5000), np.float32)
    if kind == "memmap":
        np.save(tmp_path / "x.npy", x)
        source = np.load(tmp_path / "x.npy", mmap_mode="r")
    elif kind == "npy":
        np.save(tmp_path / "x.npy", x)
        source = tmp_path / "x.npy"
    elif kind == "csv":
        np.savetxt(tmp_path / "x.csv", x, delimiter=",")
        source = tmp_path / "x.csv"
    elif kind == "iterator":
        source = iter([x])
    else:
        source = x
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"shape \(12, 5000\), which looks leads-first"):
        openecg.encode_stream(source, 500.0)
    assert time.perf_counter() - started < 2.0
    if kind in ("npy", "csv"):
        with pytest.raises(InputError, match="leads-first.*one row per sample"):
            openecg.read(source, fs=500.0)


def test_seventeen_leads_are_refused_with_the_limit():
    with pytest.raises(InputError, match=r"17 leads \(shape \(5000, 17\)\); at most 16 .*leads="):
        openecg.encode_stream(np.zeros((5000, 17), np.float32), 500.0)


def test_a_bare_lead_name_is_one_lead_not_letters():
    rec = synthetic_ecg(seconds=10.0)
    one = openecg.encode(rec, leads="II")
    assert one == openecg.encode(rec, leads=["II"]) == openecg.encode(rec.signal[:, 1], rec.fs)
    with pytest.raises(InputError, match=r"'V7', which is not a lead of the Recording; allowed: I, II, III"):
        openecg.encode(rec, leads="V7")
    with pytest.raises(InputError, match=r"index 12, out of range .*0\.\.11"):
        openecg.encode_stream(rec, leads=[12])


# --- sample rate --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fs", [1e9, 1e6, 0.001, 20.0])
def test_sample_rate_outside_the_range_is_refused_at_once(fs):
    started = time.perf_counter()
    with pytest.raises(InputError, match="outside the 50 Hz to 20000 Hz"):
        openecg.encode(np.zeros(5000, np.float32), fs)
    assert time.perf_counter() - started < 1.0


def test_bool_sample_rate_is_refused():
    with pytest.raises(InputError, match="fs=True is a bool"):
        openecg.encode(np.zeros(5000, np.float32), True)


def test_wrong_sample_rate_is_flagged_with_the_likely_one():
    rec = synthetic_ecg(fs=500.0, seconds=20.0)  # 72 per minute
    with pytest.warns(SignalWarning, match=r"heart rate at fs=250 Hz would be 3[5-8] per minute.*fs=500"):
        openecg.encode(rec.signal[:, 1], 250.0)
    quiet_encode(rec.signal[:, 1], 500.0)



def test_sample_rate_declared_twice_the_true_one_is_flagged(data_dir):
    """MIT-BIH 115 declared at 720 Hz instead of 360: its heart rate (about 127) looks plausible, but its QRS
    energy sits at twice the usual frequencies; at the right rate nothing is said."""
    x = read_window(data_dir / "mitdb" / "115", start=0, stop=360 * 60, leads="MLII").signal
    with pytest.warns(SignalWarning, match=r"fs may be twice the true rate.*pass fs=360 "):
        openecg.encode(x, 720.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SignalWarning)
        openecg.encode(x, 360.0)


def test_heart_rate_reads_the_lead_with_most_qrs_band_power():
    """The rate comes from the lead with most power after the zero-phase QRS band-pass, chosen from the
    spectra without filtering every lead: a lead with ten times the raw power in baseline wander and mains
    hum must not be the one read, and the spectral choice must equal filtering each lead."""
    from scipy.signal import sosfiltfilt

    from openecg.stream.quality import _qrs_band, heart_rate

    rec = synthetic_ecg(fs=500.0, seconds=20.0)  # 72 per minute
    t = np.arange(len(rec.signal)) / 500.0
    wander = 3.0 * np.sin(2 * np.pi * 0.3 * t) + 0.5 * np.sin(2 * np.pi * 50.0 * t)
    x = np.column_stack([wander, rec.signal[:, 1], 0.3 * rec.signal[:, 0]]).astype(np.float32)
    energy = (sosfiltfilt(_qrs_band(500.0), x - x.mean(axis=0), axis=0) ** 2).sum(axis=0)
    assert np.argmax(energy) == 1 and np.argmax((x**2).sum(axis=0)) == 0
    assert 70 <= heart_rate(x, fs=500.0) <= 74
    assert heart_rate(x[:, [0]], fs=500.0) is None or not 70 <= heart_rate(x[:, [0]], fs=500.0) <= 74

# --- units ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "dtype", "units", "gain", "likely"),
    [
        (200.0, np.int16, "adc", 200.0, r"ADC counts .*units='adc', gain="),
        (1000.0, np.float32, "uV", None, r"microvolts: pass units='uV'"),
        (0.001, np.float32, "V", None, r"volts: pass units='V'"),
    ],
)
def test_units_are_checked_and_converted(mit119, mit119_beats, scale, dtype, units, gain, likely):
    given_ = np.round(mit119 * scale).astype(dtype) if dtype == np.int16 else (mit119 * scale).astype(dtype)
    with pytest.raises(InputError, match=likely):
        openecg.encode(given_, 360.0)
    with pytest.raises(InputError, match=likely):
        openecg.encode_stream(iter(np.array_split(given_, 7)), 360.0)
    codec = quiet_encode(given_, 360.0, units=units, gain=gain)
    assert abs(n_beats(codec) - mit119_beats) <= 1 and not (codec.rhythm == NOISE).any()
    with pytest.warns(SignalWarning, match=likely):
        openecg.encode(given_, 360.0, units="mV")


def test_unit_arguments_are_checked():
    with pytest.raises(InputError, match="units='mm' is not supported; allowed: 'mV', 'uV', 'V', 'adc'"):
        openecg.encode(np.zeros(5000), 500.0, units="mm")
    with pytest.raises(InputError, match="units='adc' needs gain="):
        openecg.encode(np.zeros(5000), 500.0, units="adc")


def test_npy_file_units(tmp_path, mit119, mit119_beats):
    np.save(tmp_path / "adc.npy", np.round(mit119 * 200).astype(np.int16))
    with pytest.raises(InputError, match="ADC counts"):
        openecg.read(tmp_path / "adc.npy", fs=360.0)
    rec = openecg.read(tmp_path / "adc.npy", fs=360.0, units="adc", gain=200)
    np.testing.assert_allclose(rec.signal[:, 0], mit119, atol=0.003)
    codec = openecg.encode_stream(tmp_path / "adc.npy", 360.0, units="adc", gain=200, chunk_size=1000)
    assert abs(n_beats(codec) - mit119_beats) <= 1


# --- gaps ---------------------------------------------------------------------------------------------------


def test_isolated_nan_samples_are_bridged_and_flagged(mit119, mit119_beats):
    rng = np.random.default_rng(1)
    for fraction in (0.001, 0.01, 0.05):
        x = mit119.copy()
        x[1:-1][rng.random(len(x) - 2) < fraction] = np.nan
        with pytest.warns(SignalWarning, match=r"bridged \d+ short gap"):
            codec = openecg.encode(x, 360.0)
        assert n_beats(codec) == mit119_beats, fraction


def test_long_gaps_stay_noise(mit119):
    x = mit119.copy()
    gap = slice(360 * 10, 360 * 10 + max_bridged(360.0) + 1)
    x[gap] = np.nan
    codec = quiet_encode(x, 360.0)
    assert (codec.rhythm[gap] == NOISE).all() and (codec.beat[gap] == 0).all()


def test_bridging_does_not_depend_on_chunks():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4000, 2)).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = np.nan
    x[100:140, 0] = np.nan
    whole, count = bridge_gaps(x, fs=250.0)
    assert count > 0 and np.isnan(whole[100:140, 0]).all()
    from openecg.signal.gaps import GapBridge

    for size in (1, 3, 7, 1000):
        bridge = GapBridge(2, max_len=max_bridged(250.0))
        parts = [bridge.feed(x[i:i + size]) for i in range(0, len(x), size)] + [bridge.finish()]
        np.testing.assert_array_equal(np.concatenate(parts), whole)


@st.composite
def ecg_with_dropouts(draw):
    fs = draw(st.sampled_from([250.0, 360.0, 500.0]))
    rate = draw(st.floats(50.0, 110.0))
    seconds = 12.0
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    t = np.arange(int(seconds * fs)) / fs
    x = np.zeros_like(t)
    amplitude = draw(st.floats(0.6, 2.0))
    for beat in np.arange(0.5, seconds - 0.3, 60.0 / rate):
        x += 0.15 * np.exp(-(((t - beat + 0.16) / 0.025) ** 2))
        x += amplitude * np.exp(-(((t - beat) / 0.011) ** 2)) - 0.3 * np.exp(-(((t - beat - 0.03) / 0.012) ** 2))
        x += 0.3 * np.exp(-(((t - beat - 0.3) / 0.06) ** 2))
    x += rng.normal(scale=0.02, size=x.size)
    holed = x.copy()
    for _ in range(draw(st.integers(1, 60))):
        at = int(rng.integers(5, len(x) - 10))
        holed[at:at + int(rng.integers(1, 4))] = np.nan
    return x.astype(np.float32), holed.astype(np.float32), fs


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ecg_with_dropouts())
def test_dropouts_of_up_to_three_samples_keep_the_beat_count(case):
    clean, holed, fs = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SignalWarning)
        assert n_beats(openecg.encode(holed, fs)) == n_beats(openecg.encode(clean, fs))


# --- the quality gate -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: rng.normal(scale=0.5, size=5000),
        lambda rng: np.sin(2 * np.pi * 50 * np.arange(5000) / 500),
        lambda rng: np.sin(2 * np.pi * 1.2 * np.arange(5000) / 500),
        lambda rng: np.cumsum(rng.normal(scale=0.05, size=5000)),
        lambda rng: np.zeros(5000),
        lambda rng: np.array([0.5]),
        lambda rng: rng.normal(size=100),
    ],
    ids=["white-noise", "sine-50Hz", "sine-1.2Hz", "random-walk", "flat", "one-sample", "0.2-s"],
)
def test_non_ecg_is_noise_never_sinus_with_beats(make):
    x = make(np.random.default_rng(0)).astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        codec = openecg.encode(x, 500.0)
    assert n_beats(codec) == 0 and (codec.rhythm == NOISE).all()
    unreadable = [str(w.message) for w in caught if "no window of the input could be read" in str(w.message)]
    assert len(unreadable) == 1 and f"all {len(x)} samples are labelled noise" in unreadable[0]


def test_too_short_to_judge_is_noise(mit119):
    with pytest.warns(SignalWarning, match=r"2\.5 s is under the 3 s the gate needs"):
        codec = openecg.encode(mit119[: int(2.5 * 360)], 360.0)
    assert n_beats(codec) == 0 and (codec.rhythm == NOISE).all()


def test_a_readable_recording_is_not_called_unreadable(mit119, tmp_path):
    gaps = np.stack([mit119, 0.8 * mit119], axis=1)
    gaps[360 * 12:, 0] = np.nan  # one lead lost after 12 s: the other is still read
    with warnings.catch_warnings():
        warnings.simplefilter("error", SignalWarning)
        openecg.encode(mit119[: 360 * 10], 360.0)
        openecg.encode_stream(gaps, 360.0, chunk_size=1000, sink=tmp_path / "gaps.oecgs")


def test_real_noisy_and_handheld_records_are_not_gated(data_dir):
    scipy_io = pytest.importorskip("scipy.io")
    for record in ("118e06", "119e00"):
        x = read_window(data_dir / "nstdb" / record, start=360 * 300, stop=360 * 330).signal
        codec = quiet_encode(x, 360.0)
        assert np.mean(codec.rhythm == NOISE) < 0.05 and n_beats(codec) > 20, record
    mat = scipy_io.loadmat(data_dir / "cinc2017_half" / "A00005.mat")["val"][0] / 1000.0
    codec = quiet_encode(mat.astype(np.float32), 300.0)
    assert np.mean(codec.rhythm == NOISE) < 0.05 and n_beats(codec) > 10


# --- file errors ----------------------------------------------------------------------------------------------


@pytest.fixture()
def wfdb_copy(tmp_path, data_dir):
    """A 10-s copy of MIT-BIH 119 as a WFDB record in tmp_path (rec.hea / rec.dat)."""
    wfdb = pytest.importorskip("wfdb")
    rec = read_window(data_dir / "mitdb" / "119", start=0, stop=3600)
    wfdb.wrsamp("rec", fs=360, units=["mV", "mV"], sig_name=list(rec.lead_names), p_signal=rec.signal.astype(np.float64),
                fmt=["16", "16"], write_dir=str(tmp_path))
    return tmp_path / "rec"


def test_wfdb_damage_names_the_file(wfdb_copy):
    dat, hea = wfdb_copy.with_suffix(".dat"), wfdb_copy.with_suffix(".hea")
    data = dat.read_bytes()
    dat.write_bytes(data[: len(data) // 10])
    with pytest.raises(FileFormatError, match=r"rec\.dat' has \d+ bytes but .*truncated"):
        openecg.read(wfdb_copy)
    with pytest.raises(FileFormatError, match=r"rec\.dat' has \d+ bytes"):
        openecg.encode_stream(wfdb_copy)
    dat.write_bytes(b"")
    with pytest.raises(FileFormatError, match=r"rec\.dat' is empty"):
        openecg.read(wfdb_copy)
    hea.write_text("")
    with pytest.raises(FileFormatError, match=r"rec\.hea is not a readable WFDB header"):
        openecg.read(wfdb_copy)
    hea.write_text("this is not a header\n")
    with pytest.raises(FileFormatError, match=r"rec\.hea is not a readable WFDB header"):
        openecg.read(hea)


def test_a_directory_is_not_a_record(data_dir, tmp_path):
    with pytest.raises(FileFormatError, match=r"is a directory, not a recording \(it holds WFDB records such as"):
        openecg.read(data_dir / "mitdb")
    with pytest.raises(FileFormatError, match="is a directory"):
        openecg.encode_stream(tmp_path)


def test_empty_and_damaged_array_files(tmp_path):
    (tmp_path / "e.npy").write_bytes(b"")
    with pytest.raises(FileFormatError, match=r"e\.npy' is empty"):
        openecg.read(tmp_path / "e.npy", fs=500)
    (tmp_path / "g.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(FileFormatError, match=r"g\.npy' is not a readable \.npy file"):
        openecg.encode_stream(tmp_path / "g.npy", 500)
    (tmp_path / "c.csv").write_text("0.1,0.2\n0.3,\n0.5,0.6\n" * 100)
    with pytest.raises(FileFormatError, match=r"c\.csv.*every cell must be a number: write a missing sample as nan"):
        openecg.read(tmp_path / "c.csv", fs=500)
    (tmp_path / "empty.csv").write_text("\n")
    with pytest.raises(FileFormatError, match=r"empty\.csv' is empty"):
        openecg.read(tmp_path / "empty.csv", fs=500)


def test_damaged_edf_names_the_file(tmp_path):
    pytest.importorskip("pyedflib")
    (tmp_path / "x.edf").write_bytes(b"0       garbage" * 40)
    with pytest.raises(FileFormatError, match=r"x\.edf' is not a readable EDF/BDF file"):
        openecg.read(tmp_path / "x.edf")


# --- container and stream files -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stream_bytes(tmp_path_factory, mit119) -> bytes:
    path = tmp_path_factory.mktemp("s") / "a.oecgs"
    openecg.encode_stream(mit119, 360.0, sink=path, chunk_size=360 * 5)
    return path.read_bytes()


def test_load_codec_reads_a_stream_file_and_read_stream_names_the_container_reader(tmp_path, stream_bytes):
    (tmp_path / "a.oecgs").write_bytes(stream_bytes)
    loaded = openecg.load_codec(tmp_path / "a.oecgs")
    np.testing.assert_array_equal(loaded.channels, read_stream(tmp_path / "a.oecgs").channels)
    codec = openecg.encode(np.zeros(3000, np.float32), 300.0)
    codec.save(tmp_path / "c.oecg")
    with pytest.raises(FileFormatError, match=r"c\.oecg' is an openecg container .*load_codec"):
        read_stream(tmp_path / "c.oecg")


def test_short_and_torn_stream_files(tmp_path, stream_bytes):
    (tmp_path / "s.oecgs").write_bytes(stream_bytes[:12])
    with pytest.raises(FileFormatError, match=r"s\.oecgs' has 12 bytes, fewer than the 14 .*truncated"):
        read_stream(tmp_path / "s.oecgs")
    (tmp_path / "h.oecgs").write_bytes(stream_bytes[:40])
    with pytest.raises(FileFormatError, match=r"h\.oecgs' is truncated inside its header"):
        read_stream(tmp_path / "h.oecgs")


def test_a_flipped_byte_says_where_reading_stopped(tmp_path, stream_bytes):
    data = bytearray(stream_bytes)
    header = 14 + int.from_bytes(data[10:14], "little")
    data[(header + len(data)) // 2] ^= 0xFF
    (tmp_path / "f.oecgs").write_bytes(bytes(data))
    with pytest.warns(FileWarning, match=r"f\.oecgs': read \d+ samples; frame \d+ at byte \d+ is damaged \(.*checksum"):
        contents = read_stream(tmp_path / "f.oecgs")
    assert not contents.complete and "frame" in contents.stopped


# --- output paths ---------------------------------------------------------------------------------------------


class CountingModel:
    """Counts model calls: an output error must come before any work."""

    def __init__(self) -> None:
        from openecg.runtime import get_predictor

        self.inner = get_predictor("default")
        self.fs, self.window, self.calls = self.inner.fs, self.inner.window, 0

    def predict(self, x):
        self.calls += 1
        return self.inner.predict(x)


@pytest.mark.parametrize("where", ["missing-folder", "directory"])
def test_output_paths_are_checked_before_any_work(tmp_path, mit119, where):
    out = tmp_path / "nope" / "x.oecgs" if where == "missing-folder" else tmp_path
    model = CountingModel()
    with pytest.raises(InputError, match="does not exist; create it first" if where != "directory" else "is a directory"):
        openecg.encode_stream(mit119, 360.0, model=model, sink=out)
    assert model.calls == 0
    codec = openecg.encode(np.zeros(3000, np.float32), 300.0)
    with pytest.raises(InputError, match="does not exist; create it first" if where != "directory" else "is a directory"):
        codec.save(out if where == "directory" else tmp_path / "nope" / "x.oecg")


def _open_paths() -> set[str]:
    fds = Path("/proc/self/fd")
    return {os.path.realpath(p) for p in fds.iterdir()} if fds.is_dir() else set()


def test_a_failed_write_leaves_no_file_and_no_handle(tmp_path, monkeypatch):
    codec = openecg.encode(np.zeros(3000, np.float32), 300.0)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OutputError, match=r"writing .*x\.oecg' failed: No space left on device"):
        codec.save(tmp_path / "x.oecg")
    assert list(tmp_path.iterdir()) == []
    assert not any(str(tmp_path) in p for p in _open_paths())


def test_a_finished_stream_file_replaces_its_part_file(tmp_path, mit119):
    openecg.encode_stream(mit119[: 360 * 12], 360.0, sink=tmp_path / "ok.oecgs")
    assert [p.name for p in tmp_path.iterdir()] == ["ok.oecgs"] and read_stream(tmp_path / "ok.oecgs").complete


# --- optional dependencies and paper ---------------------------------------------------------------------------


def test_missing_optional_dependency_names_the_extra(monkeypatch, data_dir):
    monkeypatch.setitem(__import__("sys").modules, "wfdb", None)
    with pytest.raises(MissingDependencyError, match=r'reading WFDB records needs .*pip install "openecg\[data\]"'):
        openecg.read(data_dir / "mitdb" / "119")
    monkeypatch.setitem(__import__("sys").modules, "cv2", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "openecg\[digitize\]"'):
        openecg.digitize(np.zeros((100, 100, 3), np.uint8))


def test_digitize_on_a_noise_page_says_no_ecg_found():
    pytest.importorskip("cv2")
    page = (np.random.default_rng(0).random((1100, 1700, 3)) * 255).astype(np.uint8)
    with pytest.raises(ValueError, match="no ECG grid/trace found"):
        openecg.digitize(page)


def test_signal_warnings_name_the_callers_line():
    """A warning about the input points at the line that called openecg, not at an internal one."""
    t = np.arange(10 * 500) / 500
    ecg = np.exp(-((t % 0.8 - 0.4) ** 2) / 0.0002).astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        openecg.encode(ecg, 125.0)  # a heart rate of 19 per minute at the stated rate
    found = [w for w in caught if issubclass(w.category, SignalWarning)]
    assert found and all(w.filename == __file__ for w in found)


def test_noise_is_not_blamed_on_the_sample_rate():
    """White noise has as much power at 25-50 Hz as at 8-25 Hz, like an ECG declared at twice its rate, but it
    has no QRS spikes: the sample-rate check says nothing (the quality gate labels it noise)."""
    from openecg.stream.quality import check_rate

    noise = np.random.default_rng(0).normal(size=(500 * 60, 1)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SignalWarning)
        check_rate(noise, fs=500.0)
