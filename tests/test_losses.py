"""lecturelib.losses against torch.nn.functional, torch.distributions and hand formulas.

Values AND autograd gradients, including edge values (huge logits, y = 0, empty masks, equal
points), plus the two exercise checks: each accepts the reference, rejects typical wrong answers
naming the failing input, and says "not done yet" for a stub.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import distributions as D

from lecturelib import losses


def grad_of(fn, *tensors):
    """Autograd gradients of ``fn(*tensors).sum()`` with respect to each tensor (float copies)."""
    leaves = [t.detach().clone().requires_grad_(True) for t in tensors]
    out = fn(*leaves)
    return out.detach(), torch.autograd.grad(out.sum(), leaves)


def assert_close(a, b, rtol=1e-5, atol=1e-6):
    torch.testing.assert_close(a, b, rtol=rtol, atol=atol)


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(123)


# --------------------------------------------------------------------------------------------
# Gaussian

def test_gaussian_nll_equals_normal_log_prob_values_and_gradients(gen):
    mean = torch.randn(50, generator=gen, dtype=torch.float64)
    target = torch.randn(50, generator=gen, dtype=torch.float64)
    var = 0.01 + torch.rand(50, generator=gen, dtype=torch.float64) * 3
    ours, g_ours = grad_of(losses.gaussian_nll, mean, target, var)
    ref, g_ref = grad_of(lambda m, t, v: -D.Normal(m, v.sqrt()).log_prob(t), mean, target, var)
    assert_close(ours, ref)
    for a, b in zip(g_ours, g_ref):
        assert_close(a, b)


def test_gaussian_nll_matches_torch_builtin_with_and_without_constant(gen):
    mean, target = torch.randn(2, 40, generator=gen)
    var = 1e-3 + torch.rand(40, generator=gen)
    for full in (True, False):
        ours, (g_mean, g_var) = grad_of(lambda m, v: losses.gaussian_nll(m, target, v, full=full),
                                        mean, var)
        ref, (r_mean, r_var) = grad_of(
            lambda m, v: F.gaussian_nll_loss(m, target, v, full=full, reduction="none"), mean, var)
        assert_close(ours, ref)
        assert_close(g_mean, r_mean)
        assert_close(g_var, r_var)
    # the two differ by exactly the constant ½·log 2π
    gap = losses.gaussian_nll(mean, target, var) - losses.gaussian_nll(mean, target, var, full=False)
    assert_close(gap, torch.full_like(gap, 0.5 * math.log(2 * math.pi)))


def test_gaussian_nll_does_not_clamp_tiny_variance_unlike_torch():
    mean, target, var = torch.tensor([0.0]), torch.tensor([1e-3]), torch.tensor([1e-8])
    exact = -D.Normal(mean.double(), var.double().sqrt()).log_prob(target.double())
    assert_close(losses.gaussian_nll(mean.double(), target.double(), var.double()), exact)
    clamped = F.gaussian_nll_loss(mean, target, var, full=True, reduction="none")
    as_if_eps = losses.gaussian_nll(mean, target, torch.tensor([1e-6]))
    assert_close(clamped, as_if_eps)  # PyTorch replaces var by eps = 1e-6
    assert (clamped - exact.float()).abs().item() > 10
    # ... and the clamp happens under no_grad: the gradient reaches var as if var were eps
    _, (g_torch,) = grad_of(
        lambda v: F.gaussian_nll_loss(mean, target, v, full=True, reduction="none"), var)
    _, (g_at_eps,) = grad_of(lambda v: losses.gaussian_nll(mean, target, v),
                             torch.tensor([1e-6]))
    assert_close(g_torch, g_at_eps)


def test_gaussian_nll_scalar_variance_and_bad_input():
    mean, target = torch.zeros(3), torch.tensor([1.0, -1.0, 0.0])
    assert_close(losses.gaussian_nll(mean, target, 4.0),
                 -D.Normal(mean, 2.0).log_prob(target))
    with pytest.raises(ValueError, match="var"):
        losses.gaussian_nll(mean, target, torch.tensor([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="shapes"):
        losses.gaussian_nll(mean, target[:2], 1.0)
    with pytest.raises(TypeError, match="mean"):
        losses.gaussian_nll([0.0], target, 1.0)


# --------------------------------------------------------------------------------------------
# Laplace, Poisson, Beta

def test_laplace_nll_equals_laplace_log_prob(gen):
    loc, target = torch.randn(2, 30, generator=gen, dtype=torch.float64)
    scale = 0.1 + torch.rand(30, generator=gen, dtype=torch.float64)
    ours, g_ours = grad_of(losses.laplace_nll, loc, target, scale)
    ref, g_ref = grad_of(lambda l, t, s: -D.Laplace(l, s).log_prob(t), loc, target, scale)
    assert_close(ours, ref)
    for a, b in zip(g_ours, g_ref):
        assert_close(a, b)
    with pytest.raises(ValueError, match="scale"):
        losses.laplace_nll(loc, target, -1.0)


def test_poisson_nll_equals_poisson_log_prob_including_edges():
    log_rate = torch.tensor([-20.0, -3.0, 0.0, 0.5, 2.0, math.log(50.0), 6.0, 7.0],
                            dtype=torch.float64)
    y = torch.tensor([0.0, 1.0, 0.0, 3.0, 7.0, 60.0, 500.0, 1000.0], dtype=torch.float64)
    ours, (g_ours,) = grad_of(lambda l: losses.poisson_nll(l, y), log_rate)
    ref, (g_ref,) = grad_of(lambda l: -D.Poisson(l.exp()).log_prob(y), log_rate)
    assert_close(ours, ref)
    assert_close(g_ours, g_ref)
    assert_close(g_ours, log_rate.exp() - y)  # d/d log λ of λ − y·log λ, by hand


def test_poisson_nll_without_constant_matches_torch_builtin(gen):
    log_rate = torch.randn(40, generator=gen)
    y = torch.poisson(log_rate.exp() * 3, generator=gen)
    ours, (g_ours,) = grad_of(lambda l: losses.poisson_nll(l, y, full=False), log_rate)
    ref, (g_ref,) = grad_of(lambda l: F.poisson_nll_loss(l, y, reduction="none"), log_rate)
    assert_close(ours, ref)
    assert_close(g_ours, g_ref)


def test_torch_poisson_full_is_stirling_for_y_above_one_only():
    """PyTorch's documented convention, which the chapter describes: not the exact log y!."""
    y = torch.tensor([0.0, 1.0, 2.0, 5.0, 100.0], dtype=torch.float64)
    zero = torch.zeros_like(y)
    term = (F.poisson_nll_loss(zero, y, full=True, reduction="none")
            - F.poisson_nll_loss(zero, y, full=False, reduction="none"))
    stirling = torch.where(y > 1, y * torch.log(y) - y + 0.5 * torch.log(2 * math.pi * y),
                           torch.zeros_like(y))
    assert_close(term, stirling)
    exact = torch.lgamma(y + 1)
    assert (exact[2:] - term[2:]).abs().min() > 1e-4  # an approximation, not log y!
    assert_close(losses.poisson_nll(zero, y) - losses.poisson_nll(zero, y, full=False), exact)


def test_poisson_nll_rejects_bad_counts():
    with pytest.raises(ValueError, match="target"):
        losses.poisson_nll(torch.zeros(2), torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="target"):
        losses.poisson_nll(torch.zeros(2), torch.tensor([1.0, 0.5]))


def test_beta_nll_equals_beta_log_prob(gen):
    alpha = 0.3 + 5 * torch.rand(30, generator=gen, dtype=torch.float64)
    beta = 0.3 + 5 * torch.rand(30, generator=gen, dtype=torch.float64)
    y = torch.rand(30, generator=gen, dtype=torch.float64).clamp(1e-4, 1 - 1e-4)
    ours, g_ours = grad_of(lambda a, b: losses.beta_nll(a, b, y), alpha, beta)
    ref, g_ref = grad_of(lambda a, b: -D.Beta(a, b).log_prob(y), alpha, beta)
    assert_close(ours, ref)
    for a, b in zip(g_ours, g_ref):
        assert_close(a, b)


def test_beta_nll_rejects_proportions_on_the_boundary():
    one = torch.ones(2)
    with pytest.raises(ValueError, match="target"):
        losses.beta_nll(one, one, torch.tensor([0.0, 0.5]))
    with pytest.raises(ValueError, match="alpha"):
        losses.beta_nll(torch.tensor([0.0, 1.0]), one, torch.tensor([0.5, 0.5]))


# --------------------------------------------------------------------------------------------
# Bernoulli and categorical

EXTREME_LOGITS = torch.tensor([-1e4, -300.0, -90.0, -20.0, -1.0, 0.0, 1.0, 17.0, 20.0, 90.0,
                               300.0, 1e4])


@pytest.mark.parametrize("label", [0.0, 1.0, 0.3])
def test_bce_with_logits_matches_torch_everywhere_including_zero(label):
    y = torch.full_like(EXTREME_LOGITS, label)
    ours, (g_ours,) = grad_of(lambda z: losses.bce_with_logits(z, y), EXTREME_LOGITS)
    ref, (g_ref,) = grad_of(lambda z: F.binary_cross_entropy_with_logits(z, y, reduction="none"),
                            EXTREME_LOGITS)
    assert torch.isfinite(ours).all() and torch.isfinite(g_ours).all()
    assert_close(ours, ref)
    assert_close(g_ours, g_ref)
    assert_close(g_ours, torch.sigmoid(EXTREME_LOGITS) - y)  # the derivative by hand
    assert g_ours[EXTREME_LOGITS == 0].item() == pytest.approx(0.5 - label)


def test_bce_naive_agrees_for_moderate_logits_and_breaks_at_extremes():
    z = torch.tensor([-5.0, 0.0, 5.0])
    y = torch.tensor([1.0, 0.0, 1.0])
    assert_close(losses.bce_naive(z, y), losses.bce_with_logits(z, y))
    assert torch.isinf(losses.bce_naive(torch.tensor([-200.0]), torch.ones(1))).all()
    assert torch.isnan(losses.bce_naive(torch.tensor([20.0]), torch.ones(1))).all()  # 0·log 0


def test_bce_rejects_labels_outside_unit_interval():
    with pytest.raises(ValueError, match="target"):
        losses.bce_with_logits(torch.zeros(2), torch.tensor([0.0, 2.0]))


LOGIT_ROWS = torch.cat([
    3 * torch.randn(20, 7, generator=torch.Generator().manual_seed(0)),
    torch.tensor([[1000.0, 0, -1000, 5, 0, 0, 0], [-1000.0] * 7, [1000.0] * 7, [0.0] * 7,
                  [89.0, 0, 0, 0, 0, 0, 0], [-110.0, -120, -130, -140, -150, -160, -170]]),
])


def test_log_softmax_matches_torch_values_and_gradients():
    weights = torch.randn(LOGIT_ROWS.shape, generator=torch.Generator().manual_seed(1))
    ours, (g_ours,) = grad_of(lambda z: losses.log_softmax(z, dim=1) * weights, LOGIT_ROWS)
    ref, (g_ref,) = grad_of(lambda z: F.log_softmax(z, dim=1) * weights, LOGIT_ROWS)
    assert torch.isfinite(ours).all()
    assert_close(ours, ref, rtol=1e-5, atol=1e-4)
    assert_close(g_ours, g_ref, rtol=1e-5, atol=1e-5)
    # along another dimension too
    assert_close(losses.log_softmax(LOGIT_ROWS.T, dim=0), F.log_softmax(LOGIT_ROWS.T, dim=0),
                 rtol=1e-5, atol=1e-4)


def test_softmax_naive_fails_where_the_slide_says():
    out = losses.softmax_naive(torch.tensor([[1000.0, 0.0], [-1000.0, -1000.0]]))
    assert torch.isnan(out).any(dim=1).all()  # ∞/∞ and 0/0


def test_cross_entropy_matches_torch_values_and_gradients():
    target = torch.randint(7, (len(LOGIT_ROWS),), generator=torch.Generator().manual_seed(2))
    ours, (g_ours,) = grad_of(lambda z: losses.cross_entropy(z, target), LOGIT_ROWS)
    ref, (g_ref,) = grad_of(lambda z: F.cross_entropy(z, target, reduction="none"), LOGIT_ROWS)
    assert_close(ours, ref, rtol=1e-5, atol=1e-4)
    assert_close(g_ours, g_ref)
    assert_close(g_ours, torch.softmax(LOGIT_ROWS, 1) - F.one_hot(target, 7))
    assert losses.cross_entropy(torch.zeros(1, 4), torch.tensor([2])).item() == pytest.approx(math.log(4))


@pytest.mark.parametrize("bad_target, match", [
    (torch.tensor([0, 3]), "target must lie"),
    (torch.tensor([0.0, 1.0]), "int64"),
    (torch.tensor([0]), "shape"),
])
def test_class_losses_reject_bad_targets(bad_target, match):
    with pytest.raises(ValueError, match=match):
        losses.cross_entropy(torch.zeros(2, 3), bad_target)


# --------------------------------------------------------------------------------------------
# Designed losses

def test_multiclass_hinge_is_multi_margin_loss_times_k(gen):
    scores = torch.randn(40, 5, generator=gen)
    target = torch.randint(5, (40,), generator=gen)
    for margin in (1.0, 0.3):
        ours, (g_ours,) = grad_of(lambda s: losses.multiclass_hinge(s, target, margin) / 5, scores)
        ref, (g_ref,) = grad_of(
            lambda s: F.multi_margin_loss(s, target, margin=margin, reduction="none"), scores)
        assert_close(ours, ref)
        assert_close(g_ours, g_ref)


def test_multiclass_hinge_by_hand():
    scores = torch.tensor([[3.0, 2.5, 0.0], [0.0, 5.0, 4.5]])
    target = torch.tensor([0, 2])
    # row 0: max(0, 1 − 3 + 2.5) + max(0, 1 − 3 + 0) = 0.5; row 1: 1 − 4.5 + 0 → 0, 1 − 4.5 + 5 = 1.5
    assert_close(losses.multiclass_hinge(scores, target), torch.tensor([0.5, 1.5]))
    assert losses.multiclass_hinge(torch.tensor([[10.0, 0.0]]), torch.tensor([0])).item() == 0.0


def test_focal_with_gamma_zero_is_exactly_cross_entropy():
    target = torch.randint(7, (len(LOGIT_ROWS),), generator=torch.Generator().manual_seed(3))
    focal, (g_focal,) = grad_of(lambda z: losses.focal_loss(z, target, gamma=0.0), LOGIT_ROWS)
    ce, (g_ce,) = grad_of(lambda z: losses.cross_entropy(z, target), LOGIT_ROWS)
    assert torch.equal(focal, ce) and torch.equal(g_focal, g_ce)
    ref, (g_ref,) = grad_of(lambda z: F.cross_entropy(z, target, reduction="none"), LOGIT_ROWS)
    assert_close(focal, ref, rtol=1e-5, atol=1e-4)
    assert_close(g_focal, g_ref)


@pytest.mark.parametrize("gamma", [0.5, 2.0, 5.0])
def test_focal_matches_formula_by_hand(gamma, gen):
    logits = 2 * torch.randn(30, 4, generator=gen, dtype=torch.float64)
    target = torch.randint(4, (30,), generator=gen)
    alpha = torch.tensor([0.25, 1.0, 2.0, 0.5], dtype=torch.float64)

    def by_hand(z):
        p = torch.softmax(z, dim=1)[torch.arange(30), target]
        return -alpha[target] * (1 - p) ** gamma * torch.log(p)

    ours, (g_ours,) = grad_of(lambda z: losses.focal_loss(z, target, gamma, alpha), logits)
    ref, (g_ref,) = grad_of(by_hand, logits)
    assert_close(ours, ref)
    assert_close(g_ours, g_ref)


def test_focal_gradient_stays_finite_when_the_true_class_is_certain():
    logits = torch.tensor([[200.0, 0.0, -5.0], [0.0, 30.0, 0.0]])
    for gamma in (0.5, 2.0):
        loss, (grad,) = grad_of(lambda z: losses.focal_loss(z, torch.tensor([0, 1]), gamma), logits)
        assert torch.isfinite(loss).all() and torch.isfinite(grad).all()
    with pytest.raises(ValueError, match="gamma"):
        losses.focal_loss(logits, torch.tensor([0, 1]), gamma=-1.0)


def test_dice_loss_by_hand_and_empty_mask_convention():
    a, b = torch.zeros(1, 8, 8), torch.zeros(1, 8, 8)
    a[0, 0:4, 0:4] = 1.0
    b[0, 2:6, 0:4] = 1.0  # overlap 2x4 = 8 pixels, |A| = |B| = 16
    assert losses.dice_loss(a, b, eps=1e-6).item() == pytest.approx(0.5, abs=1e-6)
    assert losses.dice_loss(a, b, eps=1.0).item() == pytest.approx(1 - 17 / 33, abs=1e-6)
    empty = torch.zeros(1, 8, 8)
    both_empty, (grad,) = grad_of(lambda p: losses.dice_loss(p, empty), empty)
    assert both_empty.item() == 0.0 and torch.isfinite(grad).all()
    assert losses.dice_loss(a, empty).item() == pytest.approx(1 - 1 / 17)
    assert losses.dice_loss(empty, a).item() == pytest.approx(1 - 1 / 17)
    assert losses.dice_loss(a, a, eps=1e-6).item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="eps"):
        losses.dice_loss(a, b, eps=0.0)


def test_dice_loss_gradient_matches_formula_by_hand(gen):
    probs = torch.rand(3, 5, 5, generator=gen, dtype=torch.float64)
    target = (torch.rand(3, 5, 5, generator=gen) > 0.6).double()
    ours, (g_ours,) = grad_of(lambda p: losses.dice_loss(p, target, eps=0.5), probs)
    inter = (probs * target).sum((1, 2), keepdim=True)
    total = probs.sum((1, 2), keepdim=True) + target.sum((1, 2), keepdim=True)
    # d/dp of 1 − (2I + ε)/(S + ε) = −(2t·(S + ε) − (2I + ε)) / (S + ε)²
    by_hand = -(2 * target * (total + 0.5) - (2 * inter + 0.5)) / (total + 0.5) ** 2
    assert_close(ours, 1 - (2 * inter + 0.5).flatten() / (total + 0.5).flatten())
    assert_close(g_ours, by_hand)


def test_contrastive_loss_by_hand_values_and_gradients():
    z1 = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    z2 = torch.tensor([[0.3, 0.4], [0.3, 0.4], [1.0, 1.0], [3.0, 4.0]], dtype=torch.float64)
    same = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    loss, (g1, g2) = grad_of(lambda a, b: losses.contrastive_loss(a, b, same, margin=1.0), z1, z2)
    # d = 0.5, 0.5, 0, 5: same → d²/2; different → max(0, 1 − d)²/2
    assert_close(loss, torch.tensor([0.125, 0.125, 0.5, 0.0], dtype=torch.float64))
    assert torch.isfinite(g1).all() and torch.isfinite(g2).all()  # d = 0 in row 2
    assert_close(g1[0], z1[0] - z2[0])                            # same pair: ∇ d²/2 = z1 − z2
    # different pair, d < margin: ∇_{z1} = −(1 − d)·(z1 − z2)/d
    assert_close(g1[1], -(1 - 0.5) * (z1[1] - z2[1]) / 0.5)
    assert_close(g1[3], torch.zeros(2, dtype=torch.float64))


def test_triplet_loss_matches_torch_values_and_gradients(gen):
    a, p, n = torch.randn(3, 25, 4, generator=gen).unbind(0)
    p[0] = a[0]  # coinciding points: the eps inside the norm keeps the gradient finite
    for margin in (1.0, 0.2):
        ours, g_ours = grad_of(lambda x, y, z: losses.triplet_loss(x, y, z, margin), a, p, n)
        ref, g_ref = grad_of(
            lambda x, y, z: F.triplet_margin_loss(x, y, z, margin=margin, reduction="none"), a, p, n)
        assert_close(ours, ref)
        for x, y in zip(g_ours, g_ref):
            assert torch.isfinite(x).all()
            assert_close(x, y)


def test_embedding_losses_reject_bad_shapes():
    with pytest.raises(ValueError, match="shapes"):
        losses.triplet_loss(torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="same"):
        losses.contrastive_loss(torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(2))


# --------------------------------------------------------------------------------------------
# Model, optimiser loop, samplers

def test_mean_variance_net_outputs_positive_variance():
    net = losses.MeanVarianceNet(n_inputs=2, hidden=8, min_var=1e-4)
    with torch.no_grad():
        net.var_head.bias.fill_(-1e4)  # softplus(−1e4) = 0: the floor must still hold
        mean, var = net(torch.randn(10, 2))
    assert mean.shape == var.shape == (10, 1)
    assert (var >= 1e-4).all()
    with pytest.raises(ValueError, match="min_var"):
        losses.MeanVarianceNet(min_var=0.0)


@pytest.mark.parametrize("optimizer, steps, lr", [("adam", 500, 0.05), ("lbfgs", 50, 1.0)])
def test_minimize_finds_the_minimum_of_a_quadratic(optimizer, steps, lr):
    w = torch.zeros(2, requires_grad=True)
    target = torch.tensor([1.5, -2.0])
    history = losses.minimize(lambda: ((w - target) ** 2).sum(), [w], steps=steps, lr=lr,
                              optimizer=optimizer)
    assert history[-1] < history[0]
    assert_close(w.detach(), target, rtol=0, atol=1e-3)
    with pytest.raises(ValueError, match="optimizer"):
        losses.minimize(lambda: w.sum(), [w], steps=1, lr=0.1, optimizer="sgdx")


def test_samplers_respect_labels_and_balance():
    labels = torch.arange(10).repeat_interleave(torch.arange(5, 15))  # unequal class sizes
    g = torch.Generator().manual_seed(0)
    a, p, n = losses.sample_triplets(labels, 2000, g)
    assert (labels[a] == labels[p]).all() and (labels[a] != labels[n]).all()
    assert len(torch.unique(labels[n])) == 10
    first, second, same = losses.sample_pairs(labels, 1000, g)
    assert ((labels[first] == labels[second]) == same.bool()).all()
    assert same.mean().item() == 0.5
    with pytest.raises(ValueError, match="two classes"):
        losses.sample_triplets(torch.zeros(5, dtype=torch.long), 3)


# --------------------------------------------------------------------------------------------
# Exercise checks

def stub(*args):
    raise NotImplementedError


def check_verdict(check, fn, capsys):
    result = check(fn)
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and "Traceback" not in printed
    return result, printed


def reference_cross_entropy(z, y):
    return F.cross_entropy(z, y, reduction="none")


def lse_minus_logit(z, y):
    # mathematically right, loses ~1e-4 to cancellation at |z| = 1000 in float32: accepted
    return torch.logsumexp(z, dim=1) - z.gather(1, y[:, None]).squeeze(1)


def naive_cross_entropy(z, y):
    return -torch.log(torch.softmax(z, 1).gather(1, y[:, None]).squeeze(1))


def fully_naive_cross_entropy(z, y):
    e = torch.exp(z)
    return -torch.log(e / e.sum(1, keepdim=True)).gather(1, y[:, None]).squeeze(1)


@pytest.mark.parametrize("fn", [reference_cross_entropy, lse_minus_logit,
                                lambda z, y: losses.cross_entropy(z, y)])
def test_check_cross_entropy_accepts_correct_answers(fn, capsys):
    result, printed = check_verdict(losses.check_cross_entropy, fn, capsys)
    assert result, printed


@pytest.mark.parametrize("fn, words", [
    (naive_cross_entropy, ["1000", "максимум"]),
    (fully_naive_cross_entropy, ["1000", "максимум"]),
    (lambda z, y: -reference_cross_entropy(z, y), ["МИНУС"]),
    (lambda z, y: F.cross_entropy(z, y), ["форм"]),
    (lambda z, y: -F.log_softmax(z, dim=0).gather(1, y[:, None]).squeeze(1), ["logits ="]),
    (lambda z, y: reference_cross_entropy(z.detach(), y), ["граф"]),
])
def test_check_cross_entropy_rejects_typical_mistakes(fn, words, capsys):
    result, printed = check_verdict(losses.check_cross_entropy, fn, capsys)
    assert not result and not result.not_done
    for word in words:
        assert word in printed, printed


def test_check_cross_entropy_not_done_and_crash(capsys):
    result, printed = check_verdict(losses.check_cross_entropy, stub, capsys)
    assert not result and result.not_done and "не сделано" in printed
    result, printed = check_verdict(losses.check_cross_entropy, lambda z, y: z[10 ** 6], capsys)
    assert not result and "IndexError" in printed


def reference_poisson(log_rate, y):
    return -D.Poisson(log_rate.exp()).log_prob(y)


@pytest.mark.parametrize("fn", [reference_poisson, lambda l, y: losses.poisson_nll(l, y)])
def test_check_poisson_accepts_correct_answers(fn, capsys):
    result, printed = check_verdict(losses.check_poisson_nll, fn, capsys)
    assert result, printed


@pytest.mark.parametrize("fn, words", [
    (lambda l, y: l.exp() - y * l, ["lgamma", "log λ ="]),
    (lambda l, y: F.poisson_nll_loss(l, y, full=True, reduction="none"), ["Стирлинг"]),
    (lambda l, y: -torch.log(l.exp() ** y * torch.exp(-l.exp()) / torch.exp(torch.lgamma(y + 1))),
     ["60", "переполняют"]),
    (lambda l, y: l - y * torch.log(l) + torch.lgamma(y + 1), ["log λ, а не"]),
    (lambda l, y: -reference_poisson(l, y), ["МИНУС"]),
    (lambda l, y: reference_poisson(l, y).mean(), ["форм"]),
    (lambda l, y: reference_poisson(l.detach(), y), ["граф"]),
])
def test_check_poisson_rejects_typical_mistakes(fn, words, capsys):
    result, printed = check_verdict(losses.check_poisson_nll, fn, capsys)
    assert not result and not result.not_done
    for word in words:
        assert word in printed, printed


def test_check_poisson_not_done_and_crash(capsys):
    result, printed = check_verdict(losses.check_poisson_nll, stub, capsys)
    assert not result and result.not_done
    result, printed = check_verdict(losses.check_poisson_nll, lambda l: l, capsys)
    assert not result and "TypeError" in printed
