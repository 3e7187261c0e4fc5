"""Activation functions and their derivatives, written by hand, plus the chapter's instant checks.

Every function takes a floating-point tensor ``x`` of any shape and returns a tensor of the same
shape and dtype. The formulas are the lecture's; where the textbook form would overflow (``e^{-x}``
for ``x = -100``) an equivalent stable form is used, and a comment says why. The derivatives follow
PyTorch's convention at the kink ``x = 0``: the branch ``x > 0`` is the "positive" one, so
``relu_grad(0) = 0``, ``leaky_relu_grad(0) = alpha`` and ``elu_grad(0) = alpha`` — exactly what
``torch.autograd`` returns. (The lecture writes ``f'(x) = 1`` for ``x >= 0``; at a single point
the choice never matters in training, but a test must pick one.)

``ACTIVATIONS`` maps a short name to an :class:`Activation`: its formula, its derivative and a
factory of the matching ``torch.nn`` module for models (``lecturelib.models.mlp``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from lecturelib.checks import (CheckResult, call_safely, compare_functions, edge_and_random_inputs,
                               failed, passed)

Tensor = torch.Tensor

#: sqrt(2/pi), the constant of GELU's tanh approximation (Hendrycks & Gimpel, 2016).
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
#: The coefficient of the cubic term in GELU's tanh approximation.
GELU_CUBIC = 0.044715


def _check_tensor(x: object, name: str = "x") -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor (e.g. torch.float32), got {x.dtype}")


def _check_alpha(alpha: object, name: str = "alpha") -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, torch.Tensor)):
        raise TypeError(f"{name} must be a number or a tensor, got {type(alpha).__name__}")
    if isinstance(alpha, (int, float)) and not math.isfinite(alpha):
        raise ValueError(f"{name} must be finite, got {alpha!r}")


# --- sigmoid and tanh --------------------------------------------------------------------------

def _split_at_zero(x: Tensor) -> tuple[Tensor, Tensor]:
    """``(x where x >= 0 else 0, x where x < 0 else 0)``.

    Each branch of a piecewise formula then sees only inputs where it is finite, so neither its
    value nor its gradient can be inf/NaN, and autograd still differentiates the branch that is
    used (a formula in |x| would get gradient 0 at x = 0, since d|x|/dx = 0 there in torch).
    """
    zero = torch.zeros_like(x)
    return torch.where(x >= 0, x, zero), torch.where(x < 0, x, zero)


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^{-x}), elementwise.

    1/(1 + e^{-x}) for x >= 0 and e^{x}/(1 + e^{x}) for x < 0 (the same number): the exponent is
    never positive, so nothing overflows even at x = ±100 in float32.
    """
    _check_tensor(x)
    pos, neg = _split_at_zero(x)
    e = torch.exp(neg)
    return torch.where(x >= 0, 1.0 / (1.0 + torch.exp(-pos)), e / (1.0 + e))


def sigmoid_grad(x: Tensor) -> Tensor:
    """σ'(x) = σ(x)(1 − σ(x)); at most 1/4, reached at x = 0."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x: Tensor) -> Tensor:
    """tanh(x) = (e^x − e^{-x}) / (e^x + e^{-x}) = 2σ(2x) − 1, elementwise.

    The textbook quotient is inf/inf = NaN at x = ±100 in float32; dividing by e^{|x|} gives
    (1 − e^{-2x})/(1 + e^{-2x}) for x >= 0 (and the mirror image for x < 0), and ``expm1`` keeps
    the relative precision near 0, where 2σ(2x) − 1 would cancel to zero.
    """
    _check_tensor(x)
    pos, neg = _split_at_zero(x)
    return torch.where(x >= 0, -torch.expm1(-2.0 * pos) / (1.0 + torch.exp(-2.0 * pos)),
                       torch.expm1(2.0 * neg) / (1.0 + torch.exp(2.0 * neg)))


def tanh_grad(x: Tensor) -> Tensor:
    """tanh'(x) = 1 − tanh²(x); at most 1, reached at x = 0."""
    t = tanh(x)
    return 1.0 - t * t


# --- the ReLU family ---------------------------------------------------------------------------

def relu(x: Tensor) -> Tensor:
    """max(0, x), elementwise."""
    _check_tensor(x)
    return torch.where(x > 0, x, torch.zeros_like(x))


def relu_grad(x: Tensor) -> Tensor:
    """1 for x > 0, else 0 (PyTorch's convention: 0 at x = 0)."""
    _check_tensor(x)
    return (x > 0).to(x.dtype)


def leaky_relu(x: Tensor, alpha: float | Tensor = 0.01) -> Tensor:
    """x for x > 0, αx otherwise. With a learned α this is PReLU (He et al., 2015)."""
    _check_tensor(x)
    _check_alpha(alpha)
    return torch.where(x > 0, x, alpha * x)


def leaky_relu_grad(x: Tensor, alpha: float | Tensor = 0.01) -> Tensor:
    """1 for x > 0, α otherwise (PyTorch's convention: α at x = 0)."""
    _check_tensor(x)
    _check_alpha(alpha)
    return torch.where(x > 0, torch.ones_like(x), alpha * torch.ones_like(x))


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, α(e^x − 1) otherwise.

    ``expm1`` of min(x, 0): the unused branch never sees e^{+100} = inf (which would poison the
    gradient through ``torch.where``), and α(e^x − 1) stays precise for small |x|.
    """
    _check_tensor(x)
    _check_alpha(alpha)
    return torch.where(x > 0, x, alpha * torch.expm1(x.clamp(max=0.0)))


def elu_grad(x: Tensor, alpha: float = 1.0) -> Tensor:
    """1 for x > 0, αe^x otherwise (PyTorch's convention: α at x = 0)."""
    _check_tensor(x)
    _check_alpha(alpha)
    return torch.where(x > 0, torch.ones_like(x), alpha * torch.exp(x.clamp(max=0.0)))


# --- GELU and Swish ----------------------------------------------------------------------------

def normal_cdf(x: Tensor) -> Tensor:
    """Φ(x) = P(X <= x) for X ~ N(0, 1), through the error function."""
    _check_tensor(x)
    return 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def normal_pdf(x: Tensor) -> Tensor:
    """φ(x) = e^{-x²/2} / sqrt(2π), the density of N(0, 1)."""
    _check_tensor(x)
    return torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def gelu(x: Tensor) -> Tensor:
    """GELU(x) = x·Φ(x), the exact form (``F.gelu(x, approximate='none')``)."""
    return x * normal_cdf(x)


def gelu_grad(x: Tensor) -> Tensor:
    """GELU'(x) = Φ(x) + x·φ(x)."""
    return normal_cdf(x) + x * normal_pdf(x)


def gelu_tanh(x: Tensor) -> Tensor:
    """GELU's tanh approximation ½x(1 + tanh(sqrt(2/π)(x + 0.044715x³)))
    (``F.gelu(x, approximate='tanh')``)."""
    _check_tensor(x)
    return 0.5 * x * (1.0 + tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x ** 3)))


def gelu_tanh_grad(x: Tensor) -> Tensor:
    """Derivative of :func:`gelu_tanh`: ½(1 + t) + ½x(1 − t²)·sqrt(2/π)(1 + 3·0.044715x²)."""
    _check_tensor(x)
    t = tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x ** 3))
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * x * x)


def swish(x: Tensor) -> Tensor:
    """Swish = SiLU: f(x) = x·σ(x) (``F.silu``)."""
    return x * sigmoid(x)


def swish_grad(x: Tensor) -> Tensor:
    """f'(x) = σ(x) + xσ(x)(1 − σ(x)) = f(x) + σ(x)(1 − f(x)), the lecture's form."""
    s = sigmoid(x)
    f = x * s
    return f + s * (1.0 - f)


# --- the registry ------------------------------------------------------------------------------

ActivationFactory = Callable[[], nn.Module]


@dataclass(frozen=True)
class Activation:
    """One activation: its formula, derivative, default α (if it has one) and ``nn`` module.

    ``function(x)`` and ``derivative(x)`` use the default α; pass ``alpha=`` to change it.
    ``module`` builds a fresh ``nn.Module`` for a model (PReLU: a new learnable α each call).
    """

    name: str
    label: str
    formula: Callable[..., Tensor]
    formula_grad: Callable[..., Tensor]
    module: ActivationFactory
    alpha: float | None = None

    def function(self, x: Tensor, alpha: float | None = None) -> Tensor:
        return self.formula(x, *self._alpha(alpha))

    def derivative(self, x: Tensor, alpha: float | None = None) -> Tensor:
        return self.formula_grad(x, *self._alpha(alpha))

    def _alpha(self, alpha: float | None) -> tuple:
        if self.alpha is None:
            if alpha is not None:
                raise ValueError(f"{self.name} has no parameter alpha, got alpha={alpha!r}")
            return ()
        return (self.alpha if alpha is None else alpha,)


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in [
    Activation("sigmoid", "сигмоида", sigmoid, sigmoid_grad, nn.Sigmoid),
    Activation("tanh", "tanh", tanh, tanh_grad, nn.Tanh),
    Activation("relu", "ReLU", relu, relu_grad, nn.ReLU),
    Activation("leaky_relu", "Leaky ReLU", leaky_relu, leaky_relu_grad,
               functools.partial(nn.LeakyReLU, 0.01), alpha=0.01),
    # PReLU's α is learned; 0.25 is its initial value in torch and in He et al. (2015).
    Activation("prelu", "PReLU", leaky_relu, leaky_relu_grad, nn.PReLU, alpha=0.25),
    Activation("elu", "ELU", elu, elu_grad, nn.ELU, alpha=1.0),
    Activation("gelu", "GELU", gelu, gelu_grad, nn.GELU),
    Activation("silu", "Swish/SiLU", swish, swish_grad, nn.SiLU),
]}


def get(name: str) -> Activation:
    """The registry entry ``name`` (one of ``ACTIVATIONS``)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"name must be one of {list(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


def module_factory(name: str) -> ActivationFactory:
    """The ``nn.Module`` factory of ``name``, ready for ``lecturelib.models.mlp(sizes, ...)``."""
    return get(name).module


# --- dead units --------------------------------------------------------------------------------

@torch.no_grad()
def hidden_preactivations(model: nn.Sequential, x: Tensor) -> list[Tensor]:
    """Pre-activations z = θ_0 + θx of every hidden layer of an MLP from ``lecturelib.models.mlp``.

    ``x`` is [n, features]; returns one tensor [n, units] per hidden layer (the output layer,
    which has no activation, is left out).
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential (e.g. from lecturelib.models.mlp), "
                        f"got {type(model).__name__}")
    _check_tensor(x)
    layers = list(model)
    out = []
    for i, layer in enumerate(layers):
        x = layer(x)
        if isinstance(layer, nn.Linear) and i < len(layers) - 1:
            out.append(x)
    return out


def count_dead_units(hidden: Tensor) -> int:
    """Units (columns of ``hidden`` [n, units]) whose output is exactly 0 on every example (row)."""
    _check_tensor(hidden, "hidden")
    if hidden.dim() != 2:
        raise ValueError(f"hidden must be a matrix [n_examples, n_units], got shape {tuple(hidden.shape)}")
    return int((hidden == 0).all(dim=0).sum())


def count_inactive_units(pre: Tensor) -> int:
    """Units whose pre-activation ``pre`` [n, units] is <= 0 on every example.

    For ReLU these are exactly the dead units; for Leaky ReLU, PReLU and ELU they still pass a
    gradient (α, α, αe^z) and may come back.
    """
    _check_tensor(pre, "pre")
    if pre.dim() != 2:
        raise ValueError(f"pre must be a matrix [n_examples, n_units], got shape {tuple(pre.shape)}")
    return int((pre <= 0).all(dim=0).sum())


# --- instant checks of the exercises -----------------------------------------------------------

def _typical_mistake(name: str, student: Callable, reference: Callable[[Tensor], Tensor],
                     mistakes: list[tuple[Callable, str]], verbose: bool) -> CheckResult | None:
    """A verdict when the student's function reproduces one of the typical ``mistakes``.

    The mistakes are told apart on a dense grid of inputs; the verdict names the input where the
    answer is furthest from the reference and prints both values with six decimals (a typo in a
    constant may change only the fourth significant digit). ``None`` when no mistake matches, or
    when the function crashes or returns something else than a tensor of the input's shape (the
    full comparison reports those).
    """
    probe = torch.linspace(-4.0, 4.0, 81)
    try:
        got = student(probe.clone())
    except Exception:
        return None
    if not isinstance(got, torch.Tensor) or got.shape != probe.shape or not got.is_floating_point():
        return None
    got = got.detach().to(probe.dtype)
    expected = reference(probe)
    for wrong, hint in mistakes:
        if torch.allclose(got, wrong(probe), rtol=1e-5, atol=1e-6):
            i = int((got - expected).abs().argmax())
            return failed(name, f"на входе x = {probe[i].item():.4g} ожидалось "
                          f"{expected[i].item():.6f}, получено {got[i].item():.6f}.", hint, verbose)
    return None


_SWISH_MISTAKES = [
    (lambda x: x * sigmoid(x) + sigmoid(x),
     "похоже, потерян множитель (1 − f) во втором слагаемом: f' = f + σ·(1 − f)."),
    (lambda x: sigmoid(x) * (1 - sigmoid(x)),
     "это производная сигмоиды σ(1 − σ), а нужна производная произведения x·σ(x)."),
    (lambda x: x * sigmoid(x) * (1 - sigmoid(x)),
     "потеряно слагаемое σ(x) из правила произведения: (x·σ)' = σ + x·σ'."),
    (lambda x: x * sigmoid(x) * (1 - x * sigmoid(x)),
     "f·(1 − f) — это не та формула: f' = f + σ·(1 − f)."),
    (lambda x: x * sigmoid(x) - sigmoid(x) * (1 - x * sigmoid(x)),
     "проверьте знак: второе слагаемое σ·(1 − f) прибавляется."),
]


def check_swish_derivative(student: Callable[[Tensor], Tensor], verbose: bool = True) -> CheckResult:
    """Instant check of exercise «производная Swish»: ``student(x)`` must equal f + σ(1 − f)."""
    name = "Производная Swish"
    inputs = edge_and_random_inputs([0.0, 1.0, -1.0, 2.5, -2.5, 10.0, -10.0, 30.0, -30.0, 100.0, -100.0])
    inputs.append(3.0 * torch.randn(5, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64))
    mistake = _typical_mistake(name, student, swish_grad, _SWISH_MISTAKES, verbose)
    if mistake is not None:
        return mistake
    # float32 rounding: f + σ(1 − f) and σ + xσ(1 − σ) differ by ~1e-6 near |x| = 10
    return compare_functions(name, student, swish_grad, inputs, rtol=1e-4, atol=1e-5,
                             hint="выпишите f' = σ + x·σ(1 − σ) и приведите к виду f + σ(1 − f).",
                             verbose=verbose)


_GELU_MISTAKES = [
    (lambda x: 0.5 * x * (1 + torch.tanh(SQRT_2_OVER_PI * (x + 0.44715 * x ** 3))),
     "коэффициент при x³ равен 0.044715 (а не 0.44715)."),
    (lambda x: 0.5 * x * (1 + torch.tanh(SQRT_2_OVER_PI * x)),
     "потерян кубический член: под tanh стоит √(2/π)·(x + 0.044715·x³)."),
    (lambda x: 0.5 * x * (1 + torch.tanh(math.sqrt(math.pi / 2) * (x + GELU_CUBIC * x ** 3))),
     "множитель — √(2/π) ≈ 0.798, а не √(π/2) ≈ 1.253."),
    (lambda x: x * (1 + torch.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x ** 3))),
     "потерян множитель ½ перед x."),
    (lambda x: 0.5 * (1 + torch.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x ** 3))),
     "это аппроксимация Φ(x); GELU — это x·Φ(x)."),
    (gelu,
     "это точная GELU x·Φ(x) через erf; в упражнении нужна её tanh-аппроксимация."),
]


def check_gelu_tanh(student: Callable[[Tensor], Tensor], verbose: bool = True) -> CheckResult:
    """Instant check of exercise «GELU через tanh»: values and autograd gradients must match
    ``F.gelu(x, approximate='tanh')``."""
    name = "GELU (tanh-аппроксимация)"
    inputs = edge_and_random_inputs([0.0, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 30.0, -30.0, 100.0, -100.0])
    mistake = _typical_mistake(name, student, gelu_tanh, _GELU_MISTAKES, verbose)
    if mistake is not None:
        return mistake
    # float32 rounding: correct formulas differ by ~1e-6 in the gradient near x = -5, where
    # 1 + tanh(u) cancels; every typical mistake is off by far more than this tolerance
    return compare_functions(name, student, gelu_tanh, inputs, rtol=1e-4, atol=1e-5, check_grad=True,
                             hint="½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), только операции torch.",
                             verbose=verbose)


def _dead_unit_cases() -> list[Tensor]:
    """Hidden-layer outputs [n, units] on which miscounts show up."""
    g = torch.Generator().manual_seed(3)
    relu_out = torch.relu(torch.randn(40, 12, generator=g) + torch.linspace(-2, 1, 12))
    relu_out[:, [0, 4, 7]] = 0.0                      # three dead units
    some_zero_rows = relu_out.clone()
    some_zero_rows[[2, 5], :] = 0.0                   # whole examples at zero: not units
    leaky_out = torch.randn(30, 8, generator=g)
    leaky_out[:, 2] = -0.01 * torch.rand(30, generator=g) - 1e-3  # negative but alive (Leaky ReLU)
    leaky_out[:, 5] = 0.0                              # one dead unit
    all_alive = torch.rand(25, 6, generator=g) + 0.1
    all_dead = torch.zeros(10, 5)
    return [relu_out, some_zero_rows, leaky_out, all_alive, all_dead]


def _as_count(value: object) -> int | None:
    """An integer count from an int or a 0-d tensor; ``None`` when ``value`` is not a count."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else None


def check_count_dead_units(student: Callable[[Tensor], object], verbose: bool = True) -> CheckResult:
    """Instant check of exercise «счётчик мёртвых нейронов»: the number of columns of ``hidden``
    [n_examples, n_units] that are zero on every row."""
    name = "Счётчик мёртвых нейронов"
    mistakes = [
        (lambda h: int((h == 0).all(dim=1).sum()),
         "вы считаете примеры (строки), у которых все выходы нулевые; нужны нейроны — столбцы, "
         "то есть all(dim=0)."),
        (lambda h: int((h == 0).any(dim=0).sum()),
         "нейрон мёртв, только если он молчит на ВСЕХ примерах (all), а не хотя бы на одном (any)."),
        (lambda h: int((h <= 0).all(dim=0).sum()),
         "отрицательный выход (как у Leaky ReLU) — признак живого нейрона: мёртвый выдаёт ровно 0."),
    ]
    for hidden in _dead_unit_cases():
        got, problem = call_safely(name, student, hidden.clone())
        if problem is not None:
            if verbose:
                print(problem.message)
            return problem
        expected = count_dead_units(hidden)
        count = _as_count(got)
        where = f"на матрице выходов формы {tuple(hidden.shape)}"
        if count is None:
            return failed(name, f"{where} ожидалось целое число, получено {type(got).__name__}.",
                          "верните int, например int(mask.sum()).", verbose)
        if count != expected:
            hint = next((h for wrong, h in mistakes if wrong(hidden) == count),
                        "мёртвый нейрон — столбец, равный нулю во всех строках.")
            return failed(name, f"{where} ожидалось {expected}, получено {count}.", hint, verbose)
    return passed(name, f"верный счёт на {len(_dead_unit_cases())} матрицах выходов.", verbose)
