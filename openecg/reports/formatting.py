"""The readable text summary of a :class:`~openecg.reports.Report`, and the formatting helpers it shares
with the HTML report.

The functions read the report's fields only (typed ``Any`` here: :mod:`openecg.reports.summary` imports this
module for :meth:`Report.summary`, so this one does not import it back).
"""

from __future__ import annotations

from typing import Any

__all__ = ["summary_text", "clock", "value", "summary_rows"]


def clock(seconds: float) -> str:
    """``seconds`` from the recording start as ``H:MM:SS`` (``M:SS.s`` under an hour)."""
    if seconds >= 3600:
        hours, rest = divmod(int(round(seconds)), 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def value(number: Any, unit: str = "", *, digits: int = 0) -> str:
    """``number`` with ``unit``, or an em dash for None."""
    if number is None:
        return "\u2014"
    return f"{number:.{digits}f}{' ' + unit if unit else ''}"


def summary_rows(report: Any) -> list[tuple[str, str]]:
    """(label, value) rows of the main findings, shared by the text summary and the HTML table."""
    hr, hrv, iv, sq = report.heart_rate, report.hrv, report.intervals, report.signal_quality
    beats = report.beats
    ectopy = ", ".join(
        f"{name} {beats[name]['count']} ({beats[name]['percent']:.1f}%)" for name in ("S", "V", "F", "Q", "paced")
        if beats[name]["count"]
    ) or "none"
    patterns = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in report.pattern_counts.items()) or "none"
    pauses = f"{len(report.pauses)} over {report.pause_threshold_s:g} s"
    if report.pauses:
        pauses += f" (longest {max(p['duration_s'] for p in report.pauses):.2f} s)"
    burden = report.rhythm_burden
    rhythms = ", ".join(
        f"{name} {entry['percent']:.1f}%" for name, entry in burden.items() if name != "noise" and entry["seconds"] > 0
    ) or "none"
    pacer = report.pacing["pacer_spikes"]
    return [
        ("Duration", clock(report.duration_s)),
        ("Heart rate (mean, min, max)",
         f"{value(hr['mean_bpm'], 'bpm')}, {value(hr['min_bpm'])}\u2013{value(hr['max_bpm'])} bpm "
         f"({hr['window_beats']}-beat averages)" if hr["mean_bpm"] is not None else "no measured RR interval"),
        ("Beats", f"{beats['total']} (N {beats['N']['count']})"),
        ("Ectopic and paced beats", ectopy),
        ("Ectopic patterns", patterns),
        ("Pauses", pauses),
        ("Rhythm (share of readable time)", rhythms),
        ("AF burden", f"{burden['AF']['percent']:.1f}% ({clock(burden['AF']['seconds'])})"),
        (f"Intervals (median of {iv['beats_used']} beats)",
         f"PR {value(iv['pr_ms'], 'ms')}, QRS {value(iv['qrs_ms'], 'ms')}, QT {value(iv['qt_ms'], 'ms')}"),
        ("QTc (Bazett, Fridericia)", f"{value(iv['qtc_bazett_ms'], 'ms')}, {value(iv['qtc_fridericia_ms'], 'ms')}"),
        ("HRV on N-N intervals (SDNN, RMSSD, pNN50)",
         f"{value(hrv['sdnn_ms'], 'ms')}, {value(hrv['rmssd_ms'], 'ms')}, {value(hrv['pnn50_percent'], '%', digits=1)}"
         f" ({hrv['n_nn']} intervals)"),
        ("Pacing", f"{report.pacing['paced_percent']:.1f}% paced beats"
                   + ("" if pacer is None else f", {pacer} pacer spikes")),
        ("Noise / unreadable", f"{clock(sq['noise_s'])} ({sq['noise_percent']:.1f}%)"),
    ]


def summary_text(report: Any) -> str:
    """Multi-line text: the summary rows, then the rhythm episodes, patterns and pauses (first 10 of each)."""
    rows = summary_rows(report)
    width = max(len(label) for label, _ in rows)
    lines = [f"{label:<{width}}  {text}" for label, text in rows]
    sections = (
        ("Rhythm episodes",
         [f"{clock(e['start_s'])}  {e['rhythm']} for {e['duration_s']:.1f} s" for e in report.rhythm_episodes]),
        ("Ectopic patterns",
         [f"{clock(p['start_s'])}  {p['kind'].replace('_', ' ')} ({p['beats']})" for p in report.patterns]),
        ("Pauses", [f"{clock(p['start_s'])}  {p['duration_s']:.2f} s" for p in report.pauses]),
    )
    for title, items in sections:
        if items:
            lines += ["", f"{title} ({len(items)}):"] + [f"  {item}" for item in items[:10]]
            if len(items) > 10:
                lines.append(f"  ... {len(items) - 10} more")
    return "\n".join(lines)
