"""Helpers that connect a notebook to the rendered book."""

from __future__ import annotations

import sys


def in_colab() -> bool:
    return "google.colab" in sys.modules


def glue(name: str, value: object) -> None:
    """Make ``value`` available to the book's prose as ``{glue:text}`name```.

    Uses myst-nb's glue when it is installed (the book build); in Colab or plain Jupyter, where
    the prose shows the raw role, it prints ``name = value`` instead so the reader sees the number.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        print(f"{name} = {value}")
        return
    myst_glue(name, value, display=False)
