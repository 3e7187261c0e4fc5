"""Notebook plumbing shared by the tools and the tests: reading, writing, tags, the setup cell."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
STUDENT_CHAPTERS = ROOT / "student" / "chapters"
CONFIG = ROOT / "_config.yml"

CHECKED = "nbval-check-output"
TIMEOUT_S = 300
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def chapter_paths() -> list[Path]:
    """Instructor notebooks, in the book's order (their names start with the chapter number)."""
    return sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def dumps(nb: nbformat.NotebookNode) -> str:
    """The canonical text of a notebook (as Jupyter saves it): same notebook, same bytes."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(nb), encoding="utf-8")


def tags(cell: nbformat.NotebookNode) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def repository() -> tuple[str, str]:
    """``(url, branch)`` of the book's git repository, read from ``_config.yml``."""
    text = CONFIG.read_text(encoding="utf-8")
    url = re.search(r"^\s+url:\s*(\S+)", text, re.M)
    branch = re.search(r"^\s+branch:\s*(\S+)", text, re.M)
    if not url or not branch:
        raise ValueError(f"{CONFIG} must set repository.url and repository.branch")
    return url.group(1), branch.group(1)


def setup_cell_source() -> str:
    """The hidden first cell of every chapter: in Colab only, install lecturelib from the
    same git ref as the book, so that book and library never disagree."""
    url, branch = repository()
    return (
        "# Colab only: install lecturelib from the same git ref as this book.\n"
        "import subprocess, sys\n"
        "if \"google.colab\" in sys.modules:\n"
        "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\",\n"
        f"                    \"lecturelib @ git+{url}@{branch}\"], check=True)"
    )


def execute(nb: nbformat.NotebookNode, cwd: Path) -> float:
    """Run ``nb`` in place in a fresh kernel started in ``cwd``; return the wall time in seconds.

    Any error fails the run, except in cells tagged ``raises-exception``.
    """
    start = time.perf_counter()
    NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return time.perf_counter() - start
