"""The shared core of lecturelib: seeding, data, models, training, plotting, glue."""

from __future__ import annotations

import builtins
import random

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

import lecturelib
from lecturelib import book, data, models, plotting, training
from lecturelib.seed import NUM_THREADS, seed_everything


def draw_all() -> tuple:
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_version_is_exposed():
    assert isinstance(lecturelib.__version__, str) and lecturelib.__version__.count(".") == 2


def test_seed_everything_makes_every_generator_repeat():
    seed_everything(3)
    first = draw_all()
    seed_everything(3)
    assert draw_all() == first
    seed_everything(4)
    assert draw_all() != first
    assert torch.get_num_threads() == NUM_THREADS


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)


def test_digits_split_is_stratified_and_standardized_on_train():
    split = data.digits(test_size=0.3, seed=0)
    assert split.x_train.shape == (1257, 64) and split.x_test.shape == (540, 64)
    assert split.x_train.dtype == torch.float32 and split.y_train.dtype == torch.int64
    assert split.n_features == 64 and split.n_classes == 10
    assert torch.allclose(split.x_train.mean(0), torch.zeros(64), atol=1e-5)
    nonconstant = split.x_train.std(0) > 0
    assert torch.allclose(split.x_train.std(0, unbiased=False)[nonconstant],
                          torch.ones(int(nonconstant.sum())), atol=1e-4)
    train_share = torch.bincount(split.y_train) / len(split.y_train)
    test_share = torch.bincount(split.y_test) / len(split.y_test)
    assert (train_share - test_share).abs().max() < 0.01
    assert not torch.isnan(split.x_test).any()


def test_splits_repeat_for_a_seed_and_differ_across_seeds():
    a, b, c = data.moons(seed=1), data.moons(seed=1), data.moons(seed=2)
    assert torch.equal(a.x_train, b.x_train) and not torch.equal(a.x_train, c.x_train)
    assert a.n_classes == 2 and a.n_features == 2


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.2, 2])
def test_split_rejects_bad_test_size(test_size):
    with pytest.raises(ValueError, match="test_size"):
        data.digits(test_size=test_size)


def test_mlp_layers_and_one_activation_per_hidden_layer():
    net = models.mlp([4, 8, 8, 3], nn.PReLU)
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.PReLU, nn.Linear, nn.PReLU, nn.Linear]
    assert net[1] is not net[3], "each hidden layer must get its own PReLU parameter"
    assert net(torch.zeros(5, 4)).shape == (5, 3)


@pytest.mark.parametrize("sizes", [[4], [4, 0, 2], [4, 2.5, 3]])
def test_mlp_rejects_bad_sizes(sizes):
    with pytest.raises(ValueError, match="sizes"):
        models.mlp(sizes)


def test_mlp_rejects_an_activation_instance():
    with pytest.raises(TypeError, match="activation"):
        models.mlp([2, 3, 1], activation="relu")


def test_accuracy_matches_a_hand_count():
    net = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        net.weight.copy_(torch.eye(2))
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [0.0, 3.0]])
    y = torch.tensor([0, 0, 0, 1])
    assert training.accuracy(net, x, y) == pytest.approx(0.75)


def test_training_learns_moons_and_repeats_exactly():
    split = data.moons(n_samples=300, seed=0)
    results = []
    for _ in range(2):
        seed_everything(0)
        net = models.mlp([2, 32, 2])
        history = training.train(net, split, epochs=60, lr=0.05, batch_size=None, seed=0)
        results.append(history)
    assert results[0] == results[1], "the same seed must give the same history"
    assert results[0]["loss"][-1] < 0.5 * results[0]["loss"][0]
    assert results[0]["test_acc"][-1] > 0.85


@pytest.mark.parametrize("kwargs, word", [({"epochs": 0, "lr": 0.1}, "epochs"),
                                          ({"epochs": 1, "lr": 0.0}, "lr"),
                                          ({"epochs": 1, "lr": 0.1, "optimizer": "rmsprop"},
                                           "optimizer")])
def test_train_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        training.train(models.mlp([2, 2]), data.moons(), **kwargs)


def test_book_style_and_subplots():
    old = dict(matplotlib.rcParams)
    try:
        plotting.use_book_style()
        assert matplotlib.rcParams["axes.spines.top"] is False
        fig, axes = plotting.subplots(2, 3)
        assert isinstance(fig, Figure) and axes.shape == (2, 3)
        matplotlib.pyplot.close(fig)
        with pytest.raises(ValueError, match="nrows"):
            plotting.subplots(0, 1)
    finally:
        matplotlib.rcParams.update(old)


def test_glue_falls_back_to_print_without_myst_nb(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_myst(name, *args, **kwargs):
        if name.startswith("myst_nb"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst)
    book.glue("answer", "42")
    assert capsys.readouterr().out.strip() == "answer = 42"
    with pytest.raises(ValueError, match="name"):
        book.glue("", 1)


def test_ru_number_uses_a_decimal_comma_and_a_true_minus():
    assert book.ru_number(0.25, 3) == "0,250"
    assert book.ru_number(-1.5, 1) == "−1,5"
    assert book.ru_number(2, 0) == "2"
    with pytest.raises(ValueError, match="digits"):
        book.ru_number(1.0, -1)


def test_glue_formats_numbers_when_asked(monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "myst_nb", None)  # import fails -> print
    book.glue("share", 0.6827, digits=2)
    assert capsys.readouterr().out.strip() == "share = 0,68"
