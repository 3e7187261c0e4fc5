"""The book builds from clean with warnings as errors, and every page of the TOC is there."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

from tests.conftest import ROOT, build_book


def toc_files() -> list[str]:
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)", text, re.M)


def test_every_toc_entry_became_a_page(built_book: Path):
    files = toc_files()
    assert "intro" in files and any(f.startswith("chapters/") for f in files)
    missing = [f for f in files if not (built_book / f"{f}.html").is_file()]
    assert not missing, f"TOC entries without an HTML page: {missing}"


def test_math_is_served_locally(built_book: Path):
    assert (built_book / "_static" / "mathjax").is_dir(), "MathJax must be bundled for offline use"
    page = (built_book / "intro.html").read_text(encoding="utf-8")
    assert "_static/mathjax" in page and "cdn.jsdelivr" not in page


def test_colab_button_opens_the_student_copy(built_book: Path):
    chapter = next(f for f in toc_files() if f.startswith("chapters/"))
    page = (built_book / f"{chapter}.html").read_text(encoding="utf-8")
    links = re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page)
    assert links and all(f"/student/{chapter}.ipynb" in link for link in links), links


def test_a_failing_cell_fails_the_build_and_names_the_notebook(tmp_path: Path):
    """Jupyter Book only warns by default; our _config.yml must turn that into a failure."""
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "_ext", tmp_path / "_ext")
    (tmp_path / "intro.md").write_text("# Intro\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n- file: broken\n")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Broken"),
                nbformat.v4.new_code_cell("raise ValueError('boom')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "broken.ipynb")
    result = build_book(tmp_path, tmp_path / "out")
    assert result.returncode != 0
    log = result.stdout + result.stderr
    assert "broken" in log and "boom" in log, log[-3000:]


def test_status_page_times_every_chapter(built_book: Path):
    page = (built_book / "status.html").read_text(encoding="utf-8")
    table = page[page.index("<table"):]  # the sidebar links to every chapter too
    for chapter in (f for f in toc_files() if f.startswith("chapters/")):
        row = re.search(rf"{re.escape(chapter)}.*?</tr>", table, re.S)
        assert row, f"status page has no row for {chapter}"
        assert re.search(r"<td><p>\d+(\.\d+)?</p></td>", row.group(0)), row.group(0)
