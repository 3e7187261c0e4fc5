"""Shared code of the course book «Нейронные сети. Архитектуры, активации»."""

__version__ = "0.1.0"

from lecturelib.seed import seed_everything

__all__ = ["__version__", "seed_everything"]
