"""Reading results back (``openecg.load`` of codec and stream files) and the exports: beat and episode
tables, JSON, CSV, WFDB annotations read back with ``wfdb.rdann``."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest

import openecg
from openecg.tokenizer.annotations import WFDB_BEAT_SYMBOLS, WFDB_RHYTHM_NOTES
from openecg.tokenizer.streamfile import StreamWriter
from openecg.tokenizer.rle import labels_to_runs

FS = 250.0


def make_codec(seconds: float = 20.0, *, start: int = 0) -> openecg.Codec:
    """Beats every 0.8 s (every fifth V, one paced), AF in the second half, tokens = the wave runs."""
    n = int(seconds * FS)
    wave, beat, rhythm = (np.zeros(n, np.uint8) for _ in range(3))
    for k, onset in enumerate(range(100, n - 50, 200)):
        wave[onset:onset + 25] = 2
        beat[onset:onset + 25] = 3 if k % 5 == 4 else 6 if k == 7 else 1
        wave[onset + 60:onset + 110] = 3
    rhythm[n // 2:] = 1
    runs = labels_to_runs(np.where(wave == 2, 6, np.where(wave == 3, 8, 2)).astype(np.uint8))
    return openecg.Codec(np.stack([wave, beat, rhythm]), FS, start=start, tokens=(runs.symbols, runs.lengths))


def test_beat_table_has_times_classes_and_rr():
    codec = make_codec(start=1000)
    beats = codec.beats()
    assert set(beats) == {"sample", "time", "class_id", "class_name", "rr", "qrs_start", "qrs_end"}
    n = len(beats["sample"])
    assert n == 25 and all(len(column) == n for column in beats.values())
    assert beats["sample"][0] == 1000 + 100 + 12 and beats["time"][0] == pytest.approx((1000 + 112) / FS)
    assert np.isnan(beats["rr"][0]) and np.allclose(beats["rr"][1:], 0.8)
    assert beats["class_name"][4] == "V" and beats["class_name"][7] == "paced" and beats["class_name"][0] == "N"


def test_episode_table_gives_start_end_duration_and_class():
    episodes = make_codec().episodes()
    assert episodes["class_name"].tolist() == ["sinus", "AF"]
    assert episodes["start"].tolist() == [0.0, 10.0] and episodes["duration"].tolist() == [10.0, 10.0]
    assert episodes["end"][-1] == 20.0


def test_load_reads_codec_and_stream_files_by_their_magic(tmp_path):
    codec = make_codec()
    codec.save(tmp_path / "a.oecg")
    writer = StreamWriter(tmp_path / "a.bin", fs=FS)
    runs = codec.tokens()
    writer.write(0, np.asarray(codec.channels), runs.symbols, runs.lengths)
    writer.close()
    assert openecg.load(tmp_path / "a.oecg") == codec
    assert openecg.load(tmp_path / "a.bin") == codec
    assert openecg.load_codec(tmp_path / "a.oecg") == codec


def test_load_warns_about_an_unfinished_stream_file(tmp_path):
    codec = make_codec()
    writer = StreamWriter(tmp_path / "a.oecgs", fs=FS)
    half = codec[:2500]
    writer.write(0, np.asarray(half.channels), half.tokens().symbols, half.tokens().lengths)
    writer.abort()
    written = [p for p in (tmp_path / "a.oecgs", tmp_path / "a.oecgs.part") if p.exists()]  # a writer may keep .part
    with pytest.warns(UserWarning, match="unfinished stream file"):
        partial = openecg.load(written[0])
    np.testing.assert_array_equal(partial.channels, half.channels)
    np.testing.assert_array_equal(partial.tokens().lengths, half.tokens().lengths)


def test_load_refuses_other_files(tmp_path):
    (tmp_path / "x.oecg").write_bytes(b"PK\x03\x04 not an openecg file at all")
    with pytest.raises(ValueError, match="magic"):
        openecg.load(tmp_path / "x.oecg")
    for path in (tmp_path, tmp_path / "missing.oecg"):  # OSError here; FileFormatError naming the file (#13)
        with pytest.raises((OSError, ValueError), match=re.escape(str(path))):
            openecg.load(path)


def test_json_and_csv_read_back(tmp_path):
    codec = make_codec()
    data = json.loads(codec.to_json(tmp_path / "a.json"))
    assert data == json.loads((tmp_path / "a.json").read_text())
    assert data["fs"] == FS and data["beats"]["sample"] == codec.beats()["sample"].tolist()
    assert data["beats"]["rr"][0] is None and data["episodes"]["class_name"] == ["sinus", "AF"]
    rows = list(csv.DictReader(io.StringIO(codec.to_csv(table="episodes"))))
    assert [r["class_name"] for r in rows] == ["sinus", "AF"] and float(rows[1]["start"]) == 10.0
    beats = list(csv.DictReader(io.StringIO(codec.to_csv(tmp_path / "b.csv"))))
    assert len(beats) == 25 and beats[0]["rr"] == "" and (tmp_path / "b.csv").read_text().startswith("sample,")
    tokens = list(csv.DictReader(io.StringIO(codec.to_csv(table="tokens"))))
    assert sum(int(r["end_sample"]) - int(r["start_sample"]) for r in tokens) == codec.n_samples
    with pytest.raises(ValueError, match="table='rr'.*allowed: beats, episodes"):
        codec.to_csv(table="rr")


def test_wfdb_annotations_read_back_with_rdann(tmp_path):
    wfdb = pytest.importorskip("wfdb")
    codec = make_codec()
    path = codec.write_annotations("rec", write_dir=tmp_path, extension="oecg")
    assert path == tmp_path / "rec.oecg"
    annotation = wfdb.rdann(str(tmp_path / "rec"), "oecg")
    beats = codec.beats()
    is_beat = np.array([s != "+" for s in annotation.symbol])
    np.testing.assert_array_equal(annotation.sample[is_beat], beats["sample"])
    assert [s for s in annotation.symbol if s != "+"] == [WFDB_BEAT_SYMBOLS[n] for n in beats["class_name"]]
    changes = [(int(s), note) for s, sym, note in zip(annotation.sample, annotation.symbol, annotation.aux_note,
                                                      strict=True) if sym == "+"]
    assert changes == [(0, WFDB_RHYTHM_NOTES["sinus"]), (2500, "(AFIB")]
    assert annotation.fs == FS


def test_every_class_has_a_wfdb_code():
    from openecg.tokenizer.vocab import BEAT_CLASSES, RHYTHM_CLASSES

    assert set(WFDB_BEAT_SYMBOLS) == {e.name for e in BEAT_CLASSES[1:]}
    assert set(WFDB_RHYTHM_NOTES) == {e.name for e in RHYTHM_CLASSES}
