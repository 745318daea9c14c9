import doctest

import numpy as np
import pytest
import torch

import optnotes.lab.noisy_quadratic as nq
from optnotes.lab import seeding
from optnotes.lab.noisy_quadratic import NoisyQuadratic, schedule_lrs
from optnotes.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau, StepLR, lr_sequence
from optnotes.optim import SGD


@pytest.fixture
def problem():
    h = np.geomspace(1.0, 0.05, 6)
    return NoisyQuadratic(curvatures=h, noise=0.5 * h, start=1 / np.sqrt(h))


def test_doctests_hold():
    assert doctest.testmod(nq).failed == 0


@pytest.mark.parametrize("lr", [0.05, 0.5, 1.2, 1.9])
def test_stationary_loss_is_the_fixed_point_of_the_recursion(lr):
    problem = NoisyQuadratic(curvatures=[0.5, 1.0], noise=[2.0, 0.3], start=[3.0, -1.0])
    floor = problem.stationary_loss(lr)
    # from any start the expected loss contracts onto the floor geometrically
    long_run = problem.expected_loss(np.full(20_000, lr))
    assert long_run[-1] == pytest.approx(float(floor), rel=1e-12)
    # and the floor's second moments are mapped onto themselves by one step, to round-off
    h, c = problem.curvatures, problem.noise
    v = lr * c / (h * (2 - lr * h))
    assert np.allclose((1 - lr * h) ** 2 * v + lr**2 * c, v, rtol=1e-14, atol=0)
    assert float(floor) == pytest.approx(0.5 * (h * v).sum(), rel=1e-14)


def test_stationary_loss_of_several_rates_and_the_one_dimensional_formula():
    problem = NoisyQuadratic(curvatures=1.0, noise=1.0, start=10.0)
    lrs = np.array([0.1, 0.5, 1.0])
    assert np.allclose(problem.stationary_loss(lrs), lrs / (2 * (2 - lrs)), rtol=1e-15)
    assert problem.stationary_loss(lrs).shape == (3,)


def test_expected_loss_matches_the_closed_form_for_a_constant_rate():
    h, c, start, lr, steps = 0.7, 1.3, 4.0, 0.3, 50
    problem = NoisyQuadratic(curvatures=h, noise=c, start=start)
    q = (1 - lr * h) ** (2 * np.arange(steps + 1))
    v = q * start**2 + lr * c * (1 - q) / (h * (2 - lr * h))
    assert np.allclose(problem.expected_loss(np.full(steps, lr)), 0.5 * h * v, rtol=1e-13)


def test_expected_loss_without_noise_is_the_deterministic_run(problem):
    quiet = NoisyQuadratic(problem.curvatures, 0.0, problem.start)
    lrs = schedule_lrs(StepLR, 40, 0.8, step_size=10, gamma=0.5)
    theta = problem.start.copy()
    losses = [0.5 * (problem.curvatures * theta**2).sum()]
    for lr in lrs:
        theta = theta - lr * problem.curvatures * theta
        losses.append(0.5 * (problem.curvatures * theta**2).sum())
    assert np.allclose(quiet.expected_loss(lrs), losses, rtol=1e-13)
    assert np.array_equal(quiet.loss_std(lrs), np.zeros(41))
    assert np.array_equal(quiet.simulate(lrs, runs=3)[:, 0], quiet.simulate(lrs, runs=3)[:, 2])


def test_sampled_mean_matches_the_exact_expectation(problem):
    runs = 4000
    lrs = schedule_lrs(CosineAnnealingLR, 120, 1.0, T_max=120)
    sampled = problem.simulate(lrs, runs=runs, seed=0)
    exact, std = problem.expected_loss(lrs), problem.loss_std(lrs)
    assert sampled.shape == (121, runs)
    assert sampled[0] == pytest.approx(np.full(runs, exact[0]), rel=1e-14)
    # the mean of `runs` independent runs lies within 5 standard errors at every step
    error = np.abs(sampled.mean(axis=1) - exact)
    assert np.all(error[1:] < 5 * std[1:] / np.sqrt(runs))
    # and the runs scatter by the exact standard deviation (sampling error of a std: ~1 %)
    assert np.allclose(sampled[1:].std(axis=1), std[1:], rtol=0.1)


def test_simulate_is_sgd_bit_for_bit(problem):
    runs, lrs = 5, schedule_lrs(StepLR, 30, 1.0, step_size=10, gamma=0.3)
    sampled = problem.simulate(lrs, runs=runs, seed=3)
    draws = seeding.generator(3)
    theta = problem.initial(runs).requires_grad_()
    optimizer = SGD([theta], lr=lrs[0])
    losses = [problem.loss(theta.detach())]
    for lr in lrs:
        optimizer.param_groups[0]["lr"] = float(lr)
        theta.grad = problem.gradient(theta.detach(), draws)
        optimizer.step()
        losses.append(problem.loss(theta.detach()))
    assert np.array_equal(sampled, torch.stack(losses).numpy())


def test_one_learning_rate_per_run(problem):
    steps, runs = 25, 3
    columns = np.stack([np.full(steps, lr) for lr in (0.1, 0.5, 1.0)], axis=1)
    exact = problem.expected_loss(columns)
    assert exact.shape == (steps + 1, runs)
    for j in range(runs):
        assert np.array_equal(exact[:, j], problem.expected_loss(columns[:, j]))
    same = problem.simulate(np.tile(columns[:, :1], (1, runs)), runs=runs, seed=1)
    shared = problem.simulate(columns[:, 0], runs=runs, seed=1)
    assert np.allclose(same, shared, rtol=1e-12)


def test_seeds_follow_the_offset(problem, monkeypatch):
    lrs = np.full(10, 0.5)
    monkeypatch.delenv(seeding.ENV_VAR, raising=False)
    base = problem.simulate(lrs, runs=4, seed=0)
    assert np.array_equal(base, problem.simulate(lrs, runs=4, seed=0))
    assert not np.array_equal(base, problem.simulate(lrs, runs=4, seed=1))
    monkeypatch.setenv(seeding.ENV_VAR, "1")
    shifted = problem.simulate(lrs, runs=4, seed=0)
    monkeypatch.delenv(seeding.ENV_VAR)
    assert np.array_equal(shifted, problem.simulate(lrs, runs=4, seed=1))


def test_schedule_lrs_are_the_rates_the_steps_use():
    lrs = schedule_lrs(StepLR, 6, 0.4, step_size=2, gamma=0.5)
    assert lrs.tolist() == [0.4, 0.4, 0.2, 0.2, 0.1, 0.1]
    assert schedule_lrs(StepLR, 1, 0.4, step_size=2).tolist() == [0.4]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"curvatures": [1.0, 0.0], "noise": 1.0, "start": 1.0}, "curvatures"),
        ({"curvatures": [1.0, -2.0], "noise": 1.0, "start": 1.0}, "curvatures"),
        ({"curvatures": [], "noise": 1.0, "start": 1.0}, "curvatures"),
        ({"curvatures": [[1.0]], "noise": 1.0, "start": 1.0}, "curvatures"),
        ({"curvatures": "steep", "noise": 1.0, "start": 1.0}, "curvatures"),
        ({"curvatures": [1.0, np.inf], "noise": 1.0, "start": 1.0}, "curvatures"),
        ({"curvatures": [1.0, 2.0], "noise": -1.0, "start": 1.0}, "noise"),
        ({"curvatures": [1.0, 2.0], "noise": [1.0, 1.0, 1.0], "start": 1.0}, "noise"),
        ({"curvatures": [1.0, 2.0], "noise": 1.0, "start": [1.0, np.nan]}, "start"),
        ({"curvatures": [1.0, 2.0], "noise": 1.0, "start": [1.0]}, "start"),
    ],
)
def test_bad_problems_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        NoisyQuadratic(**kwargs)


def test_bad_learning_rates_and_runs_are_refused_by_name(problem):
    for lr in (0.0, -0.1, 2.0, 3.0, np.nan):  # largest curvature 1: floors need 0 < lr < 2
        with pytest.raises(ValueError, match="lr"):
            problem.stationary_loss(lr)
    for lrs in ([], [0.1, -0.1], [0.1, np.inf], np.zeros((2, 2, 2)), "fast"):
        with pytest.raises(ValueError, match="lrs"):
            problem.expected_loss(lrs)
        with pytest.raises(ValueError, match="lrs"):
            problem.simulate(lrs, runs=2)
    with pytest.raises(ValueError, match="lrs"):
        problem.simulate(np.full((5, 3), 0.1), runs=2)
    for runs in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="runs"):
            problem.simulate([0.1], runs=runs)
    with pytest.raises(ValueError, match="steps"):
        schedule_lrs(StepLR, 0, 0.1, step_size=2)


def test_a_timetable_scheduler_is_the_same_for_every_run(problem):
    losses, lrs = problem.simulate_scheduler(
        StepLR, 40, lr=0.8, runs=6, seed=2, steps_per_epoch=5, step_size=2, gamma=0.5
    )
    per_epoch = np.array(lr_sequence(StepLR, 7, lrs=(0.8,), step_size=2, gamma=0.5))[:, 0]
    assert lrs.shape == (40, 6)
    assert np.array_equal(lrs, np.repeat(per_epoch, 5)[:, None].repeat(6, axis=1))
    assert np.array_equal(losses, problem.simulate(np.repeat(per_epoch, 5), runs=6, seed=2))


def test_a_plateau_scheduler_watches_its_own_run(problem):
    runs, per_epoch, kwargs = 8, 10, {"factor": 0.3, "patience": 1}
    losses, lrs = problem.simulate_scheduler(
        ReduceLROnPlateau, 200, lr=1.0, runs=runs, seed=0, steps_per_epoch=per_epoch, **kwargs
    )
    assert losses.shape == (201, runs)
    # every run's learning rates are the rule applied to its own mean loss of each epoch
    metrics = losses[1:].reshape(20, per_epoch, runs).mean(axis=1)
    for j in range(runs):
        replayed = np.array(
            lr_sequence(ReduceLROnPlateau, 19, lrs=(1.0,), metrics=metrics[:, j], **kwargs)
        )[:, 0]
        assert np.array_equal(lrs[:, j], np.repeat(replayed, per_epoch))
    assert len({tuple(column) for column in lrs.T}) > 1  # the runs cut at different epochs
    assert np.all(lrs[-1] < 1.0)  # every run cut at least once
    # the mean over the runs is a sample of the loss under each run's own rates
    again, _ = problem.simulate_scheduler(
        ReduceLROnPlateau, 200, lr=1.0, runs=runs, seed=0, steps_per_epoch=per_epoch, **kwargs
    )
    assert np.array_equal(losses, again)


def test_bad_scheduler_runs_are_refused_by_name(problem):
    for steps, per_epoch, name in [
        (0, 1, "steps"),
        (10, 0, "steps_per_epoch"),
        (10, 3, "steps_per_epoch"),
    ]:
        with pytest.raises(ValueError, match=name):
            problem.simulate_scheduler(
                StepLR, steps, lr=0.1, runs=2, steps_per_epoch=per_epoch, step_size=2
            )
    for lr in (0.0, -1.0, np.inf, True):
        with pytest.raises(ValueError, match="lr"):
            problem.simulate_scheduler(StepLR, 10, lr=lr, runs=2, step_size=2)
