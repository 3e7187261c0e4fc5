"""The committed notebooks: clean outputs, the Colab setup cell, captions, student copies."""

from __future__ import annotations

import re

import nbformat
import pytest

from tools.notebooks import (BEGIN, CHECKED, END, STUDENT_CHAPTERS, chapter_paths, dumps,
                             execute, read, setup_cell_source, tags)
from tools.store_outputs import keep_checked_outputs
from tools.student import is_setup_cell, student_copy

CHAPTERS = chapter_paths()
ids = [p.stem for p in CHAPTERS]


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def solution_lines(nb) -> list[str]:
    """Non-trivial lines between the solution markers of every code cell."""
    lines = []
    for cell in code_cells(nb):
        for block in re.findall(rf"{re.escape(BEGIN)}\n(.*?)\n[ \t]*{re.escape(END)}",
                                cell.source, re.S):
            lines += [ln.strip() for ln in block.splitlines() if len(ln.strip()) >= 12]
    return lines


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_only_checked_cells_keep_outputs(path):
    for cell in code_cells(read(path)):
        if CHECKED in tags(cell):
            assert cell.outputs and cell.execution_count, (
                f"{path.name}: checked cell without stored output, run `make outputs NB={path.stem}`:"
                f"\n{cell.source}")
        else:
            assert not cell.outputs and cell.execution_count is None, (
                f"{path.name}: unchecked cell carries outputs, run `make outputs NB={path.stem}`:"
                f"\n{cell.source}")


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_committed_in_canonical_form(path):
    nb = read(path)
    assert "widgets" not in nb.metadata
    assert all("execution" not in c.metadata for c in nb.cells)
    assert path.read_text(encoding="utf-8") == dumps(nb), (
        f"{path.name} is not in canonical form: run `make outputs NB={path.stem}`")


def test_storing_outputs_again_changes_no_byte():
    """`make outputs` on an up-to-date chapter must leave it as committed (the first chapter
    stands for all: they share the pipeline, and nbval already re-runs every one)."""
    if not CHAPTERS:
        pytest.skip("no chapters yet")
    path = CHAPTERS[0]
    nb = read(path)
    execute(nb, path.parent)
    keep_checked_outputs(nb)
    assert dumps(nb) == path.read_text(encoding="utf-8"), (
        f"re-storing the outputs of {path.name} changed it: a checked cell is not deterministic")


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_setup_cell_installs_lecturelib_from_the_books_repository(path):
    first = code_cells(read(path))[0]
    assert is_setup_cell(first), f"{path.name}: the first code cell must be the Colab setup cell"
    assert first.source == setup_cell_source(), f"{path.name}: run `make student` to sync it"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_imports_cell_seeds_and_styles(path):
    imports = code_cells(read(path))[1].source
    assert "seed_everything(" in imports and "use_book_style()" in imports, (
        f"{path.name}: the first visible code cell must seed and apply the book style")


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_every_figure_has_a_caption(path):
    for cell in code_cells(read(path)):
        if "plt.show()" in cell.source and "remove-output" not in tags(cell):
            caption = cell.metadata.get("mystnb", {}).get("figure", {}).get("caption", "")
            assert caption.strip(), f"{path.name}: figure cell without a caption:\n{cell.source}"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_widgets_are_extras_hidden_from_the_static_book(path):
    for cell in code_cells(read(path)):
        if "interact" in cell.source:
            assert {"nbval-ignore-output", "remove-output"} <= set(tags(cell)), (
                f"{path.name}: a widget cell must be tagged nbval-ignore-output and remove-output")


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_student_copy_is_up_to_date(path):
    target = STUDENT_CHAPTERS / path.name
    assert target.exists(), f"missing {target}: run `make student`"
    assert target.read_text(encoding="utf-8") == dumps(student_copy(read(path))), (
        f"{target.name} is stale: run `make student`")


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_no_solution_leaks_into_student_copy(path):
    nb = read(path)
    lines = solution_lines(nb)
    assert lines, f"{path.name}: a chapter needs at least one exercise"
    student_text = "\n".join(c.source for c in read(STUDENT_CHAPTERS / path.name).cells)
    assert BEGIN not in student_text and END not in student_text
    assert "{solution" not in student_text, f"a solution fold is left in the student copy"
    leaked = [ln for ln in lines if ln in student_text]
    assert not leaked, f"solution lines of {path.name} appear in the student copy: {leaked}"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_student_copy_runs_and_says_not_done(path):
    """Top to bottom, only stubbed cells may raise, and every check answers 'not done yet'."""
    nb = read(STUDENT_CHAPTERS / path.name)
    execute(nb, path.parent)
    checks = [c for c in code_cells(nb) if CHECKED in tags(c) and "check_" in c.source]
    for cell in code_cells(nb):
        for out in cell.outputs:
            if out.output_type == "error":
                assert "raises-exception" in tags(cell), f"{path.name}: unexpected error {out.ename}"
                assert out.ename == "NotImplementedError"
    for cell in checks:
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert "○" in text and "Traceback" not in text, (
            f"{path.name}: a check on a stub must say 'not done yet', got {text!r}")


def test_student_generator_stubs_nested_and_top_level_solutions():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"def f(x):\n    {BEGIN}\n    return x + 1\n    {END}"),
        nbformat.v4.new_code_cell(f"{BEGIN}\nanswer = 42\n{END}\nprint(answer)"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex\n:class: dropdown\n```"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
    ]
    nb.cells.append(nbformat.v4.new_markdown_cell(
        ":::{exercise} T\n:label: ex2\nDo it.\n:::\n\n```{solution-start} ex2\n:class: dropdown\n```"))
    out = student_copy(nb)
    assert len(out.cells) == 3, "the solution fold must be dropped"
    assert out.cells[2].source == ":::{exercise} T\n:label: ex2\nDo it.\n:::"
    nested, top = out.cells[:2]
    assert "return x + 1" not in nested.source and "    raise NotImplementedError" in nested.source
    assert "raises-exception" not in nested.metadata.get("tags", [])
    assert top.source.startswith("# Ваш код здесь\nraise NotImplementedError")
    assert top.metadata["tags"] == ["raises-exception"]


def test_student_generator_rejects_unbalanced_markers():
    from tools.student import SolutionMarkerError, stub_solutions
    with pytest.raises(SolutionMarkerError):
        stub_solutions(f"{BEGIN}\nx = 1\n")


def test_split_prints_are_stored_as_one_output():
    from tools.store_outputs import merge_streams
    out = nbformat.v4.new_output
    outputs = [out("stream", name="stdout", text="a"), out("stream", name="stdout", text="b\n"),
               out("stream", name="stderr", text="w"), out("stream", name="stdout", text="c")]
    merged = merge_streams(outputs)
    assert [(o.name, o.text) for o in merged] == [("stdout", "ab\n"), ("stderr", "w"),
                                                  ("stdout", "c")]
