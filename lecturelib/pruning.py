"""Magnitude pruning and lottery tickets (Frankle & Carbin, 2019), written out by hand.

A mask is a float tensor of 0 and 1 shaped like the weight it prunes (1 = kept). The rounding
and the bookkeeping follow ``torch.nn.utils.prune``, so that ``tests/test_pruning.py`` can
compare the masks with ``l1_unstructured`` and ``global_unstructured``:

* a float ``amount`` is the fraction of the weights that are STILL unpruned, and the count is
  ``round(amount · n_unpruned)`` with Python's ``round`` (half to even: 2.5 → 2, 3.5 → 4);
* already-pruned weights stay pruned and do not take part in the ranking;
* among equal magnitudes the one with the lower flat index is pruned first (``torch.topk``
  leaves ties unspecified; on tie-free weights the two agree exactly).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from torch import nn

from lecturelib.checks import CheckResult, call_safely, failed, passed, short
from lecturelib.data import Split
from lecturelib.training import train
from lecturelib.init import StackedMLP, deep_mlp, init_model_, stacked_accuracy, train_stacked


def prune_count(amount: float | int, n_unpruned: int) -> int:
    """How many of ``n_unpruned`` weights to prune: an int is a count, a float a fraction
    rounded half to even (as ``torch.nn.utils.prune``)."""
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"amount must be a float fraction or an int count, got {amount!r}")
    if isinstance(amount, numbers.Integral):
        if not 0 <= amount <= n_unpruned:
            raise ValueError(f"amount (a count) must lie in [0, {n_unpruned}], got {amount}")
        return int(amount)
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"amount (a fraction) must lie in [0, 1], got {amount}")
    return round(amount * n_unpruned)


def _check_mask(mask: torch.Tensor | None, weight: torch.Tensor, name: str = "mask") -> torch.Tensor:
    if mask is None:
        return torch.ones_like(weight)
    if mask.shape != weight.shape:
        raise ValueError(f"{name} must have the weight's shape {tuple(weight.shape)}, "
                         f"got {tuple(mask.shape)}")
    if not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError(f"{name} must hold only 0 and 1")
    return mask.to(weight.dtype)


def _prune_flat(scores: torch.Tensor, mask: torch.Tensor, amount: float | int) -> torch.Tensor:
    """Zero in ``mask`` (flat) the ``amount`` smallest ``scores`` among entries still kept."""
    alive = mask.nonzero().flatten()
    k = prune_count(amount, alive.numel())
    new = mask.clone()
    if k:
        # stable sort: among equal magnitudes the lower index goes first
        order = torch.sort(scores[alive], stable=True).indices
        new[alive[order[:k]]] = 0
    return new


@torch.no_grad()
def magnitude_mask(weight: torch.Tensor, amount: float | int,
                   mask: torch.Tensor | None = None) -> torch.Tensor:
    """Layer-wise magnitude pruning of one ``weight`` (any shape): a new 0/1 mask.

    Prunes the ``amount`` (fraction of the still-unpruned entries, or a count) entries with the
    smallest |w| among those where ``mask`` is 1; entries where ``mask`` is 0 stay 0.
    """
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"weight must be a tensor, got {type(weight).__name__}")
    mask = _check_mask(mask, weight)
    return _prune_flat(weight.abs().flatten(), mask.flatten(), amount).view_as(weight)


@torch.no_grad()
def global_magnitude_mask(weights: Sequence[torch.Tensor], amount: float | int,
                          masks: Sequence[torch.Tensor] | None = None) -> list[torch.Tensor]:
    """Global magnitude pruning: one ranking of |w| over all ``weights`` together.

    Layers with small weights lose more of them than layers with large weights.
    """
    weights = list(weights)
    if not weights:
        raise ValueError("weights must be a non-empty list of tensors")
    masks = [None] * len(weights) if masks is None else list(masks)
    if len(masks) != len(weights):
        raise ValueError(f"masks must match weights in number, got {len(masks)} and {len(weights)}")
    masks = [_check_mask(m, w, f"masks[{i}]") for i, (m, w) in enumerate(zip(masks, weights))]
    flat = _prune_flat(torch.cat([w.abs().flatten() for w in weights]),
                       torch.cat([m.flatten() for m in masks]), amount)
    return [part.view_as(w) for part, w in zip(flat.split([w.numel() for w in weights]), weights)]


def prunable_weights(model: nn.Module) -> dict[str, nn.Parameter]:
    """The weights that pruning touches: every parameter with 2 or more dimensions (no biases)."""
    return {name: p for name, p in model.named_parameters() if p.dim() >= 2}


@torch.no_grad()
def apply_mask_(model: nn.Module, masks: dict[str, torch.Tensor]) -> nn.Module:
    """Zero the pruned weights of ``model`` in place: ``w ← w · mask`` for every named mask."""
    params = dict(model.named_parameters())
    for name, mask in masks.items():
        if name not in params:
            raise KeyError(f"masks has {name!r}, which is not a parameter of the model "
                           f"(parameters: {list(params)})")
        params[name].mul_(_check_mask(mask, params[name], f"masks[{name!r}]"))
    return model


def train_masked(model: nn.Module, masks: dict[str, torch.Tensor], data: Split, *, epochs: int,
                 lr: float, batch_size: int = 64, seed: int = 0) -> float:
    """Adam on ``data.x_train`` with the pruned weights held at exactly zero; test accuracy.

    The pruned weights start at zero and their gradients are masked, so Adam's moments for them
    stay zero and so does every update: the weights never leave zero.
    """
    apply_mask_(model, masks)
    params = dict(model.named_parameters())
    hooks = [params[name].register_hook(lambda grad, mask=mask: grad * mask)
             for name, mask in masks.items()]
    try:
        history = train(model, data, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed)
    finally:
        for hook in hooks:
            hook.remove()
    return history["test_acc"][-1]


@torch.no_grad()
def rewind_(model: nn.Module, initial_state: dict[str, torch.Tensor],
            masks: dict[str, torch.Tensor]) -> nn.Module:
    """Reset every parameter to its value at initialization, then zero the pruned weights."""
    model.load_state_dict(initial_state)
    return apply_mask_(model, masks)


# --------------------------------------------------------------------------------------------
# The lottery-ticket experiment: iterative magnitude pruning, several seeds trained at once
# --------------------------------------------------------------------------------------------

@dataclass
class LotteryResult:
    """``kept[r]``: fraction of weights left after r rounds; ``ticket[r]`` and ``random[r]``:
    test accuracy of every seed (list) for the rewound winning ticket and for the same mask
    with a fresh random initialization (round 0 is the dense network for both)."""

    kept: list[float] = field(default_factory=list)
    ticket: list[list[float]] = field(default_factory=list)
    random: list[list[float]] = field(default_factory=list)
    #: the largest |w| found at a pruned position after training, over all rounds (should be 0)
    max_pruned_weight: float = 0.0
    #: the trained dense networks' weights, one [seeds, out, in] tensor per layer
    dense_weights: list[torch.Tensor] = field(default_factory=list)


def _stack(models: Sequence[nn.Sequential], activation) -> StackedMLP:
    return StackedMLP.from_models(models, activation)


def lottery_experiment(data: Split, *, sizes: Sequence[int] = (64, 128, 128, 10), seeds: Sequence[int] = (0, 1, 2),
                       rounds: int = 6, rate: float = 0.5, epochs: int = 10, lr: float = 1e-3,
                       batch_size: int = 64, scheme: str = "default",
                       progress: Callable[[int], None] | None = None) -> LotteryResult:
    """Iterative magnitude pruning with rewinding to θ₀ against random re-initialization.

    Every round: train, prune ``rate`` of each layer's remaining weights (layer-wise, per
    seed), then train two nets with the new mask — the ticket rewound to its own θ₀ and the
    same mask on a fresh random init — all seeds and both kinds in one :class:`StackedMLP`.
    The next mask is pruned from the trained ticket, as in Frankle & Carbin.
    """
    import torch.nn.functional as F

    if not 0.0 < rate < 1.0:
        raise ValueError(f"rate must lie in (0, 1), got {rate!r}")
    seeds = list(seeds)
    n_seeds = len(seeds)
    depth = len(sizes) - 2

    def fresh(seed: int) -> nn.Sequential:
        return init_model_(deep_mlp(sizes[0], sizes[1], depth, sizes[-1], nn.ReLU), scheme, seed=seed)

    if any(s != sizes[1] for s in sizes[1:-1]):
        raise ValueError(f"hidden sizes must be equal, got {list(sizes)}")
    theta0 = _stack([fresh(s) for s in seeds], F.relu)
    # a different seed stream for the random re-initializations
    reinit = _stack([fresh(10_000 + s) for s in seeds], F.relu)

    result = LotteryResult()
    trained = _stack([fresh(s) for s in seeds], F.relu)
    train_stacked(trained, data.x_train, data.y_train, epochs=epochs, lr=lr,
                  batch_size=batch_size, optimizer="adam")
    dense = stacked_accuracy(trained, data.x_test, data.y_test).tolist()
    result.dense_weights = [w.detach().clone() for w in trained.weights]
    result.kept.append(1.0)
    result.ticket.append(dense)
    result.random.append(dense)
    masks = [torch.ones_like(w) for w in trained.weights]
    total = sum(m[0].numel() for m in masks)
    for r in range(1, rounds + 1):
        masks = [torch.stack([magnitude_mask(w[i], rate, m[i]) for i in range(n_seeds)])
                 for w, m in zip(trained.weights, masks)]
        # rewind the ticket to θ₀ and give the same mask a fresh init: 2·seeds members at once
        both = StackedMLP([torch.cat([a, b]) for a, b in zip(theta0.weights, reinit.weights)],
                          [torch.cat([a, b]) for a, b in zip(theta0.biases, reinit.biases)], F.relu)
        both_masks = [torch.cat([m, m]) for m in masks]
        with torch.no_grad():
            for w, m in zip(both.weights, both_masks):
                w.mul_(m)
        train_stacked(both, data.x_train, data.y_train, epochs=epochs, lr=lr,
                      batch_size=batch_size, optimizer="adam", grad_masks=both_masks)
        acc = stacked_accuracy(both, data.x_test, data.y_test).tolist()
        result.max_pruned_weight = max([result.max_pruned_weight] + [
            float(w.detach()[m == 0].abs().max()) for w, m in zip(both.weights, both_masks)])
        result.kept.append(sum(float(m[0].sum()) for m in masks) / total)
        result.ticket.append(acc[:n_seeds])
        result.random.append(acc[n_seeds:])
        trained = StackedMLP([w[:n_seeds] for w in both.weights],
                             [b[:n_seeds] for b in both.biases], F.relu)
        if progress is not None:
            progress(r)
    return result


# --------------------------------------------------------------------------------------------
# Instant check of the exercise
# --------------------------------------------------------------------------------------------

def _mask_cases() -> list[tuple[str, torch.Tensor, float, torch.Tensor | None]]:
    """(description, weight, amount, mask) cases that separate the typical mistakes."""
    g = torch.Generator().manual_seed(0)
    random = torch.randn(4, 5, generator=g)
    previous = torch.ones(4, 5)
    previous[0, :4] = 0
    previous[2, 1:5] = 0
    rewound = random.clone()
    rewound[previous == 0] = 3.0 + torch.rand(8, generator=g)  # large |w| where already pruned
    zeroed = random * previous  # as after training with the mask: pruned weights are exact zeros
    return [
        ("случайный вес 4×5, amount=0.3", random, 0.3, None),
        ("5 весов, amount=0.5: round(2.5) = 2", torch.tensor([0.3, -0.1, 0.5, 0.2, -0.4]), 0.5, None),
        ("7 весов, amount=0.5: round(3.5) = 4",
         torch.tensor([0.7, -0.1, 0.5, 0.2, -0.4, 0.6, -0.3]), 0.5, None),
        ("отрицательные веса: ранжировать по |w|", torch.tensor([[-2.0, 0.1, -0.2, 1.5, 0.3, -0.05]]), 0.5, None),
        ("уже обрезанные веса (8 из 20) с большими |w|", rewound, 0.5, previous),
        ("уже обрезанные веса (8 из 20), равные нулю", zeroed, 0.25, previous),
        ("ничья на границе: три веса с |w| = 1", torch.tensor([1.0, -1.0, 1.0, 2.0, 3.0, 0.5]), 0.5, None),
        ("свёрточный вес 2×3×2×2, amount=0.75", torch.randn(2, 3, 2, 2, generator=g), 0.75, None),
        ("amount=0: ничего не обрезать", random, 0.0, None),
        ("amount=1: обрезать все ещё живые", random, 1.0, previous),
    ]


def _valid_under_ties(weight: torch.Tensor, amount: float, previous: torch.Tensor,
                      got: torch.Tensor) -> bool:
    """Whether ``got`` is a correct mask up to the choice among equal magnitudes."""
    if bool((got[previous == 0] != 0).any()):
        return False
    alive = previous == 1
    newly = alive & (got == 0)
    kept = alive & (got == 1)
    if int(newly.sum()) != prune_count(amount, int(alive.sum())):
        return False
    if newly.any() and kept.any():
        return float(weight.abs()[newly].max()) <= float(weight.abs()[kept].min())
    return True


def check_magnitude_mask(fn: Callable[..., torch.Tensor]) -> CheckResult:
    """Check ``fn(weight, amount, mask)`` → the layer-wise magnitude-pruning mask.

    Any choice among weights of equal magnitude is accepted; everything else must match the
    rule of ``torch.nn.utils.prune.l1_unstructured`` (see the module's docstring).
    """
    name = "magnitude_mask"
    for description, weight, amount, mask in _mask_cases():
        previous = torch.ones_like(weight) if mask is None else mask
        got, problem = call_safely(name, fn, weight.clone(), amount,
                                   None if mask is None else mask.clone())
        if problem is not None:
            print(problem.message)
            return problem
        if not isinstance(got, torch.Tensor):
            return failed(name, f"случай «{description}»: функция вернула {type(got).__name__}, "
                          "а нужен тензор-маска.", "верните тензор из 0 и 1 формы weight.")
        if got.shape != weight.shape:
            return failed(name, f"случай «{description}»: форма маски {tuple(got.shape)}, а у веса "
                          f"{tuple(weight.shape)}.", "маска имеет ту же форму, что и вес.")
        got = got.detach().to(torch.float32)
        if not bool(((got == 0) | (got == 1)).all()):
            return failed(name, f"случай «{description}»: в маске есть значения кроме 0 и 1: "
                          f"{short(got)}.", "маска — это 1 (вес оставлен) и 0 (вес обрезан).")
        expected = magnitude_mask(weight, amount, mask)
        if torch.equal(got, expected) or _valid_under_ties(weight, amount, previous, got):
            continue
        differ = (got != expected).nonzero().tolist()
        where = ", ".join(f"{tuple(i)}: |w|={weight[tuple(i)].abs().item():.3g} "
                          f"ожидалось {int(expected[tuple(i)])}, получено {int(got[tuple(i)])}"
                          for i in differ[:4])
        more = f" и ещё {len(differ) - 4}" if len(differ) > 4 else ""
        n_alive = int(previous.sum())
        k = prune_count(amount, n_alive)
        pruned_now = int(((previous == 1) & (got == 0)).sum())
        if bool((got[previous == 0] != 0).any()):
            hint = "веса, обрезанные раньше (mask = 0), должны остаться обрезанными."
        elif pruned_now != k:
            hint = f"обрезать нужно round(amount · n_живых) = round({amount} · {n_alive}) = {k}, а обрезано {pruned_now}: "
            if pruned_now in (math.floor(amount * n_alive), math.ceil(amount * n_alive)):
                hint += "округляйте встроенным round (половина — к чётному), как torch.nn.utils.prune."
            elif n_alive < weight.numel():
                hint += "уже обрезанные веса не считаются и не участвуют в ранжировании."
            else:
                hint += "при равных |w| на границе обрежьте ровно столько, сколько нужно."
        else:
            hint = "обрезаются веса с наименьшим |w| среди ещё живых (модуль, а не знак)."
        return failed(name, f"случай «{description}»: маска отличается в {len(differ)} "
                      f"позициях — {where}{more}.", hint)
    return passed(name, f"все {len(_mask_cases())} случаев: округление, ничьи, |w|, "
                  "уже обрезанные веса.")
