"""The HTML Holter report (parsed back and checked for its sections, its offline images and its escaping) and
the ``report`` and ``plot`` subcommands through their ``register``/``run`` interface."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import openecg
from openecg import Report
from openecg.errors import InputError

pytest.importorskip("matplotlib")

from openecg.reports.html import write_html  # noqa: E402

SECTIONS = ("summary", "overview", "findings", "beats", "rhythm", "patterns", "pauses", "record")


class Page(HTMLParser):
    """Tags, section ids, image sources, links and text of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.sections: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "section":
            self.sections.append(values.get("id") or "")
        if tag == "img":
            self.images.append(values.get("src") or "")
        if tag in ("a", "link", "script", "iframe"):
            self.links.append(values.get("href") or values.get("src") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def mitdb_119(data_dir):
    record = openecg.read(data_dir / "mitdb" / "119")
    signal = record.signal[: int(60 * record.fs)]
    return openecg.encode(signal, fs=record.fs), signal, record.fs


HOSTILE = '<script>alert("x")</script>'


def test_html_report_sections_images_and_json(mitdb_119, tmp_path) -> None:
    codec, signal, fs = mitdb_119
    report = openecg.report(codec)
    path = write_html(report, tmp_path / "119.html", codec=codec, signal=signal, fs=fs, record_name="119",
                      header_comments=["69 F 1209 ... x1"], lead_names=("MLII", "V1"))
    page = Page(path.read_text(encoding="utf-8"))
    assert page.sections == list(SECTIONS)
    assert "script" not in page.tags
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    captions = [c for c in ("V bigeminy", "V trigeminy", "Fastest heart rate", "Slowest heart rate")
                if any(c in t for t in page.text)]
    assert len(captions) == 4
    assert len(page.images) == 1 + len(openecg.reports.html.findings(report, codec)), "60 s: no two share a strip"
    assert page.links == ["119.json"]
    assert Report.from_json((tmp_path / "119.json").read_text()) == report
    assert any("69 F 1209" in t for t in page.text)


def test_input_text_is_escaped(mitdb_119, tmp_path) -> None:
    codec, signal, fs = mitdb_119
    path = write_html(openecg.report(codec), tmp_path / "r.html", codec=codec, signal=signal, fs=fs,
                      record_name=HOSTILE, header_comments=[HOSTILE, "<img src=x onerror=alert(1)>"],
                      lead_names=(HOSTILE, "<b>V1</b>"), strip_lead=0)
    text = path.read_text(encoding="utf-8")
    page = Page(text)
    assert "script" not in page.tags and "b" not in page.tags
    assert page.tags.count("img") == len(page.images) and all(s.startswith("data:") for s in page.images)
    assert "<script>" not in text and "onerror=alert(1)>" not in text
    assert any(HOSTILE in t for t in page.text), "the text is shown, as text"


def test_html_report_reads_strips_from_the_record_file(data_dir, mitdb_119, tmp_path) -> None:
    record = data_dir / "mitdb" / "119"
    codec = openecg.encode_stream(record, leads=["V1"])
    path = write_html(openecg.report(codec), tmp_path / "r.html", codec=codec, signal=record, leads=["V1"])
    page = Page(path.read_text(encoding="utf-8"))
    assert len(page.images) > 3 and any("leads: V1" in t for t in page.text)
    short, _, _ = mitdb_119
    with pytest.raises(InputError, match="give the file that was encoded"):
        write_html(openecg.report(short), tmp_path / "s.html", codec=short, signal=record)


def test_html_report_without_signal_lists_findings(mitdb_119, tmp_path) -> None:
    codec, _, _ = mitdb_119
    path = write_html(openecg.report(codec), tmp_path / "r.html", codec=codec, signal=None)
    page = Page(path.read_text(encoding="utf-8"))
    assert page.sections == list(SECTIONS)
    assert len(page.images) == 1
    assert any("without strips" in t for t in page.text)


def test_hourly_table_on_long_records(tmp_path) -> None:
    beats = np.zeros(2 * 3600 * 50, np.uint8)
    beats[10::50] = 1
    codec = openecg.Codec(np.stack([beats * 2, beats, np.zeros_like(beats)]), fs=50)
    report = openecg.report(codec)
    path = write_html(report, tmp_path / "long.html", codec=codec, signal=None)
    page = Page(path.read_text(encoding="utf-8"))
    assert [row["beats"] for row in report.hourly] == [3600, 3600]
    hourly = page.text[page.text.index("Per hour"):]
    assert hourly[1:1 + 10] == ["hour", "beats", "mean_bpm", "min_bpm", "max_bpm", "S", "V", "F", "Q", "paced"]
    assert hourly[11:14] == ["0", "3600", "60.0"]


def command(name: str) -> ModuleType:
    """``openecg.cli.<name>``; until the CLI package is merged, loaded from its file."""
    try:
        return importlib.import_module(f"openecg.cli.{name}")
    except ImportError:
        path = Path(openecg.__file__).parent / "cli" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"openecg.cli.{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="openecg")
    subparsers = parser.add_subparsers(dest="command", required=True)
    command("report").register(subparsers)
    command("plot").register(subparsers)
    return parser.parse_args(argv)


def run(argv: list[str]) -> int:
    args = parse(argv)
    return args.func(args)


def test_cli_report_writes_html_and_json(data_dir, tmp_path, capsys) -> None:
    out = tmp_path / "ludb1.html"
    assert run(["report", str(data_dir / "ludb" / "data" / "1"), "-o", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    page = Page(out.read_text(encoding="utf-8"))
    assert page.sections == list(SECTIONS)
    assert len(page.images) == 2, "a 10-s record: the overview and one strip for all its findings"
    report = Report.from_json((tmp_path / "ludb1.json").read_text())
    assert report == openecg.report(openecg.read(data_dir / "ludb" / "data" / "1"))
    assert report.duration_s == 10.0 and report.beats["total"] > 0
    with pytest.raises(InputError, match="--force"):
        run(["report", str(data_dir / "ludb" / "data" / "1"), "-o", str(out)])
    assert run(["report", str(data_dir / "ludb" / "data" / "1"), "-o", str(out), "--force"]) == 0


def test_cli_report_and_plot_from_a_result(mitdb_119, tmp_path) -> None:
    codec, signal, fs = mitdb_119
    codec.save(tmp_path / "119.oecg")
    assert run(["report", str(tmp_path / "119.oecg")]) == 0
    assert (tmp_path / "119.html").is_file() and (tmp_path / "119.json").is_file()
    assert run(["plot", str(tmp_path / "119.oecg"), "--kind", "overview", "-o", str(tmp_path / "o.svg")]) == 0
    assert (tmp_path / "o.svg").stat().st_size > 10_000
    with pytest.raises(InputError, match="does not hold"):
        run(["plot", str(tmp_path / "119.oecg"), "-o", str(tmp_path / "s.png")])
    from openecg.tokenizer.streamfile import read_stream

    openecg.encode_stream(signal, fs, sink=tmp_path / "119.oecgs")
    assert read_stream(tmp_path / "119.oecgs").complete
    assert run(["report", str(tmp_path / "119.oecgs"), "-o", str(tmp_path / "s.html")]) == 0
    assert Report.from_json((tmp_path / "s.json").read_text()) == Report.from_json((tmp_path / "119.json").read_text())


def test_cli_plot_strip_and_page(data_dir, tmp_path) -> None:
    strip = tmp_path / "strip.png"
    assert run(["plot", str(data_dir / "mitdb" / "119"), "-o", str(strip), "--start", "600", "--duration", "8",
                "--lead", "V1"]) == 0
    assert strip.stat().st_size > 20_000
    page = tmp_path / "page.pdf"
    assert run(["plot", str(data_dir / "ludb" / "data" / "1"), "-o", str(page), "--kind", "12lead"]) == 0
    assert page.read_bytes()[:5] == b"%PDF-"
    with pytest.raises(InputError, match="must end in"):
        run(["plot", str(data_dir / "ludb" / "data" / "1"), "-o", str(tmp_path / "x.gif")])
    with pytest.raises(InputError, match="--start"):
        run(["plot", str(data_dir / "ludb" / "data" / "1"), "-o", str(tmp_path / "y.png"), "--start", "99"])
