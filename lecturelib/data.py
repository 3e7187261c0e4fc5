"""Bundled and generated data sets: nothing is downloaded, ever."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.datasets import load_digits, make_moons
from sklearn.model_selection import train_test_split


@dataclass(frozen=True)
class Split:
    """Train and test tensors: ``x_*`` float32 of shape [n, features], ``y_*`` int64 of shape [n]."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return int(torch.cat([self.y_train, self.y_test]).max()) + 1


def _split(x: np.ndarray, y: np.ndarray, test_size: float, seed: int, standardize: bool) -> Split:
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must lie in (0, 1), got {test_size!r}")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y)
    if standardize:  # statistics of the training part only, as in a real pipeline
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std[std == 0] = 1.0  # constant pixels (digits' corners) stay zero instead of NaN
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    as_x = lambda a: torch.as_tensor(a, dtype=torch.float32)
    as_y = lambda a: torch.as_tensor(a, dtype=torch.int64)
    return Split(as_x(x_train), as_y(y_train), as_x(x_test), as_y(y_test))


def digits(test_size: float = 0.3, seed: int = 0, standardize: bool = True) -> Split:
    """scikit-learn's bundled 8x8 digits (1797 images, 10 classes), flattened to 64 features."""
    bunch = load_digits()
    return _split(bunch.data, bunch.target, test_size, seed, standardize)


def moons(n_samples: int = 400, noise: float = 0.2, test_size: float = 0.3, seed: int = 0) -> Split:
    """Two interleaving half-circles in 2-D (scikit-learn's ``make_moons``)."""
    if n_samples < 4:
        raise ValueError(f"n_samples must be at least 4, got {n_samples!r}")
    x, y = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return _split(x, y, test_size, seed, standardize=False)
