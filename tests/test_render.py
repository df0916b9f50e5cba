"""The renderer: determinism, layouts, annotations consistent with the pixels, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ecg_synth import synthetic_ecg
from openecg.paper.annotate import lead_crops, trace_masks, yolo_labels
from openecg.paper.printout import layout_rows, render
from openecg.signal import Recording

REC = synthetic_ecg()


def test_same_seed_same_image_and_annotations():
    a = render(REC, layout="3x4+1", dpi=100, degradation="scan", seed=7)
    b = render(REC, layout="3x4+1", dpi=100, degradation="scan", seed=7)
    c = render(REC, layout="3x4+1", dpi=100, degradation="scan", seed=8)
    assert np.array_equal(a.image, b.image)
    assert a.boxes == b.boxes and np.array_equal(a.homography, b.homography)
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize(
    ("layout", "rows", "cells"), [("3x4", 3, 12), ("3x4+3", 6, 15), ("6x2", 6, 12), ("6x2+1", 7, 13), ("12x1", 12, 12)]
)
def test_layouts_print_every_cell(layout, rows, cells):
    result = render(REC, layout=layout, dpi=100, seed=0)
    assert len({s.row for s in result.segments}) == rows
    assert len(result.segments) == cells
    assert sum(b["kind"] == "lead" for b in result.boxes) == cells


def test_any_lead_record_and_layout_errors():
    two = Recording(REC.signal[:, :2], fs=500, lead_names=("MLII", "V1"))
    assert layout_rows("2x1", two.lead_names) == (("MLII",), ("V1",))
    with pytest.raises(ValueError, match="lacks"):
        render(two, layout="3x4")
    with pytest.raises(ValueError, match="layout='5x5' is not supported"):
        layout_rows("5x5", REC.lead_names)
    with pytest.raises(ValueError, match="speed=30"):
        render(REC, speed=30)
    with pytest.raises(ValueError, match="grid='purple'"):
        render(REC, grid="purple")
    with pytest.raises(ValueError, match="paper='a3'"):
        render(REC, paper_size="a3")


@pytest.mark.parametrize("options", [{}, {"speed": 50, "gain": 5, "grid": "blue", "paper_size": "a4"}])
def test_masks_lie_on_the_drawn_trace(options):
    result = render(REC, layout="3x4+1", dpi=100, seed=1, labels=False, separators=False, header=False, **options)
    masks = trace_masks(result)
    assert masks.shape == (len(result.segments), *result.image.shape[:2])
    assert all(m.any() for m in masks)
    brightest = result.image.max(axis=2)
    assert brightest[masks.any(axis=0)].max() <= 130
    # all dark ink but the calibration pulses belongs to some trace mask
    ink = brightest < 60
    ink[:, : int(result.segments[0].x0) - 2] = False
    assert masks.any(axis=0)[ink].mean() > 0.97


@pytest.mark.parametrize("degradation", [None, "photo"])
def test_pixel_mapping_round_trips_and_hits_the_trace(degradation):
    result = render(REC, layout="6x2", dpi=100, seed=2, degradation=degradation)
    grey = result.image.mean(axis=2)
    paper = np.median(grey)
    for i, segment in enumerate(result.segments):
        t = segment.t0 + np.arange(segment.signal.size) / segment.fs
        x, y = result.to_pixel(i, t, segment.signal)
        back_t, back_mv = result.to_signal(i, x, y)
        assert np.allclose(back_t, t, atol=1e-9) and np.allclose(back_mv, segment.signal, atol=1e-6)
        on_trace = grey[np.round(y).astype(int), np.round(x).astype(int)]
        assert np.median(on_trace) < 0.6 * paper


def test_reference_is_the_printed_ground_truth():
    result = render(REC, layout="3x4", dpi=100, seed=0, start=0.0)
    ref = result.reference()
    assert ref.shape == (5000, 12)
    lead_i = result.info["lead_names"].index("I")
    assert np.array_equal(ref[:1250, lead_i], REC.signal[:1250, lead_i])
    assert np.isnan(ref[1250:, lead_i]).all()


def test_yolo_labels_and_overlap_crops():
    result = render(REC, layout="3x4+1", dpi=100, seed=3)
    for kind in ("lead", "label"):
        rows = np.array([line.split() for line in yolo_labels(result, kind=kind).splitlines()], float)
        assert len(rows) == len(result.segments)
        assert ((rows[:, 1:] >= 0) & (rows[:, 1:] <= 1)).all()
    crops = lead_crops(result)
    image, mask = crops[0]
    assert image.shape[:2] == mask.shape and mask.any()
    with pytest.raises(ValueError, match="kind='box'"):
        yolo_labels(result, kind="box")


def test_cli_render_writes_a_dataset(tmp_path):
    wfdb = pytest.importorskip("wfdb")
    from openecg.cli import main

    source = tmp_path / "wfdb"
    source.mkdir()
    wfdb.wrsamp("rec1", fs=500, units=["mV"] * 12, sig_name=list(REC.lead_names), p_signal=REC.signal.astype(float),
                fmt=["16"] * 12, adc_gain=[1000.0] * 12, baseline=[0] * 12, write_dir=str(source))
    out = tmp_path / "out"
    assert main(["render", str(source), str(out), "--dpi", "100", "--degradation", "scan"]) == 0
    meta = json.loads((out / "rec1_0.json").read_text())
    assert meta["info"]["layout"] == "3x4+1" and len(meta["segments"]) == 13
    assert (out / "rec1_0.png").stat().st_size > 1000
    assert np.load(out / "rec1_0.npy").shape == (5000, 12)
    assert len((out / "rec1_0.yolo.txt").read_text().split("\n")) >= 13
