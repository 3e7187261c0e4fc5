"""lecturelib.pruning against torch.nn.utils.prune and by hand; the exercise check."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from lecturelib import pruning as lp
from lecturelib.data import digits
from lecturelib.models import mlp


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("amount", [0.0, 0.2, 0.5, 0.77, 1.0, 7, 0])
@pytest.mark.parametrize("shape", [(10, 13), (4, 3, 3, 3)])
def test_layerwise_mask_equals_l1_unstructured(amount, shape):
    layer = nn.Conv2d(3, 4, 3) if len(shape) == 4 else nn.Linear(13, 10)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(shape, generator=gen()))
    ours = lp.magnitude_mask(layer.weight, amount)
    prune.l1_unstructured(layer, "weight", amount=amount)
    assert torch.equal(ours, layer.weight_mask)


@pytest.mark.parametrize("amounts", [(0.5, 0.5, 0.5), (0.2, 0.35, 0.9), (0.3, 5)])
def test_iterative_masks_equal_torch_pruning_container(amounts):
    """Already-pruned weights stay pruned and the next amount is a fraction of the rest."""
    layer = nn.Linear(9, 11)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(11, 9, generator=gen(1)))
    original = layer.weight.detach().clone()
    mask = None
    for amount in amounts:
        mask = lp.magnitude_mask(original, amount, mask)
        prune.l1_unstructured(layer, "weight", amount=amount)
        assert torch.equal(mask, layer.weight_mask), amount


@pytest.mark.parametrize("amount", [0.3, 0.8, 100])
def test_global_mask_equals_global_unstructured(amount):
    net = mlp([6, 8, 5, 3])
    for i, p in enumerate(net.parameters()):
        with torch.no_grad():
            p.copy_(torch.randn(p.shape, generator=gen(i)) * (i + 1))  # layers of different scale
    weights = [net[0].weight, net[2].weight, net[4].weight]
    ours = lp.global_magnitude_mask(weights, amount)
    prune.global_unstructured([(net[0], "weight"), (net[2], "weight"), (net[4], "weight")],
                              pruning_method=prune.L1Unstructured, amount=amount)
    for o, module in zip(ours, [net[0], net[2], net[4]]):
        assert torch.equal(o, module.weight_mask)


def test_global_then_global_again_with_masks():
    a = torch.randn(5, 4, generator=gen(2))
    b = 3 * torch.randn(3, 5, generator=gen(3))
    first = lp.global_magnitude_mask([a, b], 0.5)
    second = lp.global_magnitude_mask([a, b], 0.5, first)
    n_first = sum(int(m.sum()) for m in first)
    assert n_first == 35 - round(0.5 * 35)
    assert sum(int(m.sum()) for m in second) == n_first - round(0.5 * n_first)
    assert all(bool((s <= f).all()) for s, f in zip(second, first))


@pytest.mark.parametrize("n,amount,expected", [(5, 0.5, 2), (7, 0.5, 4), (3, 0.5, 2), (10, 0.25, 2),
                                               (9, 0.5, 4), (4, 0.999, 4)])
def test_rounding_is_half_to_even_like_torch(n, amount, expected):
    assert lp.prune_count(amount, n) == expected
    w = torch.arange(1, n + 1, dtype=torch.float32)
    assert int((lp.magnitude_mask(w, amount) == 0).sum()) == expected
    assert prune._compute_nparams_toprune(amount, n) == expected


def test_ties_prune_exactly_k_lowest_index_first():
    w = torch.tensor([1.0, -1.0, 1.0, 2.0, 3.0, 0.5])
    mask = lp.magnitude_mask(w, 0.5)
    assert mask.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]


def test_mask_ranks_by_magnitude_not_sign():
    w = torch.tensor([-5.0, 0.1, -0.2, 4.0])
    assert lp.magnitude_mask(w, 0.5).tolist() == [1.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("amount,error", [(1.5, ValueError), (-0.1, ValueError), (30, ValueError),
                                          ("half", TypeError), (True, TypeError)])
def test_bad_amounts_are_rejected(amount, error):
    with pytest.raises(error, match="amount"):
        lp.magnitude_mask(torch.randn(4, 5), amount)


def test_bad_masks_are_rejected():
    with pytest.raises(ValueError, match="shape"):
        lp.magnitude_mask(torch.randn(4, 5), 0.5, torch.ones(5, 4))
    with pytest.raises(ValueError, match="only 0 and 1"):
        lp.magnitude_mask(torch.randn(2, 2), 0.5, torch.full((2, 2), 0.5))


def test_apply_and_rewind():
    net = mlp([4, 6, 3])
    init = {k: v.clone() for k, v in net.state_dict().items()}
    masks = {name: lp.magnitude_mask(p, 0.5) for name, p in lp.prunable_weights(net).items()}
    assert set(masks) == {"0.weight", "2.weight"}
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    lp.rewind_(net, init, masks)
    for name, p in net.named_parameters():
        expected = init[name] * masks[name] if name in masks else init[name]
        assert torch.equal(p.detach(), expected)
    with pytest.raises(KeyError, match="not a parameter"):
        lp.apply_mask_(net, {"9.weight": torch.ones(1)})


def test_train_masked_keeps_pruned_weights_at_zero():
    data = digits()
    torch.manual_seed(0)
    net = mlp([64, 32, 10])
    start = {k: v.clone() for k, v in net.state_dict().items()}
    masks = {name: lp.magnitude_mask(p, 0.8) for name, p in lp.prunable_weights(net).items()}
    accuracy = lp.train_masked(net, masks, data, epochs=2, lr=1e-2)
    for name, p in lp.prunable_weights(net).items():
        assert float(p.detach()[masks[name] == 0].abs().max()) == 0.0
        assert not torch.equal(p.detach()[masks[name] == 1], start[name][masks[name] == 1])
    assert 0.5 < accuracy <= 1.0  # 20 % of the weights still learn digits


def test_lottery_experiment_small():
    data = digits()
    result = lp.lottery_experiment(data, sizes=(64, 16, 16, 10), seeds=(0, 1), rounds=2,
                                   epochs=1, lr=3e-3)
    assert result.kept == [1.0, 0.5, 0.25]
    assert len(result.ticket) == len(result.random) == 3
    assert all(len(a) == 2 for a in result.ticket + result.random)
    assert result.ticket[0] == result.random[0]
    assert result.max_pruned_weight == 0.0
    assert len(result.dense_weights) == 3 and result.dense_weights[0].shape == (2, 16, 64)


# ------------------------------------------------------------------ the exercise check

def reference(weight, amount, mask=None):
    layer = nn.Linear(1, 1, bias=False)
    layer.weight = nn.Parameter(weight.detach().clone().reshape(1, -1))
    if mask is not None:
        prune.custom_from_mask(layer, "weight", mask.reshape(1, -1))
    prune.l1_unstructured(layer, "weight", amount=amount)
    return layer.weight_mask.reshape(weight.shape)


def floor_rounding(weight, amount, mask=None):
    mask = torch.ones_like(weight) if mask is None else mask.clone()
    alive = (mask == 1).flatten().nonzero().flatten()
    k = math.floor(amount * alive.numel())
    order = torch.argsort(weight.abs().flatten()[alive], stable=True)
    flat = mask.flatten().clone()
    flat[alive[order[:k]]] = 0
    return flat.view_as(weight)


def ignores_previous_mask(weight, amount, mask=None):
    return lp.magnitude_mask(weight, amount)


def counts_all_weights(weight, amount, mask=None):
    """Ranks every weight, already-pruned ones counted as zeros: prunes too few new ones."""
    mask = torch.ones_like(weight) if mask is None else mask
    scores = (weight * mask).abs().flatten()
    k = round(amount * weight.numel())
    flat = torch.ones(weight.numel())
    flat[torch.argsort(scores, stable=True)[:k]] = 0
    return flat.view_as(weight)


def threshold_with_ties(weight, amount, mask=None):
    """|w| ≤ k-th smallest: prunes every tied weight at the boundary."""
    mask = torch.ones_like(weight) if mask is None else mask
    alive = weight.abs()[mask == 1]
    k = round(amount * alive.numel())
    if k == 0:
        return mask.clone()
    return mask * (weight.abs() > alive.sort().values[k - 1]).float()


def by_signed_value(weight, amount, mask=None):
    """Ranks w instead of |w|: prunes the most negative weights."""
    mask = torch.ones_like(weight) if mask is None else mask
    return lp._prune_flat(weight.flatten(), mask.flatten(), amount).view_as(weight)


def stub(weight, amount, mask=None):
    raise NotImplementedError


def test_check_accepts_reference_ours_and_other_tie_breaking():
    assert lp.check_magnitude_mask(reference)
    assert lp.check_magnitude_mask(lp.magnitude_mask)

    def last_index_first(weight, amount, mask=None):  # another valid choice among ties
        flipped = lp.magnitude_mask(weight.flatten().flip(0), amount,
                                    None if mask is None else mask.flatten().flip(0))
        return flipped.flip(0).view_as(weight)
    assert lp.check_magnitude_mask(last_index_first)


@pytest.mark.parametrize("wrong,words", [
    (floor_rounding, ["round(3.5) = 4", "round", "(4,)"]),
    (ignores_previous_mask, ["уже обрезанные", "остаться обрезанными"]),
    (counts_all_weights, ["уже обрезанные", "не считаются"]),
    (threshold_with_ties, ["ничья", "ровно столько"]),
    (by_signed_value, ["|w|", "модуль"]),
])
def test_check_rejects_typical_mistakes_and_names_the_entries(wrong, words, capsys):
    result = lp.check_magnitude_mask(wrong)
    assert not result and not result.not_done
    assert "позициях" in result.message and "ожидалось" in result.message
    for word in words:
        assert word in result.message, result.message
    assert "Traceback" not in capsys.readouterr().out


def test_check_says_not_done_for_a_stub():
    result = lp.check_magnitude_mask(stub)
    assert not result and result.not_done
