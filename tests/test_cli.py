"""The ``openecg encode`` command."""

from __future__ import annotations

import numpy as np
import pytest
from oracles import LevelOracle, level_signal

import openecg
from openecg.cli import main
from openecg.runtime import register_predictor
from openecg.tokenizer.streamfile import read_stream


@pytest.fixture(autouse=True)
def level_model():
    register_predictor("level-cli", LevelOracle)


def test_encode_npy_to_codec_and_stream_file(tmp_path, capsys):
    x, _ = level_signal(500.0, 30.0)
    npy = tmp_path / "rec.npy"
    np.save(npy, np.stack([x, x], axis=1))
    assert main(["encode", str(npy), "--fs", "500", "--out", str(tmp_path / "a.oecg"), "--model", "level-cli"]) == 0
    assert "100.0%" in capsys.readouterr().err
    codec = openecg.load_codec(tmp_path / "a.oecg")
    assert codec.n_samples == len(x) and codec.fs == 500.0
    main(["encode", str(npy), "--fs", "500", "--out", str(tmp_path / "a.oecgs"), "--model", "level-cli", "--quiet"])
    np.testing.assert_array_equal(read_stream(tmp_path / "a.oecgs").channels, codec.channels)


def test_encode_reports_bad_input(tmp_path, capsys):
    np.save(tmp_path / "rec.npy", np.zeros(100))
    with pytest.raises(SystemExit) as exit_info:
        main(["encode", str(tmp_path / "rec.npy"), "--out", str(tmp_path / "a.oecg")])
    assert exit_info.value.code == 2 and "fs=None" in capsys.readouterr().err


def test_encode_wfdb_record(data_dir, tmp_path):
    out = tmp_path / "100.oecgs"
    record = data_dir / "cpsc2021_samples"
    heads = sorted(record.glob("*.hea"))
    assert heads
    main(["encode", str(heads[0]), "--out", str(out), "--model", "level-cli", "--leads", "0", "--quiet"])
    contents = read_stream(out)
    assert contents.complete and contents.fs == 200.0 and contents.channels.shape[1] > 200 * 40
