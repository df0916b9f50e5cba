"""The digitizer's printed lead names and its confidence: names read by template matching, the standard
layout as a low-confidence fallback (never unnamed rows), and a confidence that falls where a lead is
misread."""

from __future__ import annotations

import json

import numpy as np
import pytest

import openecg
from ecg_synth import synthetic_ecg
from openecg.paper.digitizer import reading_confidence
from openecg.paper.printed_names import read_label
from openecg.paper.metrics import pearson
from openecg.paper.printout import STANDARD_LEADS, render
from openecg.signal import Recording

REC = synthetic_ecg()


@pytest.mark.parametrize("scale", [0.7, 1.0])
def test_read_label_reads_every_standard_name_in_opencv_and_dejavu_fonts(scale):
    import cv2

    for name in STANDARD_LEADS:
        canvas = np.zeros((80, 200), np.uint8)
        cv2.putText(canvas, name, (5, 60), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 2, cv2.LINE_AA)
        assert read_label(canvas > 127).name == name
    image_font = pytest.importorskip("PIL.ImageFont")
    from PIL import Image, ImageDraw

    try:
        font = image_font.truetype("DejaVuSans.ttf", int(40 * scale))
    except OSError:
        pytest.skip("DejaVu Sans is not installed")
    for name in STANDARD_LEADS:
        canvas = Image.new("L", (200, 80), 0)
        ImageDraw.Draw(canvas).text((5, 5), name, fill=255, font=font)
        assert read_label(np.asarray(canvas) > 127).name == name


def test_read_label_refuses_blots():
    blot = np.zeros((30, 30), bool)
    blot[5:25, 5:25] = True
    assert read_label(blot).name is None and read_label(np.zeros((10, 10), bool)) == (None, 0.0)


def test_names_are_read_on_an_ecg_image_kit_page_without_calibration_pulse(data_dir):
    page = data_dir / "ecg_image_kit_ludb" / "clean" / "83-0.png"
    if not page.is_file():
        pytest.skip(f"{page} not found")
    out = openecg.digitize(page, fs=500)
    truth = [lead["lead_name"] for lead in json.loads(page.with_suffix(".json").read_text())["leads"]]
    read = [name for names in out.meta["names_read"] for name in names]
    assert out.meta["layout"] == "3x4+1" and sorted(out.lead_names) == sorted(STANDARD_LEADS)
    assert sum(name in truth for name in read if name) >= 10 and not {name for name in read if name} - set(truth)


def _rows(leads, **options):
    sub = Recording(np.stack([REC.lead(lead) for lead in leads], axis=1), fs=REC.fs, lead_names=leads)
    return openecg.digitize(render(sub, layout=f"{len(leads)}x1", dpi=150, seed=6, **options).image, fs=500)


def test_one_lead_per_row_takes_the_names_read():
    out = _rows(("aVF", "V3"))
    assert out.meta["layout_basis"] == "names" and out.meta["rows"] == [["aVF"], ["V3"]]
    assert np.isfinite(out.lead("aVF")).any() and np.isnan(out.lead("I")).all()
    assert min(out.meta["confidence"].values()) > 0.6


def test_rows_without_names_fall_back_to_standard_names_with_low_confidence():
    out = _rows(("aVF", "V3"), labels=False)
    assert out.meta["layout_basis"] == "assumed" and out.meta["rows"] == [["I"], ["II"]]
    assert not any(name.startswith("row") for name in out.lead_names)
    assert max(out.meta["confidence"].values()) <= 0.3


def test_reading_confidence_falls_with_each_kind_of_evidence():
    good = {"jumps": 0.0, "tall": 0.1, "perspective": 0.0, "rotation_deg": 0.0, "checked": 1.0,
            "log_residual_px2": 1.0, "coverage": 1.0, "power_mv2": 0.01, "slope_px2": 2.0, "px_per_mv": 40.0}
    base = reading_confidence(good)
    assert 0.9 < base < 1.0
    for change in ({"jumps": 0.02}, {"tall": 0.5}, {"perspective": 1.0}, {"coverage": 0.6}, {"log_residual_px2": 6.0},
                   {"power_mv2": 0.005}, {"px_per_mv": 20.0}):
        assert reading_confidence(good | change) < base - 0.01, change


def test_confidence_is_lowest_on_the_lead_that_was_scribbled_over():
    import cv2

    result = render(REC, layout="3x4", dpi=150, seed=5)
    image = result.image.copy()
    seg = next(s for s in result.segments if s.lead == "V2")
    rng = np.random.default_rng(0)
    xs = np.linspace(seg.x0 + 0.2 * seg.px_per_s, seg.x0 + 2.3 * seg.px_per_s, 300)
    ys = seg.baseline + rng.uniform(-0.6, 0.6, xs.size) * seg.px_per_mv
    cv2.polylines(image, [np.stack([xs, ys], axis=1).astype(np.int32)], False, (0, 0, 0), 3, cv2.LINE_AA)
    out = openecg.digitize(image, fs=500, layout="3x4")
    names = result.info["lead_names"]
    r = pearson(result.reference(), np.stack([out.lead(n) for n in names], axis=1))
    confidence = np.array([out.meta["confidence"][n] for n in names])
    assert names[int(np.argmin(r))] == "V2" and names[int(np.argmin(confidence))] == "V2"
    assert confidence.min() < 0.75 and np.median(confidence) > 0.9
