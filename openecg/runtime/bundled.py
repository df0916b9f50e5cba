"""Models shipped inside the package: lookup, checksum verification on load, and the predictors.

A bundled model is a folder ``openecg/runtime/models/<name>/`` holding ``config.json`` (the model config:
fs, window, units, normalisation, class tables, training data, metrics), ``model.int8.onnx``,
``model.int8.tflite`` and ``manifest.json`` with the sha256 of each file. Every file is checked against its
digest before it is used, so a corrupted or swapped file fails loudly instead of giving wrong labels.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError
from ..signal.normalize import normalize_windows
from .heads import HEAD_NAMES, to_samples

__all__ = [
    "MODELS_DIR", "bundled_models", "model_file", "model_config", "OnnxPredictor", "LiteRTSession", "LiteRTPredictor",
    "cached_predictor",
]

CALL_ROWS = 2
"""Windows per ONNX Runtime call when :class:`OnnxPredictor` spreads a batch over its threads: one 2-window
call costs no more per window than a 16-window one (about 10% less on this project's 2-core machine), and
small pieces even out the threads' shares (``benchmarks/bench_stream.py``, ``docs/stream.md``)."""

MODELS_DIR = Path(__file__).resolve().parent / "models"
"""Where bundled models live (one folder each); :mod:`openecg.stage2.export` writes new ones here."""


def bundled_models() -> tuple[str, ...]:
    """Names of the models shipped in this install."""
    if not MODELS_DIR.is_dir():
        return ()
    return tuple(sorted(p.name for p in MODELS_DIR.iterdir() if (p / "manifest.json").is_file()))


def _folder(name: str) -> Path:
    folder = MODELS_DIR / name
    if not (folder / "manifest.json").is_file():
        raise ValueError(f"model={name!r} is not a bundled model; available: {', '.join(bundled_models()) or 'none'}")
    return folder


def model_file(name: str, filename: str) -> Path:
    """Path of ``filename`` in bundled model ``name`` after checking its sha256 against the manifest."""
    folder = _folder(name)
    digests = json.loads((folder / "manifest.json").read_text())["sha256"]
    if filename not in digests:
        raise ValueError(f"filename={filename!r} is not part of model {name!r}; files: {', '.join(sorted(digests))}")
    path = folder / filename
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != digests[filename]:
        raise ValueError(
            f"{path} has sha256 {actual}, but the manifest says {digests[filename]}: the file is corrupted or was "
            "replaced; reinstall openecg"
        )
    return path


STAGE_FILES = {"onnx": "{key}.json", "litert": "{key}.litert.json"}
"""The stage files of each graph in a model folder (``key``: ``beat_stage``, ``af_stage``, ``beat_stage.fused``):
a stage learns from the outputs of one graph, and the ONNX and TFLite graphs are int8 in their own ways."""
STAGE_KEYS = {"beat_stage": "beat_stage", "af_stage": "af_stage", "beat_stage_fused": "beat_stage.fused",
              "af_stage_fused": "af_stage.fused"}
"""The stages a model folder may ship, by name: the beat and AF stages, fitted on lead 0 alone, and those fitted
on both leads' outputs fused, for two-lead recordings (:data:`openecg.stream.decoder.FUSED_STAGE_LEADS`)."""


def second_stages(name: str, backend: str = "onnx") -> dict[str, dict | None]:
    """The second stages of bundled model ``name`` for the graph of ``backend`` (``"onnx"`` or ``"litert"``) as
    JSON objects: ``{"beat_stage": ..., "af_stage": ..., "beat_stage_fused": ..., "af_stage_fused": ...}``
    (:data:`STAGE_KEYS`), each
    None when the model ships none (checksums verified). For ``"litert"``, ``<key>.litert.json`` (fitted on the
    TFLite graph's outputs), else the ONNX graph's ``<key>.json``. The stream builds them
    (:func:`openecg.stream.decoder.model_stages`)."""
    if backend not in STAGE_FILES:
        raise ValueError(f"backend={backend!r} must be one of {tuple(STAGE_FILES)}")
    digests = json.loads((_folder(name) / "manifest.json").read_text())["sha256"]
    stages: dict[str, dict | None] = {}
    for out, key in STAGE_KEYS.items():
        files = [STAGE_FILES[backend].format(key=key), STAGE_FILES["onnx"].format(key=key)]
        found = next((f for f in files if f in digests), None)
        stages[out] = json.loads(model_file(name, found).read_text()) if found else None
    return stages


def model_config(name: str) -> dict:
    """The JSON config of bundled model ``name`` (checksum verified)."""
    return json.loads(model_file(name, "config.json").read_text())


def per_sample(outputs: list[np.ndarray], window: int) -> dict[str, np.ndarray]:
    """Every head's rows repeated to one row per input sample: ``(B, t, C)`` -> ``(B, window, C)``."""
    return {key: to_samples(probs, window) for key, probs in zip(HEAD_NAMES, outputs)}


class OnnxPredictor:
    """A bundled model run with ONNX Runtime on the CPU; implements :class:`openecg.runtime.Predictor`.

    Parameters
    ----------
    name : str
        Bundled model name (``"default"``).
    threads : int or None
        CPU threads per call (default: one per CPU, at most 4). A batch is cut into pieces of
        ``CALL_ROWS`` windows, which that many threads take in turn, each piece run by a single-threaded ONNX
        Runtime call (the session is thread-safe and releases the GIL). Whole windows in parallel scale
        better than ONNX Runtime's own intra-op threads, which split every operator of this small model and
        wait at each one; small pieces taken in turn keep both cores busy to the end of a batch when one of
        them is also running the stream's own work, and cost less per window than large ones (the
        activations stay in cache). Each row's result is the same however the batch is cut.
    spinning : bool
        Let idle intra-op threads spin between operators (ONNX Runtime's default); only matters with
        ``intra_op_threads`` > 1. Off here: spinning threads take the cores the stream's own work
        (decoding, tokens) runs on, and on a loaded machine they make every call slower.
    intra_op_threads : int
        ONNX Runtime's intra-op threads per part (default 1).
    """

    def __init__(
        self, name: str = "default", *, threads: int | None = None, spinning: bool = False, intra_op_threads: int = 1
    ) -> None:
        import onnxruntime as ort

        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise ValueError(f"threads={threads!r} must be a positive integer or None (one per CPU, at most 4)")
        self.name = name
        self.config = model_config(name)
        self.fs = float(self.config["fs"])
        self.window = int(self.config["window"])
        self.stages = second_stages(name)
        self.threads = threads or max(1, min(4, os.cpu_count() or 1))
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
        path = model_file(name, "model.int8.onnx")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._pool = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="openecg-onnx") if self.threads > 1 else None

    def _run(self, x: np.ndarray) -> list[np.ndarray]:
        return self._session.run(None, {"x": x})

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """float32 ``(B, window)`` raw mV at ``fs`` -> per-sample probabilities (see the Predictor protocol).

        These are the network's own outputs, before the second stages (:attr:`stages`) that ``encode`` and
        ``encode_stream`` apply: the rhythm head alone over-calls AF (model card, "Intended use"), so take AF
        and S decisions from the encoded labels, not from these probabilities."""
        frames = self.predict_frames(x)
        return per_sample([frames[k] for k in HEAD_NAMES], self.window)

    def predict_frames(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """:meth:`predict` at each head's own rate, ``(B, t, C)`` (see the Predictor protocol)."""
        x = normalize_windows(x)
        starts = range(0, len(x), CALL_ROWS)
        if len(starts) <= 1 or self._pool is None:
            return dict(zip(HEAD_NAMES, self._run(x)))
        outputs: list[list[np.ndarray]] = [[] for _ in starts]
        taken = itertools.count()  # next() on a count is atomic under the GIL: each piece is taken once

        def take() -> None:
            while (i := next(taken)) < len(starts):
                outputs[i] = self._run(x[starts[i]:starts[i] + CALL_ROWS])

        helpers = [self._pool.submit(take) for _ in range(min(self.threads, len(starts)) - 1)]
        take()
        for helper in helpers:
            helper.result()
        return {key: np.concatenate(head) for key, head in zip(HEAD_NAMES, zip(*outputs))}


class LiteRTSession:
    """A TFLite file run with ai-edge-litert (preferred) or tflite-runtime; ``run(x)`` -> dict of outputs."""

    def __init__(self, path: Path, *, threads: int | None = None) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            try:
                from tflite_runtime.interpreter import Interpreter
            except ImportError:
                raise MissingDependencyError(
                    "the TFLite backend needs ai-edge-litert (numpy 2) or tflite-runtime (numpy < 2): "
                    'pip install "openecg[litert]"'
                ) from None
        self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self._batch = 0
        self._outputs = {d["name"]: d["index"] for d in self._interpreter.get_output_details()}

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """float32 ``(B, window)`` normalised -> probabilities per head, ``(B, t, C)`` float32."""
        interp = self._interpreter
        inp = interp.get_input_details()[0]
        if self._batch != x.shape[0]:
            interp.resize_tensor_input(inp["index"], list(x.shape))
            interp.allocate_tensors()
            self._batch = x.shape[0]
        interp.set_tensor(inp["index"], np.ascontiguousarray(x, dtype=np.float32))
        interp.invoke()
        by_width = {}
        for detail in interp.get_output_details():
            by_width[detail["shape"][1]] = interp.get_tensor(detail["index"]).astype(np.float32)
        widths = sorted(by_width, reverse=True)
        return dict(zip(HEAD_NAMES, (by_width[w] for w in widths)))


class LiteRTPredictor:
    """A bundled model run with LiteRT / TFLite; implements :class:`openecg.runtime.Predictor`.

    Its second stages (:attr:`stages`) are the ones fitted on the TFLite graph's own outputs
    (``beat_stage.litert.json``, ``af_stage.litert.json``) when the model ships them, else the ONNX graph's.
    """

    def __init__(self, name: str = "default", *, threads: int | None = None) -> None:
        self.name = name
        self.config = model_config(name)
        self.fs = float(self.config["fs"])
        self.window = int(self.config["window"])
        self.stages = second_stages(name, "litert")
        self._session = LiteRTSession(model_file(name, "model.int8.tflite"), threads=threads)

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """float32 ``(B, window)`` raw mV at ``fs`` -> per-sample probabilities (see the Predictor protocol).

        These are the network's own outputs, before the second stages (:attr:`stages`) that ``encode`` and
        ``encode_stream`` apply: the rhythm head alone over-calls AF (model card, "Intended use"), so take AF
        and S decisions from the encoded labels, not from these probabilities."""
        frames = self.predict_frames(x)
        return per_sample([frames[k] for k in HEAD_NAMES], self.window)

    def predict_frames(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """:meth:`predict` at each head's own rate, ``(B, t, C)`` (see the Predictor protocol)."""
        return self._session.run(normalize_windows(x))


def cached_predictor(name: str, backend: str = "onnx") -> OnnxPredictor | LiteRTPredictor:
    """One predictor per (models folder, model, backend) per process: sessions are expensive to build."""
    if backend not in ("onnx", "litert"):
        raise ValueError(f"backend={backend!r} is not a runtime; allowed: onnx, litert")
    return _cached(MODELS_DIR, name, backend)


@functools.lru_cache(maxsize=8)
def _cached(models_dir: Path, name: str, backend: str) -> OnnxPredictor | LiteRTPredictor:
    return OnnxPredictor(name) if backend == "onnx" else LiteRTPredictor(name)
