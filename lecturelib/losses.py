"""Loss functions of the chapter «Функции потерь».

Most losses are negative log-likelihoods (NLL) of a distribution whose parameters the network
predicts: Gaussian → squared error, Laplace → absolute error, Poisson → counts, Beta →
proportions, Bernoulli → binary cross-entropy, categorical → cross-entropy. The others (hinge,
focal, Dice, contrastive, triplet) are deliberate designs. Every function here returns the loss
of each example (no reduction), so that a notebook can look at single examples and average
itself; every one is written in its numerically stable form and tested against PyTorch's
built-in where one exists (``tests/test_losses.py``).

The module also holds the instant checks of the chapter's two exercises.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from lecturelib.checks import CheckResult, call_safely, failed, passed, short

__all__ = [
    "gaussian_nll", "laplace_nll", "poisson_nll", "beta_nll",
    "bce_naive", "bce_with_logits", "softmax_naive", "log_softmax", "cross_entropy",
    "multiclass_hinge", "focal_loss", "dice_loss", "contrastive_loss", "triplet_loss",
    "MeanVarianceNet", "minimize", "sample_triplets", "sample_pairs",
    "check_cross_entropy", "check_poisson_nll",
]

LOG_2PI = math.log(2.0 * math.pi)


# ---------------------------------------------------------------------------------------------
# Input validation: a wrong argument gets an error that names it.

def _tensor(name: str, value: object) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    return value


def _float_tensor(name: str, value: object) -> torch.Tensor:
    value = _tensor(name, value)
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    return value


def _same_shape(**tensors: torch.Tensor) -> None:
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"shapes must agree, got {shapes}")


def _positive(name: str, value: torch.Tensor) -> None:
    if bool((value <= 0).any()):
        raise ValueError(f"{name} must be positive everywhere, its minimum is {value.min().item():.4g}")


def _class_targets(logits: torch.Tensor, target: torch.Tensor) -> None:
    """``logits`` [n, K] float, ``target`` [n] int64 with values in 0..K-1."""
    _float_tensor("logits", logits)
    _tensor("target", target)
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape [n, K], got {tuple(logits.shape)}")
    if target.dtype != torch.int64 or target.shape != logits.shape[:1]:
        raise ValueError(f"target must be an int64 tensor of shape [{logits.shape[0]}] of class "
                         f"indices, got dtype {target.dtype} and shape {tuple(target.shape)}")
    if len(target) and (int(target.min()) < 0 or int(target.max()) >= logits.shape[1]):
        raise ValueError(f"target must lie in 0..{logits.shape[1] - 1}, got values from "
                         f"{int(target.min())} to {int(target.max())}")


# ---------------------------------------------------------------------------------------------
# Negative log-likelihoods of regression targets.

def gaussian_nll(mean: torch.Tensor, target: torch.Tensor, var: torch.Tensor | float, *,
                 full: bool = True) -> torch.Tensor:
    """``-log N(target | mean, var)`` elementwise: ``0.5·log(2π·var) + (target − mean)² / (2·var)``.

    ``var`` is the variance σ² (not σ), a positive tensor broadcastable to ``mean`` or a
    positive number. ``full=False`` drops the constant ``0.5·log 2π`` (as PyTorch's
    ``F.gaussian_nll_loss`` does by default). Unlike PyTorch, nothing is clamped: a variance
    that is not positive is an error, not a silent ``eps``.
    """
    mean, target = _float_tensor("mean", mean), _float_tensor("target", target)
    _same_shape(mean=mean, target=target)
    var = torch.as_tensor(var, dtype=mean.dtype)
    _positive("var", var)
    loss = 0.5 * torch.log(var) + (target - mean) ** 2 / (2.0 * var)
    return loss + 0.5 * LOG_2PI if full else loss


def laplace_nll(loc: torch.Tensor, target: torch.Tensor, scale: torch.Tensor | float
                ) -> torch.Tensor:
    """``-log Laplace(target | loc, scale)`` elementwise: ``log(2·scale) + |target − loc| / scale``."""
    loc, target = _float_tensor("loc", loc), _float_tensor("target", target)
    _same_shape(loc=loc, target=target)
    scale = torch.as_tensor(scale, dtype=loc.dtype)
    _positive("scale", scale)
    return torch.log(2.0 * scale) + (target - loc).abs() / scale


def poisson_nll(log_rate: torch.Tensor, target: torch.Tensor, *, full: bool = True
                ) -> torch.Tensor:
    """``-log Poisson(target | λ)`` elementwise, with the rate given as ``log_rate = log λ``.

    ``λ − y·log λ + log y!`` = ``exp(log_rate) − y·log_rate + lgamma(y + 1)``. Taking the log
    rate (the log link of Poisson regression) keeps λ positive with no clamp, and ``lgamma``
    gives the exact ``log y!`` where ``λ^y`` and ``y!`` themselves would overflow.
    ``full=False`` drops ``log y!`` (it does not depend on the model); PyTorch's
    ``F.poisson_nll_loss(full=True)`` adds Stirling's approximation of it instead.
    """
    log_rate, target = _float_tensor("log_rate", log_rate), _float_tensor("target", target)
    _same_shape(log_rate=log_rate, target=target)
    if bool((target < 0).any()) or not bool(torch.equal(target, target.round())):
        raise ValueError("target must hold non-negative integer counts (as floats)")
    loss = torch.exp(log_rate) - target * log_rate
    return loss + torch.lgamma(target + 1.0) if full else loss


def beta_nll(alpha: torch.Tensor, beta: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``-log Beta(target | α, β)`` elementwise, for proportions strictly inside (0, 1).

    ``−(α−1)·log y − (β−1)·log(1−y) + log B(α, β)``, with ``log B`` through ``lgamma``.
    A proportion of exactly 0 or 1 has zero density for α, β > 1 (an infinite loss), so it is
    rejected: squeeze such data into (0, 1) first.
    """
    alpha, beta = _float_tensor("alpha", alpha), _float_tensor("beta", beta)
    target = _float_tensor("target", target)
    _same_shape(alpha=alpha, beta=beta, target=target)
    _positive("alpha", alpha)
    _positive("beta", beta)
    if bool(((target <= 0) | (target >= 1)).any()):
        raise ValueError("target must lie strictly inside (0, 1); squeeze it, e.g. "
                         "y·(n−1)/n + 1/(2n), before fitting a Beta distribution")
    log_beta_fn = torch.lgamma(alpha) + torch.lgamma(beta) - torch.lgamma(alpha + beta)
    return (-(alpha - 1.0) * torch.log(target) - (beta - 1.0) * torch.log1p(-target)
            + log_beta_fn)


# ---------------------------------------------------------------------------------------------
# Classification: Bernoulli and categorical.

def _binary_targets(logits: torch.Tensor, target: torch.Tensor) -> None:
    _float_tensor("logits", logits)
    _float_tensor("target", target)
    _same_shape(logits=logits, target=target)
    if bool(((target < 0) | (target > 1)).any()):
        raise ValueError("target must lie in [0, 1] (a label 0/1 or a soft label)")


def bce_naive(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy exactly as the slide writes it, ``−y·log σ(z) − (1−y)·log(1−σ(z))``.

    Kept only to show how it breaks: in float32 ``σ(z)`` rounds to exactly 1 for z ≳ 16.6 and
    to 0 for z ≲ −88.7 (where ``exp(−z)`` overflows), and then ``log 0 = −inf`` and
    ``0·(−inf) = nan``.
    """
    _binary_targets(logits, target)
    p = torch.sigmoid(logits)
    return -(target * torch.log(p) + (1.0 - target) * torch.log(1.0 - p))


def bce_with_logits(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Stable binary cross-entropy on logits z: ``softplus(z) − y·z``.

    Since ``−log σ(z) = softplus(−z)`` and ``−log(1−σ(z)) = softplus(z)``, the loss is
    ``y·softplus(−z) + (1−y)·softplus(z) = softplus(z) − y·z``, and
    ``softplus(z) = max(z, 0) + log1p(exp(−|z|))`` never exponentiates a positive number.
    ``max(z, 0)`` is written as ``(z + |z|)/2``: autograd takes the derivative of |z| at 0 as 0,
    so this gives the true slope 1/2 of max(z, 0) + log1p(exp(−|z|)) combined at z = 0
    (``clamp`` would give 1 there, and a gradient of 1 − y instead of σ(0) − y = 1/2 − y).
    """
    _binary_targets(logits, target)
    magnitude = logits.abs()
    softplus = 0.5 * (logits + magnitude) + torch.log1p(torch.exp(-magnitude))
    return softplus - target * logits


def softmax_naive(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``exp(z_k) / Σ_j exp(z_j)`` straight from the formula: overflows and underflows (demo only)."""
    e = torch.exp(_float_tensor("logits", logits))
    return e / e.sum(dim=dim, keepdim=True)


def log_softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Stable log-softmax: ``z − m − log Σ_j exp(z_j − m)`` with ``m = max_j z_j``.

    After the shift the largest exponent is ``e⁰ = 1``: nothing overflows, and the sum is at
    least 1, so its log is finite.
    """
    logits = _float_tensor("logits", logits)
    # detach: the shift cancels mathematically, so no gradient needs to flow through the max.
    shifted = logits - logits.amax(dim=dim, keepdim=True).detach()
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of each row: ``−log softmax_y(z)`` for ``logits`` [n, K], ``target`` [n] → [n]."""
    _class_targets(logits, target)
    return -log_softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)


# ---------------------------------------------------------------------------------------------
# Losses that are designed rather than derived from a likelihood.

def multiclass_hinge(scores: torch.Tensor, target: torch.Tensor, margin: float = 1.0
                     ) -> torch.Tensor:
    """Multi-class hinge (Weston–Watkins): ``Σ_{j≠y} max(0, margin − s_y + s_j)`` per row → [n].

    PyTorch's ``F.multi_margin_loss`` divides this sum by the number of classes K.
    """
    _class_targets(scores, target)
    if margin <= 0:
        raise ValueError(f"margin must be positive, got {margin!r}")
    true_score = scores.gather(1, target[:, None])
    violations = (margin - true_score + scores).clamp(min=0)
    # the j = y term would add max(0, margin) = margin to every row: mask it out
    others = torch.ones_like(scores).scatter(1, target[:, None], 0.0)
    return (violations * others).sum(dim=1)


def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0,
               alpha: torch.Tensor | None = None) -> torch.Tensor:
    """Focal loss ``−α_y·(1 − p_y)^γ·log p_y`` per row, ``p = softmax(logits)`` → [n].

    ``gamma = 0`` and no ``alpha`` is exactly the cross-entropy; ``alpha`` [K] are optional
    class weights (the α-balanced variant of Lin et al.).
    """
    _class_targets(logits, target)
    if gamma < 0:
        raise ValueError(f"gamma must be non-negative, got {gamma!r}")
    log_p = log_softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
    # 1 − p as −expm1(log p) keeps its digits when p is close to 1; the floor at the smallest
    # normal float keeps the derivative of (1 − p)^γ finite (γ < 1) where p rounds to exactly 1.
    one_minus_p = (-torch.expm1(log_p)).clamp(min=torch.finfo(log_p.dtype).tiny)
    loss = -(one_minus_p ** gamma) * log_p  # γ = 0: x⁰ = 1 exactly, the cross-entropy
    if alpha is not None:
        alpha = _float_tensor("alpha", alpha)
        if alpha.shape != logits.shape[1:]:
            raise ValueError(f"alpha must have shape [{logits.shape[1]}], got {tuple(alpha.shape)}")
        loss = alpha[target] * loss
    return loss


def dice_loss(probs: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """Soft Dice loss per sample: ``1 − (2·Σ p·t + eps) / (Σ p + Σ t + eps)`` → [n].

    ``probs`` and ``target`` [n, ...] hold foreground probabilities and the 0/1 mask; sums run
    over all but the first dimension. The smoothing ``eps > 0`` fixes the convention for empty
    masks: an empty prediction of an empty mask scores loss 0 (perfect), with no 0/0.
    """
    probs, target = _float_tensor("probs", probs), _float_tensor("target", target)
    _same_shape(probs=probs, target=target)
    if probs.dim() < 2:
        raise ValueError(f"probs must have shape [n, ...] (a batch of masks), got {tuple(probs.shape)}")
    if eps <= 0:
        raise ValueError(f"eps must be positive (it defines the loss of empty masks), got {eps!r}")
    dims = tuple(range(1, probs.dim()))
    intersection = (probs * target).sum(dim=dims)
    total = probs.sum(dim=dims) + target.sum(dim=dims)
    return 1.0 - (2.0 * intersection + eps) / (total + eps)


def _embedding_pair(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    _float_tensor(name_a, a)
    _float_tensor(name_b, b)
    if a.dim() != 2:
        raise ValueError(f"{name_a} must have shape [n, d], got {tuple(a.shape)}")
    _same_shape(**{name_a: a, name_b: b})


def contrastive_loss(z1: torch.Tensor, z2: torch.Tensor, same: torch.Tensor,
                     margin: float = 1.0) -> torch.Tensor:
    """Contrastive loss of Hadsell, Chopra & LeCun (2006) per pair → [n].

    ``same·d²/2 + (1 − same)·max(0, margin − d)²/2`` with ``d = ‖z1 − z2‖₂``: pulls pairs of one
    class together and pushes other pairs apart until they are ``margin`` away.
    """
    _embedding_pair("z1", z1, "z2", z2)
    same = _float_tensor("same", same)
    if same.shape != z1.shape[:1]:
        raise ValueError(f"same must have shape [{z1.shape[0]}], got {tuple(same.shape)}")
    if margin <= 0:
        raise ValueError(f"margin must be positive, got {margin!r}")
    squared = ((z1 - z2) ** 2).sum(dim=1)
    # sqrt has an infinite derivative at 0; the "same" branch uses d² directly and the other
    # branch only needs d where it is positive, so a tiny floor changes nothing but the NaN.
    distance = squared.clamp(min=1e-12).sqrt()
    return 0.5 * same * squared + 0.5 * (1.0 - same) * (margin - distance).clamp(min=0) ** 2


def triplet_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor,
                 margin: float = 1.0, eps: float = 1e-6) -> torch.Tensor:
    """Triplet loss ``max(0, d(a, p) − d(a, n) + margin)`` per triplet → [n], as in FaceNet.

    ``d(x, y) = ‖x − y + eps‖₂``: the same ``eps`` inside the norm as ``F.pairwise_distance``,
    which ``F.triplet_margin_loss`` uses (it keeps the gradient finite when x = y).
    """
    _embedding_pair("anchor", anchor, "positive", positive)
    _embedding_pair("anchor", anchor, "negative", negative)
    if margin <= 0:
        raise ValueError(f"margin must be positive, got {margin!r}")
    d_pos = (anchor - positive + eps).norm(dim=1)
    d_neg = (anchor - negative + eps).norm(dim=1)
    return (d_pos - d_neg + margin).clamp(min=0)


# ---------------------------------------------------------------------------------------------
# A model that predicts a distribution, and a full-batch optimiser loop.

class MeanVarianceNet(nn.Module):
    """A small MLP with two heads: the mean μ(x) and the variance σ²(x) of a Gaussian.

    ``x`` [n, n_inputs] → ``(mean, var)``, both [n, 1]. The variance head goes through
    softplus plus a floor ``min_var``: a raw linear output could be negative or zero, and the
    Gaussian NLL divides by it.
    """

    def __init__(self, n_inputs: int = 1, hidden: int = 32, min_var: float = 1e-6) -> None:
        super().__init__()
        if hidden < 1 or n_inputs < 1:
            raise ValueError(f"n_inputs and hidden must be >= 1, got {n_inputs}, {hidden}")
        if min_var <= 0:
            raise ValueError(f"min_var must be positive, got {min_var!r}")
        self.trunk = nn.Sequential(nn.Linear(n_inputs, hidden), nn.Tanh(),
                                   nn.Linear(hidden, hidden), nn.Tanh())
        self.mean_head = nn.Linear(hidden, 1)
        self.var_head = nn.Linear(hidden, 1)
        self.min_var = min_var

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.mean_head(h), F.softplus(self.var_head(h)) + self.min_var


def minimize(loss_fn: Callable[[], torch.Tensor], params: Iterable[torch.Tensor], *,
             steps: int, lr: float, optimizer: str = "adam") -> list[float]:
    """Minimise ``loss_fn()`` over ``params`` with full-batch Adam or L-BFGS; return the loss history.

    ``loss_fn`` takes no arguments and recomputes the loss from the current parameters, so one
    loop serves every loss of the chapter (only the function changes). L-BFGS with a strong
    Wolfe line search suits the smooth convex fits (lines, GLMs); Adam suits the rest.
    """
    params = list(params)
    if steps < 1 or lr <= 0:
        raise ValueError(f"steps must be >= 1 and lr > 0, got steps={steps!r}, lr={lr!r}")
    if optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(params, lr=lr)
    elif optimizer == "lbfgs":
        opt = torch.optim.LBFGS(params, lr=lr, max_iter=steps, line_search_fn="strong_wolfe",
                                tolerance_grad=1e-9, tolerance_change=1e-12)
    else:
        raise ValueError(f"optimizer must be 'adam' or 'lbfgs', got {optimizer!r}")
    history: list[float] = []

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        history.append(loss.item())
        return loss

    if optimizer == "lbfgs":
        opt.step(closure)  # one call runs up to `steps` iterations
    else:
        for _ in range(steps):
            opt.step(closure)
    return history


# ---------------------------------------------------------------------------------------------
# Instant checks of the exercises.

def _first_mismatch(got: torch.Tensor, expected: torch.Tensor, rtol: float,
                    atol: float | torch.Tensor) -> int | None:
    """Index of the first element of ``got`` (same shape as ``expected``) that differs, or None.

    ``atol`` may be a tensor of the same shape (a tolerance per element); NaN never matches.
    """
    bad = ~((got - expected).abs() <= atol + rtol * expected.abs())
    return int(bad.nonzero()[0]) if bool(bad.any()) else None


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float, atol: float) -> bool:
    return bool(torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True).all())


def _cross_entropy_cases() -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(5)
    return [
        ("случайные логиты", 3 * torch.randn(6, 4, generator=g), torch.tensor([0, 1, 2, 3, 0, 2])),
        ("равные логиты", torch.zeros(2, 4), torch.tensor([0, 3])),
        ("логиты ±1000", torch.tensor([[1000.0, 0.0, -1000.0]] * 3), torch.tensor([0, 1, 2])),
        ("равные большие отрицательные логиты", torch.tensor([[-1000.0, -1000.0, -1000.0]]),
         torch.tensor([1])),
        ("равные большие положительные логиты", torch.tensor([[1000.0, 1000.0]]), torch.tensor([1])),
        ("e⁸⁹ больше максимума float32", torch.tensor([[89.0, 0.0]]), torch.tensor([1])),
        ("e⁻¹¹⁰ меньше минимума float32", torch.tensor([[-110.0, -120.0]]), torch.tensor([0])),
    ]


def check_cross_entropy(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                        verbose: bool = True) -> CheckResult:
    """Check ``fn(logits [n, K], target [n]) → [n]`` against ``F.cross_entropy(reduction='none')``:
    values and gradients, on random rows, equal logits and extreme logits such as ±1000.

    A wrong answer is reported with the first failing row (its logits and target), the expected
    and the obtained loss, and a hint chosen by the kind of error.
    """
    name = "Устойчивая перекрёстная энтропия"
    stable_hint = ("при таких логитах exp переполняется (e¹⁰⁰⁰ = inf) или знаменатель "
                   "обращается в 0; вычтите из каждой строки её максимум: "
                   "z − max_j z_j, тогда наибольшая экспонента равна e⁰ = 1.")
    cases = _cross_entropy_cases()
    for label, logits, target in cases:
        x = logits.clone().requires_grad_(True)
        got, problem = call_safely(name, fn, x, target.clone())
        if problem is not None:
            if verbose:
                print(problem.message)
            return problem
        expected = F.cross_entropy(logits, target, reduction="none") + 0.0  # no −0 in messages
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            kind = (f"результат формы {tuple(got.shape)}" if isinstance(got, torch.Tensor)
                    else f"объект типа {type(got).__name__}")
            return failed(name, f"на входе «{label}» (logits формы {tuple(logits.shape)}) получен "
                          f"{kind}, а ожидался тензор формы {tuple(expected.shape)}.",
                          "верните потерю каждой строки, без усреднения: форма [n].", verbose)
        value = got.detach().to(expected.dtype)
        # float32 keeps ~7 digits: log Σ exp(z) − z_y at |z| = 1000 may legitimately lose
        # ~1e-4 to cancellation, so the tolerance of a row grows with its largest |logit|.
        atol = 1e-5 + 4 * torch.finfo(torch.float32).eps * logits.abs().amax(dim=1)
        i = _first_mismatch(value, expected, rtol=1e-5, atol=atol)
        if i is not None:
            where = (f"на строке logits = {short(logits[i])}, target = {int(target[i])} "
                     f"(«{label}»)")
            if not bool(torch.isfinite(value[i])):
                hint = stable_hint
            elif _close(-value, expected, 1e-5, 1e-5):
                hint = "знак: потеря — это МИНУС логарифм вероятности верного класса."
            else:
                hint = ("CE = log Σ_j exp(z_j) − z_y: логарифм суммы по классам (dim=1) "
                        "минус логит верного класса.")
            return failed(name, f"{where} ожидалось {short(expected[i])}, получено "
                          f"{short(value[i])}.", hint, verbose)
        if not got.requires_grad:
            return failed(name, "результат не связан с логитами графом вычислений.",
                          "используйте операции torch, а не numpy или .item().", verbose)
        (grad_got,) = torch.autograd.grad(got.sum(), x)
        ref = logits.clone().requires_grad_(True)
        (grad_expected,) = torch.autograd.grad(
            F.cross_entropy(ref, target, reduction="none").sum(), ref)
        bad = ~((grad_got - grad_expected).abs() <= atol[:, None] + 1e-5 * grad_expected.abs())
        if bool(bad.any()):
            i = int(bad.any(dim=1).nonzero()[0])
            hint = (stable_hint if not bool(torch.isfinite(grad_got[i]).all()) else
                    "не отрывайте от графа (.detach(), .item()) ничего, кроме сдвига на max.")
            return failed(name, f"значения верны, но градиент на строке logits = "
                          f"{short(logits[i])}, target = {int(target[i])} равен "
                          f"{short(grad_got[i])}, а ожидался softmax(z) − onehot(y) = "
                          f"{short(grad_expected[i])}.", hint, verbose)
    return passed(name, "значения и градиенты совпадают с F.cross_entropy на "
                  f"{len(cases)} наборах, включая логиты ±1000 и равные логиты.", verbose)


def _poisson_cases() -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(7)
    log_rate = torch.randn(8, generator=g)
    counts = torch.poisson(log_rate.exp(), generator=g)
    return [
        ("случайные log λ и счётчики", log_rate, counts),
        ("y = 0", torch.tensor([-3.0, 0.0, 2.0]), torch.zeros(3)),
        ("λ^y и y! не помещаются в float32", torch.tensor([math.log(50.0)]), torch.tensor([60.0])),
        ("большие счётчики", torch.tensor([6.0, 7.0]), torch.tensor([500.0, 1000.0])),
        ("очень малая интенсивность", torch.tensor([-20.0]), torch.tensor([1.0])),
    ]


def check_poisson_nll(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                      verbose: bool = True) -> CheckResult:
    """Check ``fn(log_rate, y) → −log Poisson(y | exp(log_rate))`` elementwise, WITH ``log y!``,
    against ``torch.distributions.Poisson.log_prob``: values and the gradient in ``log_rate``.

    A wrong answer names the first failing pair (log λ, y); the hint tells a dropped ``log y!``,
    Stirling's approximation, an overflowing product, λ taken for log λ and a wrong sign apart.
    """
    name = "NLL распределения Пуассона"
    tol = {"rtol": 1e-4, "atol": 1e-4}
    cases = _poisson_cases()
    for label, log_rate, y in cases:
        x = log_rate.clone().requires_grad_(True)
        got, problem = call_safely(name, fn, x, y.clone())
        if problem is not None:
            if verbose:
                print(problem.message)
            return problem
        expected = -torch.distributions.Poisson(log_rate.exp()).log_prob(y)
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            kind = (f"результат формы {tuple(got.shape)}" if isinstance(got, torch.Tensor)
                    else f"объект типа {type(got).__name__}")
            return failed(name, f"на входе «{label}» (log λ формы {tuple(log_rate.shape)}) "
                          f"получен {kind}, а ожидался тензор формы {tuple(expected.shape)}.",
                          "потеря считается поэлементно, без усреднения.", verbose)
        value = got.detach().to(expected.dtype)
        i = _first_mismatch(value, expected, **tol)
        if i is not None:
            where = f"при log λ = {short(log_rate[i])}, y = {short(y[i])} («{label}»)"
            rate_as_log = log_rate - y * torch.log(log_rate) + torch.lgamma(y + 1.0)
            stirling = F.poisson_nll_loss(log_rate, y, log_input=True, full=True,
                                          reduction="none")
            if _close(value, rate_as_log, **tol):
                hint = ("первый аргумент — логарифм интенсивности log λ, а не сама λ: "
                        "λ = exp(log_rate).")
            elif not bool(torch.isfinite(value[i])):
                hint = ("λ^y и y! переполняют float32 задолго до ответа: сначала логарифм, "
                        "−log P = λ − y·log λ + log y!, а log y! = torch.lgamma(y + 1).")
            elif _close(value, expected - torch.lgamma(y + 1.0), **tol):
                hint = ("вы отбросили log y!. Для обучения это допустимо (слагаемое не зависит "
                        "от модели), но здесь ожидается полная NLL, равная −Poisson.log_prob: "
                        "добавьте torch.lgamma(y + 1).")
            elif _close(value, stirling, **tol):
                hint = ("это приближение Стирлинга из F.poisson_nll_loss(full=True); точное "
                        "значение log y! даёт torch.lgamma(y + 1).")
            elif _close(-value, expected, **tol):
                hint = "знак: нужен МИНУС логарифм правдоподобия."
            else:
                hint = "−log P(y | λ) = λ − y·log λ + log y!, где λ = exp(log_rate)."
            return failed(name, f"{where} ожидалось {short(expected[i])}, получено "
                          f"{short(value[i])}.", hint, verbose)
        if not got.requires_grad:
            return failed(name, "результат не связан с log λ графом вычислений.",
                          "используйте операции torch, а не numpy или .item().", verbose)
        (grad_got,) = torch.autograd.grad(got.sum(), x)
        grad_expected = log_rate.exp() - y  # d/d log λ of (λ − y·log λ) is λ − y
        i = _first_mismatch(grad_got, grad_expected, **tol)
        if i is not None:
            return failed(name, f"значения верны, но градиент по log λ при log λ = "
                          f"{short(log_rate[i])}, y = {short(y[i])} равен {short(grad_got[i])}, "
                          f"а ожидался λ − y = {short(grad_expected[i])}.",
                          "не отрывайте log λ от графа вычислений.", verbose)
    return passed(name, "значения и градиенты совпадают с −Poisson.log_prob (с log y!) на "
                  f"{len(cases)} наборах, включая y = 0 и y = 1000.", verbose)


# ---------------------------------------------------------------------------------------------
# Sampling pairs and triplets for metric learning.

def _random_member(labels_sorted_idx: torch.Tensor, starts: torch.Tensor, counts: torch.Tensor,
                   classes: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """One random index of each requested class (vectorised: a random offset inside its block)."""
    offset = (torch.rand(len(classes), generator=generator) * counts[classes]).long()
    return labels_sorted_idx[starts[classes] + offset]


def _class_blocks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
    _tensor("labels", labels)
    if labels.dtype != torch.int64 or labels.dim() != 1:
        raise ValueError(f"labels must be a 1-D int64 tensor, got dtype {labels.dtype}, "
                         f"shape {tuple(labels.shape)}")
    n_classes = int(labels.max()) + 1
    counts = torch.bincount(labels, minlength=n_classes)
    if int((counts > 0).sum()) < 2:
        raise ValueError("labels must contain at least two classes")
    if bool((counts == 0).any()):
        raise ValueError("labels must use every class 0..K-1 (some class has no examples)")
    order = torch.argsort(labels, stable=True)
    starts = torch.cumsum(counts, 0) - counts
    return order, starts, counts, n_classes


def sample_triplets(labels: torch.Tensor, n: int, generator: torch.Generator | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` random triplets of indices (anchor, positive of the same class, negative of another).

    ``labels`` [N] int64 in 0..K-1 → three int64 tensors [n]. The positive may coincide with
    the anchor (rarely, for classes of ~100 examples); the loss then only pushes the negative.
    """
    order, starts, counts, n_classes = _class_blocks(labels)
    anchor = torch.randint(len(labels), (n,), generator=generator)
    cls = labels[anchor]
    positive = _random_member(order, starts, counts, cls, generator)
    shift = torch.randint(1, n_classes, (n,), generator=generator)  # any other class, uniformly
    negative = _random_member(order, starts, counts, (cls + shift) % n_classes, generator)
    return anchor, positive, negative


def sample_pairs(labels: torch.Tensor, n: int, generator: torch.Generator | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` random pairs of indices, half of one class and half of different classes.

    Returns ``(first, second, same)``: int64 [n], int64 [n] and float32 [n] with 1 for a pair
    of one class. Balancing matters: random pairs of ten classes would be 90 % "different".
    """
    anchor, positive, negative = sample_triplets(labels, n, generator)
    same = (torch.arange(n) % 2 == 0)
    second = torch.where(same, positive, negative)
    return anchor, second, same.float()
