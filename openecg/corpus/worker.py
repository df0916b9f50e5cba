"""One record of a corpus job: read, check, encode, turn into runs and ids; never raise for a bad record.

:func:`process` returns a :class:`Result` for every item: ``status="ok"`` with the runs and ids, or
``status="error"`` with the reason (the exception type and message) and no data. Leads that hold no finite
sample are left out of the consensus stream and named in ``reason`` (the record stays ``ok``); a record with no
such lead left is an error.

The model is loaded once per process (:func:`predictor`): a Dask worker builds its session on its first
record and keeps it.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..tokenizer.ids import to_ids
from ..tokenizer.vocab import LAYERS, symbol_id
from .inputs import IMAGE_SUFFIXES, Item

__all__ = ["Result", "JobOptions", "process", "predictor", "model_identity", "RAGGED"]

RAGGED: tuple[str, ...] = tuple(f"{layer}_{part}" for layer in (*LAYERS, "symbols") for part in ("symbols", "lengths"))
"""Per-record run arrays of a result: ``wave_symbols``, ``wave_lengths``, ... ``symbols_lengths``."""


@dataclass(frozen=True)
class JobOptions:
    """The options that decide a store's contents (written into the store and checked on every later job).

    Attributes
    ----------
    model : str
        A bundled model name (``"default"``, ``"default:litert"``) or a registered predictor name.
    per_lead : bool
        Also encode every lead on its own and store its symbol runs and ids with the lead name.
    leads : tuple of str, optional
        Leads to keep, in order (case-insensitive names); all by default.
    fs : float, optional
        Sample rate in Hz for ``.npy`` / ``.csv`` files whose manifest row gives none.
    """

    model: str = "default"
    per_lead: bool = False
    leads: tuple[str, ...] | None = None
    fs: float | None = None

    def get_config(self) -> dict[str, object]:
        """JSON-ready options."""
        return {"model": self.model, "per_lead": self.per_lead,
                "leads": None if self.leads is None else list(self.leads), "fs": self.fs}

    @classmethod
    def from_config(cls, config: dict[str, object]) -> JobOptions:
        """Options from :meth:`get_config`."""
        leads = config.get("leads")
        return cls(str(config["model"]), bool(config["per_lead"]),
                   None if leads is None else tuple(leads),  # type: ignore[arg-type]
                   None if config.get("fs") is None else float(config["fs"]))  # type: ignore[arg-type]


@dataclass
class Result:
    """The outcome for one record; arrays are empty for an error."""

    id: str
    path: str
    sha256: str = ""
    fs: float = 0.0
    lead_names: tuple[str, ...] = ()
    n_samples: int = 0
    status: str = "error"
    reason: str = ""
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint16))
    lead_streams: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    """Per-lead streams: (lead name, symbols uint8, lengths int64, ids uint16)."""

    @property
    def duration_s(self) -> float:
        """Seconds of ECG (0 for an error)."""
        return self.n_samples / self.fs if self.fs else 0.0


def _split_model(model: str) -> tuple[str, str]:
    name, _, backend = model.partition(":")
    return name, backend or "onnx"


@functools.lru_cache(maxsize=4)
def predictor(model: str, threads: int = 1) -> object:
    """The predictor for ``model``, built once per process with ``threads`` intra-op threads when bundled."""
    from ..runtime import get_predictor
    from ..runtime.bundled import LiteRTPredictor, OnnxPredictor, bundled_models

    name, backend = _split_model(model)
    if name in bundled_models() and backend in ("onnx", "litert"):
        return (OnnxPredictor if backend == "onnx" else LiteRTPredictor)(name, threads=threads)
    return get_predictor(model)


def model_identity(model: str) -> dict[str, str]:
    """``{"model": name, "model_file": file, "model_sha256": digest}`` of a bundled model (digest "" otherwise)."""
    import json

    from ..runtime.bundled import MODELS_DIR, bundled_models

    name, backend = _split_model(model)
    if name not in bundled_models():
        return {"model": model, "model_file": "", "model_sha256": ""}
    filename = "model.int8.onnx" if backend == "onnx" else "model.int8.tflite"
    digests = json.loads((Path(MODELS_DIR) / name / "manifest.json").read_text())["sha256"]
    return {"model": model, "model_file": filename, "model_sha256": digests[filename]}


def _sha256(item: Item) -> str:
    path = Path(item.path)
    files = [path]
    if path.suffix.lower() == ".hea" or not path.is_file():
        header = path if path.suffix.lower() == ".hea" else path.with_name(path.name + ".hea")
        files = [header]
        if header.is_file():
            lines = [ln.split() for ln in header.read_text(errors="replace").splitlines()[1:]]
            files += sorted({header.with_name(ln[0]) for ln in lines if ln and not ln[0].startswith("#")})
    digest = hashlib.sha256()
    for file in files:
        if file.is_file():
            digest.update(file.read_bytes())
    return digest.hexdigest()


def _read(item: Item, options: JobOptions) -> object:
    from ..paper.digitizer import digitize
    from ..signal.io import read

    path = Path(item.path)
    suffix = path.suffix.lower()
    if path.is_file() and path.stat().st_size == 0:
        raise ValueError(f"the file is empty (0 bytes): {item.path}")
    if suffix in IMAGE_SUFFIXES:
        recording = digitize(item.path)
    else:
        names = None if item.leads is None else list(item.leads)
        if suffix in (".npy", ".csv"):  # arrays carry no lead names: the manifest's names label the columns
            fs = item.fs if item.fs is not None else options.fs
            recording = read(item.path, fs=fs, lead_names=names)
        else:
            recording = read(item.path, fs=item.fs, leads=names)
    return recording if options.leads is None else _select(recording, options.leads, where=repr(item.path))


def _select(recording: object, leads: tuple[str, ...], where: str) -> object:
    """The job's ``leads`` of ``recording``, in that order (:func:`openecg.signal.validate.select_leads`)."""
    from ..signal.recording import Recording
    from ..signal.validate import select_leads

    index = select_leads(recording.lead_names, list(leads), where=where)  # type: ignore[attr-defined]
    return Recording(recording.signal[:, index], fs=recording.fs,  # type: ignore[attr-defined]
                     lead_names=tuple(recording.lead_names[i] for i in index))  # type: ignore[attr-defined]


def _encode(item: Item, options: JobOptions, threads: int) -> Result:
    from ..encode import encode

    recording = _read(item, options)
    signal, fs, names = recording.signal, recording.fs, tuple(recording.lead_names)  # type: ignore[attr-defined]
    result = Result(item.id, item.path, fs=float(fs), lead_names=names, n_samples=int(len(signal)))
    readable = np.isfinite(signal).any(axis=0)
    if not readable.any():
        raise ValueError("no readable lead: every lead holds only NaN or inf")
    if not readable.all():
        result.reason = "leads without a finite sample, left out: " + ", ".join(
            name for name, ok in zip(names, readable, strict=True) if not ok)
    model = predictor(options.model, threads)
    codec = encode(signal[:, readable], fs, model=model)
    for layer in (*LAYERS, "symbols"):
        runs = codec.runs(layer)
        result.arrays[f"{layer}_symbols"] = runs.symbols
        result.arrays[f"{layer}_lengths"] = runs.lengths
    result.ids = to_ids(codec)
    if options.per_lead:
        for name, ok, column in zip(names, readable, signal.T, strict=True):
            if ok:
                lead_codec = encode(column, fs, model=model)
                runs = lead_codec.tokens()
                result.lead_streams.append((name, runs.symbols, runs.lengths, to_ids(lead_codec, lead=name)))
            else:
                gap = np.array([symbol_id("unk")], np.uint8), np.array([len(signal)], np.int64)
                result.lead_streams.append((name, *gap, to_ids(codec, lead=name, gap=True)))
    result.status = "ok"
    return result


def process(item: Item, options: JobOptions, *, threads: int = 1) -> Result:
    """Encode one item; any failure becomes a ``status="error"`` result with its reason."""
    try:
        result = _encode(item, options, threads)
    except Exception as error:  # noqa: BLE001 - a bad record must not stop the job; the reason is kept
        reason = f"{type(error).__name__}: {error}".strip()
        result = Result(item.id, item.path, reason=reason)
    try:
        result.sha256 = _sha256(item)
    except OSError as error:
        result.reason = (result.reason + f"; sha256 failed: {error}").strip("; ")
    return result
