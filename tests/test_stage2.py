"""The multi-task model: shapes, config round trip, loss masks, export with a dynamic batch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from openecg.stage2 import OpenECGConfig, OpenECGModel  # noqa: E402
from openecg.stage2.losses import distillation_loss, frame_index, masked_cross_entropy, multitask_loss  # noqa: E402
from openecg.stage2.tracks import qrs_presence  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model() -> OpenECGModel:
    torch.manual_seed(0)
    return OpenECGModel(OpenECGConfig()).eval()


def test_output_shapes_and_size(model: OpenECGModel) -> None:
    out = model(torch.randn(3, 1, 2500))
    wave, beat, rhythm = out.wave, out.beat, out.rhythm
    assert out[0] is wave and out.to_tuple() == (wave, beat, rhythm)
    assert wave.shape == (3, 5, 2500)
    assert beat.shape == (3, 7, 1250)
    assert rhythm.shape == (3, 7, model.config.n_frames) == (3, 7, 157)
    assert sum(p.numel() for p in model.parameters()) < 1_000_000


def test_config_round_trips_through_json(tmp_path) -> None:
    config = OpenECGConfig(d_model=32, n_heads=2, training_data={"ludb": {"split": "train"}}, git_commit="abc")
    config.save_pretrained(tmp_path)
    raw = json.loads((tmp_path / "config.json").read_text())
    assert raw["fs"] == 250.0 and raw["class_tables"]["rhythm"][1] == "AF"
    again = OpenECGConfig.from_pretrained(tmp_path)
    assert again.to_dict() == config.to_dict()


def test_config_rejects_bad_geometry() -> None:
    with pytest.raises(ValueError, match="d_model=30"):
        OpenECGConfig(d_model=30, n_heads=4)


def test_model_round_trips_through_save_pretrained(model: OpenECGModel, tmp_path) -> None:
    model.save_pretrained(tmp_path)
    again = OpenECGModel.from_pretrained(tmp_path).eval()
    x = torch.randn(2, 1, 2500)
    with torch.no_grad():
        for a, b in zip(model(x).to_tuple(), again(x).to_tuple()):
            torch.testing.assert_close(a, b)


def test_unlabelled_layers_contribute_exactly_zero_loss_and_gradient(model: OpenECGModel) -> None:
    model.train()
    x = torch.randn(2, 1, 2500)
    labels = torch.randint(0, 5, (2, 3, 2500))
    mask = torch.zeros(2, 3, 2500, dtype=torch.bool)
    mask[:, 0, 100:200] = True  # only the wave layer is labelled
    qrs = torch.full((2, 2500), -1)
    losses = multitask_loss(model(x), labels, mask, qrs)
    assert losses["beat"].item() == 0.0 and losses["rhythm"].item() == 0.0 and losses["qrs"].item() == 0.0
    assert losses["wave"].item() > 0
    model.zero_grad()
    losses["total"].backward()
    assert all(p.grad is None or torch.count_nonzero(p.grad) == 0 for p in model.rhythm_head.parameters())
    assert all(p.grad is None or torch.count_nonzero(p.grad) == 0 for p in model.beat_head.parameters())
    model.eval()


def test_masked_cross_entropy_counts_only_masked_samples() -> None:
    logits = torch.zeros(1, 2, 4)
    logits[0, 1, :2] = 10.0  # confident class 1 on the first two samples
    labels = torch.tensor([[1, 1, 0, 0]])
    only_right = masked_cross_entropy(logits, labels, torch.tensor([[True, True, False, False]]))
    with_wrong = masked_cross_entropy(logits, labels, torch.tensor([[True, True, True, True]]))
    assert only_right.item() < 1e-3 < with_wrong.item()


def test_frame_index_points_at_frame_centres() -> None:
    idx = frame_index(2500, 157)
    assert idx[0] == 8 and idx[1] == 24 and idx[-1] == 2499


def test_qrs_presence_targets() -> None:
    fs = 250.0
    beats = np.array([250, 450, 650, 2000])  # the last gap is longer than 3 s: unknown there
    q = qrs_presence(2200, beats, fs)
    assert (q[245:256] == 1).all() and q[244] != 1
    assert (q[250 + 63 : 450 - 62] == 0).all()
    assert (q[650 + 63 : 2000 - 62] == -1).all()


def test_onnx_export_runs_with_batch_larger_than_one(model: OpenECGModel, tmp_path) -> None:
    onnx = pytest.importorskip("onnx")
    import onnxruntime as ort

    from openecg.stage2.export import ProbabilityModel, export_onnx

    rng = np.random.default_rng(0)
    path = export_onnx(model, tmp_path / "model.int8.onnx", rng.normal(size=(16, 2500)).astype(np.float32))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = rng.normal(size=(5, 2500)).astype(np.float32)
    wave, beat, rhythm = session.run(None, {"x": x})
    assert wave.shape == (5, 2500, 5) and beat.shape == (5, 1250, 7) and rhythm.shape == (5, 157, 7)
    np.testing.assert_allclose(wave.sum(-1), 1.0, atol=0.05)
    fp32 = ort.InferenceSession(str(tmp_path / "model.fp32.onnx"), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        ref = [t.numpy() for t in ProbabilityModel(model)(torch.from_numpy(x))]
    for exported, expected in zip(fp32.run(None, {"x": x}), ref):
        np.testing.assert_allclose(exported, expected, atol=1e-4)
    ops = [node.op_type for node in onnx.load(str(path)).graph.node]
    assert ops.count("Attention") == model.config.n_layers  # one fused ONNX Runtime node per encoder layer
    assert "Softmax" not in ops[:ops.index("Attention") + 1]
    single = session.run(None, {"x": x[:1]})[0]
    np.testing.assert_allclose(single, wave[:1], atol=1e-5)


def test_onnx_activation_ranges_come_from_a_percentile_or_the_extremes(model: OpenECGModel, tmp_path) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    from openecg.stage2.export import export_onnx

    calibration = np.random.default_rng(0).normal(size=(16, 2500)).astype(np.float32)
    calibration[0, 100] = 40.0  # one outlier sets the extremes, not the 99.95th percentile

    def input_scale(path) -> float:
        graph = onnx.load(str(path)).graph
        unsqueezed = next(n for n in graph.node if "x" in n.input).output[0]  # x [B, T] -> [B, 1, T]
        first = next(n for n in graph.node if n.op_type == "QuantizeLinear" and n.input[0] == unsqueezed)
        return float(numpy_helper.to_array(next(i for i in graph.initializer if i.name == first.input[1])))

    every = {"float_convs": ()}  # the input is quantised only when the first convolution is
    narrow = input_scale(export_onnx(model, tmp_path / "p.int8.onnx", calibration, **every))
    wide = input_scale(export_onnx(model, tmp_path / "m.int8.onnx", calibration, ranges="minmax", **every))
    assert wide > 5 * narrow, (wide, narrow)  # min-max spends its 256 levels on reaching the outlier
    with pytest.raises(ValueError, match="ranges="):
        export_onnx(model, tmp_path / "x.int8.onnx", calibration, ranges="max")


def test_onnx_export_keeps_the_signal_side_convolutions_and_the_heads_in_fp32(model: OpenECGModel, tmp_path) -> None:
    onnx = pytest.importorskip("onnx")
    from openecg.stage2.export import FLOAT_CONVS, export_onnx

    calibration = np.random.default_rng(0).normal(size=(16, 2500)).astype(np.float32)

    def int8_convs(path) -> dict[str, bool]:
        graph = onnx.load(str(path)).graph
        dequantized = {n.output[0] for n in graph.node if n.op_type == "DequantizeLinear"}
        return {n.name: n.input[1] in dequantized for n in graph.node if n.op_type == "Conv"}  # int8 weights

    mixed = int8_convs(export_onnx(model, tmp_path / "e.int8.onnx", calibration))
    floats = [name for name, quantised in mixed.items() if not quantised]
    assert len(floats) == len(FLOAT_CONVS) and all(any(f.endswith(s) for f in floats) for s in FLOAT_CONVS)
    assert len(mixed) > len(FLOAT_CONVS) + 4  # the rest of the stem and the decoder stay int8
    assert all(int8_convs(export_onnx(model, tmp_path / "a.int8.onnx", calibration, float_convs=())).values())
    with pytest.raises(ValueError, match="/no_such/Conv"):
        export_onnx(model, tmp_path / "x.int8.onnx", calibration, float_convs=("/no_such/Conv",))


def test_auto_classes_and_fine_tuning_through_from_pretrained(model: OpenECGModel, tmp_path) -> None:
    from transformers import AutoConfig, AutoModel

    model.save_pretrained(tmp_path)
    assert type(AutoConfig.from_pretrained(tmp_path)) is OpenECGConfig
    again = AutoModel.from_pretrained(tmp_path)
    assert type(again) is OpenECGModel
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        torch.testing.assert_close(a, b)


def test_training_config_is_validated(tmp_path) -> None:
    from pydantic import ValidationError

    from openecg.stage2.configuration_openecg import TrainingConfig

    for path in sorted(REPO.glob("configs/*.json")):
        TrainingConfig.from_json(path)
    good = json.loads((REPO / "configs" / "stage2_small.json").read_text())
    for change, field in [({"lr": -1}, "lr"), ({"datasets": {"mimic": 1.0}}, "datasets"), ({"warmup_steps": 10 ** 6}, "warmup_steps"),
                          ({"beat_class_weights": [1.0]}, "beat_class_weights"), ({"stepz": 3}, "stepz"),
                          ({"model": {**good["model"], "d_model": 30}}, "d_model=30"),
                          ({"distill_fused_heads": ["wave"]}, "distill_fused_leads"),
                          ({"distill_fused_own_lead": "augmented"}, "distill_fused_leads"),
                          ({"distill_fused_heads": ["waves"]}, "distill_fused_heads"),
                          ({"distill_fused_heads": []}, "distill_fused_heads")]:
        with pytest.raises(ValidationError, match=field):
            TrainingConfig.model_validate(good | change)


def _explicit_up_path(model: OpenECGModel, x: torch.Tensor) -> torch.Tensor:
    """The decoder written the direct way: repeat every sample twice, concatenate, convolve."""
    skips = []
    for block in model.stem:
        x = block(x)
        skips.append(x)
    z = model.embed(x.transpose(1, 2)) + model.pos
    for layer in model.layers:
        z = layer(z)
    u = model.norm(z).transpose(1, 2)
    for level, block in zip(range(len(skips) - 1, -1, -1), model.up):
        skip = skips[level]
        if u.shape[-1] != skip.shape[-1]:
            u = torch.repeat_interleave(u, 2, dim=-1)[..., : skip.shape[-1]]
        conv, bn, relu = block
        u = relu(bn(conv(torch.cat([u, skip], dim=1))))
    return model.wave_head(u)


def test_transposed_upsampling_equals_repeat_and_concatenate(model: OpenECGModel) -> None:
    torch.manual_seed(1)
    for module in model.modules():  # non-trivial BatchNorm statistics, so the eval-mode folding is exercised
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-0.5, 0.5), module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5), module.bias.data.uniform_(-0.2, 0.2)
    x = torch.randn(2, 1, 2500)
    with torch.no_grad():
        fast, explicit = model(x).wave, _explicit_up_path(model, x)
    # identical except the last samples: at the odd-length levels (625, 313) the explicit form reads one
    # zero of padding where the transposed convolution reads the last feature
    torch.testing.assert_close(fast[..., :2400], explicit[..., :2400], atol=1e-4, rtol=1e-4)
    assert not torch.allclose(fast[..., -40:], explicit[..., -40:], atol=1e-4)
    model.up.train()  # batch statistics, the BatchNorm applied after the sum: still the same function (the
    try:  # statistics include the few differing end samples, hence the looser tolerance)
        with torch.no_grad():
            fast, explicit = model(x).wave, _explicit_up_path(model, x)
        torch.testing.assert_close(fast[..., :2400], explicit[..., :2400], atol=1e-2, rtol=1e-2)
    finally:
        model.eval()


def test_distillation_loss_is_zero_only_for_matching_outputs() -> None:
    torch.manual_seed(0)
    teacher = [torch.randn(2, c, n) for c, n in ((5, 100), (7, 50), (7, 7))]
    assert float(distillation_loss(teacher, teacher)) == pytest.approx(0.0, abs=1e-6)
    assert float(distillation_loss([t + 0.5 * torch.randn_like(t) for t in teacher], teacher)) > 0.01


def test_distillation_skips_the_windows_it_is_told_to() -> None:
    torch.manual_seed(0)
    teacher = [torch.randn(3, c, n) for c, n in ((5, 100), (7, 50), (7, 7))]
    student = [t.clone() for t in teacher]
    for s in student:
        s[1] += 2 * torch.randn_like(s[1])  # only window 1 differs
    keep = torch.tensor([True, False, True])
    assert float(distillation_loss(student, teacher, keep=keep)) == pytest.approx(0.0, abs=1e-6)
    assert float(distillation_loss(student, teacher, keep=~keep)) > 0.1
    assert float(distillation_loss(student, teacher, keep=torch.zeros(3, dtype=torch.bool))) == 0.0
    whole = distillation_loss(student, teacher)  # all windows: the mean over them
    assert float(whole) == pytest.approx(float(distillation_loss(student, teacher, keep=~keep)) / 3, rel=1e-5)


def test_training_config_takes_synthetic_af_and_distillation_exclusions() -> None:
    from pydantic import ValidationError

    from openecg.stage2.configuration_openecg import TrainingConfig

    good = json.loads((REPO / "configs" / "stage2_small.json").read_text())
    cfg = TrainingConfig.model_validate(good | {"datasets": {**good["datasets"], "synth_af": 0.1},
                                                "distill_exclude": ["synth_af"], "synth_per_record": 3})
    assert cfg.distill_exclude == ["synth_af"] and cfg.synth_per_record == 3
    with pytest.raises(ValidationError, match="distill_exclude"):
        TrainingConfig.model_validate(good | {"distill_exclude": ["synth_af"]})  # not among the datasets
    with pytest.raises(ValidationError, match="synth_per_record"):
        TrainingConfig.model_validate(good | {"synth_per_record": 0})


def test_shallower_student_starts_from_the_chosen_layers(model: OpenECGModel, tmp_path) -> None:
    from openecg.stage2.configuration_openecg import TrainingConfig
    from openecg.stage2.train import _student

    model.save_pretrained(tmp_path / "teacher")
    good = json.loads((REPO / "configs" / "stage2_distill2.json").read_text())
    base = {**good, "init_from": str(tmp_path / "teacher"), "distill_from": str(tmp_path / "teacher"),
            "model": {**model.config.to_dict(), "n_layers": 2}}
    base["model"] = {k: base["model"][k] for k in good["model"]}
    student = _student(TrainingConfig.model_validate(base | {"init_layers": [3, 1]}), {})
    assert student.config.n_layers == 2
    for name, value in student.state_dict().items():
        source = name.replace("layers.0.", "layers.3.") if name.startswith("layers.0.") else name
        torch.testing.assert_close(value, model.state_dict()[source])
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="init_layers"):
        TrainingConfig.model_validate(base | {"init_layers": [0, 1, 2]})
    with pytest.raises(ValueError, match="init_layers"):
        _student(TrainingConfig.model_validate(base | {"init_layers": [0, 7]}), {})


def test_deeper_student_starts_with_identity_layers_and_computes_what_its_source_computes(
        model: OpenECGModel, tmp_path) -> None:
    from openecg.stage2.configuration_openecg import TrainingConfig
    from openecg.stage2.train import _student

    model.save_pretrained(tmp_path / "teacher")
    good = json.loads((REPO / "configs" / "stage2_distill2.json").read_text())
    n = model.config.n_layers
    base = {**good, "init_from": str(tmp_path / "teacher"), "distill_from": str(tmp_path / "teacher"),
            "model": {**model.config.to_dict(), "n_layers": n + 2}}
    base["model"] = {k: base["model"][k] for k in good["model"]}
    layers = [0, None, *range(1, n), None]
    deeper = _student(TrainingConfig.model_validate(base | {"init_layers": layers}), {})
    assert deeper.config.n_layers == n + 2
    x = torch.randn(2, 1, model.config.window, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = model.eval()(x), deeper.eval()(x)
    for head in ("wave", "beat", "rhythm"):
        torch.testing.assert_close(getattr(b, head), getattr(a, head), atol=1e-5, rtol=1e-5)
    # the new layers are new: their input projections are not the source's, and they can learn
    assert not torch.equal(deeper.layers[1].qkv.weight, model.layers[0].qkv.weight)
    assert not torch.equal(deeper.layers[1].qkv.weight, model.layers[1].qkv.weight)
    assert deeper.layers[1].proj.weight.abs().sum() == 0 and deeper.layers[1].proj.weight.requires_grad


def test_soup_averages_float_weights_and_refuses_other_architectures(tmp_path) -> None:
    from openecg.stage2.soup import average_weights, main

    torch.manual_seed(0)
    a, b = OpenECGModel(OpenECGConfig()).eval(), OpenECGModel(OpenECGConfig()).eval()
    soup = average_weights([a, b])
    for name, value in soup.state_dict().items():
        first, second = a.state_dict()[name], b.state_dict()[name]
        expected = (first + second) / 2 if value.is_floating_point() else first
        torch.testing.assert_close(value, expected)
    assert not torch.equal(soup.embed.weight, a.embed.weight)
    with pytest.raises(ValueError, match="d_model"):
        average_weights([a, OpenECGModel(OpenECGConfig(d_model=32, n_heads=2))])
    with pytest.raises(ValueError, match="two or more"):
        average_weights([a])
    a.save_pretrained(tmp_path / "a"), b.save_pretrained(tmp_path / "b")
    main(["--models", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "soup")])
    loaded = OpenECGModel.from_pretrained(tmp_path / "soup")
    torch.testing.assert_close(loaded.embed.weight, soup.embed.weight)
    assert loaded.config.souped_from == [str(tmp_path / "a"), str(tmp_path / "b")]


def test_pooled_encoder_averages_frames_and_keeps_the_parameters(model: OpenECGModel, tmp_path) -> None:
    from openecg.stage2.modeling_openecg import pool_tokens, unpool_tokens

    z = torch.arange(5.0).reshape(1, 5, 1)
    pooled = pool_tokens(z, 2)
    assert pooled.flatten().tolist() == [0.5, 2.5, 4.0]  # an odd last frame is a token alone
    assert unpool_tokens(pooled, 2, 5).flatten().tolist() == [0.5, 0.5, 2.5, 2.5, 4.0]
    assert pool_tokens(z, 1) is z and unpool_tokens(z, 1, 5) is z
    with pytest.raises(ValueError, match="token_pool=0"):
        OpenECGConfig(token_pool=0)

    pooled_model = OpenECGModel(OpenECGConfig(token_pool=2)).eval()
    pooled_model.load_state_dict(model.state_dict())  # the same parameters: fine-tuning may switch pooling on
    x = torch.randn(2, 1, 2500)
    with torch.no_grad():
        a, b = model(x), pooled_model(x)
    for plain, pooled_out in zip(a.to_tuple(), b.to_tuple()):
        assert plain.shape == pooled_out.shape
    assert not torch.allclose(a.rhythm, b.rhythm)
    assert torch.equal(b.rhythm[..., 0:156:2], b.rhythm[..., 1:157:2])  # one rhythm row per 2-frame token

    pytest.importorskip("onnx")
    import onnxruntime as ort

    from openecg.stage2.export import ProbabilityModel, export_onnx

    calibration = np.random.default_rng(0).normal(size=(8, 2500)).astype(np.float32)
    export_onnx(pooled_model, tmp_path / "model.int8.onnx", calibration)
    fp32 = ort.InferenceSession(str(tmp_path / "model.fp32.onnx"), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        ref = [t.numpy() for t in ProbabilityModel(pooled_model)(torch.from_numpy(calibration[:3]))]
    for exported, expected in zip(fp32.run(None, {"x": calibration[:3]}), ref):
        np.testing.assert_allclose(exported, expected, atol=1e-4)


def test_fine_tuning_keeps_or_switches_token_pooling(model: OpenECGModel, tmp_path) -> None:
    from openecg.stage2.configuration_openecg import TrainingConfig
    from openecg.stage2.train import _fine_tuning_start

    OpenECGModel(OpenECGConfig(token_pool=2)).save_pretrained(tmp_path / "pooled")
    model.save_pretrained(tmp_path / "plain")
    good = json.loads((REPO / "configs" / "stage2_pool2.json").read_text())
    plain_model = {k: v for k, v in good["model"].items() if k != "token_pool"}

    def start(init: str, model_settings: dict) -> OpenECGModel:
        cfg = TrainingConfig.model_validate(good | {"init_from": str(tmp_path / init), "model": model_settings})
        return _fine_tuning_start(cfg, {})

    assert start("pooled", plain_model).config.token_pool == 2  # not named: the starting model's own is kept
    assert start("plain", good["model"]).config.token_pool == 2  # named: switched on, the weights unchanged
    assert start("pooled", plain_model | {"token_pool": 1}).config.token_pool == 1
    with pytest.raises(ValueError, match="d_model"):
        start("plain", plain_model | {"d_model": 32, "n_heads": 2})


def test_sampler_says_which_database_each_window_came_from() -> None:
    from openecg.stage2.sampler import WindowSampler
    from openecg.stage2.tracks import Track

    def track(name: str, rhythm: int) -> Track:
        n = 5000
        labels = np.zeros((3, n), np.uint8)
        labels[2] = rhythm
        return Track(name, "r", "I", np.sin(np.arange(n) / 9).astype(np.float32), labels, np.ones((3, n), bool),
                     np.full(n, -1, np.int8))

    sampler = WindowSampler({"a": [track("a", 0)], "b": [track("b", 1)]}, {"a": 1.0, "b": 3.0},
                            np.zeros(1000, np.float32), window=2500, seed=0, augment_data=False)
    batch = sampler.draw(64)
    assert set(batch.source) == {"a", "b"} and 32 < int((batch.source == "b").sum()) < 64
    np.testing.assert_array_equal(batch.labels[:, 2].max(axis=1), (batch.source == "b").astype(np.uint8))


def test_fused_lead_teacher_sees_the_records_other_leads_at_the_same_instants(model: OpenECGModel) -> None:
    from openecg.signal.normalize import normalize_windows
    from openecg.stage2.sampler import WindowSampler
    from openecg.stage2.tracks import Track
    from openecg.stage2.train import fused_teacher

    n, w = 6000, 2500
    noise = np.random.default_rng(3).normal(size=(3, n)).astype(np.float32)
    mask = np.zeros((3, n), bool)
    mask[:, 2500:3500] = True  # every window then lies inside the record

    def track(record: str, lead: str, signal: np.ndarray) -> Track:
        return Track("a", record, lead, signal, np.zeros((3, n), np.uint8), mask, np.full(n, -1, np.int8))

    tracks = [track("r1", "I", noise[0]), track("r1", "II", noise[1]), track("r2", "I", noise[2])]
    sampler = WindowSampler({"a": tracks}, {"a": 1.0}, np.zeros(1000, np.float32), window=w, seed=1,
                            augment_data=False, teacher_leads=3)
    batch = sampler.draw(24)
    assert batch.teacher_x.shape == (24, 3, w)
    np.testing.assert_allclose(batch.teacher_x[:, 0], batch.x, atol=1e-6)  # own lead, unaugmented here
    cuts = [normalize_windows(np.lib.stride_tricks.sliding_window_view(lead, w)) for lead in noise]
    for b in range(24):
        rows = int(batch.teacher_n[b])
        assert not batch.teacher_x[b, rows:].any()
        own = [(k, int(np.argmin(np.abs(c - batch.x[b]).max(axis=1)))) for k, c in enumerate(cuts)]
        lead, start = min(own, key=lambda ks: np.abs(cuts[ks[0]][ks[1]] - batch.x[b]).max())
        np.testing.assert_allclose(cuts[lead][start], batch.x[b], atol=1e-5)
        if lead == 2:  # a one-lead record: the teacher sees that lead alone
            assert rows == 1
        else:  # the other lead of r1, cut at the same instants
            assert rows == 2
            np.testing.assert_allclose(batch.teacher_x[b, 1], cuts[1 - lead][start], atol=1e-5)
    assert set(batch.teacher_n.tolist()) == {1, 2}

    # the fused target is the mean of the rows' probabilities
    fused = fused_teacher(model, batch)
    with torch.no_grad():
        out = model(torch.from_numpy(batch.teacher_x.reshape(-1, w))[:, None])
    keep = torch.from_numpy(np.arange(3)[None, :] < batch.teacher_n[:, None]).float()
    for head, f in zip(out[:3], fused):
        probs = torch.softmax(head, dim=1).reshape((24, 3) + head.shape[1:])
        mean = (probs * keep[..., None, None]).sum(1) / keep.sum(1)[:, None, None]
        torch.testing.assert_close(f.exp(), mean, atol=1e-5, rtol=1e-4)


def test_fused_teacher_can_see_the_students_augmented_window_and_fuse_only_the_wave_head(model: OpenECGModel) -> None:
    from openecg.stage2.sampler import WindowSampler
    from openecg.stage2.tracks import Track
    from openecg.stage2.train import fused_teacher, teacher_targets

    n, w = 6000, 2500
    rng = np.random.default_rng(4)
    signal = np.sin(np.arange(n) / 40.0).astype(np.float32)[None] + 0.05 * rng.normal(size=(2, n)).astype(np.float32)
    mask = np.zeros((3, n), bool)
    mask[:, 2500:3500] = True
    tracks = [Track("a", "r1", lead, signal[i], np.zeros((3, n), np.uint8), mask, np.full(n, -1, np.int8))
              for i, lead in enumerate(("I", "II"))]
    noise = rng.normal(scale=0.5, size=20000).astype(np.float32)

    def draw(own: str):
        sampler = WindowSampler({"a": tracks}, {"a": 1.0}, noise, window=w, seed=5, teacher_leads=2,
                                teacher_own_lead=own)
        return sampler.draw(16)

    clean, augmented = draw("clean"), draw("augmented")
    np.testing.assert_array_equal(clean.x, augmented.x)  # the same draws; only the teacher's own row differs
    np.testing.assert_allclose(augmented.teacher_x[:, 0], augmented.x, atol=1e-6)
    assert not np.allclose(clean.teacher_x[:, 0], clean.x, atol=1e-3)  # augmentation changed the student's windows
    np.testing.assert_array_equal(clean.teacher_x[:, 1], augmented.teacher_x[:, 1])  # the other lead stays clean
    with pytest.raises(ValueError, match="teacher_own_lead"):
        WindowSampler({"a": tracks}, {"a": 1.0}, noise, window=w, teacher_leads=2, teacher_own_lead="noisy")

    x = torch.from_numpy(augmented.x)[:, None]
    with torch.no_grad():
        own, fused = model(x), fused_teacher(model, augmented)
        only_wave = teacher_targets(model, x, augmented, ["wave"])
        every = teacher_targets(model, x, augmented, ["wave", "beat", "rhythm"])
    torch.testing.assert_close(only_wave[0], fused[0])
    torch.testing.assert_close(only_wave[1], own.beat)
    torch.testing.assert_close(only_wave[2], own.rhythm)
    assert not torch.allclose(only_wave[1], fused[1], atol=1e-4)  # the two targets do differ here
    for a, b in zip(every, fused):
        torch.testing.assert_close(a, b)
