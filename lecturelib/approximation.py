"""Universal approximation with ReLU networks: hand-built nets, constructions, linear pieces.

The chapter «Универсальный аппроксиматор» uses this module for

* the one-hidden-layer ReLU net of the lecture's slides, written out unit by unit:
  ``y(x) = φ0 + Σ_k φ_k ReLU(θ_k0 + θ_k1 x)`` (:func:`shallow_relu`, :func:`shallow_relu_parts`);
* the constructive proof for ReLU: a piecewise-linear interpolant of a function on knots *is* a
  one-hidden-layer net ``φ0 + Σ_k φ_k ReLU(x − b_k)`` (:func:`interpolating_relu_params`);
* counting the linear pieces of a network, numerically on a grid (:func:`count_pieces`) and
  exactly for a shallow net from its weights (:func:`shallow_piece_count`);
* Telgarsky's composed tent map and the deep narrow net that computes it (:func:`deep_tent_net`);
* the instant checks of the chapter's two exercises.

Everything works on 1-D inputs: ``x`` is a float tensor of shape [n].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lecturelib.checks import CheckResult, call_safely, failed, passed, short

ArrayLike = Sequence[float] | np.ndarray | torch.Tensor


# --------------------------------------------------------------------------------------------
# The one-hidden-layer ReLU net of the slides
# --------------------------------------------------------------------------------------------

#: The hand-built net of the chapter: three hidden units on x ∈ [0, 2].
HAND_BUILT = {
    "theta0": [-0.2, -0.9, 1.1],
    "theta1": [0.4, 0.9, -0.7],
    "phi": [-1.3, 1.3, 0.66],
    "phi0": -0.23,
}


def _vector(name: str, value: ArrayLike, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``value`` as a 1-D float tensor; a clear error names ``name`` otherwise."""
    try:
        tensor = value.to(dtype) if isinstance(value, torch.Tensor) else torch.as_tensor(
            value, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} must be a 1-D sequence of numbers, got {value!r}") from exc
    if tensor.dim() != 1:
        raise ValueError(f"{name} must be 1-D, got shape {tuple(tensor.shape)}")
    return tensor


def _check_units(theta0: torch.Tensor, theta1: torch.Tensor, phi: torch.Tensor) -> None:
    if not (theta0.shape == theta1.shape == phi.shape):
        raise ValueError("theta0, theta1 and phi must have one entry per hidden unit, got shapes "
                         f"{tuple(theta0.shape)}, {tuple(theta1.shape)}, {tuple(phi.shape)}")


def shallow_relu_parts(x: torch.Tensor, theta0: torch.Tensor, theta1: torch.Tensor,
                       phi: torch.Tensor) -> torch.Tensor:
    """Contribution of each hidden unit, ``φ_k · ReLU(θ_k0 + θ_k1 x)``: shape [n, K].

    ``x`` has shape [n]; ``theta0``, ``theta1``, ``phi`` have shape [K] (one entry per unit).
    Differentiable in all arguments.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 1:
        raise ValueError(f"x must be a 1-D tensor of inputs, got {type(x).__name__} "
                         f"of shape {tuple(getattr(x, 'shape', ()))}")
    _check_units(theta0, theta1, phi)
    pre_activation = theta0 + theta1 * x[:, None]          # [n, K]: the lines θ_k0 + θ_k1 x
    return phi * F.relu(pre_activation)                    # [n, K]: clipped, then weighted


def shallow_relu(x: torch.Tensor, theta0: torch.Tensor, theta1: torch.Tensor, phi: torch.Tensor,
                 phi0: float | torch.Tensor = 0.0) -> torch.Tensor:
    """The net ``y = φ0 + Σ_k φ_k ReLU(θ_k0 + θ_k1 x)``: shape [n] for ``x`` of shape [n]."""
    return phi0 + shallow_relu_parts(x, theta0, theta1, phi).sum(dim=1)


def shallow_relu_module(theta0: ArrayLike, theta1: ArrayLike, phi: ArrayLike, phi0: float = 0.0,
                        dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """The same net as a ``Linear(1, K) → ReLU → Linear(K, 1)`` module (input [n, 1])."""
    theta0, theta1, phi = (_vector(n, v, dtype) for n, v in
                           (("theta0", theta0), ("theta1", theta1), ("phi", phi)))
    _check_units(theta0, theta1, phi)
    width = len(phi)
    net = nn.Sequential(nn.Linear(1, width), nn.ReLU(), nn.Linear(width, 1)).to(dtype)
    with torch.no_grad():
        net[0].weight.copy_(theta1[:, None])
        net[0].bias.copy_(theta0)
        net[2].weight.copy_(phi[None, :])
        net[2].bias.fill_(float(phi0))
    return net


# --------------------------------------------------------------------------------------------
# The constructive approximation: piecewise-linear interpolation is a ReLU net
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReluSum:
    """``y(x) = φ0 + Σ_k φ_k ReLU(x − b_k)``, a one-hidden-layer ReLU net with θ_k1 = 1.

    ``phi`` and ``b`` have shape [K]; ``phi0`` is a number. Calling it on ``x`` [n] gives [n].
    """

    phi0: float
    phi: torch.Tensor
    b: torch.Tensor

    @property
    def width(self) -> int:
        return len(self.phi)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.phi0 + (self.phi * F.relu(x[:, None] - self.b)).sum(dim=1)

    def as_shallow(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
        """The same net in the slides' parameters ``(θ_0, θ_1, φ, φ0)``."""
        return -self.b, torch.ones_like(self.b), self.phi, self.phi0


def interpolating_relu_params(knots: ArrayLike, values: ArrayLike, *,
                              flat_right: bool = True) -> ReluSum:
    """The ReLU net equal to the piecewise-linear interpolant of ``values`` at ``knots``.

    With slopes ``s_k = (v_{k+1} − v_k) / (t_{k+1} − t_k)`` on the n intervals, the interpolant is
    ``v_0 + s_0 ReLU(x − t_0) + Σ_{k=1}^{n−1} (s_k − s_{k−1}) ReLU(x − t_k)`` on ``[t_0, ∞)`` and the
    constant ``v_0`` to the left, so it equals ``np.interp`` on ``x ≤ t_n``: n units. With
    ``flat_right`` one more unit ``−s_{n−1} ReLU(x − t_n)`` makes it constant to the right as
    well, i.e. equal to ``np.interp`` on the whole line: n + 1 units.
    """
    t, v = _vector("knots", knots), _vector("values", values)
    if len(t) < 2 or len(t) != len(v):
        raise ValueError(f"knots and values must have the same length >= 2, got {len(t)} and {len(v)}")
    if not bool(torch.all(t[1:] > t[:-1])):
        raise ValueError("knots must be strictly increasing")
    slopes = (v[1:] - v[:-1]) / (t[1:] - t[:-1])             # [n]
    jumps = torch.cat([slopes[:1], slopes[1:] - slopes[:-1]])  # slope change at t_0 … t_{n−1}
    b = t[:-1]
    if flat_right:
        jumps, b = torch.cat([jumps, -slopes[-1:]]), t
    return ReluSum(float(v[0]), jumps, b.clone())


def interpolation_error_bound(h: float, max_abs_second_derivative: float) -> float:
    """Sup-norm error bound of linear interpolation with knot spacing ``h``: ``h² max|f''| / 8``."""
    if h <= 0 or max_abs_second_derivative < 0:
        raise ValueError(f"h must be > 0 and max|f''| >= 0, got h={h!r}, "
                         f"max|f''|={max_abs_second_derivative!r}")
    return h * h * max_abs_second_derivative / 8.0


# --------------------------------------------------------------------------------------------
# Piecewise-linear functions given by breakpoints and slopes (exercise 1)
# --------------------------------------------------------------------------------------------

def polyline(x: torch.Tensor, breakpoints: torch.Tensor, slopes: torch.Tensor,
             value: float) -> torch.Tensor:
    """The continuous piecewise-linear function with kinks at ``breakpoints`` [m] (increasing),
    slope ``slopes[0]`` left of the first kink, ``slopes[k]`` between kink k and k+1 and
    ``slopes[m]`` right of the last one, and ``f(breakpoints[0]) = value``. ``x`` [n] → [n]."""
    b, s = breakpoints.to(x.dtype), slopes.to(x.dtype)
    if b.dim() != 1 or len(b) < 1 or s.shape != (len(b) + 1,):
        raise ValueError(f"need m >= 1 breakpoints and m + 1 slopes, got shapes "
                         f"{tuple(b.shape)} and {tuple(s.shape)}")
    if not bool(torch.all(b[1:] > b[:-1])):
        raise ValueError("breakpoints must be strictly increasing")
    # Integrate the slope: left line through (b_0, value), then add each slope change after its kink.
    y = value + s[0] * (x - b[0])
    return y + ((s[1:] - s[:-1]) * F.relu(x[:, None] - b)).sum(dim=1)


def reference_polyline_net(breakpoints: torch.Tensor, slopes: torch.Tensor, value: float
                           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """A shallow ReLU net with m + 1 units equal to :func:`polyline` on the whole line."""
    b, s = breakpoints.double(), slopes.double()
    # The left slope needs a unit that is active on the left: ReLU(b_0 − x) = −(x − b_0) there.
    theta1 = torch.cat([torch.tensor([-1.0], dtype=b.dtype), torch.ones_like(b)])
    theta0 = torch.cat([b[:1], -b])
    phi = torch.cat([-s[:1], s[1:2], s[2:] - s[1:-1]])
    return theta0, theta1, phi, float(value)


# --------------------------------------------------------------------------------------------
# Counting linear pieces
# --------------------------------------------------------------------------------------------

def count_pieces(x: ArrayLike, y: ArrayLike, *, rtol: float = 1e-6) -> int:
    """Number of linear pieces of a continuous piecewise-linear function sampled as ``y(x)``.

    ``x`` [n] strictly increasing, ``y`` [n]. The slope is constant on a piece, so a kink shows
    up as a change between the slopes of neighbouring grid cells: one change when it sits on a
    grid point, two adjacent ones when it falls inside a cell. Each run of adjacent changes is
    one kink; a run of three or more means two kinks within two grid steps, which the samples
    cannot resolve, so that raises instead of guessing. Slope changes below ``rtol`` times the
    largest slope (plus the float rounding floor) are treated as noise. Exact when neighbouring
    kinks are more than two grid steps apart and every slope change exceeds twice that threshold.
    """
    xs = np.asarray(x.detach() if isinstance(x, torch.Tensor) else x, dtype=np.float64)
    ys = np.asarray(y.detach() if isinstance(y, torch.Tensor) else y, dtype=np.float64)
    if xs.ndim != 1 or xs.shape != ys.shape or len(xs) < 3:
        raise ValueError(f"x and y must be 1-D of the same length >= 3, got shapes "
                         f"{xs.shape} and {ys.shape}")
    if not np.all(np.isfinite(ys)):
        raise ValueError("y must be finite")
    dx = np.diff(xs)
    if not np.all(dx > 0):
        raise ValueError("x must be strictly increasing")
    slopes = np.diff(ys) / dx
    # Rounding y by a few ulps changes a slope by ~ulp(y)/dx: stay well above that floor.
    noise = 64 * np.finfo(np.float64).eps * np.abs(ys).max() / dx.min()
    tol = rtol * np.abs(slopes).max() + noise   # relative: a net's output may be tiny
    changes = np.abs(np.diff(slopes)) > tol
    padded = np.concatenate([[False], changes, [False]]).astype(np.int8)
    starts = np.flatnonzero(np.diff(padded) == 1)
    ends = np.flatnonzero(np.diff(padded) == -1)
    lengths = ends - starts
    if np.any(lengths > 2):
        where = xs[starts[np.argmax(lengths > 2)] + 1]
        raise ValueError(f"the grid is too coarse near x = {where:.6g}: kinks closer than two grid "
                         "steps (or a curved function); use a finer grid")
    return len(starts) + 1


def count_pieces_fn(fn: Callable[[torch.Tensor], torch.Tensor], lo: float, hi: float, *,
                    n_grid: int = 100_001, rtol: float = 1e-6) -> int:
    """Pieces of ``fn`` on ``[lo, hi]``, counted on two different grids that must agree.

    ``fn`` maps float64 ``x`` [n] to [n]. The second grid is finer and shifted, so a kink that one
    grid happens to miss or to merge with its neighbour shows up as a disagreement (an error).
    """
    if not hi > lo or n_grid < 3:
        raise ValueError(f"need lo < hi and n_grid >= 3, got lo={lo!r}, hi={hi!r}, n_grid={n_grid!r}")
    counts = []
    for n in (n_grid, 2 * n_grid + 1):
        x = torch.linspace(lo, hi, n, dtype=torch.float64)
        with torch.no_grad():
            counts.append(count_pieces(x, fn(x), rtol=rtol))
    if counts[0] != counts[1]:
        raise ValueError(f"piece counts disagree between grids ({counts[0]} vs {counts[1]}): "
                         "refine n_grid")
    return counts[0]


def shallow_piece_count(theta0: torch.Tensor, theta1: torch.Tensor, phi: torch.Tensor,
                        atol: float = 1e-9) -> int:
    """Exact number of linear pieces on ℝ of ``φ0 + Σ φ_k ReLU(θ_k0 + θ_k1 x)``, from the weights.

    Unit k bends at ``x = −θ_k0/θ_k1`` (none when θ_k1 = 0) and changes the slope there by
    ``φ_k |θ_k1|``; units that bend at the same point add their changes, and a point where they
    cancel is no kink. Pieces = kinks + 1.
    """
    theta0, theta1, phi = (_vector(n, v) for n, v in
                           (("theta0", theta0), ("theta1", theta1), ("phi", phi)))
    _check_units(theta0, theta1, phi)
    bends = theta1 != 0
    where = (-theta0[bends] / theta1[bends]).numpy()
    jump = (phi[bends] * theta1[bends].abs()).numpy()
    order = np.argsort(where, kind="stable")
    where, jump = where[order], jump[order]
    kinks, i = 0, 0
    while i < len(where):
        j = i
        while j + 1 < len(where) and abs(where[j + 1] - where[i]) <= atol * max(1.0, abs(where[i])):
            j += 1
        total = jump[i:j + 1].sum()
        if abs(total) > atol * max(1.0, np.abs(jump[i:j + 1]).max()):
            kinks += 1
        i = j + 1
    return kinks + 1


# --------------------------------------------------------------------------------------------
# Depth: Telgarsky's tent map
# --------------------------------------------------------------------------------------------

def tent(x: torch.Tensor) -> torch.Tensor:
    """The tent map ``T(x) = 1 − |2x − 1|`` (maps [0, 1] onto [0, 1])."""
    return 1.0 - (2.0 * x - 1.0).abs()


def tent_power(x: torch.Tensor, depth: int) -> torch.Tensor:
    """``T^L(x) = T(T(…T(x)))``, L = ``depth`` times; on [0, 1] it has 2^L linear pieces."""
    if not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive int, got {depth!r}")
    for _ in range(depth):
        x = tent(x)
    return x


def deep_tent_net(depth: int, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A ReLU net with ``depth`` hidden layers of 2 units that equals ``T^depth`` on [0, 1].

    On [0, 1], ``T(x) = 2 ReLU(x) − 4 ReLU(x − 1/2)``: each hidden layer computes the two ReLUs of
    the previous layer's tent value, the next layer's weights form ``2 h_1 − 4 h_2``. Input [n, 1].
    """
    if not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive int, got {depth!r}")
    layers: list[nn.Module] = []
    for i in range(depth):
        linear = nn.Linear(1 if i == 0 else 2, 2)
        with torch.no_grad():
            # Rows: the two units; first layer reads x, later layers read T = 2 h_1 − 4 h_2.
            linear.weight.copy_(torch.tensor([[1.0], [1.0]]) if i == 0
                                else torch.tensor([[2.0, -4.0], [2.0, -4.0]]))
            linear.bias.copy_(torch.tensor([0.0, -0.5]))
        layers += [linear, nn.ReLU()]
    out = nn.Linear(2, 1)
    with torch.no_grad():
        out.weight.copy_(torch.tensor([[2.0, -4.0]]))
        out.bias.zero_()
    return nn.Sequential(*layers, out).to(dtype)


def deep_narrow_mlp(depth: int, width: int = 2, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """``Linear(1, w) → ReLU → [Linear(w, w) → ReLU] × (depth − 1) → Linear(w, 1)``, PyTorch init."""
    if not isinstance(depth, int) or depth < 1 or not isinstance(width, int) or width < 1:
        raise ValueError(f"depth and width must be positive ints, got depth={depth!r}, width={width!r}")
    sizes = [1] + [width] * depth + [1]
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < depth:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).to(dtype)


def as_function(net: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """``x`` [n] → ``net(x[:, None])[:, 0]`` [n]: a module with input [n, 1] as a 1-D function."""
    return lambda x: net(x[:, None].to(next(net.parameters()).dtype))[:, 0]


# --------------------------------------------------------------------------------------------
# Training many small 1-D regression nets at once (full batch)
# --------------------------------------------------------------------------------------------

class EnsembleMLP(nn.Module):
    """Several ReLU MLPs of the same depth (widths may differ), evaluated and trained at once.

    Built from ``members`` (each ``Linear → ReLU → … → Linear`` with input and output size 1):
    their parameters are copied into padded tensors with a leading member dimension, and a mask
    keeps the padding units at zero. The loss of the ensemble is the *sum* of the members'
    losses, so each member gets exactly its own gradient, and Adam's update is elementwise:
    training the ensemble is training every member separately, only in one call (the tests
    check this).
    """

    def __init__(self, members: Sequence[nn.Sequential]):
        super().__init__()
        linears = [[m for m in member if isinstance(m, nn.Linear)] for member in members]
        if not linears or any(len(ls) != len(linears[0]) for ls in linears):
            raise ValueError("members must be a non-empty list of MLPs with the same number of layers")
        if any(ls[0].in_features != 1 or ls[-1].out_features != 1 for ls in linears):
            raise ValueError("every member must map 1 input to 1 output")
        self.sizes = [[ls[0].in_features] + [layer.out_features for layer in ls] for ls in linears]
        widest = [max(col) for col in zip(*self.sizes)]
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        masks = []
        dtype = linears[0][0].weight.dtype
        for layer, (n_in, n_out) in enumerate(zip(widest[:-1], widest[1:])):
            weight = torch.zeros(len(members), n_out, n_in, dtype=dtype)
            bias = torch.zeros(len(members), n_out, dtype=dtype)
            mask = torch.zeros(len(members), n_out, dtype=dtype)
            for i, ls in enumerate(linears):
                w = ls[layer].weight.detach()
                weight[i, :w.shape[0], :w.shape[1]] = w
                bias[i, :w.shape[0]] = ls[layer].bias.detach()
                mask[i, :w.shape[0]] = 1.0
            self.weights.append(nn.Parameter(weight))
            self.biases.append(nn.Parameter(bias))
            masks.append(mask)
        # Members of equal widths need no mask (and skipping it saves time on every step).
        self.masks = [None if bool(mask.all()) else mask for mask in masks]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` [n] → outputs of all members, [members, n]."""
        x = x.to(self.weights[0].dtype)
        last = len(self.weights) - 1
        h = None
        for layer, (weight, bias, mask) in enumerate(zip(self.weights, self.biases, self.masks)):
            if layer == 0:   # one input: an outer product, cheaper than a batched matmul
                pre = x[None, :, None] * weight[:, None, :, 0] + bias[:, None, :]   # [S, n, w]
            else:
                pre = torch.baddbmm(bias[:, None, :], h, weight.transpose(1, 2))
            if layer < last:
                h = F.relu(pre)
                if mask is not None:
                    h = h * mask[:, None, :]   # padding units stay exactly zero
            else:
                return pre[:, :, 0]
        raise AssertionError("unreachable")

    def member(self, i: int, dtype: torch.dtype = torch.float64) -> nn.Sequential:
        """Member ``i`` as an ordinary ``nn.Sequential`` (unpadded copy of its current weights)."""
        sizes = self.sizes[i]
        layers: list[nn.Module] = []
        for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            linear = nn.Linear(n_in, n_out)
            with torch.no_grad():
                linear.weight.copy_(self.weights[layer][i, :n_out, :n_in])
                linear.bias.copy_(self.biases[layer][i, :n_out])
            layers.append(linear)
            if layer < len(sizes) - 2:
                layers.append(nn.ReLU())
        return nn.Sequential(*layers).to(dtype)


def fit_ensemble(ensemble: EnsembleMLP, x: torch.Tensor, y: torch.Tensor, *, steps: int,
                 lr: float, x_test: torch.Tensor | None = None, y_test: torch.Tensor | None = None,
                 eval_every: int = 50) -> dict[str, torch.Tensor]:
    """Full-batch Adam on every member's MSE at once (``x``, ``y`` [n]).

    Returns ``train`` [steps, members] (each member's MSE before each step) and, with a test set,
    ``test`` [evaluations, members] at the steps ``test_step``.
    """
    if steps < 1 or lr <= 0:
        raise ValueError(f"steps must be >= 1 and lr > 0, got steps={steps!r}, lr={lr!r}")
    if x.dim() != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D of the same length, got {tuple(x.shape)}, {tuple(y.shape)}")
    opt = torch.optim.Adam(ensemble.parameters(), lr=lr, foreach=False)
    train, test, test_step = [], [], []
    for step in range(steps):
        per_member = ((ensemble(x) - y) ** 2).mean(dim=1)       # [S]
        opt.zero_grad()
        per_member.sum().backward()                              # sum: each member its own gradient
        opt.step()
        train.append(per_member.detach())
        if x_test is not None and (step % eval_every == 0 or step == steps - 1):
            with torch.no_grad():
                test.append(((ensemble(x_test) - y_test) ** 2).mean(dim=1))
            test_step.append(step)
    out = {"train": torch.stack(train)}
    if test:
        out["test"], out["test_step"] = torch.stack(test), torch.tensor(test_step)
    return out


# --------------------------------------------------------------------------------------------
# Instant checks of the exercises
# --------------------------------------------------------------------------------------------

#: Polylines for exercise 1: (breakpoints, slopes, value at the first breakpoint, hint if wrong).
_POLYLINES = [
    ([0.0], [-1.0, 1.0], 0.0,
     "это |x|: слева от излома наклон −1, и его тоже должен дать нейрон — например ReLU(−x)."),
    ([-1.0, 0.5, 2.0], [0.5, -1.0, 2.0, 0.0], 1.0,
     "в φ_k нужны не сами наклоны, а их изменения в изломах; φ0 — значение в первом изломе."),
    ([-2.0, 0.0, 1.0], [1.0, 1.0, -3.0, 0.25], -0.5,
     "в точке −2 наклон не меняется: такой «излом» можно оставить с φ = 0, но не потерять остальные."),
    ([0.3], [0.0, 2.0], 3.0, "здесь левый наклон 0: слева функция постоянна и равна 3."),
]


def _show(result: CheckResult, verbose: bool) -> CheckResult:
    """Print a verdict made by ``call_safely`` (a stub or a crash) and return it."""
    if verbose:
        print(result.message)
    return result


def _random_polyline(seed: int = 7, m: int = 6):
    g = torch.Generator().manual_seed(seed)
    b = torch.sort(4 * torch.rand(m, generator=g, dtype=torch.float64) - 2).values
    s = 2 * torch.randn(m + 1, generator=g, dtype=torch.float64)
    return b.tolist(), s.tolist(), 0.7, "проверьте общий случай: m изломов, m + 1 наклонов."


def _as_unit_params(answer: object) -> tuple[tuple, str]:
    """Unpack ``(theta0, theta1, phi, phi0)``; the second item is a problem description or ''."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 4:
        return (), (f"функция должна вернуть кортеж (theta0, theta1, phi, phi0), получено "
                    f"{type(answer).__name__}.")
    theta0, theta1, phi, phi0 = answer
    try:
        theta0, theta1, phi = (torch.as_tensor(v, dtype=torch.float64).reshape(-1)
                               for v in (theta0, theta1, phi))
        phi0 = float(phi0)
    except (TypeError, ValueError, RuntimeError) as exc:
        return (), f"параметры не превращаются в числа/тензоры: {exc}."
    if not (theta0.shape == theta1.shape == phi.shape):
        return (), (f"у theta0, theta1, phi должно быть по одному числу на нейрон, а их длины "
                    f"{len(theta0)}, {len(theta1)}, {len(phi)}.")
    return (theta0, theta1, phi, phi0), ""


def check_polyline_net(student: Callable, verbose: bool = True) -> CheckResult:
    """Exercise 1: ``student(breakpoints, slopes, value)`` returns ``(θ_0, θ_1, φ, φ0)`` of a
    shallow ReLU net with at most m + 1 units equal to :func:`polyline` on the whole line."""
    name = "Сеть для ломаной"
    cases = _POLYLINES + [_random_polyline()]
    for b_list, s_list, value, hint in cases:
        b = torch.tensor(b_list, dtype=torch.float64)
        s = torch.tensor(s_list, dtype=torch.float64)
        shown = f"breakpoints={[round(v, 3) for v in b_list]}, slopes={[round(v, 3) for v in s_list]}, value={value}"
        answer, problem = call_safely(name, student, b.clone(), s.clone(), value)
        if problem is not None:
            return _show(problem, verbose)
        params, problem_text = _as_unit_params(answer)
        if problem_text:
            return failed(name, f"на входе {shown} {problem_text}",
                          "верните theta0, theta1, phi (по одному числу на нейрон) и число phi0.",
                          verbose)
        theta0, theta1, phi, phi0 = params
        if len(phi) > len(b) + 1:
            return failed(name, f"на входе {shown} сеть использует {len(phi)} нейронов, а "
                          f"достаточно m + 1 = {len(b) + 1}.",
                          "один нейрон на каждый излом и ещё один — для наклона слева.", verbose)
        x = torch.cat([torch.linspace(b[0].item() - 5, b[-1].item() + 5, 401, dtype=torch.float64),
                       b, torch.tensor([-100.0, 100.0], dtype=torch.float64)])
        expected = polyline(x, b, s, value)
        got = shallow_relu(x, theta0, theta1, phi, phi0)
        bad = ~torch.isclose(got, expected, rtol=1e-6, atol=1e-6)
        if bad.any():
            i = int(bad.nonzero()[0])
            return failed(name, f"на входе {shown} в точке x = {short(x[i])} ожидалось "
                          f"{short(expected[i])}, получено {short(got[i])}.", hint, verbose)
    return passed(name, f"сеть равна ломаной на всей прямой ({len(cases)} случаев, с |x|).",
                  verbose)


#: Shallow nets for exercise 2: (theta0, theta1, phi, hint if wrong).
_SHALLOW_NETS = [
    ([-0.2, -0.9, 1.1], [0.4, 0.9, -0.7], [-1.3, 1.3, 0.66],
     "три нейрона с разными изломами дают три излома, то есть 4 куска."),
    ([1.0, -1.0, 0.5], [0.0, 1.0, 2.0], [1.0, 1.0, 1.0],
     "нейрон с θ_k1 = 0 — константа ReLU(θ_k0), излома он не даёт (и на 0 делить нельзя)."),
    ([0.0, -1.0, 2.0], [1.0, 1.0, 1.0], [1.0, 0.0, -1.0],
     "нейрон с φ_k = 0 не влияет на выход — его излом не виден."),
    ([-1.0, -0.5, 1.0], [2.0, 1.0, 1.0], [1.0, 1.0, 1.0],
     "два нейрона могут ломаться в одной точке (здесь −θ_k0/θ_k1 = 0.5 у двух): это один излом."),
    ([0.0, 0.0], [1.0, -1.0], [1.0, -1.0],
     "ReLU(x) − ReLU(−x) = x: изменения наклона φ_k·|θ_k1| в общей точке могут сократиться."),
    ([-1.0, -2.0, 0.0], [1.0, 2.0, 1.0], [2.0, -1.0, 1.0],
     "в точке x = 1 изменения наклона 2·1 и −1·2 сокращаются: излома там нет."),
]


def _random_shallow_net(seed: int = 3, width: int = 10):
    g = torch.Generator().manual_seed(seed)
    theta0, theta1, phi = (torch.randn(width, generator=g, dtype=torch.float64) for _ in range(3))
    return theta0.tolist(), theta1.tolist(), phi.tolist(), "проверьте общий случай случайных весов."


def _as_count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
        return int(value.item())
    return None


def check_shallow_piece_count(student: Callable, verbose: bool = True) -> CheckResult:
    """Exercise 2: ``student(theta0, theta1, phi)`` returns the number of linear pieces on ℝ of
    ``φ0 + Σ φ_k ReLU(θ_k0 + θ_k1 x)`` (an int)."""
    name = "Число линейных кусков"
    cases = _SHALLOW_NETS + [_random_shallow_net()]
    for theta0_list, theta1_list, phi_list, hint in cases:
        theta0, theta1, phi = (torch.tensor(v, dtype=torch.float64)
                               for v in (theta0_list, theta1_list, phi_list))
        shown = (f"theta0={[round(v, 3) for v in theta0_list]}, theta1={[round(v, 3) for v in theta1_list]}, "
                 f"phi={[round(v, 3) for v in phi_list]}")
        answer, problem = call_safely(name, student, theta0.clone(), theta1.clone(), phi.clone())
        if problem is not None:
            return _show(problem, verbose)
        got = _as_count(answer)
        if got is None:
            return failed(name, f"на входе {shown} ожидалось целое число, получено {short(answer)} "
                          f"({type(answer).__name__}).", "верните int, например int(count).", verbose)
        expected = shallow_piece_count(theta0, theta1, phi)
        if got != expected:
            return failed(name, f"на входе {shown} ожидалось кусков: {expected}, получено: {got}.",
                          hint, verbose)
    return passed(name, f"{len(cases)} сетей, включая θ = 0, φ = 0 и общие изломы.", verbose)
