"""lecturelib.approximation against torch.nn, np.interp and formulas by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lecturelib import approximation as ua
from lecturelib.models import mlp

DOUBLE = torch.float64


def random_units(width: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(width, generator=g, dtype=DOUBLE) for _ in range(3))


# ---------------------------------------------------------------------------------------------
# The one-hidden-layer net of the slides
# ---------------------------------------------------------------------------------------------

def test_shallow_relu_matches_torch_sequential_and_hand_formula():
    theta0, theta1, phi = random_units(7, seed=0)
    x = torch.linspace(-4, 4, 301, dtype=DOUBLE)
    got = ua.shallow_relu(x, theta0, theta1, phi, 0.3)
    net = ua.shallow_relu_module(theta0, theta1, phi, 0.3)
    assert isinstance(net[0], nn.Linear) and isinstance(net[1], nn.ReLU)
    with torch.no_grad():
        torch.testing.assert_close(got, net(x[:, None])[:, 0])
    by_hand = 0.3 + sum(phi[k] * torch.clamp(theta0[k] + theta1[k] * x, min=0) for k in range(7))
    torch.testing.assert_close(got, by_hand)


def test_parts_add_up_to_the_output_of_the_hand_built_net():
    p = {k: torch.tensor(v, dtype=DOUBLE) for k, v in ua.HAND_BUILT.items()}
    x = torch.linspace(0, 2, 101, dtype=DOUBLE)
    parts = ua.shallow_relu_parts(x, p["theta0"], p["theta1"], p["phi"])
    assert parts.shape == (101, 3)
    torch.testing.assert_close(p["phi0"] + parts.sum(dim=1),
                               ua.shallow_relu(x, p["theta0"], p["theta1"], p["phi"], p["phi0"]))
    # Unit 2 bends at x = 0.9 / 0.9 = 1: zero left of it, phi_2 * (0.9 x - 0.9) right of it.
    torch.testing.assert_close(parts[:, 1], 1.3 * F.relu(0.9 * x - 0.9))


def test_shallow_relu_gradients_match_the_formula():
    theta0, theta1, phi = random_units(5, seed=1)
    x = torch.tensor([-2.3, -0.7, 0.4, 1.9], dtype=DOUBLE, requires_grad=True)
    params = [t.clone().requires_grad_(True) for t in (theta0, theta1, phi)]
    y = ua.shallow_relu(x, *params, 0.0)
    y.sum().backward()
    active = (theta0 + theta1 * x.detach()[:, None] > 0).to(DOUBLE)          # [n, K]
    torch.testing.assert_close(x.grad, (active * phi * theta1).sum(dim=1))   # dy/dx
    torch.testing.assert_close(params[0].grad, (active * phi).sum(dim=0))    # dy/dθ_k0
    torch.testing.assert_close(params[1].grad, (active * phi * x.detach()[:, None]).sum(dim=0))
    torch.testing.assert_close(params[2].grad, F.relu(theta0 + theta1 * x.detach()[:, None]).sum(dim=0))


def test_shallow_relu_rejects_bad_shapes_with_named_arguments():
    theta0, theta1, phi = random_units(3, seed=2)
    with pytest.raises(ValueError, match="theta0, theta1 and phi"):
        ua.shallow_relu(torch.zeros(4, dtype=DOUBLE), theta0, theta1[:2], phi)
    with pytest.raises(ValueError, match="x must be a 1-D tensor"):
        ua.shallow_relu(torch.zeros(4, 1, dtype=DOUBLE), theta0, theta1, phi)
    with pytest.raises(ValueError, match="theta0, theta1 and phi"):
        ua.shallow_relu_module([1.0, 2.0], [1.0], [1.0, 1.0])


# ---------------------------------------------------------------------------------------------
# The interpolating construction
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_interpolating_net_equals_np_interp_on_the_whole_line(seed):
    rng = np.random.default_rng(seed)
    knots = np.sort(rng.uniform(-3, 3, size=9))
    values = rng.normal(size=9)
    net = ua.interpolating_relu_params(knots, values)
    assert net.width == len(knots)            # n + 1 units for n intervals
    x = np.linspace(-6, 6, 2001)
    np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), np.interp(x, knots, values),
                               atol=1e-12, rtol=0)
    # The same net in the slides' parameters.
    np.testing.assert_allclose(ua.shallow_relu(torch.from_numpy(x), *net.as_shallow()).numpy(),
                               np.interp(x, knots, values), atol=1e-12, rtol=0)


def test_without_flat_right_the_net_has_n_units_and_keeps_the_last_slope():
    knots, values = np.array([0.0, 1.0, 3.0]), np.array([1.0, 3.0, 2.0])
    net = ua.interpolating_relu_params(knots, values, flat_right=False)
    assert net.width == 2
    x = torch.tensor([-1.0, 0.5, 2.0, 3.0, 5.0], dtype=DOUBLE)
    # Left: constant 1; slope 2 on [0, 1]; slope -1/2 on [1, 3] and beyond.
    torch.testing.assert_close(net(x), torch.tensor([1.0, 2.0, 2.5, 2.0, 1.0], dtype=DOUBLE))


def test_interpolating_net_gradient_is_the_slope_of_the_piece():
    knots = np.array([-1.0, 0.0, 0.5, 2.0])
    values = np.array([0.0, 1.0, -1.0, 2.0])
    net = ua.interpolating_relu_params(knots, values)
    x = torch.tensor([-2.0, -0.5, 0.25, 1.0, 3.0], dtype=DOUBLE, requires_grad=True)
    net(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([0.0, 1.0, -4.0, 2.0, 0.0], dtype=DOUBLE))


def test_interpolating_net_at_the_knots_themselves():
    # Edge values: at a knot the value is exact, and autograd takes the left slope there,
    # because PyTorch defines ReLU'(0) = 0 (the unit bending at that knot adds nothing yet).
    knots = np.array([-1.0, 0.0, 0.5, 2.0])
    values = np.array([0.0, 1.0, -1.0, 2.0])
    net = ua.interpolating_relu_params(knots, values)
    x = torch.tensor(knots, dtype=DOUBLE, requires_grad=True)
    y = net(x)
    torch.testing.assert_close(y.detach(), torch.tensor(values, dtype=DOUBLE), rtol=0, atol=1e-12)
    y.sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([0.0, 1.0, -4.0, 2.0], dtype=DOUBLE))


def test_module_and_formula_have_the_same_input_gradient():
    theta0, theta1, phi = random_units(6, seed=4)
    x = torch.linspace(-3, 3, 61, dtype=DOUBLE)
    x1, x2 = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    ua.shallow_relu(x1, theta0, theta1, phi, 0.1).sum().backward()
    ua.shallow_relu_module(theta0, theta1, phi, 0.1)(x2[:, None]).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad)


def test_interpolation_error_obeys_the_h2_bound_and_rate():
    # f = sin on [0, pi]: max|f''| = 1, bound h^2 / 8.
    x = np.linspace(0, np.pi, 100_001)
    errors = []
    for n in (8, 16, 32, 64):
        knots = np.linspace(0, np.pi, n + 1)
        err = np.abs(ua.interpolating_relu_params(knots, np.sin(knots))(torch.from_numpy(x)).numpy()
                     - np.sin(x)).max()
        assert err <= ua.interpolation_error_bound(np.pi / n, 1.0) + 1e-12
        errors.append(err)
    slope = np.polyfit(np.log([8, 16, 32, 64]), np.log(errors), 1)[0]
    assert abs(slope + 2) < 0.02
    assert ua.interpolation_error_bound(0.5, 8.0) == pytest.approx(0.25)   # 0.25 * 8 / 8


def test_interpolating_net_rejects_bad_knots():
    with pytest.raises(ValueError, match="strictly increasing"):
        ua.interpolating_relu_params([0.0, 0.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="same length"):
        ua.interpolating_relu_params([0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="h must be > 0"):
        ua.interpolation_error_bound(0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# Polylines (exercise 1)
# ---------------------------------------------------------------------------------------------

def polyline_by_hand(x: np.ndarray, b: np.ndarray, s: np.ndarray, value: float) -> np.ndarray:
    """The values at the kinks by summing slope × length, then np.interp plus the two tails."""
    at_kinks = value + np.concatenate([[0.0], np.cumsum(s[1:-1] * np.diff(b))])
    y = np.interp(x, b, at_kinks)
    y = np.where(x < b[0], at_kinks[0] + s[0] * (x - b[0]), y)
    return np.where(x > b[-1], at_kinks[-1] + s[-1] * (x - b[-1]), y)


@pytest.mark.parametrize("seed", [0, 1])
def test_polyline_and_its_reference_net(seed):
    rng = np.random.default_rng(seed)
    b = np.sort(rng.uniform(-2, 2, size=5))
    s = rng.normal(size=6)
    x = np.linspace(-5, 5, 1001)
    bt, st, xt = (torch.from_numpy(v) for v in (b, s, x))
    expected = polyline_by_hand(x, b, s, 0.7)
    np.testing.assert_allclose(ua.polyline(xt, bt, st, 0.7).numpy(), expected, atol=1e-12)
    params = ua.reference_polyline_net(bt, st, 0.7)
    assert len(params[2]) == len(b) + 1
    np.testing.assert_allclose(ua.shallow_relu(xt, *params).numpy(), expected, atol=1e-12)


def test_polyline_rejects_bad_shapes():
    with pytest.raises(ValueError, match="m \\+ 1 slopes"):
        ua.polyline(torch.zeros(3, dtype=DOUBLE), torch.tensor([0.0], dtype=DOUBLE),
                    torch.tensor([1.0], dtype=DOUBLE), 0.0)


# ---------------------------------------------------------------------------------------------
# Counting pieces
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_grid_counter_agrees_with_exact_count_for_random_shallow_nets(seed):
    theta0, theta1, phi = random_units(12, seed=seed)
    kinks = -theta0 / theta1
    lo, hi = kinks.min().item() - 1, kinks.max().item() + 1
    # Random kinks can be very close: use a grid fine enough for this seed's closest pair.
    gap = np.diff(np.sort(kinks.numpy())).min()
    n = int(min(max(3 * (hi - lo) / gap, 20_001), 2_000_001))
    x = torch.linspace(lo, hi, n, dtype=DOUBLE)
    counted = ua.count_pieces(x, ua.shallow_relu(x, theta0, theta1, phi))
    assert counted == ua.shallow_piece_count(theta0, theta1, phi) == 13


@pytest.mark.parametrize("shift", [0.0, 1e-4, 3.3e-4])
def test_grid_counter_on_polylines_does_not_depend_on_grid_alignment(shift):
    knots = np.array([0.0, 0.25, 0.5, 0.6, 1.0])   # kinks on and between grid points
    values = np.array([0.0, 1.0, 0.0, 0.0, 2.0])   # 0.5 -> 0.6 is flat: still its own piece
    x = np.linspace(-0.5 + shift, 1.5 + shift, 4001)
    assert ua.count_pieces(x, np.interp(x, knots, values)) == 6


def test_grid_counter_edge_cases_and_errors():
    x = np.linspace(0, 1, 101)
    assert ua.count_pieces(x, 3 * x + 1) == 1
    assert ua.count_pieces(x, np.zeros_like(x)) == 1
    assert ua.count_pieces(x, np.abs(x - 0.5)) == 2
    with pytest.raises(ValueError, match="too coarse"):
        ua.count_pieces(x, np.sin(5 * x))                 # curved: no linear pieces at all
    with pytest.raises(ValueError, match="strictly increasing"):
        ua.count_pieces(x[::-1], x)
    with pytest.raises(ValueError, match="same length"):
        ua.count_pieces(x, x[:-1])
    # Two kinks closer than two grid steps cannot be resolved: an error, not a wrong count.
    with pytest.raises(ValueError, match="too coarse"):
        ua.count_pieces(x, np.interp(x, [0, 0.5, 0.515, 1], [0, 1, 0, 0]))


def test_count_pieces_fn_uses_two_grids():
    assert ua.count_pieces_fn(lambda x: F.relu(x) - F.relu(x - 1), -1, 2) == 3
    with pytest.raises(ValueError, match="lo < hi"):
        ua.count_pieces_fn(torch.abs, 1, 0)


@pytest.mark.parametrize("theta0, theta1, phi, expected", [
    ([0.0], [1.0], [1.0], 2),                          # ReLU(x)
    ([0.0, 0.0], [1.0, -1.0], [1.0, 1.0], 2),          # |x|
    ([0.0, 0.0], [1.0, -1.0], [1.0, -1.0], 1),         # ReLU(x) - ReLU(-x) = x
    ([1.0, -1.0], [0.0, 1.0], [5.0, 1.0], 2),          # a constant unit and ReLU(x - 1)
    ([0.0, -1.0], [1.0, 1.0], [0.0, 2.0], 2),          # a unit the output ignores
    ([-1.0, -0.5], [2.0, 1.0], [1.0, 1.0], 2),         # two units bend at x = 0.5
    ([-1.0, -2.0], [1.0, 2.0], [2.0, -1.0], 1),        # slope changes 2 and -2 at x = 1 cancel
])
def test_shallow_piece_count_by_hand(theta0, theta1, phi, expected):
    as_t = lambda v: torch.tensor(v, dtype=DOUBLE)
    assert ua.shallow_piece_count(as_t(theta0), as_t(theta1), as_t(phi)) == expected
    x = torch.linspace(-3, 3, 6001, dtype=DOUBLE)
    assert ua.count_pieces(x, ua.shallow_relu(x, as_t(theta0), as_t(theta1), as_t(phi))) == expected


# ---------------------------------------------------------------------------------------------
# Tent maps and deep nets
# ---------------------------------------------------------------------------------------------

def test_tent_map_formula():
    x = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0], dtype=DOUBLE)
    torch.testing.assert_close(ua.tent(x), torch.tensor([0.0, 0.5, 1.0, 0.5, 0.0], dtype=DOUBLE))
    torch.testing.assert_close(ua.tent_power(x, 2), torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0], dtype=DOUBLE))
    with pytest.raises(ValueError, match="depth must be a positive int"):
        ua.tent_power(x, 0)


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 7])
def test_deep_tent_net_is_the_composed_tent_map(depth):
    net = ua.deep_tent_net(depth)
    assert sum(isinstance(m, nn.ReLU) for m in net) == depth
    hidden_widths = [m.out_features for m in net if isinstance(m, nn.Linear)][:-1]
    assert hidden_widths == [2] * depth
    x = torch.linspace(0, 1, 4097, dtype=DOUBLE)
    with torch.no_grad():
        torch.testing.assert_close(ua.as_function(net)(x), ua.tent_power(x, depth))
    assert ua.count_pieces_fn(ua.as_function(net), 0, 1, n_grid=20_001) == 2 ** depth


def test_deep_tent_net_gradient_is_plus_minus_two_to_the_depth():
    depth = 4
    x = torch.tensor([0.01, 0.2, 0.33, 0.61, 0.97], dtype=DOUBLE, requires_grad=True)
    ua.as_function(ua.deep_tent_net(depth))(x).sum().backward()
    # Chain rule by hand: T'(z) = 2 for z < 1/2 and -2 for z > 1/2, along the orbit of x.
    expected = []
    for z in x.detach().tolist():
        slope = 1.0
        for _ in range(depth):
            slope *= 2.0 if z < 0.5 else -2.0
            z = 1 - abs(2 * z - 1)
        expected.append(slope)
    torch.testing.assert_close(x.grad, torch.tensor(expected, dtype=DOUBLE))


def test_deep_narrow_mlp_shapes_and_seeding():
    torch.manual_seed(3)
    a = ua.deep_narrow_mlp(3, width=4)
    torch.manual_seed(3)
    b = ua.deep_narrow_mlp(3, width=4)
    assert [m.out_features for m in a if isinstance(m, nn.Linear)] == [4, 4, 4, 1]
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q) and p.dtype == DOUBLE
    with pytest.raises(ValueError, match="depth and width"):
        ua.deep_narrow_mlp(0)


# ---------------------------------------------------------------------------------------------
# Training many nets at once
# ---------------------------------------------------------------------------------------------

def make_members(widths, depth=1):
    members = []
    for i, w in enumerate(widths):
        torch.manual_seed(i)
        members.append(mlp([1] + [w] * depth + [1]).double())
    return members


def test_ensemble_forward_equals_each_member():
    members = make_members([3, 8, 5], depth=2)
    ensemble = ua.EnsembleMLP(members)
    x = torch.linspace(-2, 2, 50, dtype=DOUBLE)
    with torch.no_grad():
        out = ensemble(x)
        for i, m in enumerate(members):
            torch.testing.assert_close(out[i], m(x[:, None])[:, 0])
            torch.testing.assert_close(ensemble.member(i)(x[:, None])[:, 0], m(x[:, None])[:, 0])


def test_training_the_ensemble_equals_training_each_member_alone():
    widths = [2, 6, 4]
    x = torch.linspace(-1, 1, 40, dtype=DOUBLE)
    y = torch.sin(3 * x)
    ensemble = ua.EnsembleMLP(make_members(widths, depth=2))
    history = ua.fit_ensemble(ensemble, x, y, steps=60, lr=1e-2)
    for i, member in enumerate(make_members(widths, depth=2)):
        opt = torch.optim.Adam(member.parameters(), lr=1e-2)
        losses = []
        for _ in range(60):
            loss = F.mse_loss(member(x[:, None])[:, 0], y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        torch.testing.assert_close(history["train"][:, i], torch.tensor(losses, dtype=DOUBLE))
        for p, q in zip(ensemble.member(i).parameters(), member.parameters()):
            torch.testing.assert_close(p, q)
    # Padding units stay exactly zero (the narrow member in a wide tensor).
    assert torch.all(ensemble.weights[1][0, 2:, :] == 0) and torch.all(ensemble.biases[0][0, 2:] == 0)


def test_fit_ensemble_records_test_error_and_validates():
    ensemble = ua.EnsembleMLP(make_members([4]))
    x = torch.linspace(-1, 1, 20, dtype=DOUBLE)
    out = ua.fit_ensemble(ensemble, x, x ** 2, steps=11, lr=1e-2, x_test=x, y_test=x ** 2,
                          eval_every=5)
    assert out["train"].shape == (11, 1) and out["test_step"].tolist() == [0, 5, 10]
    with torch.no_grad():
        torch.testing.assert_close(out["test"][-1, 0], ((ensemble(x)[0] - x ** 2) ** 2).mean())
    with pytest.raises(ValueError, match="steps must be >= 1"):
        ua.fit_ensemble(ensemble, x, x, steps=0, lr=1e-2)
    with pytest.raises(ValueError, match="same number of layers"):
        ua.EnsembleMLP(make_members([3]) + make_members([3], depth=2))


# ---------------------------------------------------------------------------------------------
# The exercise checks
# ---------------------------------------------------------------------------------------------

def stub(*args):
    raise NotImplementedError


def polyline_without_left_slope(b, s, value):
    """Typical mistake: only the slope changes at the kinks, nothing for the left slope s_0."""
    return -b, torch.ones_like(b), s[1:] - s[:-1], float(value)


def polyline_with_slopes_not_jumps(b, s, value):
    theta0, theta1, _, phi0 = ua.reference_polyline_net(b, s, value)
    return theta0, theta1, s.clone(), phi0


def polyline_with_too_many_units(b, s, value):
    theta0, theta1, phi, phi0 = ua.reference_polyline_net(b, s, value)
    return (torch.cat([theta0, torch.zeros(1, dtype=b.dtype)]), torch.cat([theta1, torch.ones(1, dtype=b.dtype)]),
            torch.cat([phi, torch.zeros(1, dtype=b.dtype)]), phi0)


def test_check_polyline_net_accepts_the_reference(capsys):
    assert ua.check_polyline_net(ua.reference_polyline_net)
    assert "верно" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [polyline_without_left_slope, polyline_with_slopes_not_jumps])
def test_check_polyline_net_rejects_wrong_nets_with_the_input(wrong, capsys):
    result = ua.check_polyline_net(wrong)
    out = capsys.readouterr().out
    assert not result and not result.not_done
    assert "breakpoints=" in result.message and "ожидалось" in result.message and "Подсказка" in out


def test_check_polyline_net_rejects_too_many_units_and_bad_returns():
    result = ua.check_polyline_net(polyline_with_too_many_units, verbose=False)
    assert not result and "нейронов" in result.message and "breakpoints=" in result.message
    result = ua.check_polyline_net(lambda b, s, v: (b, s), verbose=False)
    assert not result and "кортеж" in result.message


def test_check_polyline_net_stub_and_crash():
    result = ua.check_polyline_net(stub, verbose=False)
    assert result.not_done and "не сделано" in result.message
    result = ua.check_polyline_net(lambda b, s, v: 1 / 0, verbose=False)
    assert not result and not result.not_done and "ZeroDivisionError" in result.message


def pieces_always_width_plus_one(theta0, theta1, phi):
    return len(phi) + 1


def pieces_without_merging(theta0, theta1, phi):
    return int(((theta1 != 0) & (phi != 0)).sum()) + 1


def pieces_without_cancellation(theta0, theta1, phi):
    keep = (theta1 != 0) & (phi != 0)
    return len(torch.unique(-theta0[keep] / theta1[keep])) + 1


def pieces_dividing_by_zero(theta0, theta1, phi):
    kinks = {float(-a) / float(b) for a, b, p in zip(theta0, theta1, phi) if p != 0}
    return len(kinks) + 1


def test_check_shallow_piece_count_accepts_the_reference(capsys):
    assert ua.check_shallow_piece_count(ua.shallow_piece_count)
    assert "верно" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [pieces_always_width_plus_one, pieces_without_merging,
                                   pieces_without_cancellation])
def test_check_shallow_piece_count_rejects_wrong_counts_with_the_input(wrong):
    result = ua.check_shallow_piece_count(wrong, verbose=False)
    assert not result and not result.not_done
    assert "theta0=" in result.message and "ожидалось" in result.message and "Подсказка" in result.message


def test_check_shallow_piece_count_stub_crash_and_type():
    assert ua.check_shallow_piece_count(stub, verbose=False).not_done
    crashed = ua.check_shallow_piece_count(pieces_dividing_by_zero, verbose=False)
    assert not crashed and "ZeroDivisionError" in crashed.message
    as_float = ua.check_shallow_piece_count(lambda a, b, c: 4.0, verbose=False)
    assert not as_float and "целое число" in as_float.message
