"""The digitizer: round trips through the renderer, layout detection, bad and partly unreadable images."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import openecg
from ecg_synth import synthetic_ecg
from openecg.paper.metrics import pearson, score_2025
from openecg.paper.printout import render
from openecg.signal import Recording

REC = synthetic_ecg()


def _scores(result, out):
    ref = result.reference()
    pred = np.stack([out.lead(name) for name in result.info["lead_names"]], axis=1)
    assert pred.shape == ref.shape
    return score_2025([ref], [pred], fs=500), float(np.nanmean(pearson(ref, pred)))


def _confidence_error(result, out):
    """Mean absolute difference between each lead's confidence (an expected r) and its real Pearson r."""
    names = result.info["lead_names"]
    r = pearson(result.reference(), np.stack([out.lead(name) for name in names], axis=1))
    return float(np.mean(np.abs([out.meta["confidence"][name] - rk for name, rk in zip(names, r)])))


def test_import_openecg_does_not_import_opencv():
    code = "import sys, openecg; assert 'cv2' not in sys.modules and callable(openecg.digitize)"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("layout", "options"),
    [("3x4+1", {}), ("6x2", {"grid": "blue"}), ("12x1", {"gain": 5}), ("3x4", {"grid": "grey", "paper_size": "a4"}),
     ("3x4", {"speed": 50, "gain": 20, "grid": "none"})],
)
def test_clean_round_trip_finds_layout_speed_gain_and_signal(layout, options):
    result = render(REC, layout=layout, dpi=150, seed=3, **options)
    out = openecg.digitize(result.image, fs=500)
    assert out.meta["layout"] == layout
    assert out.meta["speed"] == options.get("speed", 25) and out.meta["gain"] == options.get("gain", 10)
    assert out.meta["grid"]["found"] == (options.get("grid") != "none")
    score, r = _scores(result, out)
    assert score > 8 and r > 0.9
    assert min(out.meta["confidence"].values()) > 0.6 and _confidence_error(result, out) < 0.12


@pytest.mark.parametrize("degradation", ["scan", "photo"])
def test_degraded_round_trip(degradation):
    result = render(REC, layout="3x4+1", dpi=150, seed=3, degradation=degradation)
    out = openecg.digitize(result.image, fs=500)
    assert out.meta["layout"] == "3x4+1"
    score, r = _scores(result, out)
    assert score > 7 and r > 0.9


def test_real_record_round_trip(data_dir):
    wfdb = pytest.importorskip("wfdb")
    record = wfdb.rdrecord(str(data_dir / "ludb" / "data" / "1"))
    rec = Recording(record.p_signal.astype(np.float32), fs=record.fs, lead_names=record.sig_name)
    result = render(rec, layout="3x4+1", dpi=200, seed=1, start=0.0)
    out = openecg.digitize(result.image, fs=500)
    score, r = _scores(result, out)
    assert score > 12 and r > 0.95


def test_output_rate_and_unprinted_parts(tmp_path):
    import cv2

    result = render(REC, layout="3x4", dpi=150, seed=4)
    path = tmp_path / "ecg.png"
    cv2.imwrite(str(path), result.image[..., ::-1])
    out = openecg.digitize(path, fs=250)
    assert out.fs == 250 and out.signal.shape == (2500, 12)
    lead_v1 = out.lead("V1")
    assert np.isnan(lead_v1[:1200]).all() and np.isfinite(lead_v1[1260:1860]).all()


def test_partly_unreadable_image_gives_nan_and_low_confidence():
    result = render(REC, layout="3x4", dpi=150, seed=5)
    image = result.image.copy()
    seg = next(s for s in result.segments if s.lead == "V2")
    x0, x1 = int(seg.x0 + 0.3 * seg.px_per_s), int(seg.x0 + 1.8 * seg.px_per_s)
    top = int(seg.baseline - 25 * seg.px_per_mv / 10)
    image[top : int(seg.baseline + 25 * seg.px_per_mv / 10), x0:x1] = 255
    out = openecg.digitize(image, fs=500, layout="3x4")
    v2 = out.lead("V2")
    cut = slice(int((seg.t0 - result.info["start"] + 0.45) * 500), int((seg.t0 - result.info["start"] + 1.65) * 500))
    assert np.isnan(v2[cut]).all()
    assert out.meta["confidence"]["V2"] < 0.6 < out.meta["confidence"]["V1"]


def test_bad_inputs_say_what_was_found(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ValueError, match="not a readable image"):
        openecg.digitize(text)
    with pytest.raises(ValueError, match="does not exist"):
        openecg.digitize(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="no ECG trace found"):
        openecg.digitize(np.full((600, 800, 3), 255, np.uint8))
    result = render(REC, layout="6x2", dpi=100, seed=0)
    with pytest.raises(ValueError, match="layout='3x4' prints 3 rows but 6 were found"):
        openecg.digitize(result.image, layout="3x4")
    with pytest.raises(ValueError, match="layout='4x4' is not supported"):
        openecg.digitize(result.image, layout="4x4")
    with pytest.raises(ValueError, match="image has shape"):
        openecg.digitize(np.zeros((10, 10, 7)))


def test_resample_follows_the_curve_between_columns_without_overshoot():
    from openecg.paper.digitizer import _resample

    # columns 2.54 samples apart (200 dpi, 25 mm/s, 500 Hz) across a narrow peak, as on a QRS
    times = np.arange(200) / 500
    tau = np.arange(0, 0.4, 2.54 / 500)
    peak = lambda t: np.exp(-(((t - 0.2013) / 0.008) ** 2))  # noqa: E731
    smooth = _resample(tau, peak(tau), times, 0.04)
    straight = np.interp(times, tau, peak(tau))
    assert np.sum((smooth - peak(times)) ** 2) < 0.7 * np.sum((straight - peak(times)) ** 2)
    # a step stays within the column values, and gaps longer than max_gap_s stay NaN
    step = _resample(tau, (tau > 0.2).astype(float), times, 0.04)
    assert step.min() >= 0 and step.max() <= 1
    holey = _resample(np.r_[tau[:20], tau[-20:]], np.zeros(40), times, 0.04)
    assert np.isnan(holey[100]) and np.isfinite(holey[:40]).all()


@pytest.mark.parametrize("layout", ["3x4+1", "6x2"])
def test_layout_from_printed_labels_without_separators(layout):
    result = render(REC, layout=layout, dpi=150, seed=6, separators=False)
    out = openecg.digitize(result.image, fs=500)
    # the label blobs choose the layout, and the names read on them confirm it
    assert (out.meta["layout"], out.meta["layout_basis"]) == (layout, "names")
    assert out.meta["names_read"] == out.meta["rows"]
    score, r = _scores(result, out)
    assert score > 8 and r > 0.9 and min(out.meta["confidence"].values()) > 0.6
    assert _confidence_error(result, out) < 0.12


def test_layout_without_separators_or_labels_is_assumed_with_low_confidence():
    result = render(REC, layout="3x4+1", dpi=150, seed=6, separators=False, labels=False)
    out = openecg.digitize(result.image, fs=500)
    assert (out.meta["layout"], out.meta["layout_basis"]) == ("3x4+1", "row count")
    assert out.lead_names[0] == "I" and max(out.meta["confidence"].values()) <= 0.3


def test_faint_edges_grow_the_mask_only_next_to_ink_and_off_grid_lines():
    from openecg.paper.digitizer import _faint_edges

    mask = np.zeros((20, 10), bool)
    mask[8:11] = True
    ink = np.zeros((20, 10))
    ink[8:11], ink[6:8], ink[11], ink[15], ink[5] = 0.9, 0.3, 0.3, 0.3, 0.1
    grown = _faint_edges(mask, ink, grid=None)
    assert grown[6:12].all() and not grown[15].any() and not grown[5].any() and not grown[12:].any()
    lines = np.zeros(20, bool)
    lines[7] = True
    on_grid = _faint_edges(mask, ink, grid=(np.zeros(10, bool), lines))
    assert not on_grid[7].any() and on_grid[6].any() and on_grid[8:12].all()


def test_edge_softness_tells_a_crisp_render_from_a_scan_and_gates_the_faint_edges():
    clean = render(REC, layout="3x4+1", dpi=200, seed=7)
    scan = render(REC, layout="3x4+1", dpi=200, seed=7, degradation="scan")
    thin = render(REC, layout="3x4+1", dpi=200, seed=7, line_width_mm=0.1)  # a 1-pixel pen
    got = {name: openecg.digitize(result.image, fs=500).meta["grid"] for name, result in
           (("clean", clean), ("scan", scan), ("thin", thin))}
    assert got["clean"]["edge_softness"] < 0.18 <= got["scan"]["edge_softness"]
    assert got["thin"]["line_width_px"] < 4
    assert got["clean"]["faint_edges"] and not got["scan"]["faint_edges"] and not got["thin"]["faint_edges"]
    assert got["clean"]["pen_fit"] and got["scan"]["pen_fit"] and not got["thin"]["pen_fit"]


def _drawn_spikes(x0: float, wobble: float = 0.0):
    """Narrow QRS-like spikes at 500 Hz (plus ``wobble`` pixels of slow sine), drawn as the own renderer draws
    at 200 dpi (2.54 samples per column) from column ``x0``, and the trace followed through them: the curve
    ``xs, ys``, the ink, and the runs ``choice, top, bottom``."""
    from openecg.paper import page
    from openecg.paper.digitizer import _close_gaps, _faint_edges
    from openecg.paper.trace import column_runs, follow_trace, run_darkness

    t = np.arange(0, 0.6, 1 / 500)
    curve = sum(amp * np.exp(-(((t - t0) / width) ** 2)) for t0, amp, width in
                [(0.1, 60, 0.006), (0.25, -40, 0.005), (0.4, 80, 0.008), (0.43, -30, 0.006), (0.52, 45, 0.004)])
    xs, ys = x0 + t * 196.85, 100 - curve + wobble * np.sin(t * 9)
    image = np.full((200, int(xs[-1]) + 20), 255, np.uint8)
    page.draw_polyline(image, xs, ys, width=2.36, colour=0)
    ink = 1 - image / 255.0
    mask = _faint_edges(_close_gaps(ink > 0.4), ink, grid=None)
    col, top, bottom = column_runs(mask)
    choice = follow_trace(col, top, bottom, n_cols=image.shape[1], baseline=100, px_per_mm=7.87,
                          strength=run_darkness(col, top, bottom, ink))
    return xs, ys, ink, choice, top, bottom


def test_pen_envelope_fit_reads_narrow_spikes_closer_to_the_curve():
    from openecg.paper.trace import run_values

    xs, ys, ink, choice, top, bottom = _drawn_spikes(10.3)
    runs = choice[choice >= 0]
    tall = (bottom[runs] - top[runs] + 1) > 5.5
    errors = {}
    for fit in (False, True):
        x, y = run_values(choice, top, bottom, ink, width=4.0, fit=fit)
        assert np.array_equal(x, np.flatnonzero(choice >= 0))  # one reading per column either way
        errors[fit] = np.sqrt(np.mean((y - np.interp(x, xs, ys))[tall] ** 2))
    assert tall.sum() > 30 and errors[True] < 0.8 * errors[False]


def test_line_width_takes_the_shorter_of_two_common_runs_when_asked():
    from openecg.paper.layout import line_width

    mask = np.zeros((40, 400), bool)
    mask[18:22, :220] = True  # 220 flat columns 4 pixels tall
    mask[18:23, 220:] = True  # 180 columns one pixel taller (blur)
    assert line_width(mask, [20.0], 5.0) == 4.0
    mask[18:23, 150:] = True  # now 250 columns of 5 and 150 of 4
    assert line_width(mask, [20.0], 5.0) == 5.0
    assert line_width(mask, [20.0], 5.0, common=0.3) == 4.0
    mask[18:23, 20:] = True  # 20 of 4 against 380 of 5: the 4-pixel runs are not common
    assert line_width(mask, [20.0], 5.0, common=0.3) == 5.0


def _lag_samples(reference, digitized):
    """The shift in samples (0.02 steps, +-2) that best aligns ``digitized`` to ``reference`` after their means."""
    shifts = np.arange(-2, 2.001, 0.02)
    idx, read = np.flatnonzero(np.isfinite(reference)), np.flatnonzero(np.isfinite(digitized))
    errors = [np.var(reference[idx] - np.interp(idx + s, read, digitized[read])) for s in shifts]
    return float(shifts[int(np.argmin(errors))])


@pytest.mark.parametrize("dpi", [150, 240])
def test_time_origin_is_read_to_a_fraction_of_a_sample_from_the_separator_ticks(dpi):
    # the first ink plus half the pen is whole pixels: 0.5 to 2 samples off at these resolutions
    result = render(REC, layout="3x4+1", dpi=dpi, seed=3)
    out = openecg.digitize(result.image, fs=500)
    ref = result.reference()
    lags = [_lag_samples(ref[:, k], out.lead(name)) for k, name in enumerate(result.info["lead_names"])]
    assert abs(np.median(lags)) < 0.15  # the first-ink start alone: 0.49 and -2 samples


def test_tick_centre_is_read_to_sub_pixel_clear_of_the_trace():
    from openecg.paper import page
    from openecg.paper.digitizer import _close_gaps, _tick_centre
    from openecg.paper.grid import GridScale

    scale = GridScale(7.874, 7.874, True)
    for x in (60.0, 60.3, 60.5, 60.8):
        image = np.full((120, 120), 255, np.uint8)
        page.draw_polyline(image, np.array([x, x]), np.array([60 - 19.7, 60 + 19.7]), width=2.36, colour=0)
        trace_x = np.arange(0, 120, 0.4)
        page.draw_polyline(image, trace_x, 58 + 6 * np.sin(trace_x / 9), width=2.36, colour=0)  # crosses the tick
        ink = 1 - image / 255.0
        centre = _tick_centre(ink, _close_gaps(ink > 0.4), 60.0, 61.0, scale)
        assert centre is not None and abs(centre - x) < 0.05
    assert _tick_centre(ink, np.zeros_like(ink, bool), 60.0, 61.0, scale) is None  # no tick


def test_trace_is_read_through_the_faint_edge_of_a_separator_tick():
    from openecg.paper.digitizer import _see_through_tick
    from openecg.paper.grid import GridScale

    ink = np.zeros((60, 5))
    ink[10:50, 1], ink[10:50, 2], ink[10:50, 3] = 0.6, 1.0, 0.3  # a tick: faint edge, core, fainter edge
    ink[24:28, :] = 1 - (1 - ink[24:28, :]) * (1 - 0.95)  # a trace across it, 0.95 dark
    band = ink > 0.4
    columns = np.array([False, True, True, True, False])
    _see_through_tick(ink, band, columns, 30.0, GridScale(5.0, 5.0, True))
    assert not band[:, 2].any()  # the tick's core hides the trace
    for c in (1, 3):  # its edges show the trace alone, as dark as it was drawn
        assert np.array_equal(np.flatnonzero(band[:, c]), np.arange(24, 28))
        assert np.allclose(ink[24:28, c], 0.95) and np.allclose(ink[10:24, c], 0)


def test_a_cell_path_continues_from_where_the_previous_cell_ended():
    from openecg.paper.trace import follow_trace

    # two runs per column: one on the baseline (row 50) and one 3 mm above it (row 35), equally dark
    col = np.repeat(np.arange(10), 2)
    top, bottom = np.tile([34, 48], 10), np.tile([37, 52], 10)
    strength = np.ones(col.size)
    free = follow_trace(col, top, bottom, n_cols=10, baseline=50, px_per_mm=5.0, strength=strength)
    assert (top[free] == 48).all()  # the pull to the baseline decides alone
    cont = follow_trace(col, top, bottom, n_cols=10, baseline=50, px_per_mm=5.0, strength=strength, after=(33.0, 36.0))
    assert (top[cont] == 34).all()


def test_phase_correction_undoes_a_pen_that_pulls_centres_to_the_half_pixel():
    from openecg.paper.trace import phase_correction

    rng = np.random.default_rng(0)
    truth = rng.uniform(100, 400, 20000)
    phase = truth - np.floor(truth)
    read = np.floor(truth) + 0.5 + 0.5 * np.sign(phase - 0.5) * np.abs(2 * phase - 1) ** 2  # locked towards .5
    correction = phase_correction(read)
    fixed = read + np.interp(read - np.floor(read), np.linspace(0, 1, correction.size), correction)
    assert np.sqrt(np.mean((fixed - truth) ** 2)) < 0.25 * np.sqrt(np.mean((read - truth) ** 2))
    assert np.abs(phase_correction(truth)).max() < 0.03  # an unbiased reading is left as it is
    assert not phase_correction(read[:500]).any()  # too few runs to tell


@pytest.mark.parametrize("x0", [10.3, 10.6])
def test_sharpening_the_pen_fit_restores_flattened_turning_points(x0):
    from openecg.paper.digitizer import _SHARPEN
    from openecg.paper.trace import run_values

    xs, ys, ink, choice, top, bottom = _drawn_spikes(x0, wobble=3.0)
    runs = choice[choice >= 0]
    near = np.convolve(((bottom[runs] - top[runs] + 1) > 5.5).astype(float), np.ones(7), "same") > 0
    (x, plain), (_, sharp) = (run_values(choice, top, bottom, ink, width=4.0, sharpen=s) for s in (0.0, _SHARPEN))
    error = {name: y - np.interp(x, xs, ys) for name, y in (("plain", plain), ("sharp", sharp))}
    assert np.sqrt(np.mean(error["sharp"][near] ** 2)) < 0.99 * np.sqrt(np.mean(error["plain"][near] ** 2))
    assert np.array_equal(plain[~near], sharp[~near])  # away from tall runs nothing moves
