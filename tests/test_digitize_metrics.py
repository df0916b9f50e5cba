"""Digitization metrics on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from openecg.paper.metrics import image_powers, pearson, score_2025, snr_2024

FS = 500


def _reference(seed: int = 0, *, delay: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(10 * FS) / FS - delay
    leads = [np.sin(2 * np.pi * f * t + ph) * a for f, ph, a in rng.uniform([0.5, 0, 0.2], [8, 6, 1.5], (4, 3))]
    return np.stack(leads, axis=1)


def test_identical_signal_scores_very_high():
    ref = _reference()
    assert score_2025([ref], [ref.copy()], fs=FS) > 100
    assert np.all(snr_2024(ref, ref) > 100)
    assert np.allclose(pearson(ref, ref), 1)


def test_known_snr_from_added_noise():
    ref = _reference(1)
    rng = np.random.default_rng(2)
    noise = rng.normal(size=ref.shape)
    noise *= np.sqrt(np.mean(ref**2, axis=0) / np.mean(noise**2, axis=0) / 10 ** (12 / 10))
    assert np.allclose(snr_2024(ref, ref + noise), 12.0, atol=1e-6)


def test_2025_alignment_recovers_shift_and_offset_but_2024_does_not():
    ref = _reference(3)
    shifted = _reference(3, delay=0.12) + 0.4  # 0.12 s late and 0.4 mV up
    assert score_2025([ref], [shifted], fs=FS) > 60
    assert np.nanmean(snr_2024(ref, shifted)) < 5
    late = _reference(3, delay=0.3)  # beyond the 0.2 s search
    assert score_2025([ref], [late], fs=FS) < 10


def test_powers_sum_over_leads_and_score_averages_ratios():
    ref = _reference(4)
    noisy = ref + 0.1
    signal, noise = image_powers(ref, noisy, fs=FS)
    assert signal == pytest.approx(np.sum(ref**2))
    assert noise < 1e-6  # a constant offset is removed
    bad = ref * 0.5
    s1, n1 = image_powers(ref, bad, fs=FS)
    expected = 10 * np.log10(np.mean([s1 / n1, s1 / n1]))
    assert score_2025([ref, ref], [bad, bad], fs=FS) == pytest.approx(expected)


def test_unprinted_reference_samples_are_ignored_and_missing_output_counts_as_zero():
    ref = _reference(5)
    ref[:2500, 0] = np.nan
    out = ref.copy()
    out[:2500, 0] = 99.0  # garbage where nothing was printed does not matter
    assert np.isfinite(snr_2024(ref, out)).all() and snr_2024(ref, out)[0] > 100
    out[3000:, 1] = np.nan  # an unread printed part counts as 0 mV
    assert snr_2024(ref, out)[1] < 10


def test_bad_inputs_name_the_argument():
    ref = _reference()
    with pytest.raises(ValueError, match="digitized has shape"):
        snr_2024(ref, ref[:100])
    with pytest.raises(ValueError, match="references has 1 images"):
        score_2025([ref], [], fs=FS)
