"""The ``openecg`` command line: every command end to end in a subprocess on real records, exit codes, outputs
read back, refusals before any work, Ctrl-C; the oracle model in-process where the output must be exact."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from oracles import LevelOracle, level_signal

import openecg
from openecg.cli import COMMANDS, EXIT_INPUT, EXIT_INTERNAL, main, run
from openecg.runtime import register_predictor
from openecg.tokenizer.streamfile import read_stream

REPO = Path(__file__).resolve().parents[1]


def cli(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m openecg.cli ARGUMENTS`` in a fresh interpreter (stderr is not a terminal: no bar)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "openecg.cli", *map(str, arguments)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def ludb_record(tmp_path_factory) -> Path:
    """LUDB record 1 (10 s, 12 leads, 500 Hz) copied into a folder of its own, so outputs can go beside it."""
    from conftest import data_root

    folder = tmp_path_factory.mktemp("ludb")
    for suffix in (".hea", ".dat"):
        source = data_root() / "ludb" / "data" / f"1{suffix}"
        if not source.is_file():
            pytest.skip(f"{source} not found (set OPENECG_DATA)")
        shutil.copy(source, folder / f"1{suffix}")
    return folder / "1"


@pytest.fixture(scope="module")
def encoded(ludb_record) -> subprocess.CompletedProcess:
    """``openecg encode 1.hea`` run once, writing 1.oecg beside the record."""
    return cli("encode", ludb_record.with_suffix(".hea"))


@pytest.fixture(autouse=True)
def level_model():
    register_predictor("level-cli", LevelOracle)


def test_encode_npy_to_codec_and_stream_file_in_process(tmp_path, capsys):
    x, _ = level_signal(500.0, 30.0)
    npy = tmp_path / "rec.npy"
    np.save(npy, np.stack([x, x], axis=1))
    assert main(["encode", str(npy), "--fs", "500", "-o", str(tmp_path / "a.oecg"), "--model", "level-cli"]) == 0
    assert "wrote" in capsys.readouterr().out
    codec = openecg.load(tmp_path / "a.oecg")
    assert codec.n_samples == len(x) and codec.fs == 500.0
    assert main(["-q", "stream", str(npy), "--fs", "500", "--model", "level-cli"]) == 0
    assert capsys.readouterr().out == ""
    np.testing.assert_array_equal(read_stream(tmp_path / "rec.oecgs").channels, codec.channels)
    assert openecg.load(tmp_path / "rec.oecgs") == codec
    assert not list(tmp_path.glob(".openecg-*")), "temporary folders must be removed"


def test_input_error_is_one_line_with_exit_3(tmp_path, capsys):
    np.save(tmp_path / "rec.npy", np.zeros(100))
    assert main(["encode", str(tmp_path / "rec.npy"), "-o", str(tmp_path / "a.oecg")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("openecg encode: error:") and "fs=None" in err
    assert not (tmp_path / "a.oecg").exists()


def test_internal_error_hides_the_traceback_unless_debug(capsys):
    def boom(args: argparse.Namespace) -> int:
        raise RuntimeError("a bug")

    args = argparse.Namespace(func=boom, command="encode", debug=False, quiet=False, verbose=0)
    assert run(args) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: a bug" in err and "--debug" in err
    args.debug = True
    assert run(args) == EXIT_INTERNAL
    assert "Traceback" in capsys.readouterr().err


def test_missing_command_module_is_a_clear_message(monkeypatch, capsys):
    monkeypatch.setitem(COMMANDS, "ghost", ("openecg.cli.ghost_command", "a command not installed"))
    assert main(["ghost", "x", "-o", "y"]) == EXIT_INTERNAL
    assert "openecg ghost: not available" in capsys.readouterr().err


def test_version_help_and_usage_errors(capsys):
    shown = cli("--help")
    assert shown.returncode == 0 and all(name in shown.stdout for name in COMMANDS)
    code = ("import sys, contextlib, io\nfrom openecg.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['--help'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('openecg.cli.') or m in "
            "('wfdb', 'cv2', 'matplotlib', 'tqdm', 'onnxruntime')))")
    lazy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert lazy.stdout.strip() == "['openecg.cli.common']", "--help must not import the commands"
    assert main(["--version"]) == 0 and capsys.readouterr().out.strip() == f"openecg {openecg.__version__}"
    assert main(["encode"]) == 2 and "required: input" in capsys.readouterr().err
    assert main(["no-such-command"]) == 2


def test_encode_a_wfdb_record_beside_it_and_refuse_to_overwrite(ludb_record, encoded):
    done = encoded
    assert done.returncode == 0, done.stderr
    out = ludb_record.with_suffix(".oecg")
    assert str(out) in done.stdout and "beats" in done.stdout and "bpm" in done.stdout
    codec = openecg.load(out)
    assert codec.fs == 500.0 and codec.n_samples == 5000 and len(codec.beats()["sample"]) >= 5
    before = out.read_bytes()
    refused = cli("encode", ludb_record, "-o", out)
    assert refused.returncode == EXIT_INPUT and "--force" in refused.stderr and refused.stderr.count("\n") == 1
    assert out.read_bytes() == before
    assert main(["encode", str(ludb_record), "-o", str(out), "--force", "-q"]) == 0
    assert openecg.load(out) == codec


def test_output_is_checked_before_the_input_is_read(tmp_path, capsys):
    (tmp_path / "taken.oecg").write_bytes(b"keep")
    missing = str(tmp_path / "missing.npy")
    for out, words in ((tmp_path / "taken.oecg", "exists"), (tmp_path / "nowhere" / "a.oecg", "does not exist"),
                       (tmp_path, "is a folder")):
        assert main(["encode", missing, "--fs", "500", "-o", str(out)]) == EXIT_INPUT
        assert words in capsys.readouterr().err
    assert (tmp_path / "taken.oecg").read_bytes() == b"keep"


def test_missing_input_is_one_line_with_exit_3(tmp_path):
    done = cli("encode", tmp_path / "nothing.hea", "-o", tmp_path / "a.oecg")
    assert done.returncode == EXIT_INPUT and done.stderr.count("\n") == 1 and "nothing" in done.stderr
    assert not (tmp_path / "a.oecg").exists()
    assert cli("info", tmp_path / "nothing.oecg").returncode == EXIT_INPUT


def written(path: Path) -> int:
    """Samples in the finished frames of a stream file being written."""
    try:
        return read_stream(path).channels.shape[1]
    except (ValueError, OSError):
        return 0


def test_ctrl_c_keeps_the_partial_stream_file_and_says_so(data_dir, tmp_path):
    out = tmp_path / "119.oecgs"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "openecg.cli", "stream", str(data_dir / "mitdb" / "119"),
                                "-o", str(out), "--leads", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(written(p) for p in tmp_path.glob(".openecg-*/*")):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err and "119.oecgs.part" in err and err.count("\n") == 1
    assert not out.exists() and not list(tmp_path.glob(".openecg-*"))
    with pytest.warns(UserWarning, match="unfinished"):
        partial = openecg.load(tmp_path / "119.oecgs.part")
    assert 0 < partial.n_samples < 650000 and partial.fs == 360.0


def test_info_on_records_and_results(ludb_record, capsys):
    assert main(["info", str(ludb_record), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["fs"] == 500.0 and facts["n_samples"] == 5000 and len(facts["leads"]) == 12
    assert any("Rhythm" in line for line in facts["comments"])
    assert main(["stream", str(ludb_record), "-q", "--force"]) == 0
    assert main(["info", str(ludb_record.with_suffix(".oecgs")), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["kind"].startswith("stream file") and result["complete"] is True
    assert result["n_samples"] == 5000 and result["beats"] >= 5 and "bpm" in result["summary"]
    text = cli("info", ludb_record.with_suffix(".oecgs")).stdout
    assert "complete" in text and "token_runs" in text


def test_convert_to_every_format_and_read_back(ludb_record, encoded, tmp_path):
    wfdb = pytest.importorskip("wfdb")
    result = ludb_record.with_suffix(".oecg")
    codec = openecg.load(result)
    beats = codec.beats()
    done = cli("convert", result, "-o", tmp_path / "1.atr")
    assert done.returncode == 0, done.stderr
    for name, extra in (("b.csv", []), ("b.json", []), ("b.txt", []), ("t.txt", ["--table", "tokens"]),
                        ("all.json", ["--table", "all"])):
        assert main(["convert", str(result), "-o", str(tmp_path / name), *extra]) == 0, name
    rows = (tmp_path / "b.csv").read_text().splitlines()
    assert rows[0].startswith("sample,time,class_id,class_name,rr") and len(rows) == len(beats["sample"]) + 1
    assert json.loads((tmp_path / "b.json").read_text())["beats"]["sample"] == beats["sample"].tolist()
    assert set(json.loads((tmp_path / "all.json").read_text())) >= {"beats", "episodes", "waves", "tokens"}
    assert (tmp_path / "t.txt").read_text().strip() == codec.render("symbols", timed=True)
    assert len((tmp_path / "b.txt").read_text().splitlines()) == len(beats["sample"]) + 1
    annotation = wfdb.rdann(str(tmp_path / "1"), "atr")
    is_beat = np.array([s != "+" for s in annotation.symbol])
    np.testing.assert_array_equal(annotation.sample[is_beat], beats["sample"])
    assert main(["convert", str(result), "--format", "wfdb", "-q"]) == 0
    assert len(wfdb.rdann(str(ludb_record), "atr").sample) == len(annotation.sample)
    assert main(["convert", str(result), "-o", str(tmp_path / "b.xyz")]) == EXIT_INPUT
    assert main(["convert", str(result), "-o", str(tmp_path / "b.csv")]) == EXIT_INPUT


def test_digitize_images_continues_past_a_bad_one(ludb_record, tmp_path, capsys):
    pytest.importorskip("cv2")
    wfdb = pytest.importorskip("wfdb")
    images = tmp_path / "images"
    assert main(["render", str(ludb_record.parent), str(images), "--dpi", "100", "--limit", "1", "-q"]) == 0
    assert main(["render", str(ludb_record.parent), str(images), "--dpi", "100", "--limit", "1"]) == EXIT_INPUT
    assert "--force" in capsys.readouterr().err
    (tmp_path / "bad.png").write_bytes(b"not an image")
    done = cli("digitize", images / "1_0.png", tmp_path / "bad.png", "-o", tmp_path / "records", "--encode")
    assert done.returncode == EXIT_INPUT
    assert "bad.png: error:" in done.stderr and "1 of 2 images failed" in done.stderr
    record = wfdb.rdrecord(str(tmp_path / "records" / "1_0"))
    assert record.fs == 500 and record.p_signal.shape == (5000, 12)
    assert openecg.load(tmp_path / "records" / "1_0.oecg").n_samples == 5000
    assert main(["digitize", str(images / "1_0.png"), "-o", str(tmp_path / "one.npy"), "-q"]) == 0
    assert np.load(tmp_path / "one.npy").shape == (5000, 12)
    assert json.loads((tmp_path / "one.json").read_text())["fs"] == 500.0


def test_quickstart_runs_the_bundled_example(tmp_path):
    done = cli("quickstart", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    codec = openecg.load(tmp_path / "openecg-example.oecg")
    beats = codec.beats()
    assert f"{len(beats['sample'])} beats" in done.stdout and "bpm" in done.stdout and "ODC-By" in done.stdout
    assert codec.n_samples == 21600
    if importlib.util.find_spec("openecg.plot") is None:
        assert "no plot" in done.stdout
    else:
        assert (tmp_path / "openecg-example.png").stat().st_size > 10_000
    assert cli("quickstart", cwd=tmp_path).returncode == EXIT_INPUT


def test_example_is_the_first_minute_of_mitdb_119(data_dir):
    wfdb = pytest.importorskip("wfdb")
    recording = openecg.example()
    assert recording.signal.shape == (21600, 2) and recording.fs == 360.0
    original = wfdb.rdrecord(str(data_dir / "mitdb" / "119"), sampto=21600)
    np.testing.assert_allclose(recording.signal, original.p_signal, atol=1e-6)
    assert recording.lead_names == tuple(original.sig_name)
    readme = (Path(openecg.__file__).parent / "examples" / "README.md").read_text()
    assert "ODC-By" in readme and "Moody" in readme


def test_openecg_warnings_are_one_line_on_stderr(tmp_path):
    flat = tmp_path / "flat.npy"
    np.save(flat, np.zeros((5000, 2), np.float32))
    done = cli("encode", flat, "--fs", "500", "-o", tmp_path / "flat.oecg", "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("openecg encode: warning: no window of the input could be read as an ECG")
    assert done.stderr.count("\n") == 1 and "SignalWarning" not in done.stderr
