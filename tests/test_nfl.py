"""lecturelib.nfl against hand computations, numpy/scikit-learn/scipy references and the
theorem's own properties (exact Fractions throughout)."""

from __future__ import annotations

import itertools
from fractions import Fraction
from math import comb

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from lecturelib import nfl
from lecturelib.nfl import HALF

F = Fraction


# --- the IQ test ------------------------------------------------------------------------------

def test_lagrange_by_hand_and_against_numpy_polyfit():
    # through (0, 1), (1, 3), (2, 7): 1 + x + x² by hand
    assert nfl.lagrange_polynomial([0, 1, 2], [1, 3, 7]) == (1, 1, 1)
    xs, ys = [1, 2, 3, 4, 5, 6], [1, 8, 27, 99, 125, 216]
    exact = nfl.lagrange_polynomial(xs, ys)
    reference = np.polyfit(xs, ys, deg=5)[::-1]  # ascending, float
    np.testing.assert_allclose([float(c) for c in exact], reference, rtol=1e-7, atol=1e-6)
    assert [nfl.polynomial_value(exact, x) for x in xs] == ys


def test_lagrange_rejects_bad_nodes():
    with pytest.raises(ValueError, match="distinct"):
        nfl.lagrange_polynomial([1, 1], [2, 3])
    with pytest.raises(ValueError, match="equal length"):
        nfl.lagrange_polynomial([1, 2], [2])


@pytest.mark.parametrize("answer", list(nfl.IQ_OPTIONS) + [0, -7, F(1, 3)])
def test_iq_polynomial_is_cube_plus_a_multiple_of_the_node_polynomial(answer):
    # p_a(x) = x³ + (a − 64)/12 · (x−1)(x−2)(x−3)(x−5)(x−6): it agrees with x³ on the training
    # points and gives a at 4, because (4−1)(4−2)(4−3)(4−5)(4−6) = 12.
    coefficients = nfl.iq_polynomial(answer)
    for x in [F(-2), F(0), F(4), F(7, 2), F(10)]:
        node = (x - 1) * (x - 2) * (x - 3) * (x - 5) * (x - 6)
        assert nfl.polynomial_value(coefficients, x) == x ** 3 + F(answer - 64, 12) * node
    assert nfl.polynomial_degree(coefficients) == (3 if answer == 64 else 5)


def test_slide_polynomial_misses_the_training_points():
    # Σ c_k x^k with the slide's integers, evaluated with plain ints (independent of lecturelib)
    numerators = [-14940, 33588, -26705, 9449, -1519, 91]
    by_hand = {x: F(sum(c * x ** k for k, c in enumerate(numerators)), 12) for x in range(1, 7)}
    assert by_hand == {1: -3, 2: -32, 3: -27, 4: 99, 5: 125, 6: 432}
    assert {x: nfl.polynomial_value(nfl.SLIDE_POLYNOMIAL, x) for x in range(1, 7)} == by_hand


def test_polynomial_roughness_by_hand():
    # p = x³: p'' = 6x, ∫_1^6 36x² dx = 12·(6³ − 1³) = 2580; a straight line has none
    assert nfl.polynomial_roughness((0, 0, 0, 1), 1, 6) == 2580
    assert nfl.polynomial_roughness((5, -2), 0, 1) == 0
    # p = x² + x⁴: p'' = 2 + 12x², ∫_0^1 (4 + 48x² + 144x⁴) dx = 4 + 16 + 144/5
    assert nfl.polynomial_roughness((0, 0, 1, 0, 1), 0, 1) == F(244, 5)


def test_format_polynomial_by_hand():
    assert nfl.format_polynomial((0, 0, 0, 1)) == "x^3"
    assert nfl.format_polynomial((1, -1)) == "-x + 1"
    assert nfl.format_polynomial((F(1, 2), 0, F(-3, 4))) == "(-3x^2 + 2)/4"
    assert nfl.format_polynomial((0, 0)) == "0"
    assert nfl.format_polynomial(nfl.iq_polynomial(99)) == (
        "(35x^5 - 595x^4 + 3757x^3 - 10745x^2 + 13860x - 6300)/12")


# --- inputs, targets, training sets ------------------------------------------------------------

def test_inputs_and_targets_in_binary_order():
    assert nfl.all_inputs(2).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert nfl.all_targets(1).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    targets = nfl.all_targets(3)
    assert targets.shape == (256, 8) and len({tuple(t) for t in targets.tolist()}) == 256
    assert all(nfl.target_index(t) == i for i, t in enumerate(targets))
    assert all(nfl.input_index(x) == i for i, x in enumerate(nfl.all_inputs(4)))


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="m"):
        nfl.all_inputs(0)
    with pytest.raises(ValueError, match="at most 4"):
        nfl.all_targets(5)
    with pytest.raises(ValueError, match="distinct"):
        nfl.training_set(2, [1, 1])
    with pytest.raises(ValueError, match="X_test"):
        nfl.training_set(1, [0, 1])
    with pytest.raises(ValueError, match="0/1"):
        nfl.input_index([0, 2])
    with pytest.raises(ValueError, match="target"):
        nfl.gp(nfl.majority_vote, np.array([[0]]), np.array([0]), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="y_train"):
        nfl.gp(nfl.majority_vote, np.array([[0]]), np.array([1]), np.array([0, 1]))
    with pytest.raises(ValueError, match="0 or 1"):
        nfl.as_predictions([0.3, 1.0], 2)
    with pytest.raises(ValueError, match="shape"):
        nfl.as_predictions([0, 1, 1], 2)


# --- learners ----------------------------------------------------------------------------------

def test_majority_vote_by_hand():
    x = nfl.all_inputs(2)
    assert nfl.majority_vote(x[:3], np.array([1, 1, 0]), x).tolist() == [1, 1, 1, 1]
    assert nfl.majority_vote(x[:2], np.array([1, 0]), x).tolist() == [0, 0, 0, 0]  # tie → 0


def test_nearest_neighbour_by_hand_and_against_sklearn():
    x = nfl.all_inputs(2)
    x_train, y_train = x[[0, 3]], np.array([0, 1])
    # 01 and 10 are at distance 1 from both 00 and 11: a tie between labels 0 and 1 → 0
    assert nfl.nearest_neighbour(x_train, y_train, x).tolist() == [0, 0, 0, 1]
    rng = np.random.default_rng(0)
    inputs = nfl.all_inputs(5)
    for _ in range(20):
        rows = rng.choice(32, size=6, replace=False)
        y = rng.integers(0, 2, size=6)
        ours = nfl.nearest_neighbour(inputs[rows], y, inputs)
        distance = (inputs[:, None, :] != inputs[rows][None]).sum(2)
        unique = (distance == distance.min(1, keepdims=True)).sum(1) == 1  # sklearn breaks ties
        knn = KNeighborsClassifier(n_neighbors=1, metric="hamming").fit(inputs[rows], y)
        np.testing.assert_array_equal(ours[unique], knn.predict(inputs)[unique])


def test_memorizer_and_flipped_by_hand():
    x = nfl.all_inputs(2)
    assert nfl.memorizer(x[[1, 2]], np.array([1, 1]), x).tolist() == [0, 1, 1, 0]
    anti = nfl.flipped(nfl.memorizer)
    assert anti(x[[1, 2]], np.array([1, 1]), x).tolist() == [1, 0, 0, 1]


def test_sklearn_learners_fit_the_training_set_and_handle_one_class():
    x = nfl.all_inputs(3)
    rows, y = [0, 1, 3, 6], np.array([0, 1, 1, 0])
    tree = nfl.decision_tree()
    assert tree(x[rows], y, x[rows]).tolist() == y.tolist()  # a full tree memorises
    for learner in nfl.standard_learners().values():
        assert learner(x[rows], np.array([1, 1, 1, 1]), x).tolist() == [1] * 8
        first = learner(x[rows], y, x)
        assert np.array_equal(first, learner(x[rows], y, x)), learner.__name__  # deterministic


def test_random_lookup_learner_is_a_function_of_the_data_and_the_query():
    x = nfl.all_inputs(3)
    learner = nfl.random_lookup_learner(7)
    full = learner(x[:3], np.array([0, 1, 0]), x)
    assert np.array_equal(full, learner(x[:3], np.array([0, 1, 0]), x))
    assert np.array_equal(full[[5, 2]], learner(x[:3], np.array([0, 1, 0]), x[[5, 2]]))
    assert not np.array_equal(full, nfl.random_lookup_learner(8)(x[:3], np.array([0, 1, 0]), x))
    with pytest.raises(ValueError, match="seed"):
        nfl.random_lookup_learner(1.5)


# --- exact gP and the theorem ----------------------------------------------------------------

def test_gp_for_m1_by_hand():
    # X = {0, 1}, X_train = {0}: majority copies f(0) to the test point 1, so gP = ±1/2
    x_train = np.array([[0]])
    values = [nfl.gp(nfl.majority_vote, x_train, t[:1], t) for t in nfl.all_targets(1)]
    assert values == [HALF, -HALF, -HALF, HALF] and sum(values) == 0


def test_gp_for_m2_majority_by_hand():
    # X_train = {00, 01} with labels (a, b); majority predicts p = a·b (tie → 0) on 10 and 11.
    x_train = nfl.all_inputs(2)[[0, 1]]
    total = F(0)
    for a, b, c, d in itertools.product((0, 1), repeat=4):
        p = a * b
        by_hand = F(int(c == p) + int(d == p), 2) - HALF
        value = nfl.gp(nfl.majority_vote, x_train, np.array([a, b]), np.array([a, b, c, d]))
        assert value == by_hand
        total += value
    assert total == 0


def test_table_and_direct_gp_agree():
    m, train = 3, nfl.TRAIN_INDICES_M3
    x_train = nfl.all_inputs(m)[list(train)]
    fast = nfl.gp_over_targets(nfl.nearest_neighbour, m, train)
    direct = [nfl.gp(nfl.nearest_neighbour, x_train, t[list(train)], t)
              for t in nfl.all_targets(m).astype(int)]
    assert fast == direct


def _learners_for_properties():
    return ([nfl.majority_vote, nfl.nearest_neighbour, nfl.memorizer, nfl.decision_tree(),
             nfl.flipped(nfl.nearest_neighbour)]
            + [nfl.random_lookup_learner(seed) for seed in range(5)])


@pytest.mark.parametrize("train", [t for n in (1, 2, 3) for t in nfl.all_training_index_sets(2, n)])
def test_sum_is_zero_for_every_training_set_of_m2(train):
    for learner in _learners_for_properties():
        values = nfl.gp_over_targets(learner, 2, train)
        assert len(values) == 16 and sum(values) == 0, learner.__name__


@pytest.mark.parametrize("seed", range(4))
def test_sum_is_zero_and_counts_are_binomial_for_random_training_sets_of_m3(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 8))
    train = tuple(sorted(rng.choice(8, size=n, replace=False).tolist()))
    n_test = 8 - n
    # every target's off-training hits: Binomial(n_test, 1/2) times the 2^n training labellings
    expected_histogram = [comb(n_test, k) * 2 ** n for k in range(n_test + 1)]
    for learner in _learners_for_properties():
        table = nfl.prediction_table(learner, 3, train)
        counts = nfl.correct_counts(table, 3, train)
        assert np.bincount(counts, minlength=n_test + 1).tolist() == expected_histogram
        assert sum(nfl.gp_values(table, 3, train)) == 0


def test_sum_is_zero_for_each_fixed_training_labelling():
    # the stronger form: for every D_train, the completions of the test labels sum to zero
    m, train = 3, nfl.TRAIN_INDICES_M3
    values = nfl.gp_over_targets(nfl.decision_tree(), m, train)
    targets = nfl.all_targets(m)
    for j in range(16):
        rows = [i for i, t in enumerate(targets) if
                nfl.labelling(j, 4).tolist() == t[list(train)].tolist()]
        assert len(rows) == 16 and sum(values[i] for i in rows) == 0


def test_sum_over_training_sets_for_a_fixed_target_is_not_zero():
    # the slide's literal reading (sum over D_train, nature fixed) does not give zero
    m, target = 3, nfl.target_from_function(3, nfl.first_bit)
    inputs = nfl.all_inputs(m)
    total = sum(nfl.gp(nfl.decision_tree(), inputs[list(t)], target[list(t)], target)
                for t in nfl.all_training_index_sets(m, 4))
    assert total > 0


def test_memorizers_are_perfect_on_the_training_set():
    m, train = 3, nfl.TRAIN_INDICES_M3
    for learner in (nfl.memorizer, nfl.nearest_neighbour, nfl.decision_tree()):
        table = nfl.prediction_table(learner, m, train)
        assert (nfl.correct_counts(table, m, train, on_training_set=True) == 4).all()


# --- complexity, priors, the ideal algorithm ---------------------------------------------------

def test_complexities_by_hand():
    and2 = np.array([0, 0, 0, 1])  # x1 AND x2
    assert nfl.tree_leaves(and2) == 3 and nfl.boundary_edges(and2) == 2
    assert nfl.relevant_bits(and2) == 2
    for m in (1, 2, 3, 4):
        constant = np.zeros(2 ** m, dtype=int)
        first = nfl.target_from_function(m, nfl.first_bit)
        odd = nfl.target_from_function(m, nfl.parity)
        assert (nfl.tree_leaves(constant), nfl.boundary_edges(constant),
                nfl.relevant_bits(constant)) == (1, 0, 0)
        assert (nfl.tree_leaves(first), nfl.boundary_edges(first),
                nfl.relevant_bits(first)) == (2, 2 ** (m - 1), 1)
        assert (nfl.tree_leaves(odd), nfl.boundary_edges(odd),
                nfl.relevant_bits(odd)) == (2 ** m, m * 2 ** (m - 1), m)


def test_threshold_functions_counts_and_lp_agreement():
    # OEIS A000609: 4, 14, 104, 1882 threshold functions of 1 … 4 variables
    assert [int(nfl.linearly_separable_mask(m).sum()) for m in (1, 2, 3, 4)] == [4, 14, 104, 1882]
    for m in (2, 3):
        by_lp = [nfl.is_linearly_separable(t) for t in nfl.all_targets(m)]
        assert by_lp == nfl.linearly_separable_mask(m).tolist()
    assert nfl.all_targets(2)[~nfl.linearly_separable_mask(2)].tolist() == [[0, 1, 1, 0],
                                                                          [1, 0, 0, 1]]


def test_complexity_prior_and_weighted_mean():
    weights = nfl.complexity_prior([0, 1, 1, 3])
    assert weights == [F(8, 17), F(4, 17), F(4, 17), F(1, 17)]  # 2^0, 2^-1, 2^-1, 2^-3 over 17/8
    assert nfl.weighted_mean([F(1), F(-1)], [3, 1]) == F(1, 2)
    with pytest.raises(ValueError, match="non-negative"):
        nfl.weighted_mean([F(1)], [0])


def test_bayes_optimal_learner_beats_every_lookup_learner():
    # m = 2, X_train = {00, 11}: a learner is any map from the 4 training labellings to
    # predictions on the 2 test points, 4^4 = 256 of them; none beats the Bayes rule.
    m, train = 2, (0, 3)
    rng = np.random.default_rng(0)
    weights = [F(int(w)) for w in rng.integers(0, 10, size=16)]
    targets = nfl.all_targets(m).astype(int)
    test = [1, 2]
    best = F(-1)
    for choice in itertools.product(range(4), repeat=4):
        total = F(0)
        for w, t in zip(weights, targets):
            j = 2 * t[0] + t[3]
            pred = nfl.labelling(choice[j], 2)
            total += w * (F(int((pred == t[test]).sum()), 2) - HALF)
        best = max(best, total / sum(weights))
    bayes = nfl.bayes_optimal_learner(m, weights)
    values = nfl.gp_over_targets(bayes, m, train)
    assert nfl.weighted_mean(values, weights) == best
    assert sum(values) == 0  # it is a learner like any other


# --- exercise checks ---------------------------------------------------------------------------

def student_gp(learner, x_train, y_train, target):
    inputs = nfl.all_inputs(x_train.shape[1])
    seen = {tuple(r) for r in x_train.tolist()}
    test = [i for i, r in enumerate(inputs.tolist()) if tuple(r) not in seen]
    hits = sum(int(p == target[i]) for p, i in zip(learner(x_train, y_train, inputs[test]), test))
    return Fraction(hits, len(test)) - Fraction(1, 2)


def gp_with_training_points(learner, x_train, y_train, target):
    inputs = nfl.all_inputs(x_train.shape[1])
    hits = int((learner(x_train, y_train, inputs) == target).sum())
    return Fraction(hits, len(inputs)) - Fraction(1, 2)


def gp_without_half(learner, x_train, y_train, target):
    return student_gp(learner, x_train, y_train, target) + Fraction(1, 2)


def gp_as_float(learner, x_train, y_train, target):
    return float(student_gp(learner, x_train, y_train, target))


def gp_of_errors(learner, x_train, y_train, target):
    return -student_gp(learner, x_train, y_train, target)


def gp_over_all_inputs_count(learner, x_train, y_train, target):
    value = student_gp(learner, x_train, y_train, target) + Fraction(1, 2)
    n_test = 2 ** x_train.shape[1] - len(x_train)
    return value * n_test / 2 ** x_train.shape[1] - Fraction(1, 2)


def test_check_gp_accepts_the_reference_and_a_student_solution():
    assert nfl.check_gp(nfl.gp, verbose=False)
    assert nfl.check_gp(student_gp, verbose=False)


@pytest.mark.parametrize("wrong, hint", [
    (gp_with_training_points, "X_test"), (gp_without_half, "минус 1/2"),
    (gp_as_float, "Fraction"), (gp_of_errors, "не ≠"), (gp_over_all_inputs_count, "2^m − n")])
def test_check_gp_rejects_typical_mistakes(wrong, hint):
    result = nfl.check_gp(wrong, verbose=False)
    assert not result and not result.not_done
    assert "X_train = {" in result.message and hint in result.message


def test_check_gp_stub_and_crash():
    def stub(*args):
        raise NotImplementedError

    def crash(learner, x_train, y_train, target):
        return target[100]

    assert nfl.check_gp(stub, verbose=False).not_done
    result = nfl.check_gp(crash, verbose=False)
    assert not result and "IndexError" in result.message and "Traceback" not in result.message
    assert "X_train = {00, 01}" in result.message and "0x" not in result.message  # no reprs


def parity_learner(x_train, y_train, x_query):
    agree = np.mean(x_train.sum(axis=1) % 2 == y_train)
    return x_query.sum(axis=1) % 2 if agree >= 0.5 else 1 - x_query.sum(axis=1) % 2


def test_check_own_learner_accepts_learners_with_a_matching_target():
    assert nfl.check_own_learner(parity_learner, nfl.parity, verbose=False)
    assert nfl.check_own_learner(nfl.decision_tree(), nfl.first_bit, verbose=False)


def test_check_own_learner_rejects_a_learner_that_is_not_a_function_of_the_data():
    calls = []

    def stateful(x_train, y_train, x_query):
        calls.append(1)
        return (x_query.sum(axis=1) + len(calls)) % 2

    result = nfl.check_own_learner(stateful, nfl.parity, verbose=False)
    assert not result and "разные предсказания" in result.message and "y_train" in result.message


def test_check_own_learner_rejects_chance_level_and_bad_outputs():
    # majority vote on the majority-of-bits target: exactly 2 of 4 test points right
    result = nfl.check_own_learner(nfl.majority_vote, nfl.majority_of_bits, verbose=False)
    assert not result and "gP = 0" in result.message and "[0, 0, 0, 1, 0, 1, 1, 1]" in result.message
    probabilities = nfl.check_own_learner(lambda a, b, q: np.full(len(q), 0.3), nfl.parity,
                                          verbose=False)
    assert not probabilities and "0.3" in probabilities.message
    too_short = nfl.check_own_learner(lambda a, b, q: np.zeros(2), nfl.parity, verbose=False)
    assert not too_short and "shape" in too_short.message
    bad_target = nfl.check_own_learner(parity_learner, lambda x: 2, verbose=False)
    assert not bad_target and "x = [0, 0, 0]" in bad_target.message
    crash = nfl.check_own_learner(lambda a, b, q: q[5], nfl.parity, verbose=False)
    assert not crash and "IndexError" in crash.message and "x_query = {010" in crash.message


def test_check_own_learner_stubs_say_not_done():
    def stub(*args):
        raise NotImplementedError

    assert nfl.check_own_learner(stub, nfl.parity, verbose=False).not_done
    assert nfl.check_own_learner(parity_learner, stub, verbose=False).not_done


def test_print_lines_and_verdicts_write_once(monkeypatch):
    # a stored notebook output stays one piece only if the cell writes once
    writes = []

    class Recorder:
        def write(self, text):
            writes.append(text)

    monkeypatch.setattr("sys.stdout", Recorder())
    nfl.print_lines(["a", "b"])
    nfl.check_gp(nfl.gp)
    assert writes[0] == "a\nb\n" and len(writes) == 2 and writes[1].startswith("✓ gP")


def test_bayes_optimal_learner_by_hand_for_m1():
    # targets of m = 1 in order: 00, 01, 10, 11 (labels of inputs 0 and 1)
    x_train, y_train, query = np.array([[0]]), np.array([1]), np.array([[1]])
    uniform = nfl.bayes_optimal_learner(1, [1, 1, 1, 1])
    assert uniform(x_train, y_train, query).tolist() == [0]  # 10 and 11 tie → 0
    constants = nfl.bayes_optimal_learner(1, [1, 0, 0, 1])  # nature is constant
    assert constants(x_train, y_train, query).tolist() == [1]
    flips = nfl.bayes_optimal_learner(1, [0, 1, 1, 0])  # nature is x or not x
    assert flips(x_train, y_train, query).tolist() == [0]
    with pytest.raises(ValueError, match="one entry per target"):
        nfl.bayes_optimal_learner(1, [1, 1])
