"""``import openecg`` stays light: no heavy optional dependency is imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "transformers", "zarr", "dask", "cv2", "onnxruntime", "wfdb", "matplotlib")


def test_import_openecg_does_not_import_heavy_dependencies() -> None:
    code = (
        "import sys, openecg, openecg.tokenizer\n"
        "from openecg import Codec, load_codec\n"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1]
    )
    assert result.stdout.strip() == ""


def test_public_names() -> None:
    import openecg
    import openecg.tokenizer as tokenizer

    assert openecg.Codec.__module__ == "openecg.codec"
    for name in ("labels_to_runs", "runs_to_labels", "pack", "unpack", "dumps", "loads", "save", "load",
                 "render_compact", "render_timed", "Container", "Runs"):
        assert callable(getattr(tokenizer, name)), name
