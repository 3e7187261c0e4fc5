"""Execute chapters and store only their checked outputs: ``python -m tools.store_outputs [NAME…]``
(``make outputs``).

Cells tagged ``nbval-check-output`` keep their outputs and execution count (nbval compares them
with a fresh run); every other cell is committed empty. Timing, widget state and execution
metadata are dropped, so running this twice gives the same bytes.
"""

from __future__ import annotations

import sys

import nbformat

from tools.notebooks import CHECKED, chapter_paths, execute, read, tags, write


def keep_checked_outputs(nb: nbformat.NotebookNode) -> None:
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if CHECKED in tags(cell):
            cell.outputs = merge_streams(cell.outputs)
        else:
            cell.outputs, cell.execution_count = [], None


def merge_streams(outputs: list) -> list:
    """Join consecutive writes to the same stream: the kernel may split one print into several
    messages depending on timing, which would make the stored bytes differ from run to run."""
    merged: list = []
    for out in outputs:
        previous = merged[-1] if merged else None
        if (out.output_type == "stream" and previous is not None
                and previous.output_type == "stream" and previous.name == out.name):
            previous.text += out.text
        else:
            merged.append(out)
    return merged


def main(names: list[str]) -> int:
    paths = [p for p in chapter_paths() if not names or any(n in p.name for n in names)]
    if not paths:
        print(f"no chapter matches {names}", file=sys.stderr)
        return 1
    for path in paths:
        nb = read(path)
        seconds = execute(nb, path.parent)
        keep_checked_outputs(nb)
        write(nb, path)
        print(f"{path.name}: executed in {seconds:.1f} s, checked outputs stored")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
