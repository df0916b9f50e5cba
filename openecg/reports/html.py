"""The self-contained HTML Holter report: summary table, overview figure, a strip for each finding, tables.

One HTML file with its figures embedded as base64 PNG and its style inline: it opens offline, loads nothing
from the network and holds no script. Every string taken from the input (record name, header comments,
lead names) goes through :func:`html.escape`. The report's JSON is written beside it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from html import escape
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._version import __version__
from ..errors import InputError
from ..tokenizer.vocab import BEAT_CLASSES
from .sequence import S_BEAT, V_BEAT, beat_sequence
from .formatting import clock, summary_rows

if TYPE_CHECKING:
    from ..codec import Codec
    from .summary import Report

__all__ = ["write_html", "findings", "MAX_STRIPS"]

MAX_STRIPS = 12
"""At most this many finding strips are drawn."""
STRIP_S = 10.0
TABLE_ROWS = 50

_STYLE = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:28px}
h3{font-size:14px;margin:16px 0 4px}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.meta{color:#555;font-size:13px}.note{color:#a33;font-size:12px}img{max-width:100%;height:auto}
pre{background:#f7f7f7;padding:8px;font-size:12px;white-space:pre-wrap}
"""


def findings(report: Report, codec: Codec) -> list[tuple[str, float]]:
    """Representative moments to show as strips: ``(caption, time_s)`` from the recording start.

    The fastest and slowest heart rate, the first pattern of each kind (couplet, run, bigeminy, ...), the
    longest pause, the first episode of each rhythm other than sinus, and the first isolated V and S beats;
    at most :data:`MAX_STRIPS`.
    """
    found: list[tuple[str, float]] = []
    hr = report.heart_rate
    if hr["max_at_s"] is not None:
        window = f"({hr['window_beats']}-beat average)"
        found.append((f"Fastest heart rate: {hr['max_bpm']:.0f} bpm {window}", hr["max_at_s"]))
        found.append((f"Slowest heart rate: {hr['min_bpm']:.0f} bpm {window}", hr["min_at_s"]))
    seen = set()
    for pattern in report.patterns:
        if pattern["kind"] not in seen:
            seen.add(pattern["kind"])
            count = report.pattern_counts[pattern["kind"]]
            found.append((f"{pattern['kind'].replace('_', ' ')} (first of {count})", pattern["start_s"]))
    if report.pauses:
        longest = max(report.pauses, key=lambda p: p["duration_s"])
        found.append((f"Longest pause: {longest['duration_s']:.2f} s", longest["start_s"] + longest["duration_s"] / 2))
    for rhythm in dict.fromkeys(e["rhythm"] for e in report.rhythm_episodes if e["rhythm"] != "sinus"):
        episode = next(e for e in report.rhythm_episodes if e["rhythm"] == rhythm)
        total = report.rhythm_burden[rhythm]["seconds"]
        found.append((f"{rhythm} episode at {clock(episode['start_s'])} ({total:.0f} s in all)",
                      episode["start_s"] + min(episode["duration_s"] / 2, 3.0)))
    table = beat_sequence(codec)
    for beat in (V_BEAT, S_BEAT):
        hits = np.flatnonzero(table.classes == beat)
        if hits.size:
            found.append((f"{BEAT_CLASSES[beat].name} beat ({hits.size} in all)",
                          float(table.time[hits[0]]) + codec.start / codec.fs))
    return found[:MAX_STRIPS]


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, limit: int = TABLE_ROWS) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows[:limit])
    more = f'<p class="meta">{len(rows) - limit} more rows in the JSON file.</p>' if len(rows) > limit else ""
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def _signal_reader(codec: Codec, signal: object, fs: float | None, lead_names: Sequence[str] | None,
                   leads: Sequence[str] | None) -> tuple[tuple[str, ...], Callable[[int, int], np.ndarray]]:
    """Lead names and ``read(a, b)``: float32 mV ``(b - a, leads)`` of the codec's samples ``a:b``."""
    if isinstance(signal, (str, PathLike)):
        from ..signal.io import open_file

        source = open_file(signal, fs=fs, leads=None if leads is None else list(leads))
        if source.fs != codec.fs or source.n_samples != codec.recording_length:
            raise InputError(
                f"signal={str(signal)!r} holds {source.n_samples} samples at {source.fs} Hz but the codec covers a "
                f"recording of {codec.recording_length} samples at {codec.fs} Hz; give the file that was encoded"
            )
        return source.names, lambda a, b: source.read(codec.start + a, codec.start + b).astype(np.float32)
    from ..plot.paper import aligned_signal

    array, names = aligned_signal(codec, signal, fs, lead_names)
    return names, lambda a, b: array[a:b]


def write_html(report: Report, path: str | PathLike[str], *, codec: Codec, signal: object, fs: float | None = None,
               record_name: str = "", header_comments: Sequence[str] = (), lead_names: Sequence[str] | None = None,
               leads: Sequence[str] | None = None, strip_lead: int | str | None = None,
               json_path: str | PathLike[str] | None = None) -> Path:
    """Write the HTML Holter report of ``report`` to ``path`` and its JSON beside it.

    Parameters
    ----------
    report : Report
        From :func:`openecg.report` on ``codec``.
    path : str or os.PathLike
        The ``.html`` file to write.
    codec : Codec
        The encoded recording the report was made from.
    signal : array_like, Recording, str, os.PathLike or None
        For the strips: float mV ``(samples, leads)`` aligned with ``codec``, or the record file that was
        encoded (WFDB, EDF, ``.npy``, CSV), of which only the strips' windows are read. None lists the findings
        without strips.
    fs : float, optional
        Sample rate in Hz of an array signal (or of a ``.npy``/CSV file).
    record_name : str
        Shown in the title (escaped).
    header_comments : sequence of str
        Free text from the record header, shown verbatim (escaped).
    lead_names : sequence of str, optional
        Names of an array's leads (escaped).
    leads : sequence of str, optional
        The leads read from a record file (those that were encoded); all by default.
    strip_lead : int or str, optional
        Lead drawn in the finding strips; default lead II (or MLII) when there is one, else the first.
    json_path : str or os.PathLike, optional
        Where the JSON goes; default ``path`` with the suffix ``.json``.

    Returns
    -------
    pathlib.Path
        The HTML file.
    """
    from ..plot import holter_overview, strip

    target = Path(path)
    json_target = Path(json_path) if json_path is not None else target.with_suffix(".json")
    names, read = _signal_reader(codec, signal, fs, lead_names, leads) if signal is not None else ((), None)
    if strip_lead is None:
        lowered = [name.lower() for name in names]
        strip_lead = next((lowered.index(n) for n in ("ii", "mlii") if n in lowered), 0)
    report.save(json_target)

    overview = _png(holter_overview(codec, pause_s=report.pause_threshold_s))
    offset = codec.start / codec.fs
    windows: dict[float, list[tuple[str, float]]] = {}  # findings that share one strip (short records)
    for caption, time_s in findings(report, codec):
        begin = min(max(time_s - offset - STRIP_S / 2, 0.0), max(codec.duration - STRIP_S, 0.0))
        windows.setdefault(round(begin, 3), []).append((caption, time_s))
    strips = []
    for begin, shown in windows.items():
        strips += [f"<h3>{escape(caption)} <span class=\"meta\">at {escape(clock(time_s))}</span></h3>"
                   for caption, time_s in shown]
        if read is not None:
            first = int(round(begin * codec.fs))
            last = min(first + int(round(STRIP_S * codec.fs)), codec.n_samples)
            figure = strip(codec[first:last], read(first, last), codec.fs, lead=strip_lead, duration=None,
                           lead_names=names, mark=[time_s - offset - first / codec.fs for _, time_s in shown])
            strips.append(f'<img alt="{escape("; ".join(c for c, _ in shown))}" src="{_png(figure)}">')
    if read is None:
        strips.insert(0, '<p class="meta">No signal was given, so the findings are listed without strips.</p>')

    summary = _table(("finding", "value"), summary_rows(report))
    episodes = _table(("start", "rhythm", "duration (s)"),
                      [(clock(e["start_s"]), e["rhythm"], f"{e['duration_s']:.1f}") for e in report.rhythm_episodes])
    patterns = _table(("start", "pattern", "beats / cycles"),
                      [(clock(p["start_s"]), p["kind"].replace("_", " "), p["beats"]) for p in report.patterns])
    pauses = _table(("start", "duration (s)"), [(clock(p["start_s"]), f"{p['duration_s']:.2f}") for p in report.pauses])
    beats = _table(("class", "count", "share of beats (%)"),
                   [(name, report.beats[name]["count"], f"{report.beats[name]['percent']:.2f}")
                    for name in (e.name for e in BEAT_CLASSES[1:])])
    hourly = ""
    if report.hourly:
        keys = ("hour", "beats", "mean_bpm", "min_bpm", "max_bpm", "S", "V", "F", "Q", "paced")
        hourly = "<h2>Per hour</h2>" + _table(keys, [[row[k] for k in keys] for row in report.hourly], limit=48)
    comments = "\n".join(str(c) for c in header_comments)
    title = f"Holter report: {record_name}" if record_name else "Holter report"
    leads, json_name = escape(", ".join(names) or "not given"), escape(json_target.name)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">{escape(clock(report.duration_s))} at {report.fs:g} Hz, leads: {leads};
generated {generated} by openecg {escape(__version__)}. JSON: <a href="{json_name}">{json_name}</a></p>
<p class="note">Automated analysis by a machine-learning model; it has not been reviewed by a clinician.</p>
<section id="summary"><h2>Summary</h2>{summary}</section>
<section id="overview"><h2>Overview</h2><img alt="heart rate, rhythm and ectopy over time" src="{overview}"></section>
<section id="findings"><h2>Findings</h2>{"".join(strips) or '<p>No findings to show.</p>'}</section>
<section id="beats"><h2>Beats</h2>{beats}</section>
<section id="rhythm"><h2>Rhythm episodes</h2>{episodes}</section>
<section id="patterns"><h2>Ectopic patterns</h2>{patterns}</section>
<section id="pauses"><h2>Pauses over {report.pause_threshold_s:g} s</h2>{pauses}</section>
{hourly}
<section id="record"><h2>Record</h2><pre>{escape(comments) or "(no header comments)"}</pre></section>
</body></html>
"""
    target.write_text(document, encoding="utf-8")
    return target
