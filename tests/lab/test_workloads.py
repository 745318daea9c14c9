import itertools
import math

import pytest
import torch

from optnotes.lab.workloads import (
    digits_workload,
    lr_factor,
    markov_workload,
    steps_to_target,
    train_run,
)
from optnotes.optim import SGD, Adam


@pytest.fixture(scope="module")
def digits():
    return digits_workload(steps=30, eval_every=10)


def test_digits_splits_are_disjoint_and_sized(digits):
    assert len(digits.validation.x) == 300
    assert len(digits.train.x) + 300 + len(digits.test.x) == 1797
    assert digits.floor == 0
    assert digits.classification


def test_markov_workload_floor_is_the_entropy_rate():
    w = markov_workload(steps=4, n_train=32, n_eval=16)
    assert 0 < w.floor < math.log(8)
    assert w.train.x.shape == (32, 16)


def test_lr_factor_warms_up_then_decays_to_zero():
    factors = [lr_factor(s, 100, warmup=10, decay=True) for s in range(100)]
    assert factors[0] == pytest.approx(0.1)
    assert factors[9] == 1.0
    assert factors[10] == 1.0
    assert factors[-1] < 0.001
    assert all(a >= b for a, b in itertools.pairwise(factors[9:]))
    assert lr_factor(50, 100, warmup=10, decay=False) == 1.0


def test_a_run_learns_and_repeats(digits):
    run = train_run(digits, lambda m: Adam(m.parameters(), lr=1e-2), seed=1)
    assert run.steps == [0, 10, 20, 30]
    assert run.val_loss[-1] < 0.5 * run.val_loss[0]
    assert not run.diverged
    assert 0.5 < run.test_accuracy <= 1
    again = train_run(digits, lambda m: Adam(m.parameters(), lr=1e-2), seed=1)
    assert again.val_loss == run.val_loss
    assert steps_to_target(run, run.val_loss[2]) == 20
    assert steps_to_target(run, -1.0) is None


def test_a_diverged_run_is_marked(digits):
    run = train_run(digits, lambda m: SGD(m.parameters(), lr=1e6), seed=0, schedule="constant")
    assert run.diverged
    assert run.test_loss == math.inf
    assert run.steps[-1] == 30
    assert run.val_loss[-1] == math.inf
    assert len(run.steps) == len(run.val_loss)


def test_schedule_sets_the_rates_and_schedule_free_is_switched(digits):
    seen, modes = [], []

    class Recording(SGD):
        def step(self, closure=None):
            seen.append(self.param_groups[0]["lr"])
            return super().step(closure)

        def train(self):
            modes.append("train")

        def eval(self):
            modes.append("eval")

    train_run(digits, lambda m: Recording(m.parameters(), lr=0.1), steps=20)
    assert seen[0] == pytest.approx(0.1)
    assert seen[-1] < 0.01
    assert modes[:3] == ["train", "eval", "train"]
    assert modes[-1] == "eval"
    seen.clear()
    train_run(digits, lambda m: Recording(m.parameters(), lr=0.1), steps=5, schedule="none")
    assert seen == [0.1] * 5
    with pytest.raises(ValueError, match="schedule"):
        train_run(digits, lambda m: SGD(m.parameters()), schedule="step")


def test_markov_run_trains_a_transformer():
    w = markov_workload(steps=6, n_train=64, n_eval=32, eval_every=3)
    run = train_run(w, lambda m: Adam(m.parameters(), lr=3e-3))
    assert run.steps == [0, 3, 6]
    assert run.test_accuracy is None
    assert run.val_loss[-1] < run.val_loss[0]
    assert torch.isfinite(torch.tensor(run.test_loss))
