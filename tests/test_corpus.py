"""Corpus stores: contents, bad inputs, resuming after SIGKILL, the Dask engine, the command line."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import openecg
from openecg.corpus import CorpusStore, open_store, tokenize
from openecg.errors import InputError
from openecg.tokenizer.ids import from_ids, header, to_ids

REPO = Path(__file__).resolve().parents[1]
LUDB = ("1", "2", "3", "4")


def ludb(data_dir: Path, names=LUDB) -> list[str]:
    return [str(data_dir / "ludb" / "data" / f"{name}.hea") for name in names]


def all_arrays(store: Path) -> dict[str, np.ndarray]:
    """Every array of the store's current generation, by path."""
    group = CorpusStore(store).group
    return {name: node[:] for name, node in group.members(max_depth=None) if hasattr(node, "shape")}


def assert_same_store(a: Path, b: Path) -> None:
    left, right = all_arrays(a), all_arrays(b)
    assert sorted(left) == sorted(right)
    for name in left:
        assert left[name].dtype == right[name].dtype and np.array_equal(left[name], right[name]), name


def write_bad_inputs(folder: Path, data_dir: Path) -> Path:
    """A folder of bad records, and beside it a folder of arrays with its manifest; returns the manifest."""
    import wfdb

    folder.mkdir(parents=True)
    (folder / "zero.hea").write_bytes(b"")
    header_text = (data_dir / "ludb" / "data" / "1.hea").read_text().replace("1.dat", "nodat.dat")
    (folder / "nodat.hea").write_text(header_text.replace("1 12", "nodat 12", 1))
    (folder / "short.hea").write_text(header_text.replace("nodat", "short"))
    (folder / "short.dat").write_bytes((data_dir / "ludb" / "data" / "1.dat").read_bytes()[:3000])
    rng = np.random.default_rng(0)
    wfdb.wrsamp("eeg64", fs=256, units=["uV"] * 64, sig_name=[f"ch{i}" for i in range(64)],
                d_signal=rng.integers(-500, 500, (512, 64)).astype(np.int16), fmt=["16"] * 64, adc_gain=[1.0] * 64,
                baseline=[0] * 64, write_dir=str(folder))
    (folder / "notes.xyz").write_text("not an ecg")
    (folder / "scan.png").write_bytes(b"\x89PNG garbage, not an image")
    arrays = folder.parent / "arrays"
    arrays.mkdir()
    np.save(arrays / "nan.npy", np.full((1500, 2), np.nan, np.float32))
    signal = openecg.read(data_dir / "ludb" / "data" / "5").signal[:1500, :2].copy()
    signal[:, 1] = np.nan
    np.save(arrays / "halfnan.npy", signal)
    manifest = arrays / "manifest.csv"
    manifest.write_text("path,fs,leads\nnan.npy,500,\"I,II\"\nhalfnan.npy,500,\"I,II\"\nmissing.npy,500,\n")
    return manifest


@pytest.fixture(scope="module")
def built(tmp_path_factory, data_dir):
    root = tmp_path_factory.mktemp("corpus")
    manifest = write_bad_inputs(root / "bad", data_dir)
    inputs = [*ludb(data_dir), str(root / "bad"), str(root / "bad" / "notes.xyz")]
    log = io.StringIO()
    store = tokenize(inputs, root / "store", manifest=manifest, per_lead=True, batch_size=3, log=log,
                     suffixes=(".hea", ".npy", ".png"))
    return root, store, inputs, manifest, log.getvalue()


def test_store_holds_the_encoding_of_every_record(built, data_dir):
    _, store, _, _, _ = built
    table = store.records()
    ids = table["id"].tolist()
    assert ids == sorted(ids)
    for name in LUDB[:2]:
        path = data_dir / "ludb" / "data" / name
        i = ids.index(str(path))
        expected = openecg.encode(openecg.read(path))
        assert store.codec(i) == expected
        assert np.array_equal(store.ids(i), to_ids(expected))
        assert table["status"][i] == "ok" and table["n_tokens"][i] == len(store.ids(i))
        assert table["duration_s"][i] == 10.0 and table["n_samples"][i] == 5000 and table["fs"][i] == 500
        digest = hashlib.sha256(path.with_suffix(".hea").read_bytes() + path.with_suffix(".dat").read_bytes())
        assert table["sha256"][i] == digest.hexdigest()
        streams = store.lead_streams(i)
        assert [s[0] for s in streams] == list(openecg.read(path).lead_names)
        lead_v2 = openecg.encode(openecg.read(path).lead("v2"), 500)
        assert np.array_equal(streams[7][1], to_ids(lead_v2, lead="v2"))
        assert header(streams[7][1])["lead"] == "V2"
    assert from_ids(store.ids(ids.index(str(data_dir / "ludb" / "data" / "3")))).n_samples == 5000


def test_store_attributes_and_layout(built):
    from zarr.codecs import ShardingCodec

    _, store, _, _, _ = built
    attrs = store.attrs
    assert attrs["format"] == "openecg-corpus" and attrs["openecg_version"] == openecg.__version__
    assert attrs["model"] == "default" and len(attrs["model_sha256"]) == 64
    assert attrs["options"]["per_lead"] is True and attrs["ids_version"] == 1 and attrs["vocab_version"] >= 1
    values = store.group["ids/values"]
    assert any(isinstance(codec, ShardingCodec) for codec in values.metadata.codecs)
    assert values.dtype == np.uint16 and store.group["ids/offsets"].shape == (store.n_records + 1,)


BAD = {
    "zero": "empty (0 bytes)",
    "nodat": "nodat.dat",
    "short": "the file is truncated or the header is wrong",
    "eeg64": "64 leads",
    "notes.xyz": "suffix '.xyz'",
    "scan": "not a readable image",
    "nan": "no readable lead",
    "missing": "missing.npy",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_goes_to_the_error_table(built, name):
    _, store, _, _, log = built
    errors = store.errors()
    matches = [i for i, record in enumerate(errors["id"].tolist()) if record.split("/")[-1] == name]
    assert len(matches) == 1, errors["id"]
    assert BAD[name] in str(errors["reason"][matches[0]]), errors["reason"][matches[0]]
    assert store.n_records == 13


def test_lead_without_samples_is_left_out_and_named(built):
    _, store, _, _, _ = built
    table = store.records()
    i = table["id"].tolist().index("halfnan")
    assert table["status"][i] == "ok" and "II" in str(table["reason"][i])
    names = [name for name, _ in store.lead_streams(i)]
    assert names == ["I", "II"] and "<gap>" in openecg.tokenizer.ids.to_text(store.lead_streams(i)[1][1])


def test_unwritable_store_stops_before_any_work(tmp_path, data_dir, monkeypatch):
    from openecg.corpus import worker

    monkeypatch.setattr(worker, "process", lambda *a, **k: pytest.fail("work started"))
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="not writable"):
        tokenize(ludb(data_dir)[:1], blocker / "store", progress=False)


def test_rerun_skips_finished_records_and_other_options_refuse(built, data_dir):
    root, _, inputs, manifest, _ = built
    generation = (root / "store" / "CURRENT").read_text()
    log = io.StringIO()
    tokenize(inputs, root / "store", manifest=manifest, per_lead=True, log=log, suffixes=(".hea", ".npy", ".png"))
    assert "0 records (0.00 h of ECG)" in log.getvalue() and "13 already done" in log.getvalue()
    assert (root / "store" / "CURRENT").read_text() == generation
    with pytest.raises(InputError, match="other settings.*per_lead"):
        tokenize(inputs, root / "store", manifest=manifest, per_lead=False, progress=False)
    with pytest.raises(InputError, match="other settings.*model"):
        tokenize(inputs, root / "store", manifest=manifest, per_lead=True, model="default:litert", progress=False)


def test_dask_local_cluster_matches_the_local_engine(tmp_path, data_dir):
    inputs = ludb(data_dir, ("1", "2", "3", "6", "7"))
    tokenize(inputs, tmp_path / "local", batch_size=2, progress=False)
    log = io.StringIO()
    tokenize(inputs, tmp_path / "dask", engine="dask", n_workers=2, batch_size=1, log=log)
    assert "dask: 2 workers, dashboard http" in log.getvalue()
    assert len(list((tmp_path / "dask" / "parts").glob("part-*.npz"))) == 5
    assert_same_store(tmp_path / "local", tmp_path / "dask")


def test_sigkill_then_rerun_gives_the_uninterrupted_store(tmp_path, data_dir):
    inputs = sorted(str(p) for p in (data_dir / "ludb" / "data").glob("*.hea"))[:8]
    tokenize(inputs, tmp_path / "reference", per_lead=True, batch_size=1, progress=False)
    command = [sys.executable, "-m", "openecg.corpus", *inputs, "-o", str(tmp_path / "killed"), "--per-lead",
               "--batch-size", "1", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    job = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parts = tmp_path / "killed" / "parts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("part-*.npz"))) < 2:
        time.sleep(0.005)
    job.send_signal(signal.SIGKILL)
    job.wait()
    committed = len(list(parts.glob("part-*.npz")))
    assert job.returncode == -signal.SIGKILL and 2 <= committed < 8, committed
    assert not (tmp_path / "killed" / "CURRENT").exists()
    for part in parts.glob("part-*.npz"):
        np.load(part)["id"]  # every visible part is complete
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "8 records, 0 in the error table" in rerun.stdout
    assert_same_store(tmp_path / "reference", tmp_path / "killed")


def test_command_line_reports_errors_and_refuses_bad_arguments(tmp_path, data_dir):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    (tmp_path / "x.xyz").write_text("not an ecg")
    run = subprocess.run([sys.executable, "-m", "openecg.corpus", ludb(data_dir)[0], str(tmp_path / "x.xyz"),
                          "-o", str(tmp_path / "s"), "--quiet"], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 3 and "suffix '.xyz'" in run.stderr
    assert "2 records, 1 in the error table" in run.stdout
    assert open_store(tmp_path / "s").n_records == 2
    run = subprocess.run([sys.executable, "-m", "openecg.corpus", str(tmp_path / "nowhere"), "-o", str(tmp_path / "t")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "does not exist" in run.stderr


def test_parquet_manifest(tmp_path, data_dir):
    pandas = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    np.save(tmp_path / "a.npy", openecg.read(data_dir / "ludb" / "data" / "8").signal[:2000, :3])
    pandas.DataFrame({"path": ["a.npy"], "fs": [500.0], "leads": ["I,II,III"], "id": ["rec-a"]}).to_parquet(
        tmp_path / "m.parquet")
    store = tokenize([], tmp_path / "s", manifest=tmp_path / "m.parquet", progress=False)
    assert store.records()["id"].tolist() == ["rec-a"] and store.records()["lead_names"][0] == "I,II,III"



def test_importing_the_corpus_package_stays_light():
    code = ("import sys, openecg.corpus, openecg.tokenizer.ids, openecg.tokenizer.hf; "
            "print(sorted(m for m in ('torch', 'zarr', 'dask', 'distributed', 'transformers', 'tokenizers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO)},
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr


def test_lead_subset_and_order(tmp_path, data_dir):
    store = tokenize(ludb(data_dir)[:1], tmp_path / "s", per_lead=True, leads=["V2", "i"], progress=False)
    assert store.records()["lead_names"][0] == "v2,i"
    assert [name for name, _ in store.lead_streams(0)] == ["v2", "i"]
    signal = openecg.read(ludb(data_dir)[0]).signal
    assert store.codec(0) == openecg.encode(signal[:, [7, 0]], 500)
    extended = tokenize(ludb(data_dir)[1:2], tmp_path / "s", per_lead=True, leads=["V2", "i"], progress=False)
    assert extended.n_records == 2 and extended.codec(0) == store.codec(0)  # a later job adds records
    store = tokenize(ludb(data_dir)[:1], tmp_path / "t", leads=["V7"], progress=False)
    assert "V7" in str(store.errors()["reason"][0])
