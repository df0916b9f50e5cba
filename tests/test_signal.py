"""Signal readers (round trips through small WFDB/EDF/CSV/NPY fixtures), resampling, filters, normalisation."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import openecg
from openecg.signal import iter_chunks, map_index, normalize, read_window, remove_baseline, resample, resample_labels
from openecg.signal.resample import resampled_length

FS = 250


def ecg_like(n: int = 1000, leads: int = 2) -> np.ndarray:
    t = np.arange(n) / FS
    columns = [np.sin(2 * np.pi * (1.0 + k) * t) * (0.5 + 0.25 * k) for k in range(leads)]
    return np.round(np.stack(columns, axis=1), 3).astype(np.float32)


def test_npy_round_trip_and_window(tmp_path):
    x = ecg_like()
    np.save(tmp_path / "a.npy", x)
    rec = openecg.read(tmp_path / "a.npy", fs=FS, lead_names=["I", "II"])
    assert np.array_equal(rec.signal, x) and rec.fs == FS and rec.lead_names == ("I", "II")
    window = read_window(tmp_path / "a.npy", start=100, stop=300, fs=FS)
    assert np.array_equal(window.signal, x[100:300]) and window.meta["start_sample"] == 100


def test_csv_round_trip_with_and_without_header(tmp_path):
    x = ecg_like(leads=3)
    np.savetxt(tmp_path / "h.csv", x, delimiter=",", header="I,II,V1", comments="", fmt="%.3f")
    np.savetxt(tmp_path / "n.csv", x, delimiter=",", fmt="%.3f")
    rec = openecg.read(tmp_path / "h.csv", fs=FS)
    assert rec.lead_names == ("I", "II", "V1") and np.allclose(rec.signal, x, atol=1e-6)
    assert np.allclose(openecg.read(tmp_path / "h.csv", fs=FS, leads=["v1"]).signal[:, 0], x[:, 2], atol=1e-6)
    assert np.allclose(openecg.read(tmp_path / "n.csv", fs=FS).signal, x, atol=1e-6)
    chunks = list(iter_chunks(tmp_path / "h.csv", chunk=300, fs=FS))
    assert [len(c.signal) for c in chunks] == [300, 300, 300, 100]
    assert np.allclose(np.concatenate([c.signal for c in chunks]), x, atol=1e-6)


def test_wfdb_round_trip_and_chunks(tmp_path):
    import wfdb

    x = ecg_like(2000)
    wfdb.wrsamp("rec", fs=FS, units=["mV", "mV"], sig_name=["MLII", "V1"], p_signal=x.astype(np.float64),
                fmt=["16", "16"], adc_gain=[1000, 1000], baseline=[0, 0], write_dir=str(tmp_path))
    for path in (tmp_path / "rec", tmp_path / "rec.hea"):
        rec = openecg.read(path)
        assert rec.fs == FS and rec.lead_names == ("MLII", "V1") and np.allclose(rec.signal, x, atol=1e-3)
    chunks = list(iter_chunks(tmp_path / "rec", chunk=512))
    assert [c.meta["start_sample"] for c in chunks] == [0, 512, 1024, 1536]
    assert np.allclose(np.concatenate([c.signal for c in chunks]), x, atol=1e-3)
    assert np.allclose(read_window(tmp_path / "rec", start=700, stop=900, leads=["V1"]).signal[:, 0], x[700:900, 1], atol=1e-3)
    with pytest.raises(ValueError, match="fs=500 contradicts"):
        openecg.read(tmp_path / "rec", fs=500)


def test_wfdb_header_with_an_iso_base_date_reads(tmp_path):
    """PhysioNet/CinC 2017 headers write ``2014-02-28 08:02:58`` after the length, which wfdb refuses."""
    import wfdb

    x = ecg_like(1500, leads=1)
    wfdb.wrsamp("A00001", fs=300, units=["mV"], sig_name=["ECG"], p_signal=x.astype(np.float64), fmt=["16"],
                adc_gain=[1000], baseline=[0], write_dir=str(tmp_path))
    header = tmp_path / "A00001.hea"
    lines = header.read_text().splitlines()
    lines[0] += " 2014-02-28 08:02:58"
    header.write_text("\n".join(lines) + "\n")
    rec = openecg.read(header)
    assert rec.fs == 300 and rec.lead_names == ("ECG",) and np.allclose(rec.signal, x, atol=1e-3)
    assert rec.meta["base_time_not_read"] == "2014-02-28 08:02:58"
    assert openecg.encode_stream(header).n_samples == 1500
    lines[0] = lines[0].replace("A00001 1 ", "A00001 one ")  # still a broken header: refused, naming the file
    header.write_text("\n".join(lines) + "\n")
    with pytest.raises(openecg.errors.FileFormatError, match="A00001.hea is not a readable WFDB header"):
        openecg.read(header)


def test_edf_round_trip(tmp_path):
    import pyedflib

    x = ecg_like(2500)
    path = tmp_path / "a.edf"
    with pyedflib.EdfWriter(str(path), 2, file_type=pyedflib.FILETYPE_EDFPLUS) as edf:
        headers = []
        for name in ("I", "II"):
            headers.append({"label": name, "dimension": "uV", "sample_frequency": FS, "physical_max": 5000,
                            "physical_min": -5000, "digital_max": 32767, "digital_min": -32768})
        edf.setSignalHeaders(headers)
        edf.writeSamples([x[:, 0].astype(np.float64) * 1000, x[:, 1].astype(np.float64) * 1000])
    rec = openecg.read(path)
    assert rec.fs == FS and rec.lead_names == ("I", "II")
    assert np.allclose(rec.signal, x, atol=1e-3)
    window = read_window(path, start=250, stop=500, leads=["II"])
    assert np.allclose(window.signal[:, 0], x[250:500, 1], atol=1e-3)


def test_read_validation(tmp_path):
    np.save(tmp_path / "a.npy", ecg_like())
    np.save(tmp_path / "lf.npy", np.zeros((12, 5000), np.float32))
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    np.save(tmp_path / "e.npy", np.zeros((0, 2), np.float32))
    np.save(tmp_path / "3d.npy", np.zeros((4, 4, 4), np.float32))
    with pytest.raises(ValueError, match="fs=None"):
        openecg.read(tmp_path / "a.npy")
    with pytest.raises(ValueError, match="fs=0"):
        openecg.read(tmp_path / "a.npy", fs=0)
    with pytest.raises(ValueError, match="leads-first"):
        openecg.read(tmp_path / "lf.npy", fs=FS)
    with pytest.raises(ValueError, match="dtype <U1"):
        openecg.read(tmp_path / "s.npy", fs=FS)
    with pytest.raises(ValueError, match="is empty"):
        openecg.read(tmp_path / "e.npy", fs=FS)
    with pytest.raises(ValueError, match=r"shape \(4, 4, 4\)"):
        openecg.read(tmp_path / "3d.npy", fs=FS)
    with pytest.raises(ValueError, match="does not exist"):
        openecg.read(tmp_path / "missing.edf")
    with pytest.raises(ValueError, match="suffix '.txt'"):
        (tmp_path / "a.txt").write_text("1\n")
        openecg.read(tmp_path / "a.txt", fs=FS)
    with pytest.raises(ValueError, match="chunk=0"):
        next(iter_chunks(tmp_path / "a.npy", chunk=0, fs=FS))
    with pytest.raises(ValueError, match="lead_names="):
        openecg.read(tmp_path / "a.npy", fs=FS, lead_names=["I"])
    with pytest.raises(ValueError, match="'I', which is not a lead of .*allowed: lead0, lead1"):
        openecg.read(tmp_path / "a.npy", fs=FS, leads=["I"])


def test_nan_gaps_are_kept(tmp_path):
    x = ecg_like()
    x[100:120, 0] = np.nan
    np.save(tmp_path / "g.npy", x)
    rec = openecg.read(tmp_path / "g.npy", fs=FS)
    assert rec.gap_mask()[100:120].all() and rec.gap_mask().sum() == 20
    y = resample(rec.signal, fs_from=FS, fs_to=500)
    assert np.isnan(y[200:239, 0]).all() and np.isfinite(y[:190]).all() and np.isfinite(y[:, 1]).all()
    z, gap = normalize(rec.signal)
    assert (z[100:120, 0] == 0).all() and gap[100:120, 0].all() and gap.sum() == 20 and np.isfinite(z).all()
    assert np.isnan(remove_baseline(rec.signal, fs=FS)[100:120, 0]).all()


@pytest.mark.parametrize(("fs_from", "fs_to"), [(250, 500), (360, 500), (200, 360), (257, 500), (250, 1000)])
def test_index_mapping_round_trip(fs_from, fs_to):
    idx = np.arange(0, 20000, 7)
    up = map_index(idx, fs_from=fs_from, fs_to=fs_to)
    assert np.array_equal(map_index(up, fs_from=fs_to, fs_to=fs_from), idx)
    assert np.all(np.abs(up - idx * fs_to / fs_from) <= 0.5)
    down = map_index(idx, fs_from=fs_to, fs_to=fs_from)
    assert np.all(np.abs(down - idx * fs_from / fs_to) <= 0.5)


def test_resample_preserves_a_sine_and_peak_positions():
    fs_from, fs_to = 360, 500
    n = 3600
    t = np.arange(n) / fs_from
    x = np.sin(2 * np.pi * 5 * t)
    y = resample(x, fs_from=fs_from, fs_to=fs_to)
    assert y.shape == (resampled_length(n, fs_from=fs_from, fs_to=fs_to), 1) == (5000, 1)
    t_out = np.arange(len(y)) / fs_to
    assert np.abs(y[100:-100, 0] - np.sin(2 * np.pi * 5 * t_out[100:-100])).max() < 0.01
    spike = np.zeros(n)
    spike[1234] = 1
    assert np.argmax(resample(spike, fs_from=fs_from, fs_to=fs_to)) == map_index(np.array([1234]), fs_from=fs_from, fs_to=fs_to)[0]
    labels = np.zeros((2, 3, n), np.uint8)
    labels[..., 360:720] = 2
    out = resample_labels(labels, fs_from=fs_from, fs_to=fs_to)
    assert out.shape == (2, 3, 5000) and (out[..., 500:1000] == 2).all() and out[..., :500].sum() == 0
    with pytest.raises(ValueError, match="fs_to=-1"):
        resample(x, fs_from=fs_from, fs_to=-1)


def test_remove_baseline_keeps_the_qrs_band():
    t = np.arange(10 * FS) / FS
    fast = np.sin(2 * np.pi * 10 * t)
    y = remove_baseline(fast + 1.5 * np.sin(2 * np.pi * 0.15 * t) + 3.0, fs=FS)
    assert np.abs(y[FS:-FS, 0] - fast[FS:-FS]).max() < 0.1
    with pytest.raises(ValueError, match="cutoff=200"):
        remove_baseline(fast, fs=FS, cutoff=200)


def test_normalize_scales_robustly():
    x = ecg_like(2000, leads=2) * np.array([1.0, 4.0], np.float32) + 7.0
    z, gap = normalize(x)
    assert z.dtype == np.float32 and not gap.any()
    assert np.allclose(np.median(z, axis=0), 0, atol=0.05)
    assert 0.95 < np.percentile(z[:, 1], 99) - np.percentile(z[:, 1], 1) < 1.05
    flat, _ = normalize(np.full(1000, 0.001))
    assert np.abs(flat).max() == 0
    with pytest.raises(ValueError, match="window is empty"):
        normalize(np.zeros(0))


def test_import_openecg_stays_light():
    code = (
        "import sys, openecg, openecg.data, openecg.signal; "
        "heavy = {'torch', 'wfdb', 'pyedflib', 'neurokit2', 'matplotlib', 'onnxruntime', 'zarr', 'dask', 'cv2'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
