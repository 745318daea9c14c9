import math

import numpy as np
import pytest
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from optnotes.lab.averaging import (
    AveragedRun,
    Averaging,
    averaged_moments,
    ema_weights,
    polyak_weights,
    simulate_averaged,
    train_averaged,
)
from optnotes.lab.data import digits
from optnotes.lab.experiments import sgd_momentum, train_digits
from optnotes.lab.noisy_quadratic import NoisyQuadratic
from optnotes.lab.training import evaluate


def test_polyak_and_ema_weights():
    assert polyak_weights(5).tolist() == [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5]
    assert polyak_weights(5, start=2).tolist() == [1, 1, 1, 1 / 2, 1 / 3]
    assert ema_weights(4, 0.9).tolist() == pytest.approx([1, 0.1, 0.1, 0.1])
    assert ema_weights(4, 0.9, start=1).tolist() == pytest.approx([1, 1, 0.1, 0.1])
    with pytest.raises(ValueError, match="steps"):
        polyak_weights(0)
    with pytest.raises(ValueError, match="start"):
        polyak_weights(3, -1)
    with pytest.raises(ValueError, match="decay"):
        ema_weights(3, 1.0)


def test_the_polyak_average_of_stationary_iterates_has_the_closed_form_variance():
    h, c, eta, n, burn = 2.0, 3.0, 0.05, 40, 3000
    problem = NoisyQuadratic(curvatures=h, noise=c, start=0.0)
    moments = averaged_moments(problem, np.full(burn + n, eta), polyak_weights(burn + n, burn))
    a = 1 - eta * h
    sigma2 = eta * c / (h * (2 - eta * h))
    closed = sigma2 / n * ((1 + a) / (1 - a) - 2 * a * (1 - a**n) / (n * (1 - a) ** 2))
    assert moments.variance[-1, 0] == pytest.approx(sigma2, rel=1e-12)
    assert moments.average_variance[-1, 0] == pytest.approx(closed, rel=1e-9)
    # a copy while μ = 1: the average is the iterate
    assert moments.average_variance[burn + 1, 0] == pytest.approx(moments.variance[burn + 1, 0])
    assert moments.covariance[burn + 1, 0] == pytest.approx(moments.variance[burn + 1, 0])


def test_the_ema_of_stationary_iterates_has_the_closed_form_variance():
    h, c, eta, beta = 1.0, 1.0, 0.1, 0.95
    problem = NoisyQuadratic(curvatures=h, noise=c, start=0.0)
    steps = 4000
    moments = averaged_moments(problem, np.full(steps, eta), ema_weights(steps, beta, 1000))
    a = 1 - eta * h
    sigma2 = eta * c / (h * (2 - eta * h))
    closed = sigma2 * (1 - beta) / (1 + beta) * (1 + a * beta) / (1 - a * beta)
    assert moments.average_variance[-1, 0] == pytest.approx(closed, rel=1e-9)


def test_moments_agree_with_sampled_runs_and_the_noisy_quadratic():
    problem = NoisyQuadratic(curvatures=[1.0, 10.0], noise=[1.0, 5.0], start=[3.0, -1.0])
    steps, runs = 60, 20000
    lrs = np.full(steps, 0.08)
    weights = polyak_weights(steps, 20)
    moments = averaged_moments(problem, lrs, weights)
    # the iterate's moments are the noisy quadratic's own
    mean, variance = problem.moments(lrs)
    np.testing.assert_allclose(moments.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(moments.variance, variance, rtol=1e-12)
    np.testing.assert_allclose(moments.expected_loss, problem.expected_loss(lrs), rtol=1e-12)
    iterates, averages = simulate_averaged(problem, lrs, weights, runs=runs, seed=3)
    assert iterates.shape == averages.shape == (steps + 1, runs, 2)
    # the same draws as simulate
    losses = problem.simulate(lrs, runs=runs, seed=3)
    np.testing.assert_allclose(0.5 * (iterates**2 * [1.0, 10.0]).sum(-1), losses, rtol=1e-12)
    # the average is the mean of the iterates after step 20, run by run
    np.testing.assert_allclose(averages[-1], iterates[21:].mean(axis=0), rtol=1e-9, atol=1e-12)
    # sampled means and variances: well within 5 standard errors
    for t in (10, 30, steps):
        sample_mean = averages[t].mean(axis=0)
        error = np.sqrt(moments.average_variance[t] / runs)
        assert np.all(np.abs(sample_mean - moments.average_mean[t]) < 5 * error)
        sample_var = averages[t].var(axis=0)
        assert np.allclose(sample_var, moments.average_variance[t], rtol=5 * math.sqrt(2 / runs))
    loss = 0.5 * (averages[-1] ** 2 * [1.0, 10.0]).sum(-1).mean()
    assert loss == pytest.approx(moments.average_expected_loss[-1], rel=0.05)


def test_invalid_weights_are_refused():
    problem = NoisyQuadratic(curvatures=1.0, noise=1.0, start=1.0)
    with pytest.raises(ValueError, match="one entry per step"):
        averaged_moments(problem, [0.1, 0.1], [1.0])
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        averaged_moments(problem, [0.1, 0.1], [1.0, 0.0])
    with pytest.raises(ValueError, match="shape"):
        averaged_moments(problem, np.full((2, 2), 0.1), [1.0, 1.0])


@pytest.fixture(scope="module")
def digit_data():
    return digits(device="cpu")


def test_train_averaged_keeps_the_averages_of_the_steps(digit_data):
    train, test = digit_data
    batch = 512
    steps_per_epoch = math.ceil(len(train.x) / batch)
    run = train_averaged(
        sgd_momentum(0.05),
        {
            "swa": Averaging(lambda m: AveragedModel(m), start_epoch=1),
            "ema": Averaging(lambda m: AveragedModel(m, multi_avg_fn=get_ema_multi_avg_fn(0.5))),
        },
        data=digit_data,
        epochs=3,
        batch_size=batch,
        hidden=8,
        device="cpu",
    )
    assert isinstance(run, AveragedRun)
    assert int(run.averages["swa"].n_averaged) == 2 * steps_per_epoch
    assert int(run.averages["ema"].n_averaged) == 3 * steps_per_epoch
    assert set(run.test) == {"last", "swa", "ema"}
    assert math.isnan(run.test_loss["swa"][0])
    assert len(run.test_loss["swa"]) == 3
    assert run.test_loss["ema"][-1] == run.test["ema"]["loss"]
    assert run.test_loss["last"][-1] == pytest.approx(run.test["last"]["loss"])
    assert run.test["swa"] == evaluate(run.averages["swa"], test)
    # the hook is gone and the last iterate is train_digits' run
    assert run.averages["swa"].module is not run.model
    assert run.optimizer.state
    reference = train_digits(
        sgd_momentum(0.05),
        data=(train, test, test),
        epochs=3,
        batch_size=batch,
        hidden=8,
        device="cpu",
    )
    for ours, theirs in zip(run.model.parameters(), reference.model.parameters(), strict=True):
        assert torch.equal(ours, theirs)


def test_train_averaged_refuses_bad_averages(digit_data):
    with pytest.raises(ValueError, match="last"):
        train_averaged(sgd_momentum(0.05), {"last": Averaging(AveragedModel)}, data=digit_data)
    with pytest.raises(ValueError, match="start_epoch"):
        train_averaged(
            sgd_momentum(0.05), {"swa": Averaging(AveragedModel, 3)}, data=digit_data, epochs=3
        )
