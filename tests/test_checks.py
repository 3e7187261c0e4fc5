"""The exercise-check machinery: verdicts for right, wrong, unfinished and crashing answers."""

from __future__ import annotations

import torch

from lecturelib import checks
from lecturelib.checks import compare_functions, edge_and_random_inputs

INPUTS = edge_and_random_inputs([0.0, -1.0, 2.0, 30.0])


def reference(x):
    return torch.tanh(x) * x


def check(fn, **kwargs):
    return compare_functions("f", fn, reference, INPUTS, hint="look at the sign",
                             verbose=False, **kwargs)


def test_accepts_the_reference_and_prints_one_line(capsys):
    result = compare_functions("f", reference, reference, INPUTS, check_grad=True)
    out = capsys.readouterr().out
    assert result and result.passed and not result.not_done
    assert out.count("\n") == 1 and out.startswith(checks.PASS)


def test_rejects_a_wrong_answer_naming_input_expected_and_got():
    result = check(lambda x: torch.tanh(x) * x.abs())
    assert not result
    assert "x = -1:" in result.message and "ожидалось 0.7616" in result.message
    assert "получено -0.7616" in result.message and "look at the sign" in result.message


def test_stub_is_not_done_yet_not_a_traceback():
    def stub(x):
        raise NotImplementedError("Упражнение")
    result = check(stub)
    assert not result and result.not_done and result.message.startswith(checks.TODO)


def test_crash_becomes_a_verdict():
    result = check(lambda x: x.undefined_method())
    assert not result and not result.not_done
    assert "AttributeError" in result.message and "x = 0" in result.message


def test_wrong_type_shape_and_dtype_are_named():
    assert "torch.Tensor" in check(lambda x: x.numpy()).message
    assert "форма" in check(lambda x: reference(x).sum()).message
    assert "тип" in check(lambda x: reference(x).double()).message
    assert "функция" in check(42).message


def test_gradients_are_compared_when_asked():
    def right_values_wrong_grad(x):
        return reference(x).detach() + 0 * x  # correct numbers, zero gradient
    assert check(right_values_wrong_grad)
    result = check(right_values_wrong_grad, check_grad=True)
    assert not result and "градиент" in result.message
    detached = check(lambda x: reference(x).detach(), check_grad=True)
    assert not detached and "autograd" in detached.message


def test_result_does_not_display_twice_in_a_notebook():
    result = check(reference)
    assert result._ipython_display_() is None and repr(result) == result.message


def test_edge_and_random_inputs_cover_edges_random_and_2d():
    xs = edge_and_random_inputs([0.0, 5.0], seed=1, n_random=2)
    assert [x.shape for x in xs] == [(1,), (1,), (17,), (17,), (2, 1)]
    assert torch.equal(xs[2], edge_and_random_inputs([0.0, 5.0], seed=1, n_random=2)[2])


def test_short_describes_inputs_in_one_line():
    import numpy as np
    assert checks.short(np.arange(10)).startswith("array([0, 1, 2, 3, 4, 5, …], shape=(10,))")
    assert checks.short(reference) == "функция reference"
    assert checks.short(torch.tensor([[1.5]])) == "1.5"
    assert "\n" not in checks.short(list(range(100))) and len(checks.short(list(range(100)))) <= 80


def test_close_but_wrong_numbers_are_shown_with_enough_digits():
    result = check(lambda x: reference(x) * (1 + 1e-4))
    expected, got = result.message.rstrip(".").split("ожидалось ")[1].split(", получено ")
    assert not result and expected != got, result.message
