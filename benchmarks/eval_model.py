"""Validation figures of a model on records it never trained on, through ``encode`` / ``encode_stream``.

``python benchmarks/eval_model.py --model default [--backend onnx|litert] [--json out.json]``
``python benchmarks/eval_model.py --model runs/stage2-small/best``   (a torch checkpoint folder)
``python benchmarks/eval_model.py --model default --stages none|DIR [--skip-waves] [--per-record]``
(second stages: none, or the ``beat_stage.json`` / ``af_stage.json`` of DIR, instead of those the model ships)

Prints, on the committed ``val`` splits (``openecg/data/splits/``), with :mod:`openecg.eval`:

- waves: LUDB lead II and all 12 leads (each lead encoded on its own), QTDB both leads: F1 per boundary at the
  Martinez tolerances, macro-F1, and the median absolute boundary error; then the same with each record encoded
  whole (``_fused``: every lead at once, the labels a user encoding the record gets, scored against each lead's
  reference);
- beats: MIT-BIH fold-0 validation records, lead 0, whole records, every reference beat scored (bxb 150 ms):
  QRS Se/P+ and Se/P+/F1 per AAMI class; the same on the SVDB validation records (lead 0, 128 Hz); and both
  again, with the rhythm figures, for the two-lead records encoded whole (``_fused``);
- rhythm: per-sample AF F1 over the MIT-BIH and CPSC 2021 validation records (inside their rhythm masks), and
  over the CPSC 2021 ones alone (the issue's measure; MIT-BIH 217, AF with paced beats, weighs on the pooled
  one), record-level AF F1 on the short CPSC 2021 records, and the number of predicted episodes shorter than the
  documented minimum (``openecg.stream.decoder.MIN_EPISODE_S``) away from the record ends; record-level AF F1
  on the CinC 2017 validation records (a record is called AF when it holds more than 5 s of AF), with the
  records called AF per reference label (normal, other rhythm, noisy).

The JSON also holds each figure per record (``per_record``, ``mitdb_cpsc_per_record``, the CinC records called
wrongly); ``--per-record`` prints which records hold each pooled figure's errors.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from openecg import encode_stream
from openecg.data import iter_records, load_split
from openecg.eval.beats import beat_metrics, beats_from_labels
from openecg.eval.rhythm import af_record_f1, episodes, rhythm_metrics
from openecg.eval.boundaries import BOUNDARIES, wave_metrics
from openecg.stream.decoder import MIN_EPISODE_S, model_stages
from openecg.tokenizer.vocab import class_id

AF = class_id("rhythm", "AF")


def load_predictor(model: str, backend: str):
    """A bundled model by name (one inference thread), or a torch checkpoint folder."""
    if Path(model).is_dir():
        from openecg.stage2.predictor import TorchPredictor

        return TorchPredictor(model)
    from openecg.runtime.bundled import LiteRTPredictor, OnnxPredictor

    return (OnnxPredictor if backend == "onnx" else LiteRTPredictor)(model, threads=1)


class WithStages:
    """A predictor with other second stages (``beat_stage``, ``af_stage`` and the fused-lead ones) than the ones
    it ships: those of a folder (``beat_stage.json``, ``af_stage.json``, ``beat_stage.fused.json``,
    ``af_stage.fused.json``), or none."""

    def __init__(self, predictor, folder: str) -> None:
        from openecg.runtime.bundled import STAGE_KEYS
        from openecg.stream.af import AFStage
        from openecg.stream.rr_beats import BeatStage

        self._predictor, self.fs, self.window = predictor, predictor.fs, predictor.window
        for attr, key in STAGE_KEYS.items():  # beat_stage -> beat_stage.json, ..., af_stage_fused -> af_stage.fused.json
            path = Path(folder) / f"{key}.json"
            kind = AFStage if attr.startswith("af_") else BeatStage
            setattr(self, attr, kind.from_json(path) if folder != "none" and path.is_file() else None)

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return self._predictor.predict(x)


def wave_scores(predictor, dataset: str, leads: list[str] | None, *, fused: bool = False) -> dict:
    """Wave metrics pooled over every (record, lead) of the val split; ``leads=None`` means all leads. Each lead
    is encoded on its own, or with ``fused`` the whole recording is encoded once, as a user encoding the record
    gets it (every lead, labels fused after inference), and those labels are scored against each lead's
    reference."""
    refs, preds, masks, per_record = [], [], [], {}
    for rec in iter_records(dataset, split="val"):
        whole = encode_stream(rec.recording.signal, rec.recording.fs, model=predictor) if fused else None
        first = len(refs)
        for i, name in enumerate(rec.recording.lead_names):
            if leads is not None and name.upper() not in leads:
                continue
            codec = whole if whole is not None else encode_stream(rec.recording.signal[:, i], rec.recording.fs,
                                                                  model=predictor)
            refs.append(rec.labels[i, 0]), preds.append(codec.wave), masks.append(rec.mask[i, 0])
        per_record[rec.record] = _errors(wave_metrics(refs[first:], preds[first:], fs=rec.recording.fs,
                                                      mask=masks[first:]))
    result = wave_metrics(refs, preds, fs=rec.recording.fs, mask=masks)
    result["signals"] = len(refs)
    result["per_record"] = per_record
    return result


def _errors(r: dict) -> dict:
    """One record's wave figures: its macro-F1 and its boundary errors (misses + false detections) summed
    over the six boundaries, the count that says which records hold a pooled figure's errors."""
    return {"macro_f1": r["macro_f1"], "errors": int(sum(r[b]["fn"] + r[b]["fp"] for b in BOUNDARIES)),
            "boundaries": int(sum(r[b]["tp"] + r[b]["fn"] for b in BOUNDARIES))}


def _leads(rec, fused: bool) -> np.ndarray:
    """Lead 0, or with ``fused`` every lead (the record encoded whole, labels fused after inference)."""
    return rec.recording.signal if fused else rec.recording.signal[:, 0]


def beat_scores(predictor, dataset: str, *, fused: bool = False) -> dict:
    """Beat metrics on the val records of ``dataset`` (lead 0, or every lead with ``fused``; whole records,
    every reference beat)."""
    ref_b, ref_c, det_b, det_c, offset, per_record = [], [], [], [], 0, {}
    for rec in iter_records(dataset, split="val"):
        fs = rec.recording.fs
        codec = encode_stream(_leads(rec, fused), fs, model=predictor)
        beats, classes = beats_from_labels(codec.beat)
        ref_b.append(rec.beats + offset), ref_c.append(rec.beat_classes)
        det_b.append(beats + offset), det_c.append(classes)
        offset += codec.n_samples + int(10 * fs)
        per_record[rec.record] = _beat_counts(beat_metrics(rec.beats, rec.beat_classes, beats, classes, fs=fs))
    result = beat_metrics(np.concatenate(ref_b), np.concatenate(ref_c), np.concatenate(det_b), np.concatenate(det_c), fs=fs)
    return result | {"per_record": per_record}


def _beat_counts(one: dict) -> dict:
    """One record's [tp, fn, fp] for the S, V and paced classes."""
    return {c: [int(one[c][k]) for k in ("tp", "fn", "fp")] for c in ("S", "V", "paced")}


def cinc_scores(predictor) -> dict:
    """Record-level AF on the CinC 2017 val records: F1 and the records called AF per reference label."""
    from openecg.data.cinc2017 import cinc2017_labels
    from openecg.data.records import dataset_root

    labels = cinc2017_labels(dataset_root("cinc2017"))
    refs, preds, called, wrong = [], [], {}, []
    for rec in iter_records("cinc2017", split="val"):
        codec = encode_stream(rec.recording.signal[:, 0], rec.recording.fs, model=predictor)
        label = labels[rec.record]
        refs.append(np.full(codec.n_samples, AF if label == "A" else 0, np.uint8)), preds.append(codec.rhythm)
        is_af = bool(np.sum(codec.rhythm == AF) > 5.0 * rec.recording.fs)
        entry = called.setdefault(label, [0, 0])
        entry[0] += int(is_af)
        entry[1] += 1
        if is_af != (label == "A"):
            wrong.append(f"{rec.record} ({label})")
    result = af_record_f1(refs, preds, min_s=5.0, fs=300.0)
    result["called_af_per_label"] = {k: f"{v[0]} of {v[1]}" for k, v in sorted(called.items())}
    result["wrong_records"] = wrong
    return result


def beat_and_rhythm_scores(predictor, *, fused: bool = False) -> dict:
    """Beat metrics on MIT-BIH val (lead 0, or every lead with ``fused``; whole records) and rhythm metrics on
    MIT-BIH + CPSC 2021 val."""
    ref_b, ref_c, det_b, det_c, offset = [], [], [], [], 0
    confusion = {"mitdb": np.zeros((7, 7), np.int64), "cpsc2021": np.zeros((7, 7), np.int64)}
    short_episodes, cpsc_ref, cpsc_pred, per_record = 0, [], [], {}
    for dataset in ("mitdb", "cpsc2021"):
        for rec in iter_records(dataset, split="val"):
            fs = rec.recording.fs
            codec = encode_stream(_leads(rec, fused), fs, model=predictor)
            if dataset == "mitdb":
                beats, classes = beats_from_labels(codec.beat)
                ref_b.append(rec.beats + offset), ref_c.append(rec.beat_classes)
                det_b.append(beats + offset), det_c.append(classes)
                offset += codec.n_samples + int(10 * fs)
                per_record[rec.record] = _beat_counts(beat_metrics(rec.beats, rec.beat_classes, beats, classes, fs=fs))
            else:
                cpsc_ref.append(np.where(rec.mask[0, 2], rec.labels[0, 2], 0)), cpsc_pred.append(codec.rhythm)
            matrix = np.asarray(rhythm_metrics(rec.labels[0, 2], codec.rhythm, mask=rec.mask[0, 2])["confusion"])
            confusion[dataset] += matrix
            per_record.setdefault(rec.record, {})["AF_s"] = [
                round(float(x) / fs, 1) for x in (matrix[AF, AF], matrix[AF].sum() - matrix[AF, AF],
                                                  matrix[:, AF].sum() - matrix[AF, AF])]
            runs = episodes(codec.rhythm)
            short_episodes += sum(1 for _, a, b in runs[1:-1] if b - a < MIN_EPISODE_S * fs)
    fs_mit = 360.0
    beats = beat_metrics(np.concatenate(ref_b), np.concatenate(ref_c), np.concatenate(det_b), np.concatenate(det_c), fs=fs_mit)
    pooled = confusion["mitdb"] + confusion["cpsc2021"]
    return {
        "beats": beats,
        "rhythm": {
            "af_sample_f1": _af_f1(pooled),
            "af_sample_f1_cpsc": _af_f1(confusion["cpsc2021"]),
            "af_record_f1_cpsc": af_record_f1(cpsc_ref, cpsc_pred, min_s=5.0, fs=200.0),
            "episodes_shorter_than_min": short_episodes,
            "confusion": pooled.tolist(),
        },
        "per_record": per_record,
    }


def _af_f1(confusion: np.ndarray) -> float:
    """Per-sample AF F1 from a rhythm confusion matrix (rows reference, columns predicted)."""
    tp = confusion[AF, AF]
    return float(2 * tp / max(1, confusion[AF].sum() + confusion[:, AF].sum()))


def _fmt_waves(name: str, r: dict) -> str:
    f1 = "  ".join(f"{b} {r[b]['f1']:.3f}" for b in BOUNDARIES)
    med = max(r[b]["median_abs_ms"] for b in BOUNDARIES)
    return f"{name:24s} macro-F1 {r['macro_f1']:.4f}   {f1}   worst median |err| {med:.1f} ms   ({r['signals']} signals)"


def print_per_record(report: dict) -> None:
    """Which validation records hold the errors of each pooled figure: the records with the most wave
    boundary errors, the beat S / V / paced counts [tp, fn, fp] of the records with any error, seconds of AF
    [found, missed, called falsely] per record, and the CinC records called wrongly."""
    for key in ("ludb_lead_II", "ludb_all_leads", "qtdb", "ludb_lead_II_fused", "ludb_all_leads_fused", "qtdb_fused"):
        if key in report:
            rows = sorted(report[key]["per_record"].items(), key=lambda kv: -kv[1]["errors"])
            total = sum(v["errors"] for _, v in rows)
            worst = ", ".join(f"{k} {v['errors']} ({v['macro_f1']:.3f})" for k, v in rows[:5])
            print(f"{key:24s} {total} boundary errors; most in: {worst}")
    for key in ("mitdb_cpsc_per_record", "mitdb_cpsc_per_record_fused"):
        for record, v in report[key].items():
            beats = "  ".join(f"{c} {v[c]}" for c in ("S", "V", "paced") if c in v and (v[c][1] or v[c][2]))
            af = f"  AF s {v['AF_s']}" if any(v["AF_s"]) else ""
            if beats or af:
                print(f"{'per record' + (', whole' if key.endswith('fused') else ''):24s} {record:10s} {beats}{af}")
    for key in ("svdb_beats", "svdb_beats_fused"):
        worst = sorted(report[key]["per_record"].items(), key=lambda kv: -sum(kv[1]["S"][1:]) - sum(kv[1]["V"][1:]))
        print(f"{key:24s} most S + V errors: " + ", ".join(f"{k} S {v['S']} V {v['V']}" for k, v in worst[:5]))
    print(f"{'CinC 2017 wrong':24s} {', '.join(report['cinc2017_af_record']['wrong_records'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="bundled model name or a checkpoint folder")
    parser.add_argument("--backend", default="onnx", choices=["onnx", "litert"])
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--stages", help="'none', or a folder whose beat_stage.json / af_stage.json (and "
                        "beat_stage.fused.json / af_stage.fused.json) replace the model's")
    parser.add_argument("--skip-waves", action="store_true", help="leave out the wave figures (LUDB, QTDB)")
    parser.add_argument("--per-record", action="store_true",
                        help="also print which validation records hold the errors (always in the JSON)")
    args = parser.parse_args()
    predictor = load_predictor(args.model, args.backend)
    if args.stages:
        predictor = WithStages(predictor, args.stages)
    beat_stage, af_stage = model_stages(predictor)  # bundled models carry theirs as JSON beside the weights
    raw = getattr(predictor, "stages", None) or {}

    def has(key: str) -> bool:  # a fused-lead stage of its own, for two-lead records
        return getattr(predictor, key, None) is not None or raw.get(key) is not None
    start = time.time()
    report = {
        "model": args.model,
        "backend": args.backend if not Path(args.model).is_dir() else "torch fp32",
        "stages": {"beat": beat_stage is not None, "af": af_stage is not None,
                   "beat_fused": has("beat_stage_fused"), "af_fused": has("af_stage_fused"),
                   "from": args.stages or "the model's own"},
        "splits": {name: load_split(name)["val"] for name in ("ludb", "qtdb", "mitdb", "cpsc2021", "svdb", "cinc2017")},
    }
    if not args.skip_waves:
        report["ludb_lead_II"] = wave_scores(predictor, "ludb", ["II"])
        report["ludb_all_leads"] = wave_scores(predictor, "ludb", None)
        report["qtdb"] = wave_scores(predictor, "qtdb", None)
        report["ludb_lead_II_fused"] = wave_scores(predictor, "ludb", ["II"], fused=True)
        report["ludb_all_leads_fused"] = wave_scores(predictor, "ludb", None, fused=True)
        report["qtdb_fused"] = wave_scores(predictor, "qtdb", None, fused=True)
    part = beat_and_rhythm_scores(predictor)
    report["beats"], report["rhythm"], report["mitdb_cpsc_per_record"] = part["beats"], part["rhythm"], part["per_record"]
    report["svdb_beats"] = beat_scores(predictor, "svdb")
    report["cinc2017_af_record"] = cinc_scores(predictor)
    whole = beat_and_rhythm_scores(predictor, fused=True)  # two-lead records encoded whole (CinC has one lead)
    report["beats_fused"], report["rhythm_fused"] = whole["beats"], whole["rhythm"]
    report["mitdb_cpsc_per_record_fused"] = whole["per_record"]
    report["svdb_beats_fused"] = beat_scores(predictor, "svdb", fused=True)
    print(f"model {args.model} ({report['backend']}, stages {report['stages']}), validation records only; {time.time() - start:.0f} s")
    for key in ("ludb_lead_II", "ludb_all_leads", "qtdb", "ludb_lead_II_fused", "ludb_all_leads_fused", "qtdb_fused"):
        if key in report:
            print(_fmt_waves(key, report[key]))
    for name, b in (("MIT-BIH", report["beats"]), ("SVDB", report["svdb_beats"]),
                    ("MIT-BIH fused", report["beats_fused"]), ("SVDB fused", report["svdb_beats_fused"])):
        print(f"{name + ' val beats':24s} QRS Se {b['qrs']['se']:.4f} P+ {b['qrs']['ppv']:.4f}   "
              + "  ".join(f"{c} Se {b[c]['se']:.3f} P+ {b[c]['ppv']:.3f} F1 {b[c]['f1']:.3f}" for c in ("N", "S", "V", "F", "paced")))
    c = report["cinc2017_af_record"]
    print(f"CinC 2017 val            record-level AF F1 {c['f1']:.3f} (tp {c['tp']} fp {c['fp']} fn {c['fn']}); "
          f"called AF per label {c['called_af_per_label']}")
    for name in ("rhythm", "rhythm_fused"):
        r = report[name]
        print(f"{name.replace('_', ' '):24s} AF per-sample F1 {r['af_sample_f1']:.4f} (CPSC alone {r['af_sample_f1_cpsc']:.4f})"
              f"   CPSC record-level AF F1 {r['af_record_f1_cpsc']['f1']:.3f}   episodes < {MIN_EPISODE_S} s: "
              f"{r['episodes_shorter_than_min']}")
    if args.per_record:
        print_per_record(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()
