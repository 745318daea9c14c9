import math

import numpy as np
import pytest
import torch

from optnotes.lab.problems import (
    PROBLEMS,
    QUADRATIC,
    ROSENBROCK,
    Trajectory,
    quadratic,
    run_sweep,
    run_trajectory,
)


@pytest.mark.parametrize("problem", PROBLEMS.values(), ids=PROBLEMS)
def test_minimum_is_a_stationary_point_and_locally_lowest(problem):
    point = torch.tensor(problem.minimum, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(problem(point), point)
    assert torch.allclose(grad, torch.zeros(2, dtype=torch.float64), atol=1e-12)
    generator = torch.Generator().manual_seed(0)
    nearby = point.detach() + 1e-2 * torch.randn(100, 2, generator=generator, dtype=torch.float64)
    assert (problem(nearby) > problem.min_value).all()


@pytest.mark.parametrize("problem", PROBLEMS.values(), ids=PROBLEMS)
def test_start_is_inside_the_plotted_region_and_above_the_minimum(problem):
    (x, y), (x0, x1), (y0, y1) = problem.start, problem.xlim, problem.ylim
    assert x0 < x < x1
    assert y0 < y < y1
    assert problem(torch.tensor(problem.start)) > problem.min_value


@pytest.mark.parametrize("angle", [0.0, 0.7])
def test_quadratic_has_the_requested_curvatures(angle):
    problem = quadratic(condition_number=50.0, angle=angle)
    hessian = torch.autograd.functional.hessian(problem, torch.zeros(2, dtype=torch.float64))
    eigenvalues = torch.linalg.eigvalsh(hessian)
    assert torch.allclose(eigenvalues, torch.tensor([1.0, 50.0], dtype=torch.float64))
    steep = torch.linalg.eigh(hessian).eigenvectors[:, 1].abs()
    expected = torch.tensor([math.sin(angle), math.cos(angle)], dtype=torch.float64)
    assert torch.allclose(steep, expected, atol=1e-12)


def test_problem_evaluates_batches_of_points():
    points = torch.tensor([[1.0, 1.0], [0.0, 0.0], [-1.0, 2.0]], dtype=torch.float64)
    assert torch.allclose(ROSENBROCK(points), torch.tensor([0.0, 1.0, 104.0], dtype=torch.float64))


def test_trajectory_records_start_every_step_and_the_losses():
    trajectory = run_trajectory(ROSENBROCK, torch.optim.SGD, 25, lr=1e-3)
    assert isinstance(trajectory, Trajectory)
    assert trajectory.points.shape == (26, 2)
    assert trajectory.losses.shape == (26,)
    assert trajectory.points.dtype == np.float64
    np.testing.assert_array_equal(trajectory.points[0], ROSENBROCK.start)
    expected = ROSENBROCK(torch.from_numpy(trajectory.points)).numpy()
    np.testing.assert_allclose(trajectory.losses, expected)


def test_trajectory_follows_gradient_descent_exactly():
    lr = 0.03
    trajectory = run_trajectory(QUADRATIC, torch.optim.SGD, 3, start=(1.0, 1.0), lr=lr)
    # ∇f = (x, κ y) for f = ½(x² + κ y²), so each step scales x by (1 - η) and y by (1 - ηκ)
    factors = np.array([1 - lr, 1 - lr * 20.0])
    expected = np.array([factors**t for t in range(4)])
    np.testing.assert_allclose(trajectory.points, expected, rtol=1e-12, atol=1e-15)


def test_adam_reaches_the_minimum_of_every_problem():
    for problem in PROBLEMS.values():
        trajectory = run_trajectory(problem, torch.optim.Adam, 1500, lr=0.05)
        np.testing.assert_allclose(trajectory.points[-1], problem.minimum, atol=1e-3)


def test_scheduler_is_stepped_after_every_step():
    def freeze_after_first_step(optimizer):
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.0)

    trajectory = run_trajectory(
        QUADRATIC, torch.optim.SGD, 5, scheduler=freeze_after_first_step, lr=0.01
    )
    assert not np.array_equal(trajectory.points[1], trajectory.points[0])
    np.testing.assert_array_equal(trajectory.points[2:], trajectory.points[[1] * 4])


@pytest.mark.parametrize("problem", [QUADRATIC, ROSENBROCK], ids=lambda p: p.name)
def test_run_sweep_equals_separate_runs(problem):
    settings = [{"lr": 1e-3}, {"lr": 3e-3, "momentum": 0.9}, {"lr": 1e-2, "nesterov": True,
                "momentum": 0.5}]  # fmt: skip
    sweep = run_sweep(problem, torch.optim.SGD, 50, settings)
    assert len(sweep) == len(settings)
    for trajectory, setting in zip(sweep, settings, strict=True):
        alone = run_trajectory(problem, torch.optim.SGD, 50, **setting)
        np.testing.assert_array_equal(trajectory.points, alone.points)
        np.testing.assert_array_equal(trajectory.losses, alone.losses)
