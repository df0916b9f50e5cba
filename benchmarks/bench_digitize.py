"""Digitization benchmark: digitize LUDB printouts from two generators, print scores and speed.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_digitize.py [--data DIR] [--count N] [--dpi 200]
        [--eik DIR ...] [--only own|eik] [--split val|train] [--fit-confidence]

Records: the LUDB validation split (``openecg/data/splits/ludb.json``) minus records 1 to 60, the records the
digitizer was tuned on on its own renderer (ECG-Image-Kit pages were tuned on training-split records only).
``--split train`` reads the first ``--count`` training-split records instead (and the ECG-Image-Kit pages of
training records under ``--eik``): the records to tune on.

1. Own renderer (``openecg.paper.render``), seeded: clean renders, scan-like (rotation up to 3 degrees,
   noise, JPEG, blur, colour cast) and photo-like (perspective up to 15 degrees, uneven light, shadow).
2. ECG-Image-Kit pages (the PhysioNet 2024 generator; 3x4 plus a lead II strip, 200 dpi, with or without a
   calibration pulse): every ``<variant>/<record>-0.png`` with its generator JSON under each ``--eik``
   folder (default ``$OPENECG_DATA/ecg_image_kit_ludb``), variants ``clean``, ``wrinkled``, ``augmented``.
   The ground truth is the LUDB record over the samples the JSON says each lead shows.

Prints, per condition, the PhysioNet 2025 score, the mean Challenge 2024 SNR, the mean Pearson r, the
seconds per image of the digitizer (rendering not included), the unread images, and the Spearman rank
correlation between ``meta["confidence"]`` and the per-lead r and SNR (over all leads of all images of the
condition: does the confidence rank leads by their real error?). Then the wave-boundary F1 of the labels of
digitized lead II against those of the original lead II on the clean own renders: with ``openecg.encode``
when it exists, else with the NeuroKit2 delineation baseline as the labeller.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from openecg.paper.digitizer import NOISE_MODEL, digitize, noise_terms
from openecg.paper.metrics import lead_powers, pearson, score_2025, snr_2024
from openecg.paper.printout import STANDARD_LEADS, layout_rows, render
from openecg.signal import Recording

CONDITIONS = {"clean": None, "scan": "scan", "photo": "photo"}
GRIDS = ("red", "pink", "blue", "green", "grey")
TUNED_ON = range(1, 61)
SPLIT = Path(__file__).resolve().parents[1] / "openecg" / "data" / "splits" / "ludb.json"
EIK_VARIANTS = ("clean", "wrinkled", "augmented")
LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")


def _split_ids(split: str, count: int | None = None) -> list[int]:
    """``val``: the validation split minus the records tuned on; ``train``: the training split's first
    ``count`` records (where the confidence model is fitted)."""
    ids = sorted(int(i) for i in json.loads(SPLIT.read_text())[split])
    return [i for i in ids if i not in TUNED_ON][:count] if split == "val" else ids[:count]


def _records(data: Path, ids: list[int]) -> list[Path]:
    folder = data / "ludb" / "data"
    if not folder.is_dir():
        raise SystemExit(f"LUDB not found at {folder}; pass --data or set OPENECG_DATA")
    return [folder / str(i) for i in ids]


def eik_reference(page_json: dict, signal: np.ndarray) -> np.ndarray:
    """Ground truth of an ECG-Image-Kit page: float32 ``(samples, 12)`` mV in :data:`LEADS` order, the record's
    values on the samples each printed lead covers (``start_sample`` to ``end_sample``), NaN elsewhere.

    ``signal`` is the source record, ``(samples, 12)`` in the same lead order.
    """
    ref = np.full(signal.shape, np.nan, np.float32)
    for lead in page_json["leads"]:
        k = LEADS.index(lead["lead_name"])
        ref[lead["start_sample"] : lead["end_sample"], k] = signal[lead["start_sample"] : lead["end_sample"], k]
    return ref


def _eik_pages(folders: list[Path], variant: str, ids: list[int]) -> list[Path]:
    pages = []
    for folder in folders:
        pages += [p for p in sorted((folder / variant).glob("*-0.png")) if int(p.name.split("-")[0]) in ids]
    return pages


def _spearman(confidence: list[float], quality: list[float]) -> float:
    from scipy.stats import spearmanr

    c, q = np.asarray(confidence, float), np.asarray(quality, float)
    ok = np.isfinite(c) & np.isfinite(q)
    return float(spearmanr(c[ok], q[ok]).statistic) if ok.sum() > 2 and np.ptp(c[ok]) > 0 else float("nan")


class _Tally:
    """Scores of one condition: per-image references and readings, timings, and per lead the confidence,
    the evidence behind it, r, the 2024 SNR and the aligned (2025) signal and noise powers."""

    def __init__(self, layout: str = "3x4+1") -> None:
        self.layout = layout  # as printed: the truth for the lead names read
        self.refs, self.preds, self.seconds, self.snrs, self.rs, self.failures = [], [], [], [], [], 0
        self.leads: list[dict] = []
        self.names = {"right": 0, "wrong": 0, "unread": 0}

    def add(self, ref: np.ndarray, pred: np.ndarray, seconds: float, meta: dict | None, names: list[str]) -> None:
        self.refs.append(ref)
        self.preds.append(pred)
        self.seconds.append(seconds)
        snr, r = snr_2024(ref, pred), pearson(ref, pred)
        self.snrs.append(np.nanmean(snr))
        self.rs.append(float(np.nanmean(r)) if np.isfinite(r).any() else 0.0)
        if meta is None:
            return
        truth = [lead for cells in layout_rows(self.layout, STANDARD_LEADS) for lead in cells]
        read = [name for names in meta["names_read"] for name in names]
        for got, lead in zip(read, truth) if len(read) == len(truth) else []:
            self.names["unread" if got is None else "right" if got == lead else "wrong"] += 1
        signal_power, noise_power = lead_powers(ref, pred, fs=500)
        for k, name in enumerate(names):
            printed = int(np.isfinite(ref[:, k]).sum())
            if printed:
                self.leads.append({
                    "confidence": meta["confidence"].get(name, 0.0), "evidence": meta["evidence"].get(name),
                    "r": r[k] if np.isfinite(r[k]) else 0.0, "snr": snr[k],
                    "aligned_snr": 10 * np.log10(max(signal_power[k], 1e-12) / max(noise_power[k], 1e-12)),
                    "noise_mv2": noise_power[k] / printed,
                })

    def _column(self, key: str) -> np.ndarray:
        return np.array([lead[key] for lead in self.leads], float)

    def line(self, name: str) -> str:
        score = score_2025(self.refs, self.preds, fs=500)
        confidence = self._column("confidence")
        return (f"{name:<19} {len(self.refs):>6d} {score:>13.2f} {np.mean(self.snrs):>12.2f} {np.mean(self.rs):>10.3f} "
                f"{np.mean(self.seconds):>7.2f} {np.max(self.seconds):>7.2f} {self.failures:>7d} "
                f"{_spearman(confidence, self._column('r')):>9.2f} {_spearman(confidence, self._column('aligned_snr')):>12.2f}")

    def names_line(self, name: str) -> str:
        right, wrong, unread = self.names.values()
        total = max(1, right + wrong + unread)
        return (f"{name:<19} {total:>5d}   right {right / total:6.1%}   wrong {wrong / total:6.1%}   "
                f"unread {unread / total:6.1%}")

    def terciles(self, name: str) -> str:
        """Mean r and aligned SNR of the leads in each third of the confidence ranking."""
        confidence, r, snr = self._column("confidence"), self._column("r"), self._column("aligned_snr")
        if confidence.size < 3:
            return f"{name:<19} too few leads"
        thirds = np.array_split(np.argsort(confidence, kind="stable"), 3)
        cells = [f"{confidence[t].min():.2f}-{confidence[t].max():.2f}: r {r[t].mean():.3f}, {snr[t].mean():5.1f} dB"
                 for t in thirds]
        return f"{name:<19} {len(confidence):>5d}   " + "   ".join(cells)


HEADER = (f"{'condition':<19} {'images':>6} {'2025 score dB':>13} {'2024 SNR dB':>12} {'Pearson r':>10} {'s/page':>7} "
          f"{'max s':>7} {'unread':>7} {'rho(c,r)':>9} {'rho(c,aSNR)':>12}")
TERCILE_HEADER = (f"{'condition':<19} {'leads':>5}   confidence tercile (low, middle, high): range, mean per-lead r, mean "
                  "aligned per-lead SNR")


def _wave_f1(pairs: list[tuple[np.ndarray, np.ndarray]], fs: float) -> str:
    """Macro wave-boundary F1 of labels(digitized lead II) against labels(original lead II)."""
    from openecg.eval.boundaries import wave_metrics

    try:
        from openecg import encode  # type: ignore[attr-defined]

        def label(x: np.ndarray) -> np.ndarray:
            return encode(x, fs=fs).channels[0]

        labeller = "openecg.encode"
    except ImportError:
        from openecg.eval.baseline import neurokit_wave_labels

        def label(x: np.ndarray) -> np.ndarray:
            return neurokit_wave_labels(x, fs=fs)

        labeller = "NeuroKit2 baseline labeller (openecg.encode is not on this branch yet)"
    refs, preds = [], []
    for original, digitized in pairs:
        refs.append(label(original))
        preds.append(label(np.nan_to_num(digitized, nan=0.0)))
    return f"{wave_metrics(refs, preds, fs=fs)['macro_f1']:.3f} ({labeller}, lead II, {len(pairs)} clean images)"


def _own_renderer(paths: list[Path], layout: str, dpi: float) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict]:
    import wfdb

    pairs, tallies = [], {}
    for condition, degradation in CONDITIONS.items():
        tally = _Tally(layout)
        for k, path in enumerate(paths):
            record = wfdb.rdrecord(str(path))
            rec = Recording(record.p_signal.astype(np.float32), fs=record.fs, lead_names=record.sig_name)
            result = render(rec, layout=layout, dpi=dpi, grid=GRIDS[k % len(GRIDS)],
                            degradation=degradation, seed=int(path.name))
            ref = result.reference()
            names = list(result.info["lead_names"])
            start = time.perf_counter()
            try:
                out = digitize(result.image, fs=rec.fs)
                pred = np.stack([out.lead(n) for n in names], axis=1)
                if pred.shape != ref.shape:
                    raise ValueError(f"digitized shape {pred.shape} differs from {ref.shape}")
                if condition == "clean":
                    pairs.append((rec.lead("II"), out.lead("II")))
                meta = out.meta
            except ValueError:
                tally.failures += 1
                pred, meta = np.full_like(ref, np.nan), None
            tally.add(ref, pred, time.perf_counter() - start, meta, names)
        print(tally.line(f"own {condition}"), flush=True)
        tallies[f"own {condition}"] = tally
    return pairs, tallies


def _ecg_image_kit(folders: list[Path], data: Path, ids: list[int]) -> dict:
    import wfdb

    tallies = {}
    for variant in EIK_VARIANTS:
        pages = _eik_pages(folders, variant, ids)
        if not pages:
            print(f"{'eik ' + variant:<19} no pages of the chosen records under {', '.join(map(str, folders))}")
            continue
        tally = _Tally()
        for page in pages:
            record = wfdb.rdrecord(str(data / "ludb" / "data" / page.name.split("-")[0]))
            ref = eik_reference(json.loads(page.with_suffix(".json").read_text()), record.p_signal.astype(np.float32))
            start = time.perf_counter()
            try:
                out = digitize(page, fs=500)
                pred = np.full_like(ref, np.nan)
                n = min(len(ref), out.signal.shape[0])
                for k, name in enumerate(LEADS):
                    if name in out.lead_names:
                        pred[:n, k] = out.lead(name)[:n]
                meta = out.meta
            except ValueError:
                tally.failures += 1
                pred, meta = np.full_like(ref, np.nan), None
            tally.add(ref, pred, time.perf_counter() - start, meta, list(LEADS))
        print(tally.line(f"eik {variant}"), flush=True)
        tallies[f"eik {variant}"] = tally
    return tallies


def fit_noise_model(tallies: list[_Tally]) -> dict[str, float]:
    """Least-squares fit of :data:`openecg.paper.digitizer.NOISE_MODEL` on the leads of ``tallies``.

    The target is the log of each lead's aligned reading noise in pixels squared (the unread share, which the
    confidence counts separately, taken out); ``const`` absorbs the mean of exp(residual), so that the model
    predicts the mean noise and not its geometric mean.
    """
    leads = [lead for tally in tallies for lead in tally.leads if lead["evidence"] is not None]
    names = list(NOISE_MODEL)
    x = np.array([[noise_terms(lead["evidence"])[name] for name in names] for lead in leads])
    y = []
    for lead in leads:
        e = lead["evidence"]
        reading = max(lead["noise_mv2"] - (1 - e["coverage"]) * e["power_mv2"], 1e-7)
        y.append(np.log(reading * e["px_per_mv"] ** 2))
    coef = np.linalg.lstsq(x, np.array(y), rcond=None)[0]
    coef[names.index("const")] += np.log(np.mean(np.exp(np.array(y) - x @ coef)))
    return {name: round(float(c), 4) for name, c in zip(names, coef)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("OPENECG_DATA"), help="PhysioNet folder (or $OPENECG_DATA)")
    parser.add_argument("--count", type=int, default=None, help="at most this many records (default: all)")
    parser.add_argument("--dpi", type=float, default=200.0)
    parser.add_argument("--layout", default="3x4+1")
    parser.add_argument("--eik", type=Path, nargs="*", default=None,
                        help="folders of ECG-Image-Kit pages (default: DATA/ecg_image_kit_ludb)")
    parser.add_argument("--only", choices=("own", "eik"), default=None, help="run one generator's part only")
    parser.add_argument("--split", choices=("val", "train"), default="val",
                        help="records to read: the validation split minus 1-60 (reported figures) or the training "
                             "split (the first --count, for tuning; ECG-Image-Kit pages of training records "
                             "under --eik)")
    parser.add_argument("--fit-confidence", action="store_true",
                        help="read training-split records instead (own renders of the first --count, default 15; "
                             "the ECG-Image-Kit pages of training records under --eik) and print the confidence's "
                             "noise model fitted on them")
    args = parser.parse_args()
    if not args.data:
        raise SystemExit("give --data or set OPENECG_DATA to the folder of PhysioNet databases")
    data = Path(args.data)
    split = "train" if args.fit_confidence else args.split
    ids = _split_ids(split, args.count if args.count or not args.fit_confidence else 15)
    paths = _records(data, ids)
    if args.fit_confidence:
        print(f"LUDB training records ({len(ids)}: {' '.join(map(str, ids))}), fitting the confidence's noise model")
    elif split == "train":
        print(f"LUDB training records ({len(ids)}: {' '.join(map(str, ids))}), for tuning: not validation figures")
    else:
        print(f"LUDB validation records not in 1-60 ({len(ids)}: {' '.join(map(str, ids))}); the digitizer was tuned "
              f"on LUDB records 1-60 (own renderer) and on training-split records (ECG-Image-Kit)")
    print(HEADER)
    pairs, tallies = _own_renderer(paths, args.layout, args.dpi) if args.only != "eik" else ([], {})
    if args.only != "own":
        eik_ids = _split_ids(split) if split == "train" else ids
        tallies |= _ecg_image_kit(args.eik if args.eik else [data / "ecg_image_kit_ludb"], data, eik_ids)
    print(TERCILE_HEADER)
    for name, tally in tallies.items():
        print(tally.terciles(name))
    pooled = _Tally()
    pooled.leads = [lead for tally in tallies.values() for lead in tally.leads]
    print(pooled.terciles("all conditions"))
    print(f"{'condition':<19} {'cells':>5}   lead names read at the cell starts (meta['names_read']) against the "
          "printed ones")
    for name, tally in tallies.items():
        print(tally.names_line(name))
    if args.fit_confidence:
        print(f"NOISE_MODEL = {fit_noise_model(list(tallies.values()))}")
    elif pairs:
        print(f"wave-boundary F1 of labels(digitize(render(record))) vs labels(record): {_wave_f1(pairs, 500.0)}")


if __name__ == "__main__":
    main()
