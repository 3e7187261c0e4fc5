"""lecturelib.activations against torch's own activations, on values and on autograd gradients,
including the kink at 0 and large |x|; and the chapter's instant checks."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from scipy.special import erf as scipy_erf
from torch import nn

from lecturelib import activations as A
from lecturelib.models import mlp

# Edge values: the kink, both signed zeros, tiny, moderate and huge inputs (exp(±100) overflows float32).
EDGES = [0.0, -0.0, 1e-8, -1e-8, 1e-3, -1e-3, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 30.0, -30.0, 100.0, -100.0]
DTYPES = [torch.float32, torch.float64]


def inputs(dtype: torch.dtype) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.cat([torch.tensor(EDGES, dtype=dtype), 4.0 * torch.randn(200, generator=g, dtype=dtype)])


# name -> (our function, torch's reference), both with the same α
PAIRS = {
    "sigmoid": (A.sigmoid, torch.sigmoid),
    "F.sigmoid": (A.sigmoid, F.sigmoid),
    "tanh": (A.tanh, torch.tanh),
    "relu": (A.relu, F.relu),
    "leaky_relu": (A.leaky_relu, lambda x: F.leaky_relu(x, 0.01)),
    "leaky_relu_0.2": (lambda x: A.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2)),
    "elu": (A.elu, F.elu),
    "elu_0.5": (lambda x: A.elu(x, 0.5), lambda x: F.elu(x, alpha=0.5)),
    "gelu": (A.gelu, lambda x: F.gelu(x, approximate="none")),
    "gelu_tanh": (A.gelu_tanh, lambda x: F.gelu(x, approximate="tanh")),
    "swish": (A.swish, F.silu),
}
# name -> (our hand-written derivative, torch's function whose autograd gradient it must equal)
GRADS = {
    "sigmoid": (A.sigmoid_grad, torch.sigmoid),
    "tanh": (A.tanh_grad, torch.tanh),
    "relu": (A.relu_grad, F.relu),
    "leaky_relu": (A.leaky_relu_grad, lambda x: F.leaky_relu(x, 0.01)),
    "leaky_relu_0.2": (lambda x: A.leaky_relu_grad(x, 0.2), lambda x: F.leaky_relu(x, 0.2)),
    "elu": (A.elu_grad, F.elu),
    "elu_0.5": (lambda x: A.elu_grad(x, 0.5), lambda x: F.elu(x, alpha=0.5)),
    "gelu": (A.gelu_grad, lambda x: F.gelu(x, approximate="none")),
    "gelu_tanh": (A.gelu_tanh_grad, lambda x: F.gelu(x, approximate="tanh")),
    "swish": (A.swish_grad, F.silu),
}


def autograd(f, x: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x).sum(), x)
    return g


def tolerance(dtype: torch.dtype) -> dict:
    # float32: two correct implementations differ by a few 1e-6 where 1 + tanh(u) cancels (GELU, x ≈ -5)
    return {"rtol": 1e-5, "atol": 1e-5} if dtype == torch.float32 else {"rtol": 1e-10, "atol": 1e-12}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", PAIRS)
def test_values_match_torch(name, dtype):
    ours, ref = PAIRS[name]
    x = inputs(dtype)
    got = ours(x)
    assert got.dtype == dtype and got.shape == x.shape
    assert torch.isfinite(got).all(), f"{name}: inf/NaN at {x[~torch.isfinite(got)]}"
    torch.testing.assert_close(got, ref(x), **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", PAIRS)
def test_autograd_through_our_function_matches_torch(name, dtype):
    """Our formulas are differentiable, with no NaN from an unused branch (e.g. exp(100))."""
    ours, ref = PAIRS[name]
    x = inputs(dtype)
    got = autograd(ours, x)
    assert torch.isfinite(got).all(), f"{name}: inf/NaN gradient at {x[~torch.isfinite(got)]}"
    torch.testing.assert_close(got, autograd(ref, x), **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", GRADS)
def test_hand_derivative_matches_torch_autograd(name, dtype):
    ours, ref = GRADS[name]
    x = inputs(dtype)
    got = ours(x)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got, autograd(ref, x), **tolerance(dtype))


def test_prelu_matches_nn_prelu_values_and_gradients():
    torch.manual_seed(0)
    layer = nn.PReLU()
    assert layer.weight.item() == pytest.approx(0.25)
    with torch.no_grad():
        layer.weight.fill_(0.3)
    x = inputs(torch.float32)
    torch.testing.assert_close(A.leaky_relu(x, 0.3), layer(x))
    x_grad = x.clone().requires_grad_(True)
    layer(x_grad).sum().backward()
    torch.testing.assert_close(A.leaky_relu_grad(x, 0.3), x_grad.grad)
    # dPReLU/dα = x on the negative side (and 0 at x >= 0): how α learns
    torch.testing.assert_close(layer.weight.grad, x.clamp(max=0).sum().reshape(1))


def test_convention_at_zero_is_torchs():
    """The lecture writes f'(0) = 1 (branch x >= 0); torch and this library use the branch x > 0."""
    zero = torch.zeros(1)
    assert A.relu_grad(zero).item() == 0.0 == autograd(F.relu, zero).item()
    assert A.leaky_relu_grad(zero, 0.1).item() == pytest.approx(0.1)
    assert autograd(lambda x: F.leaky_relu(x, 0.1), zero).item() == pytest.approx(0.1)
    assert A.elu_grad(zero, 0.5).item() == pytest.approx(0.5) == autograd(lambda x: F.elu(x, 0.5), zero).item()
    # smooth activations have no choice to make
    assert A.sigmoid_grad(zero).item() == pytest.approx(0.25)
    assert A.tanh_grad(zero).item() == pytest.approx(1.0)
    assert A.gelu_grad(zero).item() == pytest.approx(0.5)
    assert A.swish_grad(zero).item() == pytest.approx(0.5)


def test_sigmoid_and_tanh_facts_of_the_lecture():
    x = torch.linspace(-10, 10, 200_001, dtype=torch.float64)
    d = A.sigmoid_grad(x)
    assert d.max().item() == pytest.approx(0.25, abs=1e-12) and x[d.argmax()].item() == pytest.approx(0.0, abs=1e-9)
    assert A.tanh_grad(x).max().item() == pytest.approx(1.0, abs=1e-12)
    torch.testing.assert_close(A.tanh(x), 2 * A.sigmoid(2 * x) - 1, rtol=0, atol=1e-14)
    # tanh keeps relative precision where 2σ(2x) − 1 cancels
    tiny = torch.tensor([1e-8], dtype=torch.float32)
    assert A.tanh(tiny).item() == pytest.approx(1e-8, rel=1e-6)


def test_gelu_against_scipy_and_its_taylor_expansion():
    x = torch.linspace(-6, 6, 1001, dtype=torch.float64)
    by_hand = x.numpy() * 0.5 * (1 + scipy_erf(x.numpy() / math.sqrt(2)))
    torch.testing.assert_close(A.gelu(x), torch.from_numpy(by_hand), rtol=1e-12, atol=1e-14)
    # xΦ(x) = x/2 + x²/sqrt(2π) − x⁴/(6 sqrt(2π)) + O(x⁶): the x² coefficient is 1/sqrt(2π), not 1/(2π)
    small = torch.tensor([1e-2, 1e-3, -1e-3], dtype=torch.float64)
    coefficient = (A.gelu(small) - small / 2) / small ** 2
    torch.testing.assert_close(coefficient, torch.full_like(small, 1 / math.sqrt(2 * math.pi)),
                               rtol=1e-4, atol=0)
    assert abs(coefficient[0].item() - 1 / (2 * math.pi)) > 0.2


def test_registry_modules_match_the_formulas():
    x = inputs(torch.float32)
    assert list(A.ACTIVATIONS) == ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu", "silu"]
    for name, act in A.ACTIVATIONS.items():
        module = A.module_factory(name)()
        assert isinstance(module, nn.Module)
        torch.testing.assert_close(act.function(x), module(x), rtol=1e-5, atol=1e-6, msg=name)
        torch.testing.assert_close(act.derivative(x), autograd(module, x), rtol=1e-5, atol=1e-6, msg=name)
    # each PReLU module has its own α
    first, second = A.module_factory("prelu")(), A.module_factory("prelu")()
    assert first.weight is not second.weight
    # the factories plug into models.mlp
    model = mlp([4, 3, 2], A.module_factory("prelu"))
    assert isinstance(model[1], nn.PReLU)


def test_alpha_is_used_and_rejected_where_absent():
    x = torch.tensor([-2.0, 2.0])
    assert A.get("elu").function(x, alpha=0.5)[0].item() == pytest.approx(0.5 * math.expm1(-2))
    assert A.get("leaky_relu").derivative(x, alpha=0.2)[0].item() == pytest.approx(0.2)
    with pytest.raises(ValueError, match="alpha"):
        A.get("relu").function(x, alpha=0.1)


@pytest.mark.parametrize("bad, error, words", [
    ([1.0, 2.0], TypeError, "x must be a torch.Tensor"),
    (torch.tensor([1, 2]), TypeError, "floating-point"),
])
def test_bad_input_is_named(bad, error, words):
    for fn in (A.sigmoid, A.tanh, A.relu, A.elu, A.gelu, A.swish, A.gelu_tanh):
        with pytest.raises(error, match=words):
            fn(bad)


def test_bad_names_and_parameters_are_named():
    with pytest.raises(ValueError, match="name must be one of"):
        A.module_factory("relu6")
    with pytest.raises(TypeError, match="alpha"):
        A.leaky_relu(torch.ones(2), alpha="0.1")
    with pytest.raises(ValueError, match="alpha must be finite"):
        A.elu(torch.ones(2), alpha=float("nan"))
    with pytest.raises(ValueError, match="hidden must be a matrix"):
        A.count_dead_units(torch.zeros(3))
    with pytest.raises(TypeError, match="model must be an nn.Sequential"):
        A.hidden_preactivations(nn.Linear(2, 2), torch.zeros(1, 2))


def test_hidden_preactivations_and_dead_unit_counts():
    torch.manual_seed(0)
    model = mlp([5, 4, 3, 2], nn.ReLU)
    with torch.no_grad():
        model[0].bias[[1, 3]] = -1e3   # units 1 and 3 of the first hidden layer can never fire
    x = torch.randn(50, 5)
    pre = A.hidden_preactivations(model, x)
    assert [p.shape for p in pre] == [(50, 4), (50, 3)]
    torch.testing.assert_close(pre[0], model[0](x))
    torch.testing.assert_close(pre[1], model[2](model[1](model[0](x))))
    assert A.count_inactive_units(pre[0]) == 2
    assert A.count_dead_units(torch.relu(pre[0])) == 2
    # Leaky ReLU: the same units are inactive but not dead (their outputs are negative, not 0)
    assert A.count_dead_units(F.leaky_relu(pre[0], 0.01)) == 0
    hidden = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    assert A.count_dead_units(hidden) == 2


# --- the instant checks ------------------------------------------------------------------------

def stub(x):
    raise NotImplementedError


def crash(x):
    raise RuntimeError("boom")


def test_swish_check_accepts_reference_and_autograd():
    assert A.check_swish_derivative(A.swish_grad, verbose=False)
    assert A.check_swish_derivative(lambda x: autograd(F.silu, x), verbose=False)


@pytest.mark.parametrize("wrong, words", [
    (lambda x: x * torch.sigmoid(x) + torch.sigmoid(x), "(1 − f)"),              # forgot 1 − f
    (lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x)), "производная сигмоиды"),  # σ' instead
    (lambda x: x * torch.sigmoid(x) * (1 - torch.sigmoid(x)), "σ(x)"),            # lost σ term
    (lambda x: torch.sigmoid(x) + 0 * x, "приведите"),                             # unknown mistake
])
def test_swish_check_rejects_typical_mistakes(wrong, words):
    verdict = A.check_swish_derivative(wrong, verbose=False)
    assert not verdict and not verdict.not_done
    assert "на входе x =" in verdict.message and "ожидалось" in verdict.message
    assert words in verdict.message


def test_gelu_check_accepts_reference():
    assert A.check_gelu_tanh(lambda x: F.gelu(x, approximate="tanh"), verbose=False)
    assert A.check_gelu_tanh(A.gelu_tanh, verbose=False)


@pytest.mark.parametrize("wrong, words", [
    (lambda x: 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.44715 * x ** 3))), "0.044715"),
    (lambda x: 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * x)), "кубический"),
    (lambda x: 0.5 * x * (1 + torch.tanh(math.sqrt(math.pi / 2) * (x + 0.044715 * x ** 3))), "√(π/2)"),
    (lambda x: F.gelu(x), "точная"),
    (lambda x: x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))), "½"),
])
def test_gelu_check_rejects_typical_mistakes(wrong, words):
    verdict = A.check_gelu_tanh(wrong, verbose=False)
    assert not verdict and not verdict.not_done
    assert "на входе x =" in verdict.message and words in verdict.message


def test_gelu_check_wants_a_differentiable_torch_function():
    def numpy_gelu(x):  # right values, but through numpy: no graph
        return torch.from_numpy(A.gelu_tanh(x.detach()).numpy())
    verdict = A.check_gelu_tanh(numpy_gelu, verbose=False)
    assert not verdict and "autograd" in verdict.message


def test_count_check_accepts_reference_and_tensor_results():
    assert A.check_count_dead_units(A.count_dead_units, verbose=False)
    assert A.check_count_dead_units(lambda h: (h == 0).all(dim=0).sum(), verbose=False)


@pytest.mark.parametrize("wrong, words", [
    (lambda h: int((h == 0).all(dim=1).sum()), "столбцы"),
    (lambda h: int((h == 0).any(dim=0).sum()), "ВСЕХ"),
    (lambda h: int((h <= 0).all(dim=0).sum()), "Leaky"),
    (lambda h: "three", "целое"),
])
def test_count_check_rejects_typical_mistakes(wrong, words):
    verdict = A.check_count_dead_units(wrong, verbose=False)
    assert not verdict and "на матрице выходов формы" in verdict.message and words in verdict.message


@pytest.mark.parametrize("check", [A.check_swish_derivative, A.check_gelu_tanh, A.check_count_dead_units])
def test_checks_say_not_done_for_a_stub_and_survive_crashes(check, capsys):
    verdict = check(stub)
    assert not verdict and verdict.not_done
    assert "ещё не сделано" in capsys.readouterr().out
    verdict = check(crash)
    assert not verdict and not verdict.not_done and "boom" in verdict.message
    assert "Traceback" not in capsys.readouterr().out
    assert not check(42, verbose=False)
