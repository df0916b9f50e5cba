"""Torch-free inference: the :class:`Predictor` interface and the registry of named models.

Every model bundled in the package answers to two names: ``"default"`` runs the int8 ONNX file with ONNX
Runtime, ``"default:litert"`` the int8 TFLite file with ai-edge-litert or tflite-runtime.

Examples
--------
>>> "no-such-model" in registered_predictors()
False
"""

from __future__ import annotations

from collections.abc import Callable

from .base import Predictor as Predictor
from .heads import HEADS as HEADS
from .heads import OUTPUT_CLASSES as OUTPUT_CLASSES

__all__ = ["Predictor", "HEADS", "OUTPUT_CLASSES", "get_predictor", "register_predictor", "registered_predictors"]

_REGISTRY: dict[str, Callable[[], Predictor]] = {}


def register_predictor(name: str, factory: Callable[[], Predictor]) -> None:
    """Register ``factory`` (called with no arguments, returns a :class:`Predictor`) under ``name``.

    Registering a name again replaces the earlier factory.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name={name!r} must be a non-empty string naming the model")
    if not callable(factory):
        raise ValueError(f"factory={factory!r} is not callable; pass a function that returns a Predictor")
    _REGISTRY[name] = factory


def _bundled() -> dict[str, tuple[str, str]]:
    """Names of the bundled models -> (model, backend): ``name`` on ONNX Runtime, ``name:litert`` on LiteRT."""
    from .bundled import bundled_models

    return {alias: (m, backend) for m in bundled_models() for alias, backend in ((m, "onnx"), (f"{m}:litert", "litert"))}


def registered_predictors() -> tuple[str, ...]:
    """The names that :func:`get_predictor` accepts, sorted: registered factories and bundled models."""
    return tuple(sorted(set(_REGISTRY) | set(_bundled())))


def get_predictor(model: str | Predictor) -> Predictor:
    """Return the predictor named ``model``, or ``model`` itself when it already is a :class:`Predictor`.

    A name is looked up among the registered factories first, then among the models bundled in
    ``openecg/runtime/models/`` (``name`` on ONNX Runtime, ``name:litert`` on LiteRT; one session per
    process).

    Raises
    ------
    ValueError
        When ``model`` is neither a registered name nor an object with ``fs``, ``window`` and ``predict``.
    """
    if isinstance(model, str):
        from .bundled import cached_predictor

        bundled = _bundled()
        if model in _REGISTRY:
            predictor = _REGISTRY[model]()
        elif model in bundled:
            predictor = cached_predictor(*bundled[model])
        else:
            names = ", ".join(registered_predictors()) or "none yet"
            raise ValueError(
                f"model={model!r} is not a registered predictor; registered: {names}. "
                "Pass a Predictor object or register one with openecg.runtime.register_predictor(name, factory)"
            )
    else:
        predictor = model
    if not isinstance(predictor, Predictor):
        raise ValueError(
            f"model={model!r} is not a Predictor; it needs attributes fs, window and a predict(x) method"
        )
    return predictor

