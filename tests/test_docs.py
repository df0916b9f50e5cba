"""The documentation cannot rot: every ```python block of README.md and docs/ runs, shell blocks are either run
elsewhere or carry an explicit "not run" marker, and the MkDocs site (with the API reference generated from
the docstrings) builds offline in strict mode."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import data_root

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])
NOT_RUN = "<!-- not run:"
"""The marker, on the line before a code block, of a block that is not meant to run (with the reason)."""
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def code_blocks(page: Path) -> list[tuple[str, str, bool, int]]:
    """(language, code, marked not-run, line) of every fenced block of ``page``."""
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((match.group(1), match.group(2), before.startswith(NOT_RUN), line))
    return blocks


def test_every_shell_block_is_marked_and_markers_are_few():
    marked = 0
    for page in PAGES:
        for language, _, not_run, line in code_blocks(page):
            if language in ("bash", "sh", "shell", "console"):
                assert not_run, f"{page.name}:{line}: a shell block needs a '{NOT_RUN} reason -->' line before it"
            marked += not_run
    assert marked <= 10, f"{marked} blocks are marked not run; keep them few"


@pytest.mark.parametrize("page", [p for p in PAGES if any(b[0] == "python" and not b[2] for b in code_blocks(p))],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_python_blocks_run(page, tmp_path, monkeypatch):
    if not data_root().is_dir():
        pytest.skip(f"the databases are not at {data_root()} (set OPENECG_DATA)")
    monkeypatch.setenv("OPENECG_DATA", str(data_root().resolve()))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for language, code, not_run, line in code_blocks(page):
        if language == "python" and not not_run:
            exec(compile(code, f"{page.relative_to(REPO)}:{line}", "exec"), namespace)  # noqa: S102


def test_the_readme_quickstart_is_the_command_the_cli_tests_run():
    """The README's first command installs openecg and runs ``openecg quickstart``, which
    tests/test_cli.py::test_quickstart_runs_the_bundled_example runs end to end; the second runs the tests."""
    blocks = [code for language, code, _, _ in code_blocks(REPO / "README.md") if language == "bash"]
    assert blocks[0].strip().endswith("openecg quickstart") and "pip install" in blocks[0]
    assert "pytest" in blocks[1] and '".[dev]"' in blocks[1]


def test_mkdocs_builds_offline_in_strict_mode(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "*", "no_proxy": "*", "HTTP_PROXY": "http://0.0.0.0:9",
           "HTTPS_PROXY": "http://0.0.0.0:9"}
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"),
                            "-d", str(tmp_path / "site")], capture_output=True, text=True, env=env, timeout=300)
    assert built.returncode == 0 and "WARNING" not in built.stderr, built.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert "encode_stream" in api and "beat_table" in api and "Recording" in api
    assert (tmp_path / "site" / "howto" / "holter" / "index.html").is_file()
