"""``openecg.plot``: figures on real records written to PNG, SVG and PDF without a display, checked for their
content (axes, labels, a drawn image) and their refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import openecg
from openecg.errors import InputError
from openecg.reports.sequence import beat_sequence

pytest.importorskip("matplotlib")

from openecg import plot  # noqa: E402


@pytest.fixture(scope="module")
def ludb_1(data_dir):
    from openecg.data import load_record

    recording = load_record("ludb", "1", root=data_dir).recording
    return openecg.encode(recording), recording


@pytest.fixture(scope="module")
def mitdb_119(data_dir):
    record = openecg.read(data_dir / "mitdb" / "119")
    signal = record.signal[: int(60 * record.fs)]
    return openecg.encode(signal, fs=record.fs), signal, record.fs


def drawn_share(path: Path) -> float:
    """Share of pixels of a PNG that are not (near) white."""
    from matplotlib.image import imread

    image = imread(path)[..., :3]
    return float((image.min(axis=-1) < 0.9).mean())


def test_strip_png_has_grid_trace_labels_and_rhythm(mitdb_119, tmp_path) -> None:
    codec, signal, fs = mitdb_119
    figure = plot.strip(codec, signal, fs, start=5.0, duration=10.0, lead_names=("MLII", "V1"), title="119")
    ecg, band = figure.axes
    beats = beat_sequence(codec[int(5 * fs):int(15 * fs)])
    letters = [t.get_text() for t in ecg.texts if t.get_text() in "NSVFQ/"]
    assert len(letters) == len(beats) > 8
    assert "V" in letters
    assert ecg.get_xlim() == pytest.approx((5.0, 15.0))
    assert [t.get_text() for t in band.texts] == ["sinus", "25 mm/s  10 mm/mV"]
    width_mm = figure.get_figwidth() * 25.4 * ecg.get_position().width
    assert width_mm == pytest.approx(250.0, rel=1e-6), "25 mm/s: 10 s is 250 mm of paper"
    path = plot.save_figure(figure, tmp_path / "strip.png")
    assert path.stat().st_size > 30_000
    assert 0.2 < drawn_share(path) < 0.95


def test_twelve_lead_page_svg_and_pdf(ludb_1, tmp_path) -> None:
    codec, recording = ludb_1
    figure = plot.twelve_lead(codec, recording, title="LUDB 1")
    assert len(figure.axes) == 2
    texts = {t.get_text() for t in figure.axes[0].texts}
    assert set(plot.paper.STANDARD_LEADS) <= texts
    svg = plot.save_figure(figure, tmp_path / "page.svg")
    assert svg.read_text()[:200].lstrip().startswith("<?xml") and "<svg" in svg.read_text()[:2000]
    pdf = plot.save_figure(figure, tmp_path / "page.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
    png = plot.save_figure(figure, tmp_path / "page.png")
    assert drawn_share(png) > 0.3


def test_twelve_lead_with_other_leads_draws_one_row_per_lead(mitdb_119) -> None:
    codec, signal, fs = mitdb_119
    figure = plot.twelve_lead(codec, signal, fs, lead_names=("MLII", "V1"), duration=10.0)
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts.count("MLII") == 2 and texts.count("V1") == 1


def test_holter_overview(mitdb_119, tmp_path) -> None:
    codec, _, _ = mitdb_119
    figure = plot.holter_overview(codec, title="119")
    hr, rhythm, ectopy = figure.axes
    assert [t.get_text() for t in rhythm.get_yticklabels()] == ["sinus"]
    heights = [p.get_height() for p in ectopy.patches]
    assert sum(heights) == int((beat_sequence(codec).classes == 3).sum())
    path = plot.save_figure(figure, tmp_path / "overview.png")
    assert path.stat().st_size > 20_000 and drawn_share(path) > 0.05


def test_refusals(mitdb_119, tmp_path) -> None:
    codec, signal, fs = mitdb_119
    with pytest.raises(InputError, match="samples"):
        plot.strip(codec, signal[:-1], fs)
    with pytest.raises(InputError, match="fs="):
        plot.strip(codec, signal, 250.0)
    with pytest.raises(InputError, match="lead="):
        plot.strip(codec, signal, fs, lead="II", lead_names=("MLII", "V1"))
    with pytest.raises(InputError, match="start="):
        plot.strip(codec, signal, fs, start=1000.0)
    with pytest.raises(InputError, match="suffix"):
        plot.save_figure(plot.holter_overview(codec), tmp_path / "x.jpg")


def test_no_pyplot_and_no_display_needed(tmp_path) -> None:
    code = (
        "import sys, numpy as np, openecg\n"
        "from openecg import plot\n"
        "print('matplotlib' in sys.modules)\n"
        "w = np.tile(np.repeat(np.array([0, 1, 0, 2, 0, 3, 0], np.uint8), [20, 25, 25, 25, 50, 40, 65]), 8)\n"
        "c = openecg.Codec(np.stack([w, (w == 2).astype(np.uint8), np.zeros_like(w)]), fs=250)\n"
        "x = np.sin(np.arange(w.size) / 20).astype(np.float32)\n"
        f"plot.save_figure(plot.strip(c, x, 250), {str(tmp_path / 's.png')!r})\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                            cwd=Path(__file__).parents[1])
    assert result.stdout.split() == ["False", "False"], "matplotlib only when a figure is made; pyplot never"
    assert (tmp_path / "s.png").stat().st_size > 5_000
    assert np.isfinite(drawn_share(tmp_path / "s.png"))


def test_strip_of_a_slice_keeps_recording_time(mitdb_119) -> None:
    codec, signal, fs = mitdb_119
    first, last = int(12.3 * fs), int(22.3 * fs)
    band = plot.strip(codec[first:last], signal[first:last], fs, duration=None).axes[1]
    labels = [t.get_text() for t in band.get_xticklabels()]
    assert labels == [str(s) for s in range(13, 23)]
    assert band.get_xticks()[0] == pytest.approx(13 - first / fs)
