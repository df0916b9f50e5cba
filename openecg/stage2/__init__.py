"""The trainable multi-task model (torch): config, model, losses, training and export.

Importing this package does not import torch; ``OpenECGConfig`` and ``OpenECGModel`` load it on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OpenECGConfig", "OpenECGModel"]


def __getattr__(name: str) -> Any:
    if name == "OpenECGConfig":
        from .configuration_openecg import OpenECGConfig

        return OpenECGConfig
    if name == "OpenECGModel":
        from .modeling_openecg import OpenECGModel

        return OpenECGModel
    raise AttributeError(f"module 'openecg.stage2' has no attribute {name!r}")
