"""``openecg quickstart``: encode the example recording that ships with openecg, print what it holds and
write a plot of its first seconds: the whole job on a fresh install, with nothing to download."""

from __future__ import annotations

import argparse
import os
import textwrap
import time
from pathlib import Path

from .common import checked_output, describe, staged

__all__ = ["register", "run"]

STEM = "openecg-example"
PLOT_SECONDS = 10.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quickstart", help="encode the bundled example recording, print a summary, plot it",
        description=f"Encode the bundled example (60 s of MIT-BIH Arrhythmia record 119), print a summary, and "
                    f"write {STEM}.oecg and {STEM}.png (the first {PLOT_SECONDS:g} s with its labels).")
    parser.add_argument("-o", "--out", default=".", help="folder for the outputs (default: the current folder)")
    parser.add_argument("--force", action="store_true", help="overwrite outputs that exist")
    parser.set_defaults(func=run)


def _plot(codec: object, signal: object, fs: float, path: Path, lead_names: tuple[str, ...]) -> str:
    """Write the strip plot to ``path``; returns what happened, in words."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        from ..plot import strip
    except ModuleNotFoundError as error:
        if error.name == "matplotlib":
            return 'no plot: matplotlib is missing; install it with: pip install "openecg[plot]"'
        return f"no plot: this installation has no openecg.plot ({error})"
    figure = strip(codec, signal, fs, lead_names=lead_names)
    figure.savefig(path, dpi=100)
    return f"plot: {path.name}"


def run(args: argparse.Namespace) -> int:
    import numpy as np

    import openecg

    folder = Path(args.out)
    codec_path = checked_output(folder / f"{STEM}.oecg", force=args.force)
    plot_path = checked_output(folder / f"{STEM}.png", force=args.force)
    recording = openecg.example()
    meta = recording.meta
    print(f"example: {meta['duration_s']:g} s of {meta['database']} record {meta['record']} "
          f"(leads {', '.join(recording.lead_names)} at {recording.fs:g} Hz; licence {meta['license']}, {meta['source']})")
    began = time.perf_counter()
    codec = openecg.encode(recording)
    print(f"encoded in {time.perf_counter() - began:.1f} s: {describe(codec)}")
    shown = codec[: int(PLOT_SECONDS * recording.fs)]
    print(f"first {PLOT_SECONDS:g} s as wave tokens (p P, r R, w wide QRS, t T, _ baseline; ms):")
    print(textwrap.fill(shown.render("symbols", timed=True), width=100, initial_indent="  ", subsequent_indent="  "))
    beats = codec.beats()
    print("first beats:  time s  class  RR s")
    for t, name, rr in list(zip(beats["time"], beats["class_name"], beats["rr"], strict=True))[:6]:
        print(f"           {t:7.2f}  {name:>5}  {'' if np.isnan(rr) else f'{rr:.2f}'}")
    with staged([codec_path, plot_path]) as temp:
        codec.save(temp / codec_path.name)
        done = _plot(shown, recording.signal[: shown.n_samples], recording.fs, temp / plot_path.name,
                     recording.lead_names)
    print(f"wrote {codec_path} ({done}); read it back with openecg.load({str(codec_path)!r})")
    return 0
