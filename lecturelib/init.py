"""Weight initialization: fans, Xavier/Glorot, He/Kaiming, orthogonal — written out by hand.

Every initializer here makes the same random calls as its twin in ``torch.nn.init`` (same
formula for the bound or the standard deviation, same ``uniform_``/``normal_`` on the same
``torch.Generator``), so under one seed the two give bit-identical tensors; ``tests/test_init.py``
checks that. The chapter uses them to show what each formula of the lecture does in a deep net.

Shapes follow PyTorch: a ``Linear`` weight is ``[out, in]``, a ``Conv2d`` weight is
``[out_channels, in_channels, k_h, k_w]``; one output unit of a convolution sees
``in_channels * k_h * k_w`` inputs, hence the receptive-field factor in the fans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from lecturelib.checks import CheckResult, call_safely, failed, passed
from lecturelib.models import mlp

FAN_MODES = ("fan_in", "fan_out")


def _shape_of(weight_or_shape: torch.Tensor | Sequence[int]) -> tuple[int, ...]:
    if isinstance(weight_or_shape, torch.Tensor):
        return tuple(weight_or_shape.shape)
    try:
        shape = tuple(int(s) for s in weight_or_shape)
    except TypeError:
        raise TypeError(f"weight_or_shape must be a tensor or a sequence of ints, "
                        f"got {type(weight_or_shape).__name__}") from None
    return shape


def fans(weight_or_shape: torch.Tensor | Sequence[int]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight ``[out, in, *kernel]`` (a tensor or its shape).

    fan_in = in · prod(kernel) inputs feed one output unit; fan_out = out · prod(kernel)
    outputs read one input unit. For a ``Linear`` weight ``[out, in]`` this is ``(in, out)``:
    the first axis is the OUTPUT one, the classic source of swapped fans.
    """
    shape = _shape_of(weight_or_shape)
    if len(shape) < 2:
        raise ValueError(f"weight_or_shape must have at least 2 dimensions [out, in, ...], "
                         f"got shape {shape}")
    receptive_field = math.prod(shape[2:])  # 1 for a Linear weight
    return shape[1] * receptive_field, shape[0] * receptive_field


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which a nonlinearity's own scale is compensated (as ``nn.init.calculate_gain``).

    ``relu``: √2, because E[relu(y)²] = Var(y)/2 for a symmetric zero-mean y;
    ``leaky_relu`` with slope ``param`` (0.01 by default): √(2/(1+param²)); ``tanh``: 5/3
    (an empirical choice of PyTorch); ``linear``, ``sigmoid`` and convolutions: 1; ``selu``: 3/4.
    """
    linear = {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid"}
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"param (the negative slope) must be a number, got {param!r}")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"nonlinearity must be one of {sorted(linear | {'tanh', 'relu', 'leaky_relu', 'selu'})}, "
                     f"got {nonlinearity!r}")


def _fan(tensor: torch.Tensor, mode: str) -> int:
    if mode not in FAN_MODES:
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_std(weight_or_shape: torch.Tensor | Sequence[int], gain: float = 1.0) -> float:
    """Glorot's compromise: std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(weight_or_shape)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def kaiming_std(weight_or_shape: torch.Tensor | Sequence[int], a: float = 0.0,
                mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> float:
    """He's std = gain / √fan, with gain = √2 for ReLU (``a`` is the leaky slope)."""
    fan_in, fan_out = fans(weight_or_shape)
    if mode not in FAN_MODES:
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


@torch.no_grad()
def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` [out, in, ...] in place from U[−a, a], a = gain·√(6/(fan_in+fan_out)).

    U[−a, a] has variance a²/3, so this is Var = gain²·2/(fan_in+fan_out).
    """
    std = xavier_std(tensor, gain)
    bound = math.sqrt(3.0) * std  # the same arithmetic as torch, so the bits agree
    return tensor.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` [out, in, ...] in place from N(0, std²), std = gain·√(2/(fan_in+fan_out))."""
    return tensor.normal_(0.0, xavier_std(tensor, gain), generator=generator)


@torch.no_grad()
def kaiming_uniform_(tensor: torch.Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` in place from U[−b, b], b = √3 · gain/√fan (Var = gain²/fan).

    For ReLU and fan_in: b = √(6/fan_in), the slide's bound. ``nn.Linear``'s default is this
    function with ``a=√5`` (leaky_relu gain √(2/6) = 1/√3), i.e. b = 1/√fan_in.
    """
    bound = math.sqrt(3.0) * kaiming_std(tensor, a, mode, nonlinearity)
    return tensor.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def kaiming_normal_(tensor: torch.Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` in place from N(0, std²), std = gain/√fan: for ReLU Var = 2/fan."""
    return tensor.normal_(0.0, kaiming_std(tensor, a, mode, nonlinearity), generator=generator)


@torch.no_grad()
def orthogonal_(tensor: torch.Tensor, gain: float = 1.0,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` [rows, ...] with a (semi-)orthogonal matrix times ``gain``.

    The QR decomposition of a Gaussian matrix gives Q with orthonormal columns; multiplying
    its columns by sign(diag R) makes Q uniformly (Haar) distributed. A wide matrix is made
    from its transpose, so that its ROWS are orthonormal. Trailing dimensions are flattened.
    """
    if tensor.dim() < 2:
        raise ValueError(f"tensor must have at least 2 dimensions, got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    gaussian = tensor.new_empty((rows, cols)).normal_(0, 1, generator=generator)
    wide = rows < cols
    if wide:
        gaussian = gaussian.t()
    q, r = torch.linalg.qr(gaussian)
    q = q * torch.diag(r, 0).sign()  # the sign fix: without it Q is not Haar-distributed
    if wide:
        q = q.t()
    tensor.view_as(q).copy_(q)
    return tensor.mul_(gain)


@torch.no_grad()
def pytorch_default_linear_(layer: nn.Linear, generator: torch.Generator | None = None) -> nn.Linear:
    """``nn.Linear.reset_parameters`` written out: weight and bias from U[−1/√n_in, 1/√n_in].

    Var(w) = 1/(3·n_in): a third of the Xavier/LeCun variance and a sixth of He's.
    """
    if not isinstance(layer, nn.Linear):
        raise TypeError(f"layer must be an nn.Linear, got {type(layer).__name__}")
    kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
    if layer.bias is not None:
        fan_in, _ = fans(layer.weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer


# --------------------------------------------------------------------------------------------
# Schemes for the deep-network experiments of the chapter
# --------------------------------------------------------------------------------------------

#: The schemes compared in the chapter, with their labels for figures.
SCHEMES: dict[str, str] = {
    "small": "N(0, 0.01²)",
    "large": "N(0, 1)",
    "default": "PyTorch по умолчанию",
    "xavier": "Xavier",
    "he": "He",
    "orthogonal": "ортогональная",
}


@torch.no_grad()
def init_linear_(layer: nn.Linear, scheme: str, generator: torch.Generator | None = None,
                 gain: float = 1.0) -> nn.Linear:
    """Initialize one ``nn.Linear`` by a named scheme (see :data:`SCHEMES`).

    Biases are zero for every scheme except ``"default"``, which is exactly what
    ``nn.Linear`` does when it is created (its bias is random too). ``gain`` multiplies the
    orthogonal matrix only (Xavier uses gain 1 as Glorot & Bengio, He uses √2 as He et al.).
    """
    if not isinstance(layer, nn.Linear):
        raise TypeError(f"layer must be an nn.Linear, got {type(layer).__name__}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {list(SCHEMES)}, got {scheme!r}")
    if scheme == "default":
        return pytorch_default_linear_(layer, generator)
    w = layer.weight
    if scheme == "small":
        w.normal_(0.0, 0.01, generator=generator)
    elif scheme == "large":
        w.normal_(0.0, 1.0, generator=generator)
    elif scheme == "xavier":
        xavier_uniform_(w, generator=generator)
    elif scheme == "he":
        kaiming_normal_(w, mode="fan_in", nonlinearity="relu", generator=generator)
    else:
        orthogonal_(w, gain=gain, generator=generator)
    if layer.bias is not None:
        layer.bias.zero_()
    return layer


def init_model_(model: nn.Module, scheme: str, seed: int = 0, gain: float = 1.0) -> nn.Module:
    """Initialize every ``nn.Linear`` of ``model`` by ``scheme`` from one seeded generator."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            init_linear_(module, scheme, generator, gain)
    return model


def deep_mlp(n_in: int, width: int, depth: int, n_out: int,
             activation: Callable[[], nn.Module]) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` units: Linear(n_in, width), act, …, Linear(width, n_out)."""
    if depth < 1 or width < 1:
        raise ValueError(f"depth and width must be >= 1, got depth={depth!r}, width={width!r}")
    return mlp([n_in] + [width] * depth + [n_out], activation)


@dataclass(frozen=True)
class SignalStats:
    """Per hidden layer l = 1..L: ``forward[l-1]`` = Var of the pre-activation y_l over the batch
    and units, ``backward[l-1]`` = Var of ∂loss/∂y_l (the gradient that flows into layer l)."""

    forward: list[float]
    backward: list[float]


def signal_statistics(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor) -> SignalStats:
    """Run ``model`` (Linear, act, Linear, act, …, Linear) on ``x`` [n, features] with labels
    ``y`` [n]; record the variance of each hidden pre-activation and of the loss gradient
    (cross-entropy, mean over the batch) with respect to it."""
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential, got {type(model).__name__}")
    pre_activations: list[torch.Tensor] = []
    h = x
    layers = list(model)
    for i, layer in enumerate(layers):
        h = layer(h)
        # a Linear followed by an activation: keep its output, the pre-activation y_l
        if isinstance(layer, nn.Linear) and i + 1 < len(layers):
            h.retain_grad()
            pre_activations.append(h)
    loss = F.cross_entropy(h, y)
    loss.backward()
    forward = [float(t.detach().var()) for t in pre_activations]
    backward = [float(t.grad.var()) for t in pre_activations]
    model.zero_grad(set_to_none=True)
    return SignalStats(forward, backward)


# --------------------------------------------------------------------------------------------
# Instant checks of the exercises
# --------------------------------------------------------------------------------------------

#: Shapes on which an initializer is tried: a wide and a tall Linear weight, a conv weight.
_CHECK_SHAPES = [(300, 100), (64, 1000), (32, 16, 3, 3)]


def _sampling_tolerance(n: int, z: float = 6.0) -> float:
    """Relative tolerance on an estimated variance from n samples: z standard errors.

    The sample variance of n iid draws has relative standard error √(2/n) for a Gaussian
    and √(0.8/n) for a uniform; z = 6 makes a false alarm practically impossible.
    """
    return z * math.sqrt(2.0 / n)


def _check_initializer(name: str, fn: Callable, kind: str) -> CheckResult:
    """Shared body of the two exercise checks; ``kind`` is 'xavier_uniform' or 'he_normal'."""
    for shape in _CHECK_SHAPES:
        fan_in, fan_out = fans(shape)
        if kind == "xavier_uniform":
            expected_var = 2.0 / (fan_in + fan_out)
        else:
            expected_var = 2.0 / fan_in
        generator = torch.Generator().manual_seed(0)
        tensor = torch.empty(shape)
        got, problem = call_safely(name, fn, tensor, generator)
        if problem is not None:
            print(problem.message)
            return problem
        if not isinstance(got, torch.Tensor):
            return failed(name, f"функция вернула {type(got).__name__}, а нужен тензор.",
                          "верните заполненный tensor (заполнять можно на месте).")
        if tuple(got.shape) != shape:
            return failed(name, f"для веса формы {shape} получена форма {tuple(got.shape)}.",
                          "заполните тот же тензор, не меняя его формы.")
        if got.dtype != torch.float32:
            return failed(name, f"тип результата {got.dtype}, а ожидался torch.float32.",
                          "заполняйте переданный тензор на месте.")
        if not torch.isfinite(got).all():
            return failed(name, f"для веса формы {shape} в результате есть inf или nan.",
                          "проверьте деление на fan.")
        var = float(got.var())
        mean = float(got.mean())
        n = got.numel()
        tol = _sampling_tolerance(n)
        where = f"для веса формы {shape} (fan_in={fan_in}, fan_out={fan_out})"
        if abs(mean) > 6 * math.sqrt(expected_var / n):
            return failed(name, f"{where} среднее {mean:.4g}, а должно быть ≈ 0.",
                          "распределение должно быть симметричным относительно нуля.")
        if abs(var / expected_var - 1) > tol:
            hint = _diagnose_variance(kind, var, shape)
            return failed(name, f"{where} выборочная дисперсия {var:.4g}, а ожидалась "
                          f"{expected_var:.4g} (допуск ±{100 * tol:.1f}% на {n} чисел).", hint)
        if kind == "xavier_uniform":
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            top = float(got.abs().max())
            if top > bound * (1 + 1e-6):
                return failed(name, f"{where} есть значение {top:.4g} за границей "
                              f"a = √(6/(fan_in+fan_out)) = {bound:.4g}.",
                              "равномерное распределение U[−a, a] не выходит за ±a.")
            if top < bound * (1 - 20.0 / n):  # n uniform draws come within a·20/n of the edge
                return failed(name, f"{where} все значения по модулю ≤ {top:.4g}, а граница "
                              f"{bound:.4g}: похоже, это не U[−a, a].",
                              "нужно равномерное распределение на всём отрезке [−a, a].")
        else:
            # a Gaussian has excess kurtosis 0, a uniform −1.2: catches U[−σ√3, σ√3] for N(0, σ²)
            kurtosis = float(((got - mean) ** 4).mean() / var ** 2) - 3.0
            if abs(kurtosis) > 6 * math.sqrt(24.0 / n):
                return failed(name, f"{where} эксцесс выборки {kurtosis:.3f}, у нормального "
                              "распределения он 0: значения взяты не из N(0, σ²).",
                              "используйте normal_ (или torch.randn), а не uniform_.")
        again = call_safely(name, fn, torch.empty(shape), torch.Generator().manual_seed(0))[0]
        if isinstance(again, torch.Tensor) and not torch.equal(again, got):
            return failed(name, "два вызова с одинаково засеянным генератором дали разные "
                          "числа: генератор не используется.",
                          "передайте generator=generator в uniform_/normal_.")
    what = "граница" if kind == "xavier_uniform" else "нормальность"
    return passed(name, f"дисперсия, {what} и fan верны для весов Linear и Conv2d.")


def _diagnose_variance(kind: str, var: float, shape: tuple[int, ...]) -> str:
    """Name the typical mistake whose variance is closest to the one observed."""
    fan_in, fan_out = fans(shape)
    if not var > 0:
        return "все значения одинаковы: веса должны быть случайными."
    if kind == "xavier_uniform":
        candidates = {
            "вы взяли границей a = √(2/(fan_in+fan_out)) — это σ, а не граница; у U[−a, a] "
            "Var = a²/3, поэтому нужен множитель √3: a = √6/√(fan_in+fan_out).":
                (2.0 / (fan_in + fan_out)) / 3,
            "похоже, пропущен корень: граница — √(6/(fan_in+fan_out)), а не 6/(fan_in+fan_out).":
                (6.0 / (fan_in + fan_out)) ** 2 / 3,
            "похоже, в знаменателе только fan_in; у Xavier там сумма fan_in + fan_out.":
                2.0 / fan_in,
            "похоже, в знаменателе только fan_out; у Xavier там сумма fan_in + fan_out.":
                2.0 / fan_out,
        }
    else:
        candidates = {
            "похоже, fan_in и fan_out перепутаны: у веса Linear форма [out, in], fan_in = shape[1].":
                2.0 / fan_out,
            "похоже, std и дисперсия перепутаны: N(0, σ²) с σ = √(2/fan_in), а не σ = 2/fan_in.":
                (2.0 / fan_in) ** 2,
            "похоже, пропущен множитель 2 (Var = 1/fan_in — это LeCun, а не He для ReLU).":
                1.0 / fan_in,
            "похоже, в normal_ передана дисперсия вместо σ: σ = √(2/fan_in).":
                math.sqrt(2.0 / fan_in),
        }
    if len(shape) > 2:  # a conv weight whose kernel was forgotten in the fans
        k = math.prod(shape[2:])
        wrong = (2.0 * k / (fan_in + fan_out) if kind == "xavier_uniform" else 2.0 * k / fan_in)
        candidates[f"для свёрточного веса {shape} fan_in = in·k·k = {fan_in}, fan_out = "
                   f"out·k·k = {fan_out}: похоже, рецептивное поле k·k не учтено."] = wrong
    best = min(candidates, key=lambda h: abs(math.log(var / candidates[h])))
    if abs(math.log(var / candidates[best])) < 0.2:
        return best
    return ("сверьте формулу: Var = 2/(fan_in+fan_out) у Xavier, Var = 2/fan_in у He; fan у "
            "свёртки [out, in, k, k] — это in·k·k и out·k·k.")


def check_xavier_uniform(fn: Callable[[torch.Tensor, torch.Generator], torch.Tensor]) -> CheckResult:
    """Check ``fn(tensor, generator)`` that fills ``tensor`` by Xavier-uniform (gain 1)."""
    return _check_initializer("xavier_uniform", fn, "xavier_uniform")


def check_he_normal(fn: Callable[[torch.Tensor, torch.Generator], torch.Tensor]) -> CheckResult:
    """Check ``fn(tensor, generator)`` that fills ``tensor`` by He-normal (ReLU, fan_in)."""
    return _check_initializer("he_normal", fn, "he_normal")


# --------------------------------------------------------------------------------------------
# Many small MLPs trained at once
# --------------------------------------------------------------------------------------------

class StackedMLP(nn.Module):
    """M independent MLPs of the same shape evaluated in one batched matrix product per layer.

    ``weights[l]`` has shape [M, out, in] and ``biases[l]`` [M, out]: member m is the MLP
    ``Linear(weights[l][m], biases[l][m])``, activation, …, exactly as an ``nn.Sequential`` of
    :func:`lecturelib.models.mlp`. Training M members together costs about as much Python
    overhead as training one, which keeps a grid of inits × activations × seeds within a CPU
    budget; the members never interact (the loss is a sum of their own losses).
    """

    def __init__(self, weights: Sequence[torch.Tensor], biases: Sequence[torch.Tensor],
                 activation: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        if len(weights) != len(biases) or not weights:
            raise ValueError(f"weights and biases must be non-empty lists of equal length, "
                             f"got {len(weights)} and {len(biases)}")
        for w, b in zip(weights, biases):
            if w.dim() != 3 or b.dim() != 2 or b.shape != w.shape[:2]:
                raise ValueError(f"each weight must be [M, out, in] and each bias [M, out], "
                                 f"got {tuple(w.shape)} and {tuple(b.shape)}")
        self.weights = nn.ParameterList([nn.Parameter(w.detach().clone()) for w in weights])
        self.biases = nn.ParameterList([nn.Parameter(b.detach().clone()) for b in biases])
        self.activation = activation

    @classmethod
    def from_models(cls, models: Sequence[nn.Sequential],
                    activation: Callable[[torch.Tensor], torch.Tensor]) -> "StackedMLP":
        """Stack the ``nn.Linear`` layers of equally shaped models (their weights are copied)."""
        linears = [[m for m in model if isinstance(m, nn.Linear)] for model in models]
        if not linears or any(len(ls) != len(linears[0]) for ls in linears):
            raise ValueError("models must be a non-empty list of MLPs with the same layers")
        weights = [torch.stack([ls[i].weight.detach() for ls in linears]) for i in range(len(linears[0]))]
        biases = [torch.stack([ls[i].bias.detach() for ls in linears]) for i in range(len(linears[0]))]
        return cls(weights, biases, activation)

    @property
    def members(self) -> int:
        return self.weights[0].shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` [n, features] (the same for every member) or [M, n, features] → [M, n, out]."""
        h = x.expand(self.members, *x.shape) if x.dim() == 2 else x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
            if i < last:
                h = self.activation(h)
        return h


def stacked_cross_entropy(scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Sum over members of each member's mean cross-entropy; ``scores`` [M, n, classes], ``y`` [n]."""
    members, n, classes = scores.shape
    return F.cross_entropy(scores.reshape(-1, classes), y.repeat(members), reduction="sum") / n


@torch.no_grad()
def stacked_accuracy(model: StackedMLP, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Accuracy of every member on ``x`` [n, features], ``y`` [n] → tensor [M]."""
    return (model(x).argmax(-1) == y).float().mean(dim=1)


def train_stacked(model: StackedMLP, x: torch.Tensor, y: torch.Tensor, *, epochs: int, lr: float,
                  batch_size: int = 128, optimizer: str = "sgd", momentum: float = 0.9,
                  seed: int = 0, grad_masks: Sequence[torch.Tensor] | None = None) -> StackedMLP:
    """Mini-batch training of all members at once (the same batches for every member).

    The update rules are written out (SGD with momentum and Adam, exactly as ``torch.optim``
    defines them; ``tests/test_init.py`` compares the two): it is four lines, and it spares a
    notebook the seconds that the first ``torch.optim`` step spends importing ``torch._dynamo``.
    ``grad_masks`` (one 0/1 tensor per weight, shaped like it) zero the gradients of pruned
    weights and the weights themselves after every step, so pruned weights stay exactly zero.
    """
    if epochs < 1 or lr <= 0:
        raise ValueError(f"epochs must be >= 1 and lr > 0, got epochs={epochs!r}, lr={lr!r}")
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    if grad_masks is not None and len(grad_masks) != len(model.weights):
        raise ValueError(f"grad_masks must hold one mask per weight ({len(model.weights)}), "
                         f"got {len(grad_masks)}")
    params = list(model.weights) + list(model.biases)  # the order grad_masks relies on
    state = [torch.zeros_like(p) for p in params]  # momentum buffer, or Adam's first moment
    second = [torch.zeros_like(p) for p in params]  # Adam's second moment
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    generator = torch.Generator().manual_seed(seed)
    n, step = len(x), 0
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            loss = stacked_cross_entropy(model(x[idx]), y[idx])
            grads = torch.autograd.grad(loss, params)
            step += 1
            with torch.no_grad():
                if grad_masks is not None:  # weights come first in params, biases after
                    grads = [g * m for g, m in zip(grads, grad_masks)] + list(grads[len(grad_masks):])
                for p, g, m, v in zip(params, grads, state, second):
                    if optimizer == "sgd":
                        # torch.optim.SGD: the first buffer is the gradient itself
                        m.copy_(g) if step == 1 else m.mul_(momentum).add_(g)
                        p.sub_(lr * m)
                    else:
                        m.mul_(beta1).add_(g, alpha=1 - beta1)
                        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                        denom = (v.sqrt() / math.sqrt(1 - beta2 ** step)).add_(eps)
                        p.addcdiv_(m, denom, value=-lr / (1 - beta1 ** step))
                if grad_masks is not None:
                    for w, mask in zip(model.weights, grad_masks):
                        w.mul_(mask)
    return model
