import math

import pytest
import torch

import optnotes.optim
from optnotes.lab.experiments import (
    compare_optimizers,
    digits_batch,
    parameter_history,
    separated,
    sgd_momentum,
    spread,
    train_digits,
)
from optnotes.lab.training import evaluate


def test_parameter_history_records_every_step():
    x, y = digits_batch(32)
    rows = parameter_history(torch.optim.SGD, (x, y), steps=3, hidden=4, lr=0.1)
    n_params = (64 * 4 + 4) + (4 * 4 + 4) + (4 * 10 + 10)
    assert rows.shape == (3, n_params)
    assert not torch.equal(rows[0], rows[1])
    again = parameter_history(torch.optim.SGD, (x, y), steps=3, hidden=4, lr=0.1)
    assert torch.equal(rows, again)
    assert parameter_history(
        torch.optim.SGD, (x, y), steps=1, dtype=torch.float64, lr=0.1
    ).dtype == (torch.float64)


def test_compare_optimizers_finds_identical_and_different_runs():
    same = compare_optimizers(
        optnotes.optim.Adam, torch.optim.Adam, [{}, {"amsgrad": True}], steps=5
    )
    assert [p.identical for p in same] == [True, True]
    assert all(p.max_difference == 0 for p in same)
    assert str(same[0]).startswith("identical")
    assert "the defaults" in str(same[0])

    class Off(torch.optim.SGD):  # a learning rate 1 % too large
        def __init__(self, params, lr):
            super().__init__(params, lr=lr * 1.01)

    (different,) = compare_optimizers(Off, torch.optim.SGD, [{"lr": 0.1}], steps=3)
    assert not different.identical
    assert different.max_difference > 0
    assert str(different).startswith("DIFFERENT")


def test_compare_optimizers_counts_nan_as_a_difference():
    class Broken(torch.optim.SGD):
        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.fill_(math.nan)

    (result,) = compare_optimizers(Broken, torch.optim.SGD, [{"lr": 0.1}], steps=1)
    assert not result.identical
    assert result.max_difference == math.inf


def test_train_digits_matches_a_hand_written_run():
    from optnotes.lab.data import digits
    from optnotes.lab.models import mlp
    from optnotes.lab.training import fit

    run = train_digits(sgd_momentum(0.05), epochs=2, seed=1, device="cpu")
    train, test = digits(seed=1, device="cpu")
    model = mlp(64, 64, 10, seed=1)
    optimizer = optnotes.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = fit(
        model,
        optimizer,
        train,
        val_data=test,
        epochs=2,
        batch_size=32,
        seed=1,
        device="cpu",
        progress=False,
    )
    assert run.history.steps["loss"] == history.steps["loss"]
    assert run.test_accuracy == evaluate(model, test)["accuracy"]
    assert run.optimizer.param_groups[0]["momentum"] == 0.9


def test_train_digits_uses_given_splits_and_scheduler():
    from optnotes.lab.data import digits

    train, test = digits(device="cpu")
    fit_part, val_part = (train.x[:1000], train.y[:1000]), (train.x[1000:], train.y[1000:])
    run = train_digits(
        sgd_momentum(0.1),
        make_scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5),
        data=(fit_part, val_part, test),
        epochs=3,
        device="cpu",
    )
    lrs = run.history.steps["lr"]
    assert len(lrs) == 3 * math.ceil(1000 / 32)
    assert sorted(set(lrs), reverse=True) == [0.1, 0.05, 0.025]
    assert len(run.history.epochs["val_loss"]) == 3


def test_spread_and_separated():
    s = spread([1.0, 2.0, 3.0])
    assert (s.mean, s.std, s.min, s.max) == (2.0, 1.0, 1.0, 3.0)
    assert "±" in str(s)
    assert spread([4.0]).std == 0.0
    assert separated([10.0, 10.1, 9.9], [1.0, 1.1, 0.9])
    assert not separated([1.0, 1.1, 0.9], [10.0, 10.1, 9.9])
    # a mean difference of one standard error is noise, not a finding
    assert not separated([1.0, 2.0, 3.0], [0.5, 1.5, 2.5])
    with pytest.raises(ValueError, match="two seeds"):
        separated([1.0], [0.0, 0.1])
