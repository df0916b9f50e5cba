"""``openecg digitize IMAGE... [-o OUT]``: paper ECG images into WFDB records (or ``.npy`` arrays), one per
image, optionally encoded too. An image that fails is reported on its own line and the others go on; the
exit status is then 3."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from .common import CommandError, checked_output, describe, say, staged

__all__ = ["register", "run", "write_record"]

_FORMATS = {"wfdb": (".hea", ".dat"), "npy": (".npy", ".json")}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "digitize", help="read paper ECG images into WFDB records or .npy arrays",
        description="Read paper ECG images (scans, photos, renders) into WFDB records (.hea/.dat) or .npy "
                    "arrays (float32 (samples, leads) mV, with a .json of fs and lead names), one per image.")
    parser.add_argument("images", nargs="+", help="image files (PNG, JPEG, TIFF ...)")
    parser.add_argument("-o", "--out", default=None,
                        help="output folder (default: beside each image); with one image, a file name ending in "
                             ".hea or .npy names that record")
    parser.add_argument("--format", default=None, choices=list(_FORMATS),
                        help="wfdb (default) or npy; a single -o FILE.npy / FILE.hea picks it")
    parser.add_argument("--layout", default="auto", help="auto, 3x4, 3x4+1, 6x2, 12x1, Nx1 ... (default: auto)")
    parser.add_argument("--fs", type=float, default=500.0, help="output sample rate in Hz (default: %(default)s)")
    parser.add_argument("--encode", action="store_true", help="also encode each record into RECORD.oecg")
    parser.add_argument("--force", action="store_true", help="overwrite outputs that exist")
    parser.set_defaults(func=run)


def _stems(args: argparse.Namespace) -> tuple[list[Path], str]:
    """The output stem of each image (WFDB record names allow letters, digits, - and _ only) and the format."""
    out = Path(args.out) if args.out else None
    if out is not None and len(args.images) == 1 and out.suffix.lower() in (".hea", ".npy"):
        fmt = "wfdb" if out.suffix.lower() == ".hea" else "npy"
        if args.format not in (None, fmt):
            raise CommandError(f"--out {out} is a {fmt} name but --format is {args.format}")
        return [out.with_suffix("")], fmt
    if out is not None:
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out {out} is a file; with several images give a folder")
        if len(args.images) > 1 and out.suffix.lower() in (".hea", ".npy"):
            raise CommandError(f"--out {out} names one record but {len(args.images)} images were given; give a folder")
        if not out.parent.is_dir():
            raise CommandError(f"cannot write into {out}: the folder {out.parent} does not exist; create it first")
        out.mkdir(exist_ok=True)
    stems = []
    for image in map(Path, args.images):
        name = re.sub(r"[^A-Za-z0-9_-]", "_", image.stem)
        stems.append((out if out is not None else image.parent) / name)
    if len(set(stems)) < len(stems):
        raise CommandError("two images would write the same record name; give images with distinct names")
    return stems, args.format or "wfdb"


def write_record(recording: object, stem: Path, *, fmt: str) -> None:
    """Write a Recording as a WFDB record ``stem.hea``/``stem.dat`` (16-bit, gain chosen to fit) or as
    ``stem.npy`` (float32 ``(samples, leads)`` mV) with ``stem.json`` (fs, lead names, digitizer facts)."""
    signal = np.asarray(recording.signal, np.float64)  # type: ignore[attr-defined]
    names = list(recording.lead_names)  # type: ignore[attr-defined]
    if fmt == "npy":
        np.save(stem.with_suffix(".npy"), signal.astype(np.float32))
        facts = {"fs": recording.fs, "lead_names": names, "units": "mV",  # type: ignore[attr-defined]
                 "digitizer": recording.meta}  # type: ignore[attr-defined]
        stem.with_suffix(".json").write_text(json.dumps(facts, indent=1, default=_plain) + "\n", encoding="utf-8")
        return
    import wfdb

    peak = float(np.nanmax(np.abs(signal))) if np.isfinite(signal).any() else 1.0
    gain = min(1000.0, 32000.0 / max(peak, 1e-6))
    wfdb.wrsamp(stem.name, fs=recording.fs, units=["mV"] * len(names), sig_name=names,  # type: ignore[attr-defined]
                p_signal=signal, fmt=["16"] * len(names), adc_gain=[gain] * len(names), baseline=[0] * len(names),
                comments=[f"digitized by openecg: layout {recording.meta.get('layout')}"],  # type: ignore[attr-defined]
                write_dir=str(stem.parent))


def _plain(value: object) -> object:
    return value.tolist() if hasattr(value, "tolist") else str(value)


def run(args: argparse.Namespace) -> int:
    import openecg

    stems, fmt = _stems(args)
    suffixes = _FORMATS[fmt] + ((".oecg",) if args.encode else ())
    outputs = [[checked_output(stem.with_suffix(s), force=args.force) for s in suffixes] for stem in stems]
    failed = 0
    for image, stem, paths in zip(args.images, stems, outputs, strict=True):
        began = time.perf_counter()
        try:
            recording = openecg.digitize(image, layout=args.layout, fs=args.fs)
            with staged(paths) as temp:
                write_record(recording, temp / stem.name, fmt=fmt)
                summary = ""
                if args.encode:
                    codec = openecg.encode(recording)
                    codec.save(temp / f"{stem.name}.oecg")
                    summary = f"; {describe(codec)}"
        except (ValueError, OSError) as error:
            failed += 1
            print(f"openecg digitize: {image}: error: {' '.join(str(error).split())}", file=sys.stderr)
            continue
        say(args, f"wrote {paths[0]} in {time.perf_counter() - began:.1f} s: layout {recording.meta.get('layout')}, "
                  f"{recording.n_leads} leads x {recording.duration:.1f} s{summary}")
    if failed:
        print(f"openecg digitize: {failed} of {len(stems)} images failed", file=sys.stderr)
        return 3
    return 0
