"""lecturelib.init against torch.nn.init, torch.optim and formulas by hand; its exercise checks."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lecturelib import init as li
from lecturelib.data import digits

SHAPES = [(3, 5), (5, 3), (7, 3, 3, 3), (4, 2, 5), (6, 4, 2, 3, 3), (1, 1)]


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------ fans and gains

@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch(shape):
    expected = nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert li.fans(torch.empty(shape)) == expected
    assert li.fans(shape) == expected


def test_fans_of_real_layers():
    assert li.fans(nn.Linear(64, 256).weight) == (64, 256)  # weight is [out, in]
    assert li.fans(nn.Conv2d(16, 32, 3).weight) == (16 * 9, 32 * 9)


@pytest.mark.parametrize("bad", [(5,), ()])
def test_fans_reject_vectors(bad):
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        li.fans(bad)


@pytest.mark.parametrize("name,param", [("linear", None), ("sigmoid", None), ("tanh", None),
                                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
                                        ("leaky_relu", math.sqrt(5)), ("selu", None),
                                        ("conv2d", None)])
def test_gain_matches_torch(name, param):
    assert li.calculate_gain(name, param) == pytest.approx(nn.init.calculate_gain(name, param), rel=1e-15)


def test_gain_rejects_unknown_names():
    with pytest.raises(ValueError, match="nonlinearity"):
        li.calculate_gain("swish")


# ------------------------------------------------------------------ bit-exact twins of torch.nn.init

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_is_bit_identical_to_torch(shape, gain):
    for ours, theirs in [(li.xavier_uniform_, nn.init.xavier_uniform_),
                         (li.xavier_normal_, nn.init.xavier_normal_)]:
        a = ours(torch.empty(shape), gain=gain, generator=gen(3))
        b = theirs(torch.empty(shape), gain=gain, generator=gen(3))
        assert torch.equal(a, b), ours.__name__


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0.0), ("leaky_relu", 0.0),
                                            ("leaky_relu", math.sqrt(5)), ("linear", 0.0)])
def test_kaiming_is_bit_identical_to_torch(shape, mode, nonlinearity, a):
    for ours, theirs in [(li.kaiming_uniform_, nn.init.kaiming_uniform_),
                         (li.kaiming_normal_, nn.init.kaiming_normal_)]:
        x = ours(torch.empty(shape), a=a, mode=mode, nonlinearity=nonlinearity, generator=gen(1))
        y = theirs(torch.empty(shape), a=a, mode=mode, nonlinearity=nonlinearity, generator=gen(1))
        assert torch.equal(x, y), ours.__name__


@pytest.mark.parametrize("shape", [(8, 8), (10, 4), (4, 10), (6, 3, 2, 2), (2, 3, 3, 3)])
def test_orthogonal_is_bit_identical_to_torch(shape):
    a = li.orthogonal_(torch.empty(shape), gain=1.5, generator=gen(2))
    b = nn.init.orthogonal_(torch.empty(shape), gain=1.5, generator=gen(2))
    assert torch.equal(a, b)


def test_kaiming_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        li.kaiming_normal_(torch.empty(3, 3), mode="fan_avg")


# ------------------------------------------------------------------ statistics by hand

def test_xavier_uniform_bound_and_variance():
    w = li.xavier_uniform_(torch.empty(300, 200), generator=gen())
    bound = math.sqrt(6 / 500)
    assert float(w.abs().max()) <= bound
    assert float(w.abs().max()) > 0.999 * bound
    assert float(w.var()) == pytest.approx(2 / 500, rel=0.03)  # 60 000 draws: rel. s.e. 0.4 %


def test_he_normal_variance_for_linear_and_conv():
    w = li.kaiming_normal_(torch.empty(256, 128), nonlinearity="relu", generator=gen())
    assert float(w.var()) == pytest.approx(2 / 128, rel=0.03)
    c = li.kaiming_normal_(torch.empty(64, 32, 3, 3), nonlinearity="relu", mode="fan_out",
                           generator=gen())
    assert float(c.var()) == pytest.approx(2 / (64 * 9), rel=0.03)


@pytest.mark.parametrize("shape", [(50, 20), (20, 50)])
def test_orthogonal_is_orthonormal(shape):
    q = li.orthogonal_(torch.empty(shape, dtype=torch.float64), generator=gen())
    small = min(shape)
    gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
    assert torch.allclose(gram, torch.eye(small, dtype=torch.float64), atol=1e-12)
    x = torch.randn(shape[1], 7, dtype=torch.float64, generator=gen(4))
    if shape[0] >= shape[1]:  # a tall Q keeps lengths: ‖Qx‖ = ‖x‖
        assert torch.allclose((q @ x).norm(dim=0), x.norm(dim=0), rtol=1e-12)


def test_pytorch_default_linear_equals_nn_linear():
    torch.manual_seed(5)
    reference = nn.Linear(40, 30)
    layer = nn.Linear(40, 30)
    torch.manual_seed(5)
    li.pytorch_default_linear_(layer)
    assert torch.equal(layer.weight, reference.weight) and torch.equal(layer.bias, reference.bias)
    big = li.pytorch_default_linear_(nn.Linear(400, 300), generator=gen())
    assert float(big.weight.detach().abs().max()) <= 1 / math.sqrt(400)
    assert float(big.weight.detach().var()) == pytest.approx(1 / (3 * 400), rel=0.03)


@pytest.mark.parametrize("scheme,var", [("small", 1e-4), ("large", 1.0), ("xavier", 2 / 300),
                                        ("he", 2 / 100), ("orthogonal", 1 / 200)])
def test_schemes_have_their_variance_and_zero_bias(scheme, var):
    layer = li.init_linear_(nn.Linear(100, 200), scheme, gen())
    assert float(layer.weight.detach().var()) == pytest.approx(var, rel=0.05)
    assert float(layer.bias.detach().abs().max()) == 0.0


def test_unknown_scheme_is_rejected():
    with pytest.raises(ValueError, match="scheme"):
        li.init_linear_(nn.Linear(3, 3), "lecun")


def test_signal_statistics_by_hand():
    model = li.init_model_(li.deep_mlp(6, 5, 3, 4, nn.Tanh), "he", seed=1).double()
    x = torch.randn(20, 6, dtype=torch.float64, generator=gen(2))
    y = torch.randint(0, 4, (20,), generator=gen(3))
    stats = li.signal_statistics(model, x, y)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    pre, h = [], x
    for i, lin in enumerate(linears):
        z = lin(h)
        if i < len(linears) - 1:
            pre.append(z)
            h = torch.tanh(z)
        else:
            h = z
    grads = torch.autograd.grad(F.cross_entropy(h, y), pre)
    assert stats.forward == pytest.approx([float(p.detach().var()) for p in pre], rel=1e-12)
    assert stats.backward == pytest.approx([float(g.var()) for g in grads], rel=1e-12)
    assert len(stats.forward) == 3


# ------------------------------------------------------------------ stacked training

def _members(n: int, activation=nn.ReLU) -> list[nn.Sequential]:
    return [li.init_model_(li.deep_mlp(64, 16, 2, 10, activation), "he", seed=s) for s in range(n)]


def test_stacked_forward_and_gradients_equal_separate_models():
    models = _members(3, nn.Tanh)
    stacked = li.StackedMLP.from_models(models, torch.tanh)
    x = torch.randn(9, 64, generator=gen())
    y = torch.randint(0, 10, (9,), generator=gen(1))
    out = stacked(x)
    assert out.shape == (3, 9, 10)
    for i, m in enumerate(models):
        assert torch.allclose(out[i], m(x), atol=1e-6)
    li.stacked_cross_entropy(out, y).backward()
    for i, m in enumerate(models):
        F.cross_entropy(m(x), y).backward()
        assert torch.allclose(stacked.weights[0].grad[i], m[0].weight.grad, atol=1e-6)


def _train_with_torch_optim(model: nn.Sequential, data, optimizer: str, lr: float, epochs: int,
                            batch_size: int) -> nn.Sequential:
    opt = (torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9) if optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=lr))
    g = gen(0)
    n = len(data.x_train)
    for _ in range(epochs):
        order = torch.randperm(n, generator=g)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


@pytest.mark.parametrize("optimizer,lr", [("sgd", 0.05), ("adam", 1e-3)])
def test_train_stacked_matches_torch_optim(optimizer, lr):
    data = digits()
    models = _members(2)
    stacked = li.StackedMLP.from_models(models, F.relu)
    li.train_stacked(stacked, data.x_train, data.y_train, epochs=2, lr=lr, batch_size=256,
                     optimizer=optimizer)
    for i, m in enumerate(models):
        _train_with_torch_optim(m, data, optimizer, lr, epochs=2, batch_size=256)
        assert torch.allclose(stacked.weights[0][i], m[0].weight, atol=1e-5), optimizer
        assert torch.allclose(stacked.biases[-1][i], m[-1].bias, atol=1e-5), optimizer


def test_train_stacked_keeps_masked_weights_at_zero():
    data = digits()
    stacked = li.StackedMLP.from_models(_members(2), F.relu)
    masks = [(torch.rand(w.shape, generator=gen(i)) > 0.5).float() for i, w in enumerate(stacked.weights)]
    before = [w.detach().clone() for w in stacked.weights]
    li.train_stacked(stacked, data.x_train, data.y_train, epochs=1, lr=1e-2, optimizer="adam",
                     grad_masks=masks)
    for w, m, w0 in zip(stacked.weights, masks, before):
        assert float(w.detach()[m == 0].abs().max()) == 0.0
        assert not torch.equal(w[m == 1], w0[m == 1])


def test_stacked_mlp_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\[M, out, in\]"):
        li.StackedMLP([torch.zeros(3, 4)], [torch.zeros(3)], F.relu)


# ------------------------------------------------------------------ the exercise checks

def reference_xavier(tensor, generator=None):
    return nn.init.xavier_uniform_(tensor, generator=generator)


def reference_he(tensor, generator=None):
    return nn.init.kaiming_normal_(tensor, nonlinearity="relu", generator=generator)


def _fans_by_hand(t):
    k = math.prod(t.shape[2:])
    return t.shape[1] * k, t.shape[0] * k


def xavier_std_as_bound(tensor, generator=None):
    fi, fo = _fans_by_hand(tensor)
    a = math.sqrt(2 / (fi + fo))
    return tensor.uniform_(-a, a, generator=generator)


def xavier_no_kernel(tensor, generator=None):
    fi, fo = tensor.shape[1], tensor.shape[0]
    a = math.sqrt(6 / (fi + fo))
    return tensor.uniform_(-a, a, generator=generator)


def xavier_normal_instead(tensor, generator=None):
    return nn.init.xavier_normal_(tensor, generator=generator)


def xavier_without_generator(tensor, generator=None):
    return nn.init.xavier_uniform_(tensor)


def he_swapped_fans(tensor, generator=None):
    return nn.init.kaiming_normal_(tensor, mode="fan_out", nonlinearity="relu", generator=generator)


def he_std_as_variance(tensor, generator=None):
    fi, _ = _fans_by_hand(tensor)
    return tensor.normal_(0, 2 / fi, generator=generator)


def he_uniform_instead(tensor, generator=None):
    return nn.init.kaiming_uniform_(tensor, nonlinearity="relu", generator=generator)


def he_lecun(tensor, generator=None):
    fi, _ = _fans_by_hand(tensor)
    return tensor.normal_(0, math.sqrt(1 / fi), generator=generator)


def stub(tensor, generator=None):
    raise NotImplementedError("Упражнение")


def crashes(tensor, generator=None):
    return tensor.shape[5]


def test_check_xavier_accepts_reference_and_ours():
    assert li.check_xavier_uniform(reference_xavier)
    assert li.check_xavier_uniform(lambda t, g=None: li.xavier_uniform_(t, generator=g))


@pytest.mark.parametrize("wrong,words", [
    (xavier_std_as_bound, ["√3"]),
    (xavier_no_kernel, ["(32, 16, 3, 3)", "рецептивное"]),
    (xavier_normal_instead, ["границ"]),
    (xavier_without_generator, ["генератор"]),
])
def test_check_xavier_rejects_typical_mistakes(wrong, words, capsys):
    result = li.check_xavier_uniform(wrong)
    assert not result and not result.not_done
    for word in words:
        assert word in result.message, result.message
    assert "для веса формы" in result.message or "генератор" in result.message
    assert "Traceback" not in capsys.readouterr().out


def test_check_he_accepts_reference_and_ours():
    assert li.check_he_normal(reference_he)
    assert li.check_he_normal(lambda t, g=None: li.kaiming_normal_(t, nonlinearity="relu", generator=g))


@pytest.mark.parametrize("wrong,words", [
    (he_swapped_fans, ["(300, 100)", "перепутаны"]),
    (he_std_as_variance, ["std и дисперсия"]),
    (he_uniform_instead, ["эксцесс"]),
    (he_lecun, ["множитель 2"]),
])
def test_check_he_rejects_typical_mistakes(wrong, words):
    result = li.check_he_normal(wrong)
    assert not result and not result.not_done
    for word in words:
        assert word in result.message, result.message


@pytest.mark.parametrize("check", [li.check_xavier_uniform, li.check_he_normal])
def test_checks_say_not_done_and_survive_crashes(check, capsys):
    verdict = check(stub)
    assert not verdict and verdict.not_done and "не сделано" in verdict.message
    verdict = check(crashes)
    assert not verdict and not verdict.not_done and "IndexError" in verdict.message
    out = capsys.readouterr().out
    assert "Traceback" not in out and out.count("\n") == 2  # one line per verdict
