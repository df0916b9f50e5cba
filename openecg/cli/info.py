"""``openecg info PATH``: what a record (WFDB, EDF, .npy, CSV) or an encoded result (.oecg, .oecgs) holds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .common import CommandError, describe

__all__ = ["register", "run", "result_facts", "record_facts"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="tell what a record or an .oecg/.oecgs file holds",
                                   description="Tell what a record (WFDB, EDF, .npy, CSV) or an encoded result "
                                               "(.oecg codec file, .oecgs stream file) holds.")
    parser.add_argument("path", help="a WFDB record (name or .hea), EDF/BDF, .npy, CSV, .oecg or .oecgs file")
    parser.add_argument("--fs", type=float, default=None, help="sample rate in Hz of a .npy or CSV file")
    parser.add_argument("--json", action="store_true", help="print the facts as JSON")
    parser.set_defaults(func=run)


def _magic(path: Path) -> bytes:
    if not path.is_file():
        return b""
    with open(path, "rb") as handle:
        return handle.read(8)


def result_facts(path: Path) -> dict[str, object]:
    """Facts of a codec or stream file: kind, rate, length, layers, beats, heart rate, rhythm, tokens."""
    import warnings

    from ..codec import load_codec
    from ..tokenizer.container import STREAM_MAGIC
    from ..tokenizer.streamfile import read_stream

    facts: dict[str, object] = {"path": str(path)}
    if _magic(path) == STREAM_MAGIC:
        contents = read_stream(path)
        facts.update(kind="stream file (.oecgs)", complete=contents.complete,
                     **{k: v for k, v in contents.header.items() if k in ("model", "model_fs", "lead_names")})
    else:
        facts["kind"] = "codec file (.oecg)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        codec = load_codec(path)
    runs = codec.tokens()
    facts.update(fs=codec.fs, n_samples=codec.n_samples, duration_s=round(codec.duration, 3), start=codec.start,
                 token_runs=None if runs is None else int(runs.symbols.size), beats=int(len(codec.beats()["sample"])),
                 episodes=int(len(codec.episodes()["start"])), summary=describe(codec))
    return facts


def record_facts(path: Path, fs: float | None) -> dict[str, object]:
    """Facts of a record: format, rate, leads, length, units and header comments (without reading it all)."""
    from ..signal.io import read_window
    from ..stream.sources import open_source

    if path.suffix.lower() == ".npy" and fs is None:
        array = np.load(path, mmap_mode="r")
        return {"path": str(path), "kind": "numpy array (.npy)", "shape": list(array.shape), "dtype": str(array.dtype),
                "fs": None, "note": "a .npy file has no sample rate: pass --fs to see its duration"}
    source = open_source(path, fs)
    first = read_window(path, start=0, stop=min(source.n_samples or 1, 1024), fs=fs)
    kinds = {".edf": "EDF", ".bdf": "BDF", ".npy": "numpy array (.npy)", ".csv": "CSV"}
    facts: dict[str, object] = {
        "path": str(path), "kind": kinds.get(path.suffix.lower(), "WFDB record"), "fs": source.fs,
        "leads": list(source.lead_names), "n_samples": source.n_samples,
        "duration_s": None if source.n_samples is None else round(source.n_samples / source.fs, 3),
        "units": first.units,
    }
    comments = first.meta.get("comments")
    if comments:
        facts["comments"] = comments
    return facts


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.is_dir():
        raise CommandError(f"{path} is a folder; give a record or an .oecg/.oecgs file")
    magic = _magic(path)
    facts = result_facts(path) if magic.startswith(b"OECG") else record_facts(path, args.fs)
    if args.json:
        print(json.dumps(facts, indent=1))
    else:
        width = max(len(key) for key in facts)
        for key, value in facts.items():
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            print(f"{key:<{width}}  {shown}")
    return 0
