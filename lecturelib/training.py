"""A plain training loop, so that chapters show the idea and not the boilerplate."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from lecturelib.data import Split

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Share of rows of ``x`` [n, features] whose arg-max score equals the label ``y`` [n]."""
    was_training = model.training
    model.eval()
    correct = (model(x).argmax(dim=1) == y).float().mean().item()
    model.train(was_training)
    return correct


def train(model: nn.Module, data: Split, *, epochs: int, lr: float, batch_size: int | None = 64,
          optimizer: str = "adam", loss_fn: LossFn = F.cross_entropy, seed: int = 0,
          progress: bool = False) -> dict[str, list[float]]:
    """Train ``model`` on ``data.x_train``; return the per-epoch history of loss and accuracies.

    ``batch_size=None`` means full batch. Mini-batches are shuffled by a generator seeded with
    ``seed``, so a run does not depend on what else the notebook did before.
    """
    if epochs < 1 or lr <= 0:
        raise ValueError(f"epochs must be >= 1 and lr > 0, got epochs={epochs!r}, lr={lr!r}")
    optimizers = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
    if optimizer not in optimizers:
        raise ValueError(f"optimizer must be one of {sorted(optimizers)}, got {optimizer!r}")
    opt = optimizers[optimizer](model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    n = len(data.x_train)
    batch = n if batch_size is None else batch_size
    history: dict[str, list[float]] = {"loss": [], "train_acc": [], "test_acc": []}
    for _ in tqdm(range(epochs), disable=not progress, leave=False):
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            loss = loss_fn(model(data.x_train[idx]), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history["loss"].append(total / n)
        history["train_acc"].append(accuracy(model, data.x_train, data.y_train))
        history["test_acc"].append(accuracy(model, data.x_test, data.y_test))
    return history
