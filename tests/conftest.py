"""Shared fixtures: the book, built once per test session from clean."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


def build_book(source: Path, output: Path) -> subprocess.CompletedProcess:
    """Build ``source`` cold into ``output``, as CI does: all pages, warnings are errors."""
    return subprocess.run(
        [str(JUPYTER_BOOK), "build", str(source), "--all", "-W", "--keep-going",
         "--path-output", str(output)],
        capture_output=True, text=True, cwd=source)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The HTML folder of the whole book, built cold into a temporary folder."""
    output = tmp_path_factory.mktemp("book")
    start = time.perf_counter()
    result = build_book(ROOT, output)
    seconds = time.perf_counter() - start
    assert result.returncode == 0, f"the book build failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    print(f"\ncold book build: {seconds:.0f} s")
    return output / "_build" / "html"
