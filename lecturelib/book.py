"""Helpers that connect a notebook to the rendered book."""

from __future__ import annotations

import sys


def in_colab() -> bool:
    return "google.colab" in sys.modules


def ru_number(value: float, digits: int) -> str:
    """``value`` rounded to ``digits`` decimals with the decimal comma of Russian prose."""
    if not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits must be a non-negative int, got {digits!r}")
    return f"{float(value):.{digits}f}".replace(".", ",").replace("-", "−")


def glue(name: str, value: object, digits: int | None = None) -> None:
    """Make ``value`` available to the book's prose as ``{glue:text}`name```.

    With ``digits``, a number is rounded and written with a decimal comma (:func:`ru_number`).
    Uses myst-nb's glue when it is installed (the book build); in Colab or plain Jupyter, where
    the prose shows the raw role, it prints ``name = value`` instead so the reader sees the number.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if digits is not None:
        value = ru_number(value, digits)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        print(f"{name} = {value}")
        return
    myst_glue(name, value, display=False)
