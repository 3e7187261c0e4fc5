"""Small models shared by the chapters."""

from __future__ import annotations

from typing import Callable, Sequence

from torch import nn

ActivationFactory = Callable[[], nn.Module]


def mlp(sizes: Sequence[int], activation: ActivationFactory = nn.ReLU) -> nn.Sequential:
    """A fully connected net: ``Linear(sizes[0], sizes[1])``, activation, …, ``Linear(…, sizes[-1])``.

    ``activation`` is called once per hidden layer (so PReLU gets its own α in each layer);
    the output layer has no activation: losses take raw scores (logits).
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"sizes must be at least two positive ints (input, ..., output), got {sizes!r}")
    if not callable(activation):
        raise TypeError(f"activation must be a callable returning an nn.Module (e.g. nn.ReLU), "
                        f"got {activation!r}")
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)
