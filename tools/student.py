"""Generate the student copies of the chapters: ``python -m tools.student`` (``make student``).

The instructor notebook is the one source. In its code cells a solution stands between the
lines ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the student copy gets a stub in its place
that raises ``NotImplementedError`` (the exercise checks answer it with "not done yet"). The
``{solution-start}``/``{solution-end}`` markdown cells that fold the solution in the book are
dropped, outputs are cleared, and the Colab setup cell is brought in line with ``_config.yml``.
"""

from __future__ import annotations

import copy
import re
import sys

import nbformat

from tools.notebooks import (BEGIN, END, STUDENT_CHAPTERS, chapter_paths, dumps, read,
                             setup_cell_source, tags, write)

STUB = "raise NotImplementedError(\"Упражнение: напишите здесь своё решение\")"
RAISES = "raises-exception"
# A `{solution}` / `{solution-start}` / `{solution-end}` block: the solution's fold in the book.
SOLUTION_FOLD = re.compile(
    r"^(?P<fence>```+|:::+)\{(solution-start|solution-end|solution)\}.*?^(?P=fence)[ \t]*$\n?",
    re.M | re.S)
_BLOCK = re.compile(rf"^([ \t]*){re.escape(BEGIN)}[ \t]*\n.*?^[ \t]*{re.escape(END)}[ \t]*$",
                    re.M | re.S)


class SolutionMarkerError(ValueError):
    """A solution block is not closed, or closed without being opened."""


def stub_solutions(source: str) -> tuple[str, bool]:
    """Replace every marked solution in ``source``; return the new source and whether a stub
    stands at the top level of the cell (then the cell itself raises when run)."""
    if source.count(BEGIN) != source.count(END):
        raise SolutionMarkerError(f"unbalanced {BEGIN!r}/{END!r} markers in:\n{source}")
    top_level = any(m.group(1) == "" for m in _BLOCK.finditer(source))
    stubbed = _BLOCK.sub(lambda m: f"{m.group(1)}# Ваш код здесь\n{m.group(1)}{STUB}", source)
    if BEGIN in stubbed or END in stubbed:
        raise SolutionMarkerError(f"solution markers must stand on lines of their own:\n{source}")
    return stubbed, top_level


def is_setup_cell(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and "remove-cell" in tags(cell) and "google.colab" in cell.source


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of an instructor notebook (the input is not modified)."""
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        if cell.cell_type == "markdown":
            # The fold would hold nothing in the student copy, and Colab shows it as raw text.
            cell.source = SOLUTION_FOLD.sub("", cell.source).rstrip()
            if not cell.source:
                continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
            cell.source, top_level = stub_solutions(cell.source)
            cell_tags = [t for t in tags(cell) if t != RAISES]
            if top_level:
                cell_tags.append(RAISES)
            if cell_tags:
                cell.metadata["tags"] = cell_tags
            else:
                cell.metadata.pop("tags", None)
        cells.append(cell)
    out.cells = cells
    out.metadata.pop("widgets", None)
    return out


def sync_setup_cell(nb: nbformat.NotebookNode) -> bool:
    """Make the notebook's Colab setup cell match ``_config.yml``; return whether it changed."""
    for cell in nb.cells:
        if is_setup_cell(cell):
            if cell.source != setup_cell_source():
                cell.source = setup_cell_source()
                return True
            return False
    raise ValueError("the notebook has no Colab setup cell (a code cell tagged remove-cell)")


def main() -> int:
    for path in chapter_paths():
        nb = read(path)
        if sync_setup_cell(nb):
            write(nb, path)
            print(f"updated the Colab setup cell of {path.name}")
        target = STUDENT_CHAPTERS / path.name
        text = dumps(student_copy(nb))
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(STUDENT_CHAPTERS.parent.parent)}")
    stale = {p.name for p in STUDENT_CHAPTERS.glob("*.ipynb")} - {p.name for p in chapter_paths()}
    for name in sorted(stale):
        (STUDENT_CHAPTERS / name).unlink()
        print(f"removed student/chapters/{name} (no instructor notebook)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
