"""No free lunch for binary classification, checked exhaustively and exactly.

Inputs are the bit vectors of 𝒳 = {0, 1}^m, enumerated in binary order (row ``i`` of
:func:`all_inputs` holds the binary digits of ``i``, most significant first). A *target*
(a labelling of 𝒳, "nature") is an int array of shape [2^m] of labels in {0, 1}, in the same
order. A *learner* A has one signature for every algorithm here::

    learner(x_train [n, m] int 0/1, y_train [n] int 0/1, x_query [k, m] int 0/1) -> [k] int 0/1

i.e. ``learner(x_train, y_train, ·)`` *is* the prediction function f = A(D_train).

The generalisation performance of the lecture is measured off the training set (OTS):

    gP(A, X_train, target) = 1/|X_test| Σ_{x ∈ X_test} I[A(D_train)(x) = target(x)] − 1/2,

with X_test = 𝒳 ∖ X_train and D_train = (X_train, target(X_train)). Everything is exact:
``fractions.Fraction``, never floats. The prediction of A depends on the target only through
y_train, so a learner is fitted once per training labelling (2^n fits), not once per target
(2^(2^m)): :func:`prediction_table` is that cache.
"""

from __future__ import annotations

import hashlib
import numbers
import sys
import warnings
from fractions import Fraction
from functools import lru_cache
from itertools import combinations, product
from math import lcm
from typing import Callable, Iterable, Sequence

import numpy as np

from lecturelib.checks import CheckResult, call_safely, failed, passed

Learner = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
HALF = Fraction(1, 2)
#: Largest m for which all 2^(2^m) targets are enumerated (m = 4: 65 536 targets of 16 inputs).
MAX_ENUMERATED_M = 4


# ---------------------------------------------------------------------------------------------
# The IQ test of the slides
# ---------------------------------------------------------------------------------------------

IQ_X_TRAIN = (1, 2, 3, 5, 6)
IQ_Y_TRAIN = (1, 8, 27, 125, 216)
IQ_X_TEST = 4
IQ_OPTIONS = (36, 45, 46, 64, 99)
#: The slide's "solution" f(x) = (91x⁵ − 1519x⁴ + 9449x³ − 26705x² + 33588x − 14940)/12,
#: coefficients in ascending powers (x⁰ first).
SLIDE_POLYNOMIAL = tuple(Fraction(c, 12) for c in (-14940, 33588, -26705, 9449, -1519, 91))

Polynomial = tuple  # of Fraction, ascending powers


def lagrange_polynomial(xs: Sequence[numbers.Rational], ys: Sequence[numbers.Rational]
                        ) -> Polynomial:
    """Coefficients (ascending powers, exact Fractions) of the unique polynomial of degree
    ≤ len(xs) − 1 through the points (xs[i], ys[i]), by Lagrange's formula."""
    xs, ys = [Fraction(x) for x in xs], [Fraction(y) for y in ys]
    if len(xs) != len(ys) or not xs:
        raise ValueError(f"xs and ys must be non-empty and of equal length, got {len(xs)} and "
                         f"{len(ys)}")
    if len(set(xs)) != len(xs):
        raise ValueError(f"xs must be distinct, got {[str(x) for x in xs]}")
    result = [Fraction(0)] * len(xs)
    for i, (xi, yi) in enumerate(zip(xs, ys)):
        basis, denominator = [Fraction(1)], Fraction(1)  # ∏_{j≠i} (x − x_j), ∏_{j≠i} (x_i − x_j)
        for j, xj in enumerate(xs):
            if j != i:
                basis = [Fraction(0)] + basis  # multiply by x ...
                for k in range(len(basis) - 1):
                    basis[k] -= xj * basis[k + 1]  # ... and subtract x_j times the old basis
                denominator *= xi - xj
        for k, c in enumerate(basis):
            result[k] += yi * c / denominator
    return tuple(result)


def polynomial_value(coefficients: Sequence[numbers.Rational], x: numbers.Rational) -> Fraction:
    """p(x) for ascending ``coefficients``, exactly (Horner's scheme)."""
    value = Fraction(0)
    for c in reversed(coefficients):
        value = value * Fraction(x) + Fraction(c)
    return value


def polynomial_degree(coefficients: Sequence[numbers.Rational]) -> int:
    """Degree of the polynomial (−1 for the zero polynomial)."""
    nonzero = [k for k, c in enumerate(coefficients) if c != 0]
    return nonzero[-1] if nonzero else -1


def format_polynomial(coefficients: Sequence[numbers.Rational]) -> str:
    """Plain-text form over a common denominator, e.g. ``(35x^5 - 595x^4 + … - 6300)/12``."""
    coefficients = [Fraction(c) for c in coefficients]
    denominator = lcm(*(c.denominator for c in coefficients))
    terms = []
    for k in range(len(coefficients) - 1, -1, -1):
        c = int(coefficients[k] * denominator)
        if c == 0:
            continue
        size = abs(c)
        body = ("" if size == 1 and k > 0 else str(size)) + ("x" if k >= 1 else "") + (
            f"^{k}" if k >= 2 else "")
        sign = "-" if c < 0 else "+"
        terms.append((sign, body))
    if not terms:
        return "0"
    text = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    text += "".join(f" {s} {b}" for s, b in terms[1:])
    return text if denominator == 1 else f"({text})/{denominator}"


def polynomial_roughness(coefficients: Sequence[numbers.Rational], lo: numbers.Rational,
                         hi: numbers.Rational) -> Fraction:
    """∫_lo^hi p''(x)² dx, exactly: a 'curvature' measure of simplicity (the one cubic splines
    minimise)."""
    c = [Fraction(v) for v in coefficients]
    second = [k * (k - 1) * c[k] for k in range(2, len(c))]  # p'' in ascending powers
    square = [Fraction(0)] * max(2 * len(second) - 1, 0)
    for i, a in enumerate(second):
        for j, b in enumerate(second):
            square[i + j] += a * b
    lo, hi = Fraction(lo), Fraction(hi)
    return sum((v / (k + 1) * (hi ** (k + 1) - lo ** (k + 1)) for k, v in enumerate(square)),
               Fraction(0))


def iq_polynomial(answer: numbers.Rational) -> Polynomial:
    """The degree-≤5 polynomial through the five training points of the IQ test and (4, answer)."""
    return lagrange_polynomial(IQ_X_TRAIN + (IQ_X_TEST,), IQ_Y_TRAIN + (answer,))


# ---------------------------------------------------------------------------------------------
# Inputs, targets, training sets
# ---------------------------------------------------------------------------------------------

def _check_m(m: int, largest: int | None = None) -> None:
    if not isinstance(m, (int, np.integer)) or isinstance(m, bool) or m < 1:
        raise ValueError(f"m (number of bits) must be a positive int, got {m!r}")
    if largest is not None and m > largest:
        raise ValueError(f"m must be at most {largest} here (2^(2^m) targets), got {m}")


def all_inputs(m: int) -> np.ndarray:
    """𝒳 = {0, 1}^m as an int64 array [2^m, m]; row i holds the binary digits of i (MSB first)."""
    _check_m(m, largest=20)
    i = np.arange(2 ** m)
    return ((i[:, None] >> np.arange(m - 1, -1, -1)) & 1).astype(np.int64)


def input_index(x: Sequence[int] | np.ndarray) -> int:
    """Row of :func:`all_inputs` that holds the bit vector ``x`` [m]."""
    bits = np.asarray(x)
    if bits.ndim != 1 or bits.size == 0 or not np.isin(bits, (0, 1)).all():
        raise ValueError(f"x must be a non-empty 1-D vector of 0/1, got {x!r}")
    return int("".join(str(int(b)) for b in bits), 2)


def all_targets(m: int) -> np.ndarray:
    """All 2^(2^m) labellings of 𝒳 as a uint8 array [2^(2^m), 2^m]; row t holds the binary
    digits of t (the label of input 0 is the most significant)."""
    _check_m(m, largest=MAX_ENUMERATED_M)
    n_inputs = 2 ** m
    t = np.arange(2 ** n_inputs, dtype=np.int64)
    return ((t[:, None] >> np.arange(n_inputs - 1, -1, -1)) & 1).astype(np.uint8)


def target_from_function(m: int, label: Callable[[np.ndarray], int]) -> np.ndarray:
    """The target [2^m] whose label at x is ``label(x)`` (x an int array [m])."""
    _check_m(m)
    labels = np.array([int(label(x)) for x in all_inputs(m)], dtype=np.int64)
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f"label must return 0 or 1, got values {sorted(set(labels.tolist()))}")
    return labels


def parity(x: np.ndarray) -> int:
    """XOR of all bits: the classic function that is hard for learners biased to smoothness."""
    return int(np.sum(x) % 2)


def first_bit(x: np.ndarray) -> int:
    """The label is simply the first feature."""
    return int(x[0])


def majority_of_bits(x: np.ndarray) -> int:
    """1 when more than half of the bits are 1 (a linearly separable, 'smooth' function)."""
    return int(2 * np.sum(x) > len(x))


def training_set(m: int, train_indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """``(x_train [n, m], test_indices [2^m − n])`` for the inputs with the given row indices."""
    _check_m(m)
    idx = [int(i) for i in train_indices]
    if len(set(idx)) != len(idx) or not all(0 <= i < 2 ** m for i in idx):
        raise ValueError(f"train_indices must be distinct rows of all_inputs({m}) (0 … "
                         f"{2 ** m - 1}), got {list(train_indices)}")
    if not 1 <= len(idx) < 2 ** m:
        raise ValueError(f"train_indices must hold between 1 and {2 ** m - 1} inputs, so that "
                         f"X_test is not empty, got {len(idx)}")
    test = np.array([i for i in range(2 ** m) if i not in set(idx)], dtype=np.int64)
    return all_inputs(m)[idx], test


def all_training_index_sets(m: int, n: int) -> list[tuple[int, ...]]:
    """Every X_train of size n, as sorted tuples of input rows (C(2^m, n) of them)."""
    _check_m(m)
    if not 1 <= n < 2 ** m:
        raise ValueError(f"n must lie in 1 … {2 ** m - 1}, got {n}")
    return list(combinations(range(2 ** m), n))


# ---------------------------------------------------------------------------------------------
# Learners: one signature, deterministic
# ---------------------------------------------------------------------------------------------

def _check_learner_args(x_train, y_train, x_query) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x_train, y_train, x_query = (np.asarray(a, dtype=np.int64) for a in (x_train, y_train, x_query))
    if x_train.ndim != 2 or x_query.ndim != 2 or x_train.shape[1] != x_query.shape[1]:
        raise ValueError(f"x_train and x_query must be 2-D with the same number of columns, got "
                         f"shapes {x_train.shape} and {x_query.shape}")
    if y_train.shape != (len(x_train),) or len(x_train) == 0:
        raise ValueError(f"y_train must have shape ({len(x_train)},) with n ≥ 1, got "
                         f"{y_train.shape}")
    if not (np.isin(y_train, (0, 1)).all() and np.isin(x_train, (0, 1)).all()
            and np.isin(x_query, (0, 1)).all()):
        raise ValueError("x_train, y_train and x_query must hold only 0 and 1")
    return x_train, y_train, x_query


def majority_vote(x_train: np.ndarray, y_train: np.ndarray, x_query: np.ndarray) -> np.ndarray:
    """Predict the most frequent training label everywhere (ties → 0)."""
    x_train, y_train, x_query = _check_learner_args(x_train, y_train, x_query)
    label = int(2 * y_train.sum() > len(y_train))
    return np.full(len(x_query), label, dtype=np.int64)


def nearest_neighbour(x_train: np.ndarray, y_train: np.ndarray, x_query: np.ndarray) -> np.ndarray:
    """1-nearest neighbour in Hamming distance; when several training points are equally near,
    their majority label wins (a remaining tie → 0)."""
    x_train, y_train, x_query = _check_learner_args(x_train, y_train, x_query)
    distance = (x_query[:, None, :] != x_train[None, :, :]).sum(axis=2)  # [k, n]
    nearest = distance == distance.min(axis=1, keepdims=True)
    ones, total = (nearest * y_train).sum(axis=1), nearest.sum(axis=1)
    return (2 * ones > total).astype(np.int64)


def memorizer(x_train: np.ndarray, y_train: np.ndarray, x_query: np.ndarray) -> np.ndarray:
    """A lookup table: the training label on a training point, 0 anywhere else."""
    x_train, y_train, x_query = _check_learner_args(x_train, y_train, x_query)
    table = {tuple(x): int(y) for x, y in zip(x_train, y_train)}
    return np.array([table.get(tuple(x), 0) for x in x_query], dtype=np.int64)


def random_lookup_learner(seed: int) -> Learner:
    """A deterministic but arbitrary learner: its prediction at x is a pseudo-random bit computed
    from (seed, D_train, x) by a hash. The same D_train always gives the same f, which is all the
    theorem asks of an algorithm."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an int, got {seed!r}")

    def learner(x_train, y_train, x_query):
        x_train, y_train, x_query = _check_learner_args(x_train, y_train, x_query)
        data = f"{seed}|{x_train.tolist()}|{y_train.tolist()}|".encode()
        return np.array([hashlib.blake2b(data + bytes(x.tolist()), digest_size=1).digest()[0] & 1
                         for x in x_query], dtype=np.int64)

    learner.__name__ = f"random_lookup_{seed}"
    return learner


def flipped(learner: Learner) -> Learner:
    """The 'anti-learner': predicts the opposite of ``learner`` everywhere."""
    if not callable(learner):
        raise TypeError(f"learner must be callable, got {learner!r}")

    def anti(x_train, y_train, x_query):
        return 1 - as_predictions(learner(x_train, y_train, x_query), len(x_query))

    anti.__name__ = f"anti_{getattr(learner, '__name__', 'learner')}"
    return anti


def sklearn_learner(make_estimator: Callable[[], object], name: str) -> Learner:
    """Wrap a scikit-learn classifier factory (seeded inside) into the common signature.

    When all training labels are equal it predicts that label without fitting (scikit-learn's
    logistic regression and MLP refuse a single class), so every learner is defined on every
    D_train. Convergence warnings on 2–8 points are expected and silenced. BLAS and OpenMP run
    on one thread during a fit: on a few points, threads fighting over two shared cores made
    each fit about ten times slower (measured).
    """
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()  # found once: creating it per fit costs milliseconds

    def learner(x_train, y_train, x_query):
        x_train, y_train, x_query = _check_learner_args(x_train, y_train, x_query)
        if y_train.min() == y_train.max():
            return np.full(len(x_query), int(y_train[0]), dtype=np.int64)
        with warnings.catch_warnings(), controller.limit(limits=1):
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = make_estimator().fit(x_train.astype(np.float64), y_train)
            return np.asarray(model.predict(x_query.astype(np.float64)), dtype=np.int64)

    learner.__name__ = name
    return learner


def decision_tree() -> Learner:
    """scikit-learn's ``DecisionTreeClassifier(random_state=0)``, grown to pure leaves."""
    from sklearn.tree import DecisionTreeClassifier
    return sklearn_learner(lambda: DecisionTreeClassifier(random_state=0), "decision_tree")


def logistic_regression() -> Learner:
    """scikit-learn's ``LogisticRegression()`` (L2, C = 1, lbfgs): a linear classifier."""
    from sklearn.linear_model import LogisticRegression
    return sklearn_learner(lambda: LogisticRegression(), "logistic_regression")


def small_mlp(hidden: int = 16, seed: int = 0) -> Learner:
    """scikit-learn's ``MLPClassifier`` with one ReLU hidden layer of ``hidden`` units, lbfgs,
    seeded: deterministic for a given D_train."""
    from sklearn.neural_network import MLPClassifier
    return sklearn_learner(lambda: MLPClassifier((hidden,), solver="lbfgs", max_iter=500,
                                                 random_state=seed), "mlp")


def standard_learners() -> dict[str, Learner]:
    """The five learners of the chapter, by name."""
    return {"majority_vote": majority_vote, "nearest_neighbour": nearest_neighbour,
            "decision_tree": decision_tree(), "logistic_regression": logistic_regression(),
            "mlp": small_mlp()}


def as_predictions(values: object, k: int) -> np.ndarray:
    """Validate a learner's output: an int array [k] of 0/1 (raise ValueError otherwise)."""
    try:
        arr = np.asarray(values)
    except Exception as exc:  # an exotic object that numpy cannot read
        raise ValueError(f"predictions must be an array of {k} labels, got {type(values)}") from exc
    if arr.shape != (k,):
        raise ValueError(f"predictions must have shape ({k},), got {arr.shape}")
    if arr.dtype.kind not in "biuf" or not np.isin(arr, (0, 1)).all():
        shown = np.unique(arr)[:6].tolist() if arr.dtype.kind in "biuf" else arr.dtype
        raise ValueError(f"predictions must be labels 0 or 1, got values {shown}")
    return arr.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Exact generalisation performance
# ---------------------------------------------------------------------------------------------

def _check_target(target: Sequence[int] | np.ndarray, m: int) -> np.ndarray:
    arr = np.asarray(target)
    if arr.shape != (2 ** m,) or not np.isin(arr, (0, 1)).all():
        raise ValueError(f"target must be a 0/1 array of shape ({2 ** m},) (a label for every "
                         f"input of all_inputs({m})), got shape {arr.shape}")
    return arr.astype(np.int64)


def gp(learner: Learner, x_train: np.ndarray, y_train: np.ndarray, target: np.ndarray) -> Fraction:
    """Exact off-training-set gP of ``learner`` trained on (x_train [n, m], y_train [n]) when
    nature is ``target`` [2^m]; y_train must agree with the target on x_train."""
    x_train = np.asarray(x_train, dtype=np.int64)
    if x_train.ndim != 2:
        raise ValueError(f"x_train must be 2-D [n, m], got shape {x_train.shape}")
    m = x_train.shape[1]
    target = _check_target(target, m)
    train = [input_index(x) for x in x_train]
    _, test = training_set(m, train)
    if not np.array_equal(np.asarray(y_train), target[train]):
        raise ValueError("y_train must equal the target's labels on x_train")
    predictions = as_predictions(learner(x_train, np.asarray(y_train), all_inputs(m)[test]),
                                 len(test))
    correct = int((predictions == target[test]).sum())
    return Fraction(correct, len(test)) - HALF


def labelling(j: int, n: int) -> np.ndarray:
    """The j-th of the 2^n labellings of n training points: the binary digits of j [n]."""
    if not 0 <= j < 2 ** n:
        raise ValueError(f"j must lie in 0 … {2 ** n - 1}, got {j}")
    return (j >> np.arange(n - 1, -1, -1)) & 1


def prediction_table(learner: Learner, m: int, train_indices: Sequence[int]) -> np.ndarray:
    """Predictions of A(D_train) at every input, for each of the 2^n labellings of X_train:
    an int array [2^n, 2^m]; row j belongs to y_train = :func:`labelling` (j, n).

    This is the cache of the chapter: 2^n fits instead of one per target.
    """
    x_train, _ = training_set(m, train_indices)
    n, inputs = len(x_train), all_inputs(m)
    table = np.empty((2 ** n, 2 ** m), dtype=np.int64)
    for j in range(2 ** n):
        table[j] = as_predictions(learner(x_train, labelling(j, n), inputs), 2 ** m)
    return table


def correct_counts(table: np.ndarray, m: int, train_indices: Sequence[int], *,
                   on_training_set: bool = False) -> np.ndarray:
    """For every target of :func:`all_targets` (m): how many inputs A(D_train) labels correctly —
    off the training set (default) or on the training set. Int array [2^(2^m)]."""
    _, test = training_set(m, train_indices)
    idx = np.asarray(train_indices, dtype=np.int64)
    n = len(idx)
    if np.shape(table) != (2 ** n, 2 ** m):
        raise ValueError(f"table must have shape ({2 ** n}, {2 ** m}), got {np.shape(table)}")
    targets = all_targets(m).astype(np.int64)
    row = targets[:, idx] @ (1 << np.arange(n - 1, -1, -1))  # the training labelling of each target
    where = idx if on_training_set else test
    return (table[row][:, where] == targets[:, where]).sum(axis=1)


def gp_values(table: np.ndarray, m: int, train_indices: Sequence[int]) -> list[Fraction]:
    """Exact gP for every one of the 2^(2^m) targets, in the order of :func:`all_targets`."""
    n_test = 2 ** m - len(train_indices)
    return [Fraction(int(c), n_test) - HALF for c in correct_counts(table, m, train_indices)]


def gp_over_targets(learner: Learner, m: int, train_indices: Sequence[int]) -> list[Fraction]:
    """gP of ``learner`` for all 2^(2^m) targets with a fixed X_train (2^n fits)."""
    return gp_values(prediction_table(learner, m, train_indices), m, train_indices)


def weighted_mean(values: Sequence[Fraction], weights: Sequence[numbers.Rational]) -> Fraction:
    """Σ w·v / Σ w, exactly: the expected gP under the prior ∝ ``weights``."""
    if len(values) != len(weights):
        raise ValueError(f"values and weights must have equal length, got {len(values)} and "
                         f"{len(weights)}")
    if any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    return sum((Fraction(w) * v for w, v in zip(weights, values)), Fraction(0)) / sum(
        Fraction(w) for w in weights)


# ---------------------------------------------------------------------------------------------
# Complexity of a target: the ingredients of non-uniform priors
# ---------------------------------------------------------------------------------------------

def _restrict(labels: tuple[int, ...], bit: int, value: int) -> tuple[int, ...]:
    k = (len(labels) - 1).bit_length()
    return tuple(np.asarray(labels).reshape((2,) * k).take(value, axis=bit).ravel().tolist())


@lru_cache(maxsize=None)
def _min_leaves(labels: tuple[int, ...]) -> int:
    if len(set(labels)) == 1:
        return 1
    k = (len(labels) - 1).bit_length()
    return min(_min_leaves(_restrict(labels, b, 0)) + _min_leaves(_restrict(labels, b, 1))
               for b in range(k))


def tree_leaves(target: Sequence[int] | np.ndarray) -> int:
    """Leaves of the smallest decision tree over the bits that computes ``target`` [2^m]
    (exact search): 1 for a constant, 2 for a single bit, 2^m for parity."""
    arr = np.asarray(target)
    m = (len(arr) - 1).bit_length()
    return _min_leaves(tuple(_check_target(arr, m).tolist()))


def boundary_edges(target: Sequence[int] | np.ndarray) -> int:
    """Edges of the cube {0,1}^m (pairs of inputs at Hamming distance 1) whose labels differ:
    0 for a constant, 2^(m−1) for a single bit, m·2^(m−1) (all edges) for parity."""
    arr = np.asarray(target)
    m = (len(arr) - 1).bit_length()
    arr = _check_target(arr, m)
    i = np.arange(2 ** m)
    return int(sum(((arr[i] != arr[i ^ (1 << b)]) & (i < (i ^ (1 << b)))).sum() for b in range(m)))


def relevant_bits(target: Sequence[int] | np.ndarray) -> int:
    """How many bits the target actually depends on."""
    arr = np.asarray(target)
    m = (len(arr) - 1).bit_length()
    labels = tuple(_check_target(arr, m).tolist())
    return sum(_restrict(labels, b, 0) != _restrict(labels, b, 1) for b in range(m))


def is_linearly_separable(target: Sequence[int] | np.ndarray) -> bool:
    """Whether some w, b give target(x) = [w·x + b > 0] on all of {0,1}^m (a threshold function),
    decided by a linear program: find w, b with (2y − 1)(w·x + b) ≥ 1 for every input."""
    from scipy.optimize import linprog

    arr = np.asarray(target)
    m = (len(arr) - 1).bit_length()
    arr = _check_target(arr, m)
    sign = (2 * arr - 1)[:, None]
    a_ub = -sign * np.hstack([all_inputs(m), np.ones((2 ** m, 1))])
    result = linprog(np.zeros(m + 1), A_ub=a_ub, b_ub=-np.ones(2 ** m),
                     bounds=[(None, None)] * (m + 1), method="highs")
    if result.status not in (0, 2):
        raise RuntimeError(f"the linear program ended with status {result.status}: "
                           f"{result.message}")
    return result.status == 0


#: Integer weights |w_i| ≤ W realise every threshold function of m ≤ 4 bits (A000609: 4, 14, 104,
#: 1882 functions); tests/test_nfl.py checks the counts and, for m ≤ 3, agreement with the LP.
_THRESHOLD_MAX_WEIGHT = {1: 1, 2: 1, 3: 2, 4: 3}


def target_index(target: Sequence[int] | np.ndarray) -> int:
    """Row of :func:`all_targets` that holds ``target`` [2^m]."""
    arr = np.asarray(target)
    m = (len(arr) - 1).bit_length()
    return int("".join(map(str, _check_target(arr, m).tolist())), 2)


def linearly_separable_mask(m: int) -> np.ndarray:
    """Bool array [2^(2^m)]: which targets of :func:`all_targets` (m) are threshold functions.

    Fast and exact for m ≤ 4: enumerate [w·x + b > 0] over integer weights |w_i| ≤ W (W from the
    table above, enough for every threshold function of that many bits) and half-integer b.
    """
    _check_m(m, largest=MAX_ENUMERATED_M)
    big_w = _THRESHOLD_MAX_WEIGHT[m]
    weights = np.array(list(product(range(-big_w, big_w + 1), repeat=m)))  # [K, m]
    offsets = np.arange(-m * big_w, m * big_w + 1) + 0.5  # [B]
    scores = all_inputs(m) @ weights.T  # [2^m, K]
    labels = scores[None, :, :] + offsets[:, None, None] > 0  # [B, 2^m, K]
    codes = (labels * (1 << np.arange(2 ** m - 1, -1, -1))[None, :, None]).sum(axis=1)
    mask = np.zeros(2 ** (2 ** m), dtype=bool)
    mask[np.unique(codes)] = True
    return mask


def complexity_prior(complexities: Iterable[int]) -> list[Fraction]:
    """Prior weights ∝ 2^(−complexity), normalised to sum to 1 (exact)."""
    raw = [Fraction(1, 2 ** int(c)) for c in complexities]
    if not raw:
        raise ValueError("complexities must not be empty")
    total = sum(raw)
    return [w / total for w in raw]


def bayes_optimal_learner(m: int, weights: Sequence[numbers.Rational]) -> Learner:
    """The ideal algorithm for a prior ∝ ``weights`` over the targets of :func:`all_targets` (m):
    at each query x it predicts the label that carries more prior mass among the targets that
    agree with D_train (ties → 0). No learner has a larger expected gP under that prior, and,
    being a learner, its gP still sums to zero over all targets."""
    targets = all_targets(m).astype(np.int64)
    if len(weights) != len(targets):
        raise ValueError(f"weights must have one entry per target ({len(targets)}), got "
                         f"{len(weights)}")
    if any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    scale = lcm(*(Fraction(w).denominator for w in weights))
    mass = np.array([int(Fraction(w) * scale) for w in weights], dtype=object)  # exact integers

    def learner(x_train, y_train, x_query):
        x_train, y_train, x_query = _check_learner_args(x_train, y_train, x_query)
        if x_train.shape[1] != m:
            raise ValueError(f"this learner was built for m = {m} bits, got {x_train.shape[1]}")
        rows = [input_index(x) for x in x_train]
        consistent = (targets[:, rows] == y_train).all(axis=1)
        out = []
        for x in x_query:
            label = targets[consistent, input_index(x)]
            ones, zeros = mass[consistent][label == 1].sum(), mass[consistent][label == 0].sum()
            out.append(int(ones > zeros))
        return np.array(out, dtype=np.int64)

    learner.__name__ = "bayes_optimal"
    return learner


# ---------------------------------------------------------------------------------------------
# Instant checks of the exercises
# ---------------------------------------------------------------------------------------------

#: The fixed training inputs of the m = 3 experiments: 000, 001, 011, 110.
TRAIN_INDICES_M3 = (0, 1, 3, 6)


def _bits(rows: np.ndarray) -> str:
    return "{" + ", ".join("".join(map(str, r)) for r in np.atleast_2d(rows).tolist()) + "}"


def _gp_cases() -> list[tuple[Learner, int, tuple[int, ...], np.ndarray]]:
    """(learner, m, train rows, target): from a tiny case to ones that tell wrong answers apart."""
    m2, m3 = 2, 3
    return [
        (majority_vote, m2, (0, 1), np.array([0, 0, 1, 0])),
        (nearest_neighbour, m3, TRAIN_INDICES_M3, target_from_function(m3, first_bit)),
        (majority_vote, m3, (0, 1, 2, 4, 7), target_from_function(m3, majority_of_bits)),
        (nearest_neighbour, m3, (0, 3, 5), target_from_function(m3, parity)),
        (memorizer, m3, TRAIN_INDICES_M3, np.array([1, 0, 1, 1, 0, 1, 0, 0])),
    ]


def _gp_hint(got: Fraction, learner: Learner, m: int, train: tuple[int, ...],
             target: np.ndarray) -> str:
    """Recognise the usual slips by recomputing them."""
    inputs, test = all_inputs(m), training_set(m, train)[1]
    x_train, y_train = inputs[list(train)], target[list(train)]
    pred_all = as_predictions(learner(x_train, y_train, inputs), 2 ** m)
    hits_test = int((pred_all[test] == target[test]).sum())
    hits_all = int((pred_all == target).sum())
    variants = {
        Fraction(hits_all, 2 ** m) - HALF: "считайте только точки вне обучающей выборки: "
        "X_test = 𝒳 ∖ X_train.",
        Fraction(hits_test, len(test)): "gP — это доля верных ответов минус 1/2.",
        Fraction(len(test) - hits_test, len(test)) - HALF: "сравнивайте предсказание с целевой "
        "меткой: I[A(D_train)(x) = y], а не ≠.",
        Fraction(hits_test, 2 ** m) - HALF: "делите на |X_test| = 2^m − n, а не на 2^m.",
    }
    return variants.get(got, "посчитайте gP на этом примере вручную: какие точки в X_test, что "
                        "предсказывает алгоритм, сколько совпало с целью.")


def _check_gp(student_gp: Callable) -> CheckResult:
    """Exercise: ``student_gp(learner, x_train, y_train, target)`` must return the exact gP
    (a Fraction) on a handful of learners, training sets and targets."""
    name = "gP"
    cases = _gp_cases()
    for learner, m, train, target in cases:
        x_train = all_inputs(m)[list(train)]
        y_train = target[list(train)]
        where = (f"m = {m}, алгоритм {learner.__name__}, X_train = {_bits(x_train)}, "
                 f"y_train = {y_train.tolist()}, цель = {target.tolist()}")
        got, problem = call_safely(name, student_gp, learner, x_train.copy(), y_train.copy(),
                                   target.copy(), where=where)
        if problem is not None:
            return problem
        expected = gp(learner, x_train, y_train, target)
        if isinstance(got, (float, np.floating)):
            return failed(name, f"{where}: получено число с плавающей точкой {got!r}, а ожидалась "
                          f"точная дробь Fraction({expected.numerator}, {expected.denominator}).",
                          "верните fractions.Fraction: доли вида k/|X_test| точно, без округления.",
                          verbose=False)
        if not isinstance(got, numbers.Rational):
            return failed(name, f"{where}: ожидалась Fraction, получено {type(got).__name__} "
                          f"({got!r}).", "верните fractions.Fraction.", verbose=False)
        got = Fraction(got)
        if got != expected:
            return failed(name, f"{where}: ожидалось gP = {expected}, получено {got}.",
                          _gp_hint(got, learner, m, train, target), verbose=False)
    return passed(name, f"точные значения совпали на {len(cases)} примерах (m = 2 и 3, "
                  "разные алгоритмы и цели).", verbose=False)


def _check_own_learner(learner: Learner, target_label: Callable[[np.ndarray], int]
                       ) -> CheckResult:
    """Exercise: a learner of the common signature whose gP summed over all 256 targets of
    m = 3 (X_train = :data:`TRAIN_INDICES_M3`) is exactly 0, while its gP on the student's own
    target ``target_label`` (a function of a bit vector [3] → 0/1) is not 0 (accuracy ≠ ½)."""
    name = "свой алгоритм"
    m, train = 3, TRAIN_INDICES_M3
    inputs = all_inputs(m)
    x_train, test = training_set(m, train)
    x_test = inputs[test]

    labels = []
    for x in inputs:
        label, problem = call_safely(name, target_label, x.copy(),
                                     where=f"цель на входе x = {x.tolist()}")
        if problem is not None:
            return problem
        if not (isinstance(label, (numbers.Integral, np.bool_, bool)) and int(label) in (0, 1)):
            return failed(name, f"цель на входе x = {x.tolist()} вернула {label!r}, а ожидалась "
                          "метка 0 или 1.", "цель — функция бита-вектора x → {0, 1}.",
                          verbose=False)
        labels.append(int(label))
    own_target = np.array(labels, dtype=np.int64)

    from threadpoolctl import threadpool_limits

    seen: dict[tuple[int, ...], np.ndarray] = {}
    total = Fraction(0)
    with threadpool_limits(1):
        # One call per target, no cache: a zero sum is then a real computation, and an algorithm
        # whose answer is not a function of D_train alone shows up here.
        for target in all_targets(m).astype(np.int64):
            y_train = target[list(train)]
            where = (f"алгоритм на X_train = {_bits(x_train)}, y_train = {y_train.tolist()}, "
                     f"x_query = {_bits(x_test)}")
            out, problem = call_safely(name, learner, x_train.copy(), y_train.copy(),
                                       x_test.copy(), where=where)
            if problem is not None:
                return problem
            try:
                predictions = as_predictions(out, len(x_test))
            except ValueError as exc:
                return failed(name, f"на X_train = {_bits(x_train)}, y_train = {y_train.tolist()} "
                              f"алгоритм вернул неподходящие предсказания: {exc}.",
                              "верните массив меток 0/1, по одной на каждую строку x_query.",
                              verbose=False)
            key = tuple(y_train.tolist())
            if key in seen and not np.array_equal(seen[key], predictions):
                return failed(name, f"на одном и том же D_train (X_train = {_bits(x_train)}, "
                              f"y_train = {list(key)}) два вызова дали разные предсказания: "
                              f"{seen[key].tolist()} и {predictions.tolist()}.",
                              "теорема говорит об алгоритмах, у которых f = A(D_train) зависит "
                              "только от D_train: зафиксируйте seed внутри алгоритма.",
                              verbose=False)
            seen[key] = predictions
            total += Fraction(int((predictions == target[test]).sum()), len(test)) - HALF
    if total != 0:  # cannot happen for a deterministic learner; kept as the theorem's check
        return failed(name, f"сумма gP по 256 целям равна {total}, а не 0.",
                      "алгоритм должен видеть только D_train.", verbose=False)
    own_gp = gp(learner, x_train, own_target[list(train)], own_target)
    if own_gp == 0:
        return failed(name, f"Σ gP по всем 256 целям = 0, как и положено, но на вашей цели "
                      f"{own_target.tolist()} gP = 0 (точность ровно ½).",
                      "выберите цель, которая совпадает с индуктивным смещением вашего алгоритма "
                      "(или противоречит ему), чтобы точность вне обучения отличалась от ½.",
                      verbose=False)
    return passed(name, f"Σ gP по всем 256 целям = 0 точно, а на вашей цели "
                  f"{own_target.tolist()} gP = {own_gp} (точность {own_gp + HALF} вне X_train).",
                  verbose=False)


def _emit(result: CheckResult, verbose: bool) -> CheckResult:
    """Print the verdict in ONE write: ``print`` writes the text and the newline separately, and
    the kernel may flush between them, which splits a stored output in two from run to run."""
    if verbose:
        sys.stdout.write(result.message + "\n")
    return result


def print_lines(lines: Iterable[str]) -> None:
    """Print ``lines`` with a single write, so a notebook cell's stored output is byte-stable."""
    sys.stdout.write("".join(f"{line}\n" for line in lines))


def check_gp(student_gp: Callable, verbose: bool = True) -> CheckResult:
    """Exercise: ``student_gp(learner, x_train, y_train, target)`` must return the exact gP
    (a Fraction) on a handful of learners, training sets and targets."""
    return _emit(_check_gp(student_gp), verbose)


def check_own_learner(learner: Learner, target_label: Callable[[np.ndarray], int],
                      verbose: bool = True) -> CheckResult:
    """Exercise: a learner of the common signature whose gP summed over all 256 targets of
    m = 3 (X_train = :data:`TRAIN_INDICES_M3`) is exactly 0, while its gP on the student's own
    target ``target_label`` (a function of a bit vector [3] → 0/1) is not 0 (accuracy ≠ ½)."""
    return _emit(_check_own_learner(learner, target_label), verbose)


__all__ = [
    "IQ_OPTIONS", "IQ_X_TEST", "IQ_X_TRAIN", "IQ_Y_TRAIN", "Learner", "MAX_ENUMERATED_M",
    "SLIDE_POLYNOMIAL", "TRAIN_INDICES_M3", "all_inputs", "all_targets",
    "all_training_index_sets", "as_predictions", "bayes_optimal_learner", "boundary_edges",
    "check_gp", "check_own_learner", "complexity_prior", "correct_counts", "decision_tree",
    "first_bit", "flipped", "format_polynomial", "gp", "gp_over_targets", "gp_values",
    "input_index", "iq_polynomial", "is_linearly_separable", "labelling",
    "lagrange_polynomial", "linearly_separable_mask", "logistic_regression",
    "majority_of_bits", "majority_vote", "memorizer", "nearest_neighbour", "parity",
    "polynomial_degree", "polynomial_roughness", "polynomial_value", "prediction_table",
    "print_lines", "random_lookup_learner", "relevant_bits", "sklearn_learner", "small_mlp",
    "standard_learners", "target_from_function", "target_index", "training_set", "tree_leaves",
    "weighted_mean",
]
