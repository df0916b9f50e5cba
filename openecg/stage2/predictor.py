"""``TorchPredictor``: a trained (fp32) model behind the :class:`openecg.runtime.Predictor` interface.

Used to score checkpoints with exactly the pipeline of the shipped int8 files (``encode`` / ``encode_stream``
and :mod:`openecg.eval`), and to measure what quantisation costs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..runtime.bundled import per_sample
from ..signal.normalize import normalize_windows
from ..stream.af import AFStage
from ..stream.rr_beats import BeatStage
from .export import ProbabilityModel
from .modeling_openecg import OpenECGModel

__all__ = ["TorchPredictor"]


class TorchPredictor:
    """Run a ``save_pretrained`` folder with torch on the CPU.

    Parameters
    ----------
    path : str or pathlib.Path
        The model folder (``config.json`` and ``model.safetensors``; ``beat_stage.json`` and ``af_stage.json`` when it has them).
    """

    def __init__(self, path: str | Path) -> None:
        self.model = OpenECGModel.from_pretrained(str(path)).eval()
        self._graph = ProbabilityModel(self.model).eval()
        self.fs = float(self.model.config.fs)
        self.window = int(self.model.config.window)
        beat, af = Path(path) / "beat_stage.json", Path(path) / "af_stage.json"
        self.beat_stage = BeatStage.from_json(beat) if beat.is_file() else None
        self.af_stage = AFStage.from_json(af) if af.is_file() else None

    @torch.no_grad()
    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """float32 ``(B, window)`` raw mV at ``fs`` -> per-sample probabilities (see the Predictor protocol)."""
        outputs = self._graph(torch.from_numpy(normalize_windows(x)))
        return per_sample([t.numpy() for t in outputs], self.window)
