"""The rule script that decides whether a model round ships (``benchmarks/compare_eval.py``)."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "compare_eval.py"


@pytest.fixture(scope="module")
def compare():
    spec = importlib.util.spec_from_file_location("compare_eval", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _result(f1: float = 0.9) -> dict:
    beats = {c: {"f1": f1} for c in ("S", "V", "paced")}
    rhythm = {"af_sample_f1": f1, "af_sample_f1_cpsc": f1, "af_record_f1_cpsc": {"f1": f1}}
    out = {name: {"macro_f1": f1} for name in ("ludb_lead_II", "ludb_all_leads", "qtdb")}
    out |= {f"{name}_fused": {"macro_f1": f1} for name in ("ludb_lead_II", "ludb_all_leads", "qtdb")}
    return out | {"beats": beats, "svdb_beats": beats, "rhythm": rhythm, "cinc2017_af_record": {"f1": f1},
                  "beats_fused": beats, "svdb_beats_fused": beats, "rhythm_fused": rhythm}


def _run(compare, tmp_path, base: dict, cand: dict, *flags: str) -> int:
    (tmp_path / "a.json").write_text(json.dumps(base)), (tmp_path / "b.json").write_text(json.dumps(cand))
    return compare.main([str(tmp_path / "a.json"), str(tmp_path / "b.json"), *flags])


def test_a_fall_past_the_margin_fails_and_a_smaller_one_passes(compare, tmp_path, capsys) -> None:
    base = _result()
    small, large = copy.deepcopy(base), copy.deepcopy(base)
    small["qtdb"]["macro_f1"] = 0.896  # -0.004, inside the wave margin of 0.005
    large["beats"] = {c: {"f1": 0.88} for c in ("S", "V", "paced")}  # -0.02, past the margin of 0.01
    assert _run(compare, tmp_path, base, small) == 0
    assert _run(compare, tmp_path, base, large) == 1
    assert "mitdb_S" in capsys.readouterr().out


def test_records_encoded_whole_count_only_when_asked(compare, tmp_path) -> None:
    base, cand = _result(), _result()
    cand["qtdb_fused"]["macro_f1"] = 0.85
    assert _run(compare, tmp_path, base, cand) == 0
    assert _run(compare, tmp_path, base, cand, "--fused") == 1


def test_gain_asks_af_to_rise(compare, tmp_path) -> None:
    base, cand = _result(), _result()
    assert _run(compare, tmp_path, base, cand, "--gain") == 1
    cand["cinc2017_af_record"]["f1"] = 0.95
    assert _run(compare, tmp_path, base, cand, "--gain") == 0
