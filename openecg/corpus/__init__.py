"""Many ECG records into one zarr v3 store of runs and token ids, on one process or a Dask cluster.

``tokenize`` writes a store (``openecg corpus`` on the command line), ``open_store`` reads it, and
``CorpusDataset`` streams fixed-length id blocks from it for language-model pretraining. zarr, dask and
torch are imported only by the functions that need them (``CorpusDataset`` imports torch on first access).
"""

from __future__ import annotations

from .job import tokenize as tokenize
from .store import CorpusStore as CorpusStore
from .store import open_store as open_store

__all__ = ["tokenize", "open_store", "CorpusStore", "CorpusDataset"]


def __getattr__(name: str) -> object:
    if name == "CorpusDataset":
        from .dataset import CorpusDataset

        return CorpusDataset
    raise AttributeError(f"module 'openecg.corpus' has no attribute {name!r}")
