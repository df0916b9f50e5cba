"""Dataset loaders on the real databases: counts, label alignment, masks, splits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from openecg.data import dataset_root, iter_records, list_records, load_record, load_split, nstdb_noise
from openecg.data.labels import beat_layer, rhythm_layer, wave_layer
from openecg.tokenizer.vocab import class_id

REPO = Path(__file__).resolve().parents[1]
WAVE, BEAT, RHYTHM = 0, 1, 2


@pytest.mark.parametrize(
    ("name", "count"), [("ludb", 159), ("qtdb", 70), ("mitdb", 26), ("nstdb", 12), ("cpsc2021", 18), ("svdb", 78),
                       ("cinc2017", 150)]
)
def test_record_counts(data_dir, name, count):
    assert len(list_records(name, data_dir)) == count


def test_missing_dataset_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENECG_DATA", str(tmp_path))
    with pytest.raises(ValueError, match=str(tmp_path / "mitdb")):
        dataset_root("mitdb")
    monkeypatch.delenv("OPENECG_DATA")
    with pytest.raises(ValueError, match="OPENECG_DATA is not set"):
        dataset_root("ludb")


def test_root_may_be_the_dataset_folder_or_its_parent(data_dir):
    assert dataset_root("mitdb", data_dir) == dataset_root("mitdb", data_dir / "mitdb")


def test_mitdb_101_beats_match_the_directory(data_dir):
    # MIT-BIH Arrhythmia Directory, record 101: 1860 normal, 3 atrial premature, 2 unclassifiable beats.
    rec = load_record("mitdb", "101", data_dir)
    assert len(rec.beats) == 1865
    counts = np.bincount(rec.beat_classes, minlength=7)
    assert counts[class_id("beat", "N")] == 1860
    assert counts[class_id("beat", "S")] == 3
    assert counts[class_id("beat", "Q")] == 2
    assert rec.recording.fs == 360 and rec.recording.lead_names == ("MLII", "V1")
    assert rec.labels.shape == rec.mask.shape == (2, 3, 650000)
    assert rec.labels.dtype == np.uint8 and rec.mask.dtype == bool


def test_mitdb_beat_layer_lines_up_with_annotations(data_dir):
    rec = load_record("mitdb", "208", data_dir)  # many V and F beats
    beat = rec.labels[0, BEAT]
    assert np.array_equal(beat[rec.beats], rec.beat_classes)
    assert rec.mask[0, BEAT, rec.beats].all()
    ring = rec.beats[1:-1] + round(0.1 * 360)
    assert not rec.mask[0, BEAT, ring].any()
    assert not rec.mask[:, WAVE].any()
    assert (np.bincount(rec.beat_classes, minlength=7)[[3, 4]] > 300).all()


def test_mitdb_rhythm_from_aux_notes(data_dir):
    import wfdb

    rec = load_record("mitdb", "201", data_dir)
    ann = wfdb.rdann(str(dataset_root("mitdb", data_dir) / "201"), "atr")
    rhythm, mask = rec.labels[0, RHYTHM], rec.mask[0, RHYTHM]
    first = ann.sample[[a.startswith("(") for a in ann.aux_note]][0]
    assert not mask[:first].any()
    for sample, note in zip(ann.sample, ann.aux_note):
        note = note.rstrip("\x00")
        if note == "(AFIB":
            assert rhythm[sample] == class_id("rhythm", "AF") and mask[sample]
        if note in ("(B", "(T", "(SVTA", "(NOD"):
            assert not mask[sample]


def test_bbb_beats_make_bbb_rhythm(data_dir):
    rec = load_record("mitdb", "109", data_dir)  # left bundle branch block throughout
    rhythm = rec.labels[0, RHYTHM][rec.mask[0, RHYTHM]]
    assert np.mean(rhythm == class_id("rhythm", "BBB")) > 0.9


def test_paced_mitdb_record(data_dir):
    rec = load_record("mitdb", "107", data_dir)
    assert np.mean(rec.beat_classes == class_id("beat", "paced")) > 0.9
    rhythm = rec.labels[0, RHYTHM][rec.mask[0, RHYTHM]]
    assert np.mean(rhythm == class_id("rhythm", "paced")) > 0.9


def test_ludb_waves_line_up_per_lead(data_dir):
    import wfdb

    rec = load_record("ludb", "1", data_dir)
    assert rec.recording.lead_names[:3] == ("I", "II", "III") and rec.recording.lead_names[-1] == "V6"
    assert rec.recording.fs == 500 and rec.labels.shape == (12, 3, 5000)
    base = dataset_root("ludb", data_dir) / "data" / "1"
    for lead, ext in enumerate(["i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6"]):
        ann = wfdb.rdann(str(base), ext)
        samples, symbols = np.asarray(ann.sample), np.asarray(ann.symbol)
        wave = rec.labels[lead, WAVE]
        for symbol, cls in (("p", 1), ("N", 2), ("t", 3)):
            assert (wave[samples[symbols == symbol]] == cls).all()
        assert not rec.mask[lead, WAVE, : samples[0] - 1].any()
        assert not rec.mask[lead, WAVE, samples[-1] + 2 :].any()
        assert rec.mask[lead, WAVE, samples[0] - 1 : samples[-1] + 2].all()
        peaks = samples[symbols == "N"]
        assert (rec.labels[lead, BEAT, peaks] == class_id("beat", "N")).all() and rec.mask[lead, BEAT, peaks].all()
        assert not rec.mask[lead, BEAT, : peaks[0] - 76].any() and not rec.mask[lead, BEAT, peaks[-1] + 76 :].any()
    assert (rec.beat_classes == class_id("beat", "N")).all()
    assert rec.mask[:, RHYTHM].all() and (rec.labels[:, RHYTHM] == class_id("rhythm", "sinus")).all()


def test_ludb_beats_unlabelled_where_extrasystoles(data_dir):
    from openecg.data.ludb import ludb_beat_class

    assert ludb_beat_class({"Extrasystolies": "Ventricular extrasystole", "Cardiac pacing": ""}) is None
    assert ludb_beat_class({"Extrasystolies": "", "Cardiac pacing": "Cardiac pacing: biventricular"}) == class_id("beat", "paced")
    assert ludb_beat_class({"Extrasystolies": "", "Cardiac pacing": ""}) == class_id("beat", "N")
    import csv

    rows = csv.DictReader(open(dataset_root("ludb", data_dir) / "ludb.csv", newline="", encoding="utf-8"))
    ectopic = next(r["ID"].strip() for r in rows if r["Extrasystolies"].strip())
    rec = load_record("ludb", ectopic, data_dir)
    assert not rec.mask[:, BEAT].any() and (rec.beat_classes == 0).all()


def test_ludb_paced_and_af_records(data_dir):
    from openecg.data.ludb import _table

    table = _table(str(dataset_root("ludb", data_dir) / "ludb.csv"))
    paced = next(r for r, row in table.items() if row["Cardiac pacing"].strip())
    af = next(r for r, row in table.items() if "fibrillation" in row["Rhythms"].lower() and not row["Cardiac pacing"].strip())
    rec = load_record("ludb", paced, data_dir)
    assert (rec.labels[:, WAVE] == class_id("wave", "paced_QRS")).any()
    assert not (rec.labels[:, WAVE] == class_id("wave", "QRS")).any()
    assert (rec.labels[:, RHYTHM] == class_id("rhythm", "paced")).all()
    assert (load_record("ludb", af, data_dir).labels[:, RHYTHM] == class_id("rhythm", "AF")).all()


def test_qtdb_labels_only_annotated_beats(data_dir):
    import wfdb

    rec = load_record("qtdb", "sel102", data_dir)  # 85 delineated of 358 beats
    ann = wfdb.rdann(str(dataset_root("qtdb", data_dir) / "sel102"), "q1c")
    samples, symbols = np.asarray(ann.sample), np.asarray(ann.symbol)
    assert np.array_equal(rec.labels[0, WAVE], rec.labels[1, WAVE])
    wave, mask = rec.labels[0, WAVE], rec.mask[0, WAVE]
    assert (wave[samples[symbols == "N"]] == 2).all() and mask[samples[symbols == "N"]].all()
    assert (wave[samples[symbols == "t"]] == 3).all()
    assert not mask[: samples[0] - 1].any() and not mask[samples[-1] + 2 :].any()
    # beats between the first and last annotation that carry no q1c QRS are masked
    inside = rec.beats[(rec.beats > samples[0]) & (rec.beats < samples[-1])]
    far = inside[np.min(np.abs(inside[:, None] - samples[symbols == "N"][None]), axis=1) > 40]
    assert len(far) > 200 and not mask[far].any()
    assert not rec.mask[:, BEAT].any() and not rec.mask[:, RHYTHM].any()
    assert len(rec.beats) > 300


def test_qtdb_record_without_atr(data_dir):
    rec = load_record("qtdb", "sel33", data_dir)
    assert len(rec.beats) == 0 and rec.mask[0, WAVE].sum() > 1000


def test_cpsc_beats_kept_classes_masked(data_dir):
    rec = load_record("cpsc2021", "data_101_6", data_dir)
    assert len(rec.beats) > 50 and not rec.beat_classes.any()
    assert not rec.mask[:, BEAT].any()
    rhythm = rec.labels[0, RHYTHM]
    assert rhythm[3132] == class_id("rhythm", "AF") and rhythm[3131] == class_id("rhythm", "sinus")
    assert rhythm[5639] == class_id("rhythm", "sinus") and rec.mask[:, RHYTHM].all()


def test_nstdb_labels_and_noise(data_dir):
    rec = load_record("nstdb", "118e06", data_dir)
    clean = load_record("mitdb", "118", data_dir)
    assert np.array_equal(rec.beats, clean.beats)
    noise = nstdb_noise("118e06", data_dir)
    assert noise.shape == (650000, 2) and noise.dtype == np.float32
    offset = np.median(rec.recording.signal[:1000] - clean.recording.signal[:1000], axis=0)
    assert np.allclose(noise + clean.recording.signal + offset, rec.recording.signal, atol=1e-4)
    # NSTDB adds noise from minute 5 on: the first 5 minutes are clean
    assert np.abs(noise[: 300 * 360 - 1000]).max() < 0.01 < np.abs(noise).max()
    with pytest.raises(ValueError, match="record='118'"):
        nstdb_noise("118", data_dir)


def test_iter_records_follows_split(data_dir):
    split = load_split("mitdb")
    names = [r.record for r in iter_records("cpsc2021", split="val", root=data_dir)]
    assert names and set(names) == set(load_split("cpsc2021")["val"])
    assert set(split["val"]) == set(split["folds"][0])
    with pytest.raises(ValueError, match="split='test'"):
        next(iter_records("mitdb", split="test", root=data_dir))
    with pytest.raises(ValueError, match="fold=7"):
        next(iter_records("mitdb", split="val", fold=7, root=data_dir))


@pytest.mark.parametrize("name", ["ludb", "qtdb", "mitdb", "nstdb", "cpsc2021", "svdb", "cinc2017"])
def test_splits_disjoint_covering_and_shipped(data_dir, name):
    split = load_split(name)
    assert split["dataset"] == name and isinstance(split["seed"], int)
    folds = [set(f) for f in split["folds"]]
    everything = set(list_records(name, data_dir))
    assert set().union(*folds) == everything and sum(map(len, folds)) == len(everything)
    assert set(split["train"]) | set(split["val"]) == everything
    assert not set(split["train"]) & set(split["val"]) and split["val"]
    shipped = REPO / "openecg" / "data" / "splits" / f"{name}.json"
    assert json.loads(shipped.read_text()) == split


def test_split_rules(data_dir):
    mit = load_split("mitdb")
    fold_of = {r: k for k, f in enumerate(mit["folds"]) for r in f}
    assert len({fold_of[r] for r in ("102", "104", "107", "217")}) == 4
    for k, fold in enumerate(load_split("nstdb")["folds"]):
        assert all(fold_of[r[:3]] == k for r in fold)
    for k, fold in enumerate(load_split("qtdb")["folds"]):
        assert all(fold_of[r[3:]] == k for r in fold if r[3:] in fold_of)
    cpsc = load_split("cpsc2021")
    patients = [{r.rsplit("_", 1)[0] for r in f} for f in cpsc["folds"]]
    assert not patients[0] & patients[1] and not patients[1] & patients[2] and not patients[0] & patients[2]
    ludb = load_split("ludb")
    from openecg.data.ludb import _table, ludb_rhythm

    table = _table(str(dataset_root("ludb", data_dir) / "ludb.csv"))
    for cls in (1, 2, 3, 4):
        assert any(ludb_rhythm(table[r]) == cls for r in ludb["val"])
        assert any(ludb_rhythm(table[r]) == cls for r in ludb["train"])


def test_wave_layer_masks_missing_boundaries():
    samples = np.array([10, 20, 30, 50, 60, 80, 90])
    symbols = np.array(["(", "N", ")", "t", ")", "(", "p"])
    labels, mask = wave_layer(samples, symbols, n=100)
    assert (labels[10:31] == 2).all() and (labels[50:61] == 3).all() and (labels[80:91] == 1).all()
    assert not mask[32:50].any() and mask[30:32].all() and mask[50]
    assert not mask[91:].any() and not mask[:9].any() and mask[9]
    labels, mask = wave_layer(samples, symbols, n=100, max_gap=15)
    assert not mask[62:79].any() and mask[61] and mask[79]


def test_beat_and_rhythm_layers_by_hand():
    labels, mask = beat_layer(np.array([100, 300]), np.array([1, 3], np.uint8), n=500, fs=100)
    assert (labels[95:106] == 1).all() and (labels[295:306] == 3).all() and labels[106:295].sum() == 0
    assert mask[95:106].all() and not mask[106:116].any() and mask[116:285].all() and not mask[416:].any()
    labels, mask = rhythm_layer(np.array([10, 40, 70]), ["(N", "(B", "(AFIB"], n=100)
    assert not mask[:10].any() and (labels[10:40] == 0).all() and mask[10:40].all()
    assert not mask[40:70].any() and (labels[70:] == 1).all() and mask[70:].all()


def test_svdb_beats_and_no_rhythm(data_dir):
    rec = load_record("svdb", "800", root=data_dir)
    assert rec.recording.fs == 128 and rec.recording.n_leads == 2
    s_beats = rec.beats[rec.beat_classes == class_id("beat", "S")]
    assert s_beats.size == 30
    assert (rec.labels[0, BEAT, s_beats] == class_id("beat", "S")).all() and rec.mask[0, BEAT, s_beats].all()
    assert not rec.mask[:, RHYTHM].any() and not rec.mask[:, WAVE].any()


def test_cinc2017_record_labels(data_dir):
    from openecg.data.cinc2017 import cinc2017_labels

    labels = cinc2017_labels(dataset_root("cinc2017", data_dir))
    assert sorted(set(labels.values())) == ["A", "N", "O", "~"]
    by_label = {v: k for k, v in labels.items()}
    af = load_record("cinc2017", by_label["A"], root=data_dir)
    assert af.recording.fs == 300 and af.recording.n_leads == 1 and 0.1 < np.ptp(af.recording.signal) < 20
    assert (af.labels[0, RHYTHM] == class_id("rhythm", "AF")).all() and af.mask[0, RHYTHM].all()
    normal = load_record("cinc2017", by_label["N"], root=data_dir)
    assert (normal.labels[0, RHYTHM] == class_id("rhythm", "sinus")).all() and normal.mask[0, RHYTHM].all()
    for other in ("O", "~"):
        assert not load_record("cinc2017", by_label[other], root=data_dir).mask.any()
    split = load_split("cinc2017")
    val = [labels[r] for r in split["val"]]
    assert val.count("A") >= 12 and val.count("~") >= 7 and val.count("O") >= 17
