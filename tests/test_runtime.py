"""Bundled models: checksums verified on load, torch-free predictors with the Predictor contract."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from openecg.runtime import bundled
from openecg.signal.normalize import normalize_windows


def test_normalisation_keeps_flat_lines_flat() -> None:
    flat = np.full((1, 2500), 0.7, dtype=np.float32)
    assert np.abs(normalize_windows(flat)).max() == 0.0
    spiky = np.zeros((1, 2500), dtype=np.float32)
    spiky[0, ::250] = 50.0
    assert np.abs(normalize_windows(spiky)).max() <= 50.0 / 0.25


@pytest.mark.skipif("default" not in bundled.bundled_models(), reason="no bundled model in this tree")
@pytest.mark.parametrize("backend", ["onnx", "litert"])
def test_bundled_predictor_contract(backend: str) -> None:
    if backend == "litert":
        pytest.importorskip("ai_edge_litert")
    predictor = bundled.cached_predictor("default", backend)
    x = np.random.default_rng(0).normal(0, 0.2, (3, predictor.window)).astype(np.float32)
    out = predictor.predict(x)
    assert set(out) == {"wave", "beat", "rhythm"}
    for key, classes in (("wave", 5), ("beat", 7), ("rhythm", 7)):
        assert out[key].shape == (3, predictor.window, classes) and out[key].dtype == np.float32
        np.testing.assert_allclose(out[key].sum(-1), 1.0, atol=0.05)
    one = predictor.predict(x[:1])
    assert np.mean(one["wave"].argmax(-1) == out["wave"][:1].argmax(-1)) > 0.99


@pytest.mark.skipif("default" not in bundled.bundled_models(), reason="no bundled model in this tree")
def test_a_batch_split_across_threads_gives_the_same_rows() -> None:
    x = np.random.default_rng(1).normal(0, 0.3, (7, 2500)).astype(np.float32)
    whole = bundled.OnnxPredictor("default", threads=1).predict(x)
    split = bundled.OnnxPredictor("default", threads=3).predict(x)
    for key in whole:
        np.testing.assert_array_equal(split[key], whole[key])
    with pytest.raises(ValueError, match="threads=0"):
        bundled.OnnxPredictor("default", threads=0)


@pytest.mark.skipif("default" not in bundled.bundled_models(), reason="no bundled model in this tree")
def test_corrupted_model_file_is_refused(tmp_path, monkeypatch) -> None:
    copy = tmp_path / "default"
    shutil.copytree(bundled.MODELS_DIR / "default", copy)
    onnx_file = copy / "model.int8.onnx"
    data = bytearray(onnx_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx_file.write_bytes(bytes(data))
    monkeypatch.setattr(bundled, "MODELS_DIR", tmp_path)
    with pytest.raises(ValueError, match="corrupted or was replaced"):
        bundled.model_file("default", "model.int8.onnx")
    assert json.loads((copy / "manifest.json").read_text())["sha256"]["config.json"]


def test_unknown_model_names_the_available_ones() -> None:
    with pytest.raises(ValueError, match="model='nope' is not a bundled model; available:"):
        bundled.model_config("nope")


@pytest.mark.skipif("default" not in bundled.bundled_models(), reason="no bundled model in this tree")
def test_the_shipped_graph_is_the_fast_one() -> None:
    """A re-export that lost the fused attention, fell back to a (fp32) transposed convolution for the
    upsampling, or left a convolution other than the export's ``FLOAT_CONVS`` in fp32 would be slower with the
    same figures: catch it here rather than in a benchmark."""
    onnx = pytest.importorskip("onnx")
    graph = onnx.load(str(bundled.model_file("default", "model.int8.onnx"))).graph
    ops = [node.op_type for node in graph.node]
    config = bundled.model_config("default")
    assert ops.count("Attention") == config["n_layers"]
    assert "ConvTranspose" not in ops
    dequantised = {node.output[0] for node in graph.node if node.op_type == "DequantizeLinear"}
    convs = [node for node in graph.node if node.op_type == "Conv"]
    levels = len(config["stem_channels"])  # stem: 1 + levels convolutions; decoder: 2 per upsampling level, 1 at the top
    assert len(convs) == (levels + 1) + (2 * (levels - 1) + 1) + 2  # + the wave and beat heads
    pytest.importorskip("torch")  # openecg.stage2.export needs the train extra
    from openecg.stage2.export import FLOAT_CONVS  # may stay fp32 (the shipped file has them int8 too)

    heavy = [node for node in convs if not node.name.endswith(FLOAT_CONVS)]
    assert len(heavy) == len(convs) - len(FLOAT_CONVS)
    assert all(node.input[0] in dequantised and node.input[1] in dequantised for node in heavy)  # int8 in and weights


@pytest.mark.skipif("default" not in bundled.bundled_models(), reason="no bundled model in this tree")
def test_litert_takes_the_stages_fitted_on_its_own_graph(tmp_path, monkeypatch) -> None:
    pytest.importorskip("torch")  # openecg.stage2.export needs the train extra
    from openecg.stage2.export import write_manifest

    copy = tmp_path / "default"
    shutil.copytree(bundled.MODELS_DIR / "default", copy)
    for name in copy.glob("*.litert.json"):
        name.unlink()
    onnx_af = json.loads((copy / "af_stage.json").read_text())
    litert_af = dict(onnx_af, offsets=[0.0, -9.0])  # told apart by its offsets
    (copy / "af_stage.litert.json").write_text(json.dumps(litert_af))
    write_manifest(copy)
    monkeypatch.setattr(bundled, "MODELS_DIR", tmp_path)
    onnx_stages, litert_stages = bundled.second_stages("default"), bundled.second_stages("default", "litert")
    assert onnx_stages["af_stage"] == onnx_af and litert_stages["af_stage"] == litert_af
    assert litert_stages["beat_stage"] == onnx_stages["beat_stage"]  # none fitted for LiteRT: the ONNX graph's
    with pytest.raises(ValueError, match="backend='tflite'"):
        bundled.second_stages("default", "tflite")
    (copy / "af_stage.litert.json").write_text(json.dumps(onnx_af))  # replaced after the manifest: refused
    with pytest.raises(ValueError, match="corrupted or was replaced"):
        bundled.second_stages("default", "litert")


@pytest.mark.skipif("default" not in bundled.bundled_models(), reason="no bundled model in this tree")
def test_stage_fitting_reads_the_graph_of_its_backend(tmp_path) -> None:
    import hashlib

    pytest.importorskip("torch")  # openecg.stage2 needs the train extra

    from openecg.stage2.beat_stage import load_predictor, model_fingerprint

    tflite = bundled.model_file("default", "model.int8.tflite").read_bytes()
    assert model_fingerprint("default", "litert") == hashlib.sha256(tflite).hexdigest()
    assert model_fingerprint("default") != model_fingerprint("default", "litert")
    with pytest.raises(ValueError, match="needs a bundled model name"):
        load_predictor(str(tmp_path), "litert")
    with pytest.raises(ValueError, match="backend='tf'"):
        load_predictor("default", "tf")


@pytest.mark.skipif("default" not in bundled.bundled_models(), reason="no bundled model in this tree")
def test_two_lead_records_take_the_beat_stage_fitted_on_fused_leads(data_dir) -> None:
    import openecg
    from openecg.signal.io import read_window
    from openecg.stream.decoder import model_stages
    from openecg.tokenizer.vocab import class_id

    predictor = bundled.OnnxPredictor("default", threads=1)
    lead0 = dict(predictor.stages["beat_stage"])
    everything_v = dict(lead0, offsets=[0.0 if c == class_id("beat", "V") else -50.0 for c in lead0["classes"]])
    predictor.stages = {**predictor.stages, "beat_stage_fused": everything_v}
    one, two, twelve = (model_stages(predictor, n_leads=n)[0] for n in (1, 2, 12))
    assert list(one.classifier.offsets) == lead0["offsets"] and list(two.classifier.offsets) == everything_v["offsets"]
    assert list(twelve.classifier.offsets) == lead0["offsets"]  # fitted on two leads: not for 12
    af = dict(predictor.stages["af_stage"])
    predictor.stages["af_stage_fused"] = dict(af, offsets=[0.0, 7.0])
    assert [list(model_stages(predictor, n_leads=n)[1].classifier.offsets) for n in (1, 2, 3)] == [
        af["offsets"], [0.0, 7.0], af["offsets"]]
    del predictor.stages["af_stage_fused"]
    x = read_window(data_dir / "mitdb" / "119", start=0, stop=360 * 20).signal  # two leads, 20 s
    classes = {n: set(openecg.encode(s, 360.0, model=predictor).beats()["class_name"]) for n, s in (("one", x[:, 0]), ("two", x))}
    assert classes["two"] == {"V"} and classes["one"] != {"V"}  # the fused stage decides only for two leads


def test_stage_fitting_fuses_the_first_two_leads_when_asked(monkeypatch) -> None:
    pytest.importorskip("torch")  # openecg.stage2 needs the train extra
    from types import SimpleNamespace

    from openecg.stage2 import beat_stage

    fs = 250.0
    recording = SimpleNamespace(signal=np.zeros((500, 3), np.float32), fs=fs, n_samples=500, n_leads=3)
    record = SimpleNamespace(recording=recording, beats=np.array([100, 300]), beat_classes=np.array([1, 1], np.uint8),
                             labels=np.zeros((3, 3, 500), np.uint8), mask=np.ones((3, 3, 500), bool))
    calls = iter(range(3))
    monkeypatch.setattr(beat_stage, "stitched_features",
                        lambda predictor, signal, fs: np.full((500, 20), float(next(calls)), np.float32))
    predictor = SimpleNamespace(fs=fs)
    assert (beat_stage.extract_record(predictor, record)["feats"] == 0.0).all()  # lead 0 alone
    calls = iter(range(3))
    assert np.allclose(beat_stage.extract_record(predictor, record, fused=True)["feats"], 0.5)  # leads 0 and 1
