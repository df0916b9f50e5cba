"""Compare two ``benchmarks/eval_model.py --json`` results by the rule every model round of issue 12 used.

    python benchmarks/compare_eval.py BASE.json CANDIDATE.json [--wave 0.005] [--other 0.01] [--gain] [--fused]

Prints each validation figure of both, the change, and FAIL where the candidate falls by more than the margin:
``--wave`` for the wave macro-F1 (LUDB lead II, LUDB all leads, QTDB), ``--other`` for the beat and rhythm F1
(MIT-BIH S / V / paced, SVDB S / V, AF per-sample, CPSC 2021 and CinC 2017 record-level AF; AF per-sample on
CPSC alone where both results hold it). ``--fused`` adds the figures of the records encoded whole. With ``--gain``
the rule also asks AF per-sample or the CinC record F1 to rise by more than ``--other``. Exit status 0 when the
rule passes, 1 when it does not. The rules and results of the rounds are in ``model_cards/default_rounds/``.
"""

from __future__ import annotations

import argparse
import json
import sys

WAVES = ("ludb_lead_II", "ludb_all_leads", "qtdb")


def figures(path: str, *, fused: bool = False) -> dict[str, float]:
    """The figures a rule looks at, from one eval JSON; with ``fused``, also those of the records encoded whole
    (``*_fused``), where the JSON has them."""
    d = json.loads(open(path).read())
    beats, svdb, rhythm = d["beats"], d["svdb_beats"], d["rhythm"]
    whole = {}
    if fused and "beats_fused" in d:
        whole = {
            **{f"{name}_fused": d[f"{name}_fused"]["macro_f1"] for name in WAVES if f"{name}_fused" in d},
            "mitdb_S_fused": d["beats_fused"]["S"]["f1"], "mitdb_V_fused": d["beats_fused"]["V"]["f1"],
            "mitdb_paced_fused": d["beats_fused"]["paced"]["f1"],
            "svdb_S_fused": d["svdb_beats_fused"]["S"]["f1"], "svdb_V_fused": d["svdb_beats_fused"]["V"]["f1"],
            "af_per_sample_fused": d["rhythm_fused"]["af_sample_f1"],
        }
    return {
        **{name: d[name]["macro_f1"] for name in WAVES},
        "mitdb_S": beats["S"]["f1"], "mitdb_V": beats["V"]["f1"], "mitdb_paced": beats["paced"]["f1"],
        "svdb_S": svdb["S"]["f1"], "svdb_V": svdb["V"]["f1"],
        "af_per_sample": rhythm["af_sample_f1"], "cpsc_record_af": rhythm["af_record_f1_cpsc"]["f1"],
        "cinc_record_af": d["cinc2017_af_record"]["f1"],
    } | ({"af_per_sample_cpsc": rhythm["af_sample_f1_cpsc"]} if "af_sample_f1_cpsc" in rhythm else {}) | whole


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("candidate")
    parser.add_argument("--wave", type=float, default=0.005, help="largest fall allowed for a wave macro-F1")
    parser.add_argument("--other", type=float, default=0.01, help="largest fall allowed for a beat or rhythm F1")
    parser.add_argument("--gain", action="store_true", help="also require AF per-sample or CinC record F1 to rise")
    parser.add_argument("--fused", action="store_true",
                        help="also hold the figures of the records encoded whole (*_fused) to the margins")
    args = parser.parse_args(argv)
    base, cand = figures(args.base, fused=args.fused), figures(args.candidate, fused=args.fused)
    passed = True
    waves = {*WAVES, *(f"{name}_fused" for name in WAVES)}
    for name in [n for n in base if n in cand]:  # a figure that only newer results hold is left out
        margin = args.wave if name in waves else args.other
        change = cand[name] - base[name]
        fails = change < -margin
        passed &= not fails
        print(f"{name:16s} {base[name]:.4f} -> {cand[name]:.4f}  {change:+.4f}  (margin -{margin}){'  FAIL' if fails else ''}")
    if args.gain:
        gained = any(cand[k] - base[k] > args.other for k in ("af_per_sample", "cinc_record_af"))
        print(f"AF per-sample or CinC record F1 up by more than {args.other}: {gained}")
        passed &= gained
    print("rule", "passed" if passed else "FAILED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
