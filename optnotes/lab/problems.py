"""Two-dimensional test functions with known minima, and a runner that records trajectories.

Each :class:`Problem` is a loss surface :math:`f(x, y)` written with torch operations, so
any ``torch.optim``-style optimizer can minimise it and every chapter can draw the path it
takes. :func:`run_trajectory` runs one optimizer from the problem's start point.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Problem:
    """A loss surface in two variables with a known minimum.

    Parameters
    ----------
    name : str
        Short name, used as a plot title.
    fn : callable
        ``fn(x, y)``: the loss, elementwise on tensors of any (broadcastable) shape.
    minimum : tuple of float
        A point where the loss is smallest.
    start : tuple of float
        The default starting point of a trajectory.
    xlim, ylim : tuple of float
        The region worth plotting.
    """

    name: str
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    minimum: tuple[float, float]
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def __call__(self, point: torch.Tensor) -> torch.Tensor:
        """Evaluate the loss at ``point``, a tensor whose last dimension holds ``(x, y)``."""
        return self.fn(point[..., 0], point[..., 1])

    @property
    def min_value(self) -> float:
        """The loss at the minimum."""
        return float(self(torch.tensor(self.minimum, dtype=torch.float64)))


def quadratic(condition_number: float = 20.0, angle: float = 0.0) -> Problem:
    r"""Build an ill-conditioned quadratic bowl.

    :math:`f = \tfrac12 (u^2 + \kappa v^2)`, where :math:`(u, v)` are :math:`(x, y)` rotated
    by ``angle``; the Hessian's eigenvalues are 1 and :math:`\kappa`.

    Parameters
    ----------
    condition_number : float
        :math:`\kappa`, the ratio of the largest to the smallest curvature.
    angle : float
        Rotation of the axes of the bowl, in radians. With a non-zero angle the steep
        direction is not a coordinate axis, which a per-coordinate step size cannot undo.

    Returns
    -------
    Problem
        The quadratic, minimum at the origin.
    """
    cos, sin = math.cos(angle), math.sin(angle)

    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        u, v = cos * x + sin * y, -sin * x + cos * y
        return 0.5 * (u**2 + condition_number * v**2)

    return Problem(
        name=f"quadratic (κ = {condition_number:g})",
        fn=fn,
        minimum=(0.0, 0.0),
        start=(-4.0, 1.5),
        xlim=(-5.0, 5.0),
        ylim=(-2.5, 2.5),
    )


def _rosenbrock(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _beale(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _saddle(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return x**2 + y**4 / 4 - y**2 / 2


QUADRATIC = quadratic()
"""The quadratic bowl with condition number 20, axis-aligned."""

ROSENBROCK = Problem(
    name="Rosenbrock",
    fn=_rosenbrock,
    minimum=(1.0, 1.0),
    start=(-1.5, 2.0),
    xlim=(-2.0, 2.0),
    ylim=(-1.0, 3.0),
)
"""Rosenbrock's banana valley, :math:`(1 - x)^2 + 100 (y - x^2)^2`, minimum at (1, 1)."""

BEALE = Problem(
    name="Beale",
    fn=_beale,
    minimum=(3.0, 0.5),
    start=(1.0, 1.5),
    xlim=(-4.5, 4.5),
    ylim=(-4.5, 4.5),
)
"""Beale's function, with flat plateaus and steep ridges; minimum at (3, 0.5)."""

SADDLE = Problem(
    name="saddle",
    fn=_saddle,
    minimum=(0.0, 1.0),
    start=(-1.5, 1e-3),
    xlim=(-2.0, 2.0),
    ylim=(-2.0, 2.0),
)
""":math:`x^2 + y^4/4 - y^2/2`: a saddle at the origin between minima at (0, ±1).

The start lies almost exactly on the ridge, so an optimizer must escape the saddle.
"""

PROBLEMS = {"quadratic": QUADRATIC, "rosenbrock": ROSENBROCK, "beale": BEALE, "saddle": SADDLE}
"""The four standard problems by name."""


@dataclass(frozen=True)
class Trajectory:
    """The path an optimizer took on a :class:`Problem`.

    Parameters
    ----------
    points : numpy.ndarray
        Shape ``(steps + 1, 2)``: the start and the point after each step.
    losses : numpy.ndarray
        Shape ``(steps + 1,)``: the loss at each of ``points``.
    """

    points: np.ndarray
    losses: np.ndarray


def run_trajectory(
    problem: Problem,
    optimizer_cls: type[torch.optim.Optimizer],
    steps: int,
    *,
    start: tuple[float, float] | None = None,
    scheduler: Callable[[torch.optim.Optimizer], object] | None = None,
    **optimizer_kwargs: object,
) -> Trajectory:
    """Minimise ``problem`` with an optimizer and record where it goes.

    The computation is in float64 on the CPU, so trajectories are exact to plot.

    Parameters
    ----------
    problem : Problem
        The loss surface.
    optimizer_cls : type
        Any ``torch.optim.Optimizer``-style class, e.g. ``torch.optim.Adam``.
    steps : int
        Number of optimizer steps.
    start : tuple of float, optional
        Starting point; defaults to ``problem.start``.
    scheduler : callable, optional
        ``scheduler(optimizer)`` returns a learning-rate scheduler, stepped after every
        optimizer step (for example ``lambda opt: StepLR(opt, step_size=50)``).
    **optimizer_kwargs
        Passed to ``optimizer_cls``, e.g. ``lr=0.01``.

    Returns
    -------
    Trajectory
        The points visited and the loss at each.
    """
    point = torch.tensor(problem.start if start is None else start, dtype=torch.float64)
    point.requires_grad_(True)
    optimizer = optimizer_cls([point], **optimizer_kwargs)
    schedule = None if scheduler is None else scheduler(optimizer)
    points = [point.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        problem(point).backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()
        points.append(point.detach().clone())
    visited = torch.stack(points)
    return Trajectory(points=visited.numpy(), losses=problem(visited).numpy())


def run_sweep(
    problem: Problem,
    optimizer_cls: type[torch.optim.Optimizer],
    steps: int,
    settings: Sequence[Mapping[str, object]],
    *,
    start: tuple[float, float] | None = None,
) -> list[Trajectory]:
    """Run one optimizer from the same start under several settings at once.

    Each setting becomes a param group of a single optimizer, over its own copy of the
    start point. The summed loss gives every point exactly the gradient it would get
    alone, so each trajectory equals ``run_trajectory(problem, optimizer_cls, steps,
    **setting)`` bit for bit, at a fraction of the cost for a hyper-parameter sweep.

    Parameters
    ----------
    problem : Problem
        The loss surface.
    optimizer_cls : type
        Any ``torch.optim.Optimizer``-style class that takes param groups.
    steps : int
        Number of optimizer steps.
    settings : list of dict
        One dict of hyper-parameters per run, e.g. ``[{"lr": 0.1}, {"lr": 0.01}]``.
    start : tuple of float, optional
        Starting point of every run; defaults to ``problem.start``.

    Returns
    -------
    list of Trajectory
        One per setting, in the same order.
    """
    origin = problem.start if start is None else start
    points = [torch.tensor(origin, dtype=torch.float64, requires_grad=True) for _ in settings]
    optimizer = optimizer_cls(
        [{"params": [point], **setting} for point, setting in zip(points, settings, strict=True)]
    )
    visited = [torch.stack(points).detach()]
    for _ in range(steps):
        optimizer.zero_grad()
        problem(torch.stack(points)).sum().backward()  # each point gets its own gradient
        optimizer.step()
        visited.append(torch.stack(points).detach())
    paths = torch.stack(visited)  # (steps + 1, runs, 2)
    losses = problem(paths)
    return [
        Trajectory(points=paths[:, run].numpy(), losses=losses[:, run].numpy())
        for run in range(len(settings))
    ]
