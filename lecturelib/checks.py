"""Instant checks for the exercises: one line of verdict, never a traceback.

A chapter's check (e.g. ``lecturelib.activations.check_swish_derivative``) calls
:func:`compare_functions` with the student's function, a reference and the inputs to try.
The verdict is printed in one line and returned as a :class:`CheckResult`, which is truthy
when the answer is right (tests use that) and shows nothing more in a notebook.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
import torch

# Marks from the fonts every browser has (emoji need a colour-emoji font).
PASS, FAIL, TODO = "✓", "✗", "○"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``passed`` and the one-line ``message`` shown to the student."""

    name: str
    passed: bool
    message: str
    not_done: bool = False

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        # The message has already been printed; showing the object again would repeat it.
        pass


def _report(result: CheckResult, verbose: bool) -> CheckResult:
    if verbose:  # one write, so that a notebook gets the verdict as one stream output
        sys.stdout.write(result.message + "\n")
    return result


def passed(name: str, detail: str, verbose: bool = True) -> CheckResult:
    return _report(CheckResult(name, True, f"{PASS} {name}: верно — {detail}"), verbose)


def failed(name: str, detail: str, hint: str, verbose: bool = True) -> CheckResult:
    message = f"{FAIL} {name}: {detail}" + (f" Подсказка: {hint}" if hint else "")
    return _report(CheckResult(name, False, message), verbose)


def not_done(name: str, verbose: bool = True) -> CheckResult:
    message = (f"{TODO} {name}: упражнение ещё не сделано — замените `raise NotImplementedError` "
               "своим решением и запустите ячейку снова.")
    return _report(CheckResult(name, False, message, not_done=True), verbose)


def short(value: object, digits: int = 4, width: int = 80) -> str:
    """Compact one-line text of a tensor, array, number or function for a verdict line."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
        kind = "tensor" if isinstance(value, torch.Tensor) else "array"
        if array.size == 1:
            return _number(array.reshape(()).item(), digits)
        flat = ", ".join(_number(v, digits) for v in array.flatten()[:6].tolist())
        more = ", …" if array.size > 6 else ""
        return f"{kind}([{flat}{more}], shape={tuple(array.shape)})"
    if isinstance(value, float):
        return _number(value, digits)
    if callable(value):
        return f"функция {getattr(value, '__name__', type(value).__name__)}"
    text = " ".join(repr(value).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _number(value: object, digits: int) -> str:
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def call_safely(name: str, fn: Callable, *args, where: str | None = None
                ) -> tuple[object, CheckResult | None]:
    """Call the student's ``fn``; turn a stub or a crash into a verdict instead of a traceback.

    ``where`` describes the input in words for the verdict; by default the arguments are shown.
    """
    if not callable(fn):
        return None, failed(name, f"ожидалась функция, получено {type(fn).__name__}.",
                            "передайте в проверку саму функцию, без скобок.", verbose=False)
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, not_done(name, verbose=False)
    except Exception as exc:  # a student's bug must become a verdict, whatever it is
        if where is None:
            inputs = ", ".join(short(a) for a in args)
            where = f"x = {inputs}" if len(args) == 1 else f"({inputs})"
        return None, failed(name, f"функция упала на входе {where}: {type(exc).__name__}: {exc}.",
                            "запустите её на этом входе сами и прочитайте сообщение об ошибке.",
                            verbose=False)


def compare_functions(
    name: str,
    student: Callable[[torch.Tensor], torch.Tensor],
    reference: Callable[[torch.Tensor], torch.Tensor],
    inputs: Iterable[torch.Tensor],
    *,
    hint: str = "",
    rtol: float = 1e-5,
    atol: float = 1e-6,
    check_grad: bool = False,
    verbose: bool = True,
) -> CheckResult:
    """Compare ``student(x)`` with ``reference(x)`` on every input: shape, dtype, values, gradients.

    Each input is a float tensor; the first mismatch is reported with the input, the expected
    and the obtained values. With ``check_grad`` the autograd gradients of ``sum(f(x))`` are
    compared too (the student's function must then be built from differentiable torch ops).
    """
    inputs = list(inputs)
    for x in inputs:
        x_student = x.clone().requires_grad_(check_grad)
        got, problem = call_safely(name, student, x_student)
        if problem is not None:
            return _report(problem, verbose)
        expected = reference(x.clone())
        mismatch = _mismatch(got, expected, rtol, atol)
        if mismatch:
            return failed(name, f"на входе x = {short(x)}: {mismatch}", hint, verbose)
        if check_grad:
            x_ref = x.clone().requires_grad_(True)
            (grad_expected,) = torch.autograd.grad(reference(x_ref).sum(), x_ref)
            if not got.requires_grad:
                return failed(name, "результат не связан с x графом вычислений, autograd не "
                              "может посчитать градиент.", "используйте операции torch, "
                              "а не numpy или .item().", verbose)
            (grad_got,) = torch.autograd.grad(got.sum(), x_student)
            mismatch = _mismatch(grad_got, grad_expected, rtol, atol)
            if mismatch:
                return failed(name, f"значения верны, но градиент на входе x = {short(x)}: "
                              f"{mismatch}", hint, verbose)
    return passed(name, f"совпадает с эталоном на {len(inputs)} наборах входов "
                  "(граничные случаи и случайные).", verbose)


def _mismatch(got: object, expected: torch.Tensor, rtol: float, atol: float) -> str:
    """Describe how ``got`` differs from ``expected``; empty string when they agree."""
    if not isinstance(got, torch.Tensor):
        return f"ожидался torch.Tensor, получено {type(got).__name__}."
    if got.shape != expected.shape:
        return f"форма результата {tuple(got.shape)}, а ожидалась {tuple(expected.shape)}."
    if got.dtype != expected.dtype:
        return f"тип результата {got.dtype}, а ожидался {expected.dtype}."
    got, expected = got.detach(), expected.detach()
    bad = ~torch.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return ""
    i = int(bad.flatten().nonzero()[0])
    where = f" (элемент {i})" if got.numel() > 1 else ""
    want, have = expected.flatten()[i], got.flatten()[i]
    digits = 4  # as few as read well, as many as it takes to show the two numbers differ
    while short(want, digits) == short(have, digits) and digits < 12:
        digits += 2
    return f"ожидалось {short(want, digits)}, получено {short(have, digits)}{where}."


def edge_and_random_inputs(edges: Sequence[float], seed: int = 0, n_random: int = 3,
                           scale: float = 3.0, dtype: torch.dtype = torch.float32
                           ) -> list[torch.Tensor]:
    """Inputs for a check of an elementwise function: each edge value alone, then random vectors."""
    generator = torch.Generator().manual_seed(seed)
    single = [torch.tensor([v], dtype=dtype) for v in edges]
    random = [scale * torch.randn(17, generator=generator, dtype=dtype) for _ in range(n_random)]
    return single + random + [torch.tensor(list(edges), dtype=dtype).reshape(-1, 1)]
