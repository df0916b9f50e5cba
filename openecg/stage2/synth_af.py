"""Synthesised AF and irregular non-AF rhythms from real recordings, for the AF stage (:mod:`.af_stage`) and
the network's training (:func:`synth_tracks`, the ``synth_af`` entry of a training config's ``datasets``).

Recipe (each synthetic recording is ``SYNTH_S`` = 60 s at 250 Hz, built from one training record's own
beats, so QRST morphology, noise and baseline are real):

1. Source: lead 0 of a TRAINING record of MIT-BIH or SVDB, baseline removed (0.5-Hz high-pass), reference
   beats that are N (AAMI) with both neighbours N and a sinus rhythm label (SVDB has no rhythm labels: there,
   both RR around the beat within 10 % of each other instead); their R fiducials at 250 Hz.
2. AF: RR intervals drawn independently from a normal distribution with mean ``U(0.45, 1.0)`` s and
   coefficient of variation ``U(0.12, 0.30)`` (the irregularly irregular ventricular response of AF;
   Tateno and Glass 2001 report CVs of this size), clipped to [0.28, 2.0] s. Each beat is the source's
   QRST from 60 ms before its R (after the P wave) to ``min(0.45 s, RR_next - 0.1 s)`` after it, faded in
   and out over 20 ms; between beats the signal is flat, so no P waves are left. Fibrillatory waves are
   added everywhere: a sum of two sinusoids whose frequency wanders around ``U(4.5, 8.5)`` Hz (second at
   about twice it, a third of its amplitude) with an amplitude of ``U(0.02, 0.10)`` mV, slowly modulated.
3. Sinus arrhythmia (a hard negative): the same beats with their P waves (from 250 ms before R), RR
   modulated by breathing, ``mean * (1 + a * sin(2 pi t / T))`` with ``a ~ U(0.05, 0.15)`` and ``T ~ U(3, 6)`` s.
4. Ectopy (a hard negative): sinus beats with their P waves at a regular RR (``mean``, +-2 %), each beat
   premature with probability ``U(0.1, 0.35)`` (RR ``U(0.6, 0.85)`` of the mean; its P wave comes early with
   it, as with premature atrial beats) and followed by a pause of ``U(1.0, 1.25)`` of the mean: irregular RR,
   but P waves throughout.

5. Noise (a hard negative): sinus rhythm as in 3 with breathing depth ``U(0, 0.05)``, plus real
   electrode-motion noise (NSTDB, noisy minus clean, of the lowest-SNR NSTDB *training* record, the noise
   the network's training adds) from a random offset, scaled to an RMS of ``U(0.5, 2.0)`` times the
   recording's own: the wave head then finds false QRS complexes, whose RR is irregular without AF
   (handheld recordings labelled noisy look like this).

For the AF stage, the network runs on these recordings as on any other, and each QRS run becomes an example
labelled AF (1) or not (0). For the network, kinds 2 to 4 become training tracks labelled with what the recipe
makes sure of (:func:`synth_track`): the rhythm, each beat (the premature beats of 4 as S), QRS presence,
and for AF "no wave" between the pasted beats.
"""

from __future__ import annotations

import numpy as np

from ..data.labels import beat_layer
from ..signal.filters import remove_baseline
from ..signal.resample import map_index, resample
from ..tokenizer.vocab import class_id
from .tracks import Track, qrs_presence

__all__ = ["synth_recording", "synth_track", "synth_tracks", "source_beats", "source_records", "SYNTH_S", "FS", "KINDS", "TRACK_KINDS",
           "SOURCES", "NOISE_RMS"]

FS = 250.0
SYNTH_S = 60.0
KINDS: tuple[str, ...] = ("af", "sinus_arrhythmia", "ectopy", "noisy_sinus")
"""What :func:`synth_recording` makes: AF (labelled AF), and three irregular rhythms or noisy recordings that
are not AF."""
SOURCES: tuple[str, ...] = ("mitdb", "svdb")
"""Databases whose records lend their beats (their own split's records only)."""
TRACK_KINDS: tuple[str, ...] = ("af", "sinus_arrhythmia", "ectopy")
"""The kinds :func:`synth_track` makes for training the network (noise is added there by the sampler's own
augmentation)."""
NOISE_RMS = (0.5, 2.0)
"""Range of the electrode-motion noise's RMS in ``noisy_sinus``, relative to the recording's RMS."""
_N = class_id("beat", "N")
_SINUS = class_id("rhythm", "sinus")


def source_beats(record) -> tuple[np.ndarray, np.ndarray]:
    """``(signal (n,) float32 mV at 250 Hz, baseline removed; R indices of clean sinus N beats)``: N beats
    between two N beats, in labelled sinus rhythm, or with both RR within 10 % of each other where the record
    has no rhythm labels."""
    rec = record.recording
    x = resample(remove_baseline(np.nan_to_num(rec.signal[:, :1]), fs=rec.fs), fs_from=rec.fs, fs_to=FS)[:, 0]
    beats, classes = np.asarray(record.beats), np.asarray(record.beat_classes)
    inside = (beats >= 0) & (beats < record.labels.shape[-1])  # an annotation may sit past the last sample
    beats, classes = beats[inside], classes[inside]
    good = (classes == _N) & np.r_[False, classes[:-1] == _N] & np.r_[classes[1:] == _N, False]
    labelled = record.mask[0, 2, beats].astype(bool)
    rr = np.diff(beats.astype(np.float64))
    steady = np.r_[False, np.abs(rr[1:] / np.maximum(rr[:-1], 1) - 1) <= 0.1, False] if len(beats) > 2 else good & False
    sinus = np.where(labelled, record.labels[0, 2, beats] == _SINUS, ~labelled.any() & steady)
    r = map_index(beats[good & sinus], fs_from=rec.fs, fs_to=FS)
    return x.astype(np.float32), r[(r > FS) & (r < len(x) - FS)]


def source_records(split: str, *, root: str | None = None, min_beats: int = 100):
    """``(index, record, signal, r_peaks)`` (:func:`source_beats`) of each :data:`SOURCES` record of ``split`` with
    at least ``min_beats`` clean sinus N beats. ``index`` counts every record, kept or not, and seeds the
    generators of its recordings."""
    from ..data import iter_records

    sources = (r for name in SOURCES for r in iter_records(name, split=split, root=root))
    for index, rec in enumerate(sources):
        signal, r_peaks = source_beats(rec)
        if len(r_peaks) >= min_beats:
            yield index, rec, signal, r_peaks


def synth_tracks(split: str, *, per_record: int = 2, seed: int = 0, root: str | None = None) -> list[Track]:
    """Training tracks (:func:`synth_track`): ``per_record`` recordings of each of :data:`TRACK_KINDS` from each
    :data:`SOURCES` record of ``split`` with at least 100 clean sinus N beats, each from its own generator
    (``seed``, source, copy, kind)."""
    tracks = []
    for source, rec, signal, r_peaks in source_records(split, root=root):
        for k in range(per_record):
            for kind in TRACK_KINDS:
                rng = np.random.default_rng([seed, source, k, TRACK_KINDS.index(kind)])
                tracks.append(synth_track(signal, r_peaks, rng, kind=kind, record=f"{rec.dataset}/{rec.record}:{k}"))
    return tracks


def _fade(n: int, ramp: int) -> np.ndarray:
    w = np.ones(n, np.float32)
    k = min(ramp, n // 2)
    if k:
        w[:k] = np.linspace(0, 1, k, endpoint=False)
        w[n - k:] = w[:k][::-1]
    return w


def _beat_times(kind: str, mean: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Beat times in seconds of one recording of ``kind`` with mean RR ``mean`` s, and which beats are premature
    (``ectopy`` only)."""
    times, early_flags, t = [], [], 0.3
    if kind == "af":
        cv = rng.uniform(0.12, 0.30)
        while t < SYNTH_S - 0.5:
            times.append(t)
            t += float(np.clip(rng.normal(mean, cv * mean), 0.28, 2.0))
    elif kind in ("sinus_arrhythmia", "noisy_sinus"):
        depth = rng.uniform(0.05, 0.15) if kind == "sinus_arrhythmia" else rng.uniform(0.0, 0.05)
        period = rng.uniform(3.0, 6.0)
        while t < SYNTH_S - 0.5:
            times.append(t)
            t += mean * (1 + depth * np.sin(2 * np.pi * t / period))
    else:
        share, pause, early = rng.uniform(0.1, 0.35), False, False
        while t < SYNTH_S - 0.5:
            times.append(t)
            early_flags.append(early)
            early = not pause and rng.random() < share
            t += mean * (rng.uniform(0.6, 0.85) if early else rng.uniform(1.0, 1.25) if pause else rng.uniform(0.98, 1.02))
            pause = early
    premature = np.array(early_flags, bool) if early_flags else np.zeros(len(times), bool)
    return np.array(times), premature


def synth_recording(signal: np.ndarray, r_peaks: np.ndarray, rng: np.random.Generator, *, kind: str,
                    noise: np.ndarray | None = None) -> np.ndarray:
    """One ``SYNTH_S``-s recording at 250 Hz of ``kind`` (one of :data:`KINDS`) from a source's beats (see the
    module docstring). ``noise`` (float32 ``(k,)`` mV at 250 Hz, ``k`` longer than ``SYNTH_S``) is the real
    noise ``noisy_sinus`` needs (:func:`openecg.stage2.train.motion_noise`)."""
    return _synthesise(signal, r_peaks, rng, kind=kind, noise=noise)[0]


def synth_track(signal: np.ndarray, r_peaks: np.ndarray, rng: np.random.Generator, *, kind: str,
                record: str = "synthetic") -> Track:
    """A training :class:`~openecg.stage2.tracks.Track` of one synthetic recording of ``kind`` (``af``,
    ``sinus_arrhythmia`` or ``ectopy``; see the module docstring), with what is known for sure about it:

    - rhythm: AF or sinus over the whole recording;
    - beats: every beat N, except the premature beats of ``ectopy``, S (:func:`openecg.data.labels.beat_layer`);
    - QRS presence at every beat (:func:`openecg.stage2.tracks.qrs_presence`);
    - waves, AF only: "no wave" from the end of each pasted beat (its T wave is inside it) to the start of the
      next, 10 ms in from each end, so fibrillatory waves are taught as not P waves; masked elsewhere.
    """
    if kind not in TRACK_KINDS:
        raise ValueError(f"kind={kind!r} is not one of {TRACK_KINDS}")
    x, beats, premature, spans = _synthesise(signal, r_peaks, rng, kind=kind)
    n = len(x)
    labels, mask = np.zeros((3, n), np.uint8), np.zeros((3, n), bool)
    labels[2] = class_id("rhythm", "AF" if kind == "af" else "sinus")
    mask[2] = True
    classes = np.where(premature, class_id("beat", "S"), _N).astype(np.uint8)
    labels[1], mask[1] = beat_layer(beats, classes, n=n, fs=FS)
    if kind == "af":
        margin = int(round(0.01 * FS))
        for (_, end), (start, _) in zip(spans[:-1], spans[1:]):
            if start - end > 2 * margin:
                mask[0, end + margin:start - margin] = True  # label 0: no wave
    return Track(dataset="synth_af", record=f"{record}:{kind}", lead="synthetic", signal=x, labels=labels, mask=mask,
                 qrs=qrs_presence(n, beats, FS))


def _synthesise(signal: np.ndarray, r_peaks: np.ndarray, rng: np.random.Generator, *, kind: str,
                noise: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """The recording, its R samples, which beats are premature, and each pasted beat's ``(start, end)``."""
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not one of {KINDS}")
    if kind == "noisy_sinus" and (noise is None or len(noise) <= SYNTH_S * FS):
        got = None if noise is None else len(noise)
        raise ValueError(f"kind={kind!r} needs noise= longer than {SYNTH_S} s at {FS} Hz (got {got} samples); "
                         "pass openecg.stage2.train.motion_noise(...)")
    af = kind == "af"
    n = int(SYNTH_S * FS)
    out = np.zeros(n, np.float32)
    mean = rng.uniform(0.45, 1.0)
    times, premature = _beat_times(kind, mean, rng)
    before = int(round((0.06 if af else 0.25) * FS))
    spans = []
    for i, t in enumerate(times):
        r_src = int(r_peaks[rng.integers(len(r_peaks))])
        rr_next = times[i + 1] - t if i + 1 < len(times) else 0.6
        after = int(round(min(0.45, rr_next - 0.1) * FS)) if af else int(round(min(0.6, rr_next * 0.7) * FS))
        seg = signal[r_src - before:r_src + after]
        at = int(round(t * FS)) - before
        lo, hi = max(0, at), min(n, at + len(seg))
        spans.append((lo, hi))
        if hi > lo:
            out[lo:hi] += (seg * _fade(len(seg), int(0.02 * FS)))[lo - at:hi - at]
    if af:
        time = np.arange(n) / FS
        f0 = rng.uniform(4.5, 8.5)
        wander = 0.4 * np.sin(2 * np.pi * time / rng.uniform(2.0, 6.0))
        phase = 2 * np.pi * np.cumsum(f0 + wander) / FS
        amp = rng.uniform(0.02, 0.10) * (1 + 0.3 * np.sin(2 * np.pi * time / rng.uniform(1.0, 4.0)))
        out += (amp * (np.sin(phase) + np.sin(2 * phase + rng.uniform(0, 2 * np.pi)) / 3)).astype(np.float32)
    if kind == "noisy_sinus":
        at = int(rng.integers(len(noise) - n))
        part = noise[at:at + n] - np.mean(noise[at:at + n])
        gain = rng.uniform(*NOISE_RMS) * np.std(out) / max(float(np.std(part)), 1e-6)
        out += (gain * part).astype(np.float32)
    out += rng.normal(0, 0.01, n).astype(np.float32)
    beats = np.clip(np.rint(times * FS).astype(np.int64), 0, n - 1)
    return out, beats, premature, spans
