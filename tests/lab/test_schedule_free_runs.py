import numpy as np
import pytest
import torch

from optnotes.lab.data import digits
from optnotes.lab.experiments import train_digits
from optnotes.lab.noisy_quadratic import NoisyQuadratic
from optnotes.lab.schedule_free import (
    average_weights,
    bn_mlp,
    schedule_free_moments,
    train_schedule_free,
)
from optnotes.lab.seeding import generator
from optnotes.optim import AdamWScheduleFree, SGDScheduleFree


def test_average_weights_read_the_optimizers_rates_and_weights():
    lrs, c = average_weights(lambda p: SGDScheduleFree(p, lr=0.5), 6)
    assert lrs.tolist() == [0.5] * 6
    assert c == pytest.approx(1 / np.arange(1, 7), rel=1e-15)
    lrs, c = average_weights(lambda p: SGDScheduleFree(p, lr=1.0, warmup_steps=4), 6)
    assert lrs == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0, 1.0])
    w = np.array([0.25, 0.5, 0.75, 1.0, 1.0, 1.0]) ** 2  # lr_max ** 2
    assert c == pytest.approx(w / np.cumsum(w), rel=1e-14)
    with pytest.raises(ValueError, match="steps"):
        average_weights(lambda p: SGDScheduleFree(p), 0)


def _quadratic(noise):
    h = np.array([1.0, 0.3, 0.05])
    return NoisyQuadratic(h, noise=noise * h, start=[1.0, -2.0, 3.0])


@pytest.mark.parametrize("beta", [0.5, 0.9])
def test_the_mean_is_the_noiseless_run_of_the_optimizer(beta):
    problem = _quadratic(0.0)
    make = lambda p: SGDScheduleFree(p, lr=0.8, momentum=beta, warmup_steps=3)  # noqa: E731
    lrs, c = average_weights(make, 20)
    moments = schedule_free_moments(problem, lrs, c, beta)
    theta = torch.tensor(problem.start, requires_grad=True)
    optimizer = make([theta])
    optimizer.train()
    for t in range(20):
        theta.grad = torch.tensor(problem.curvatures) * theta.detach()
        optimizer.step()
        assert theta.detach().numpy() == pytest.approx(moments.mean_y[t + 1], rel=1e-12)
    optimizer.eval()
    assert theta.detach().numpy() == pytest.approx(moments.mean_x[-1], rel=1e-12)
    assert np.all(moments.var_x == 0)
    assert np.all(moments.var_z == 0)


def test_the_variances_match_sampled_runs():
    problem = _quadratic(1.0)
    make = lambda p: SGDScheduleFree(p, lr=0.5)  # noqa: E731
    lrs, c = average_weights(make, 15)
    moments = schedule_free_moments(problem, lrs, c, 0.9)
    runs = 4000
    theta = torch.tensor(problem.start).expand(runs, 3).clone().requires_grad_()
    optimizer = make([theta])
    optimizer.train()
    draws = generator(3)
    for _ in range(15):
        theta.grad = problem.gradient(theta.detach(), draws)
        optimizer.step()
    at_y = problem.loss(theta.detach()).numpy()
    optimizer.eval()
    at_x = problem.loss(theta.detach()).numpy()
    for sample, exact in ((at_y, moments.expected_loss_y[-1]), (at_x, moments.expected_loss_x[-1])):
        error = sample.std() / np.sqrt(runs)
        assert abs(sample.mean() - exact) < 5 * error


def test_columns_are_independent_runs_and_arguments_are_checked():
    problem = _quadratic(1.0)
    lrs, c = average_weights(lambda p: SGDScheduleFree(p, lr=1.0), 10)
    both = schedule_free_moments(problem, np.outer(lrs, [0.3, 0.6]), c, 0.8)
    one = schedule_free_moments(problem, 0.6 * lrs, c, 0.8)
    assert both.expected_loss_x[:, 1] == pytest.approx(one.expected_loss_x, rel=1e-13)
    assert both.expected_loss_z.shape == (11, 2)
    with pytest.raises(ValueError, match="beta"):
        schedule_free_moments(problem, lrs, c, 1.5)
    with pytest.raises(ValueError, match="rows"):
        schedule_free_moments(problem, lrs, c[:-1], 0.5)
    with pytest.raises(ValueError, match="weights"):
        schedule_free_moments(problem, lrs, c + 1, 0.5)


def _in_train_mode(optimizer):
    optimizer.train()  # fit never switches: train mode from the start
    return optimizer


def test_bn_mlp_is_seeded_and_normalised():
    a, b = bn_mlp(4, 8, 3, seed=1), bn_mlp(4, 8, 3, seed=1)
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in a) == 2
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_train_schedule_free_follows_train_digits_and_scores_at_x():
    train, test = digits(n_train=96, seed=0, device="cpu")
    make = lambda p: AdamWScheduleFree(p, lr=0.01, warmup_steps=2)  # noqa: E731
    run = train_schedule_free(make, data=(train, test), epochs=2, batch_size=32, device="cpu")
    reference = train_digits(
        lambda p: _in_train_mode(make(p)),
        data=(train, test, test),
        epochs=2,
        batch_size=32,
        device="cpu",
    )
    # the same batches: the same training losses (round-off from the scoring round trip)
    assert run.train_loss == pytest.approx(reference.history.steps["loss"], rel=1e-5)
    assert run.epochs == [1, 2]
    assert run.at_x_bn == []
    assert run.optimizer.param_groups[0]["train_mode"]
    run.optimizer.eval()
    x = [p.detach().clone() for p in run.model.parameters()]
    assert run.at_x[-1]["test_loss"] == pytest.approx(
        torch.nn.functional.cross_entropy(run.model(test.x), test.y).item(), rel=1e-6
    )
    assert all(torch.isfinite(p).all() for p in x)


def test_batch_norm_statistics_are_recomputed_at_x_and_restored():
    train, test = digits(n_train=96, seed=1, device="cpu")
    run = train_schedule_free(
        lambda p: AdamWScheduleFree(p, lr=0.05, betas=(0.5, 0.999)),
        data=(train, test),
        epochs=1,
        batch_norm=True,
        bn_batches=3,
        seed=1,
        device="cpu",
    )
    assert len(run.at_x_bn) == 1
    assert run.at_x_bn[0]["train_loss"] != run.at_x[0]["train_loss"]
    bn = run.model[1]
    assert int(bn.num_batches_tracked) == 3  # restored: the 3 training steps' count
