"""One look for every figure of the book.

A notebook calls :func:`use_book_style` once in its imports cell; importing lecturelib alone
changes nothing, and the backend is never touched. Helpers return the Figure; a notebook cell
ends with ``plt.show()``.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

#: Package-local style: PNG of moderate size, readable fonts, light grid, no top/right spines.
STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.autolayout": False,
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "axes.prop_cycle": mpl.cycler(color=["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                         "#9467bd", "#8c564b", "#e377c2", "#17becf"]),
}


def use_book_style() -> None:
    """Apply the book's style to every figure made after this call."""
    mpl.rcParams.update(STYLE)


def subplots(nrows: int = 1, ncols: int = 1, *, width: float | None = None,
             height: float | None = None, **kwargs) -> tuple[Figure, object]:
    """``plt.subplots`` in the book's style; size defaults grow with the grid."""
    if nrows < 1 or ncols < 1:
        raise ValueError(f"nrows and ncols must be >= 1, got nrows={nrows}, ncols={ncols}")
    width = width if width is not None else min(3.2 * ncols, 12.0)
    height = height if height is not None else 2.6 * nrows
    return plt.subplots(nrows, ncols, figsize=(width, height), **kwargs)
