r"""The noisy quadratic model: a workload on which learning-rate schedules provably help.

The loss is :math:`L(\theta) = \frac12 \sum_i h_i \theta_i^2` with curvatures
:math:`h_i > 0`, and a gradient is exact up to independent Gaussian noise,
:math:`g_i = h_i \theta_i + \xi_i` with :math:`\mathbb{E}[\xi_i] = 0` and
:math:`\mathbb{E}[\xi_i^2] = c_i` (Schaul, Zhang and LeCun 2013; Zhang et al. 2019, who
take :math:`c_i` proportional to :math:`h_i`, as a mini-batch gradient has). SGD without
momentum, :math:`\theta_t = \theta_{t-1} - \eta_t g_t`, keeps every coordinate Gaussian,
and its second moment :math:`v_{t,i} = \mathbb{E}[\theta_{t,i}^2]` obeys the linear
recursion

.. math::

    v_{t,i} = (1 - \eta_t h_i)^2\, v_{t-1,i} + \eta_t^2 c_i ,

so the expected loss :math:`\frac12 \sum_i h_i v_{t,i}` of *any* learning-rate sequence
is computed exactly, without sampling (:meth:`NoisyQuadratic.expected_loss`). With a
constant :math:`\eta` (:math:`0 < \eta h_i < 2`) it levels off at the noise floor

.. math::

    \mathbb{E}[L_\infty] = \sum_i \frac{\eta\, c_i}{2\,(2 - \eta h_i)}

(:meth:`NoisyQuadratic.stationary_loss`), below which SGD at that learning rate never
gets in expectation: only a decaying learning rate goes lower.
:meth:`NoisyQuadratic.simulate` samples many independent runs at once (one row per
run, float64, draws seeded through :mod:`optnotes.lab.seeding`) to show the noise
around that expectation, and :meth:`NoisyQuadratic.loss_std` gives its exact size;
:meth:`NoisyQuadratic.simulate_scheduler` runs SGD under a scheduler, one
``ReduceLROnPlateau`` per run when the scheduler watches the loss.
"""

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from optnotes.lab.seeding import generator
from optnotes.lr_scheduler import lr_sequence, needs_metric

__all__ = ["NoisyQuadratic", "schedule_lrs"]

ArrayLike = float | Sequence[float] | np.ndarray


def _vector(name: str, value: ArrayLike, dim: int | None = None) -> np.ndarray:
    """``value`` as a finite float64 vector (a scalar is repeated ``dim`` times)."""
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or a sequence of numbers") from None
    if array.ndim == 0:
        array = np.full(1 if dim is None else dim, float(array))
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty one-dimensional sequence")
    if dim is not None and array.size != dim:
        raise ValueError(f"{name} has {array.size} entries, the curvatures {dim}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    array.setflags(write=False)
    return array


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class NoisyQuadratic:
    r"""The loss :math:`\frac12 \sum_i h_i \theta_i^2` with noisy gradients, and SGD on it.

    Parameters
    ----------
    curvatures : float or sequence of float
        The curvatures :math:`h_i`, all positive; their number is the dimension.
    noise : float or sequence of float
        The variance :math:`c_i \ge 0` of the gradient noise of each coordinate (a scalar
        applies to all).
    start : float or sequence of float
        The starting point :math:`\theta_0`, the same for every run (a scalar applies to
        all coordinates).

    Raises
    ------
    ValueError
        If an argument is not finite, has the wrong length, or ``curvatures`` are not
        positive or ``noise`` is negative; the message names the argument.

    Examples
    --------
    >>> problem = NoisyQuadratic(curvatures=1.0, noise=1.0, start=10.0)
    >>> float(problem.stationary_loss(0.5))  # η c / (2 (2 − η h))
    0.16666666666666666
    >>> problem.expected_loss([0.5, 0.5]).round(4).tolist()  # steps 0, 1, 2
    [50.0, 12.625, 3.2812]
    """

    def __init__(self, curvatures: ArrayLike, noise: ArrayLike, start: ArrayLike) -> None:
        self.curvatures = _vector("curvatures", curvatures)
        if np.any(self.curvatures <= 0):
            raise ValueError("curvatures must be positive")
        self.noise = _vector("noise", noise, self.dim)
        if np.any(self.noise < 0):
            raise ValueError("noise (a variance) must not be negative")
        self.start = _vector("start", start, self.dim)
        self._h = torch.tensor(self.curvatures, dtype=torch.float64)
        self._scale = torch.tensor(np.sqrt(self.noise), dtype=torch.float64)

    def __repr__(self) -> str:
        return (
            f"NoisyQuadratic(dim={self.dim}, curvatures {self.curvatures.min():.3g} to "
            f"{self.curvatures.max():.3g}, noise variance {self.noise.sum():.3g} in all)"
        )

    @property
    def dim(self) -> int:
        """Number of coordinates."""
        return self.curvatures.size

    # -- exact expectations ---------------------------------------------------------------

    def _lrs(self, lrs: ArrayLike) -> np.ndarray:
        """Learning rates as a float64 array of shape ``(T,)`` or ``(T, runs)``."""
        try:
            array = np.array(lrs, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("lrs must be a sequence of numbers") from None
        if array.ndim not in (1, 2) or array.shape[0] == 0:
            raise ValueError(
                f"lrs must have shape (steps,) or (steps, runs) with steps >= 1, got {array.shape}"
            )
        if not np.all(np.isfinite(array)) or np.any(array < 0):
            raise ValueError("lrs must be finite and not negative")
        return array

    def stationary_loss(self, lr: ArrayLike) -> np.ndarray:
        r"""Return the noise floor, the expected loss SGD levels off at with a constant ``lr``.

        The fixed point :math:`v_i = \eta c_i / (h_i (2 - \eta h_i))` of the recursion
        gives :math:`\mathbb{E}[L_\infty] = \sum_i \eta c_i / (2 (2 - \eta h_i))`.

        Parameters
        ----------
        lr : float or sequence of float
            Constant learning rates, each with :math:`0 < \eta h_i < 2` for every
            :math:`i` (otherwise SGD diverges and there is no floor).

        Returns
        -------
        numpy.ndarray
            The floor for each ``lr``, of ``lr``'s shape (a 0-d array for a scalar).

        Raises
        ------
        ValueError
            If an ``lr`` is not positive or not below :math:`2 / \max_i h_i`.
        """
        eta = np.asarray(lr, dtype=np.float64)
        limit = 2 / self.curvatures.max()
        if not np.all(np.isfinite(eta)) or np.any(eta <= 0) or np.any(eta >= limit):
            raise ValueError(f"lr must lie strictly between 0 and 2 / max(curvatures) = {limit:g}")
        eta = eta[..., None]
        return (eta * self.noise / (2 * (2 - eta * self.curvatures))).sum(axis=-1)

    def moments(self, lrs: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        r"""Return the exact mean and variance of every coordinate after every step.

        The mean contracts, :math:`m_{t,i} = (1 - \eta_t h_i)\, m_{t-1,i}`, and the variance
        also gains the noise of the step,
        :math:`s_{t,i} = (1 - \eta_t h_i)^2 s_{t-1,i} + \eta_t^2 c_i`; the second moment is
        :math:`v = m^2 + s`. The expected loss splits accordingly into the part of the
        mean, :math:`\frac12 \sum_i h_i m_{t,i}^2`, and the part of the noise,
        :math:`\frac12 \sum_i h_i s_{t,i}`.

        Parameters
        ----------
        lrs : sequence of float
            The learning rate of each step, shape ``(T,)``; or ``(T, runs)`` for several
            sequences at once.

        Returns
        -------
        mean, variance : numpy.ndarray
            Shape ``(T + 1, dim)`` or ``(T + 1, runs, dim)``, from the start (mean
            :math:`\theta_0`, variance 0) to the end.

        Raises
        ------
        ValueError
            If ``lrs`` is empty, of another shape, negative or not finite.
        """
        eta = self._lrs(lrs)[..., None]  # (T, [runs,] 1)
        contraction = 1 - eta * self.curvatures
        shape = (eta.shape[0] + 1, *eta.shape[1:-1], self.dim)
        mean, variance = np.empty(shape), np.empty(shape)
        mean[0], variance[0] = self.start, 0.0
        for t in range(eta.shape[0]):  # the mean contracts; the variance also gains η² c
            mean[t + 1] = contraction[t] * mean[t]
            variance[t + 1] = contraction[t] ** 2 * variance[t] + eta[t] ** 2 * self.noise
        return mean, variance

    def expected_loss(self, lrs: ArrayLike) -> np.ndarray:
        r"""Return the exact expected loss after every step of SGD with the rates ``lrs``.

        Computed from the recursion of the second moments, without sampling:
        :math:`\mathbb{E}[L_t] = \frac12 \sum_i h_i v_{t,i}`.

        Parameters
        ----------
        lrs : sequence of float
            The learning rate of each step, shape ``(T,)``; or ``(T, runs)`` for several
            sequences at once.

        Returns
        -------
        numpy.ndarray
            Shape ``(T + 1,)`` or ``(T + 1, runs)``: the expected loss at the start and
            after each step.

        Raises
        ------
        ValueError
            If ``lrs`` is empty, of another shape, negative or not finite.
        """
        mean, variance = self.moments(lrs)
        return 0.5 * ((mean**2 + variance) * self.curvatures).sum(axis=-1)

    def loss_std(self, lrs: ArrayLike) -> np.ndarray:
        r"""Return the exact standard deviation of the loss of one run after every step.

        Every coordinate is Gaussian, with mean :math:`m` and variance :math:`s`, so
        :math:`\operatorname{Var}[\theta^2] = 2 s^2 + 4 m^2 s` and
        :math:`\operatorname{Var}[L] = \frac14 \sum_i h_i^2 (2 s_i^2 + 4 m_i^2 s_i)`. The
        mean of :math:`n` independent runs scatters around :meth:`expected_loss` by this
        divided by :math:`\sqrt n`.

        Parameters
        ----------
        lrs : sequence of float
            As for :meth:`expected_loss`.

        Returns
        -------
        numpy.ndarray
            Of the shape :meth:`expected_loss` returns.
        """
        mean, variance = self.moments(lrs)
        var_sq = 2 * variance**2 + 4 * mean**2 * variance
        return 0.5 * np.sqrt((self.curvatures**2 * var_sq).sum(axis=-1))

    # -- sampled runs ---------------------------------------------------------------------

    def loss(self, theta: torch.Tensor) -> torch.Tensor:
        r"""Return the loss :math:`\frac12 \sum_i h_i \theta_i^2` over the last dimension."""
        h = self._h.to(dtype=theta.dtype, device=theta.device)
        return 0.5 * (h * theta**2).sum(dim=-1)

    def initial(self, runs: int) -> torch.Tensor:
        """Return the starting point once per run: float64 of shape ``(runs, dim)``."""
        runs = _positive_int("runs", runs)
        return torch.tensor(self.start, dtype=torch.float64).expand(runs, self.dim).clone()

    def gradient(self, theta: torch.Tensor, draws: torch.Generator) -> torch.Tensor:
        r"""Draw a noisy gradient :math:`h \theta + \xi` at every row of ``theta``.

        Parameters
        ----------
        theta : torch.Tensor
            Shape ``(runs, dim)``.
        draws : torch.Generator
            Source of the noise (see :func:`optnotes.lab.seeding.generator`).

        Returns
        -------
        torch.Tensor
            Of ``theta``'s shape and dtype.
        """
        h = self._h.to(dtype=theta.dtype, device=theta.device)
        scale = self._scale.to(dtype=theta.dtype, device=theta.device)
        xi = torch.randn(theta.shape, generator=draws, dtype=theta.dtype, device=theta.device)
        return h * theta + scale * xi

    def step(
        self, theta: torch.Tensor, lr: float | torch.Tensor, draws: torch.Generator
    ) -> torch.Tensor:
        """One step of SGD without momentum, ``theta - lr * gradient``, on every run.

        With a scalar ``lr`` it is the update of ``optnotes.optim.SGD``, bit for bit.

        Parameters
        ----------
        theta : torch.Tensor
            Shape ``(runs, dim)``; not modified.
        lr : float or torch.Tensor
            One learning rate for all runs, or one per run (shape ``(runs,)``).
        draws : torch.Generator
            Source of the gradient noise.

        Returns
        -------
        torch.Tensor
            The new parameters.
        """
        grad = self.gradient(theta, draws)
        if isinstance(lr, torch.Tensor) and lr.ndim > 0:
            return theta - lr.to(theta.dtype)[:, None] * grad
        return theta.add(grad, alpha=-float(lr))

    def simulate(self, lrs: ArrayLike, *, runs: int, seed: int = 0) -> np.ndarray:
        """Run SGD with the learning rates ``lrs`` from the start, many runs at once.

        Every run draws its own noise; the draws come from
        ``optnotes.lab.seeding.generator(seed)``, so ``OPTNOTES_SEED`` moves them.

        Parameters
        ----------
        lrs : sequence of float
            The learning rate of each step: shape ``(T,)``, the same for every run, or
            ``(T, runs)``, one column per run.
        runs : int
            Number of independent runs (the batch dimension).
        seed : int
            The seed as the chapter names it.

        Returns
        -------
        numpy.ndarray
            The loss of every run at the start and after each step, shape
            ``(T + 1, runs)``.

        Raises
        ------
        ValueError
            If ``runs`` is not a positive integer, or ``lrs`` is not a valid sequence of
            learning rates or has a column count other than ``runs``.
        """
        runs = _positive_int("runs", runs)
        eta = self._lrs(lrs)
        if eta.ndim == 2 and eta.shape[1] != runs:
            raise ValueError(f"lrs has {eta.shape[1]} columns, one per run expected ({runs})")
        draws = generator(seed)
        theta = self.initial(runs)
        losses = torch.empty(eta.shape[0] + 1, runs, dtype=torch.float64)
        losses[0] = self.loss(theta)
        per_run = torch.tensor(eta) if eta.ndim == 2 else None
        for t in range(eta.shape[0]):
            lr = per_run[t] if per_run is not None else float(eta[t])
            theta = self.step(theta, lr, draws)
            losses[t + 1] = self.loss(theta)
        return losses.numpy()

    def simulate_scheduler(
        self,
        scheduler_cls: Callable[..., Any],
        steps: int,
        *,
        lr: float,
        runs: int,
        seed: int = 0,
        steps_per_epoch: int = 1,
        **kwargs: Any,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run SGD under a learning-rate scheduler stepped once per epoch, many runs at once.

        A scheduler that follows a timetable sets the same learning rates in every run
        (read once with :func:`optnotes.lr_scheduler.sequence.lr_sequence`). A scheduler that
        watches a metric (``ReduceLROnPlateau``, see
        :func:`optnotes.lr_scheduler.sequence.needs_metric`) gets one instance per run, each on a
        throw-away SGD optimizer that holds the learning rate of its run, and after every
        epoch the mean loss of its own run over that epoch: runs cut their learning rates
        at different epochs, as separate trainings would.

        Parameters
        ----------
        scheduler_cls : callable
            ``scheduler_cls(optimizer, **kwargs)`` builds the scheduler.
        steps : int
            Number of SGD steps, a multiple of ``steps_per_epoch``.
        lr : float
            The initial learning rate.
        runs : int
            Number of independent runs.
        seed : int
            The seed of the gradient noise, as the chapter names it.
        steps_per_epoch : int
            SGD steps between two calls of ``scheduler.step()``.
        **kwargs
            Passed to ``scheduler_cls``.

        Returns
        -------
        losses : numpy.ndarray
            The loss of every run at the start and after each step, ``(steps + 1, runs)``.
        lrs : numpy.ndarray
            The learning rate every step of every run used, ``(steps, runs)``.

        Raises
        ------
        ValueError
            If ``steps``, ``runs`` or ``steps_per_epoch`` is not a positive integer, or
            ``steps`` is not a multiple of ``steps_per_epoch``.
        """
        steps = _positive_int("steps", steps)
        runs = _positive_int("runs", runs)
        per_epoch = _positive_int("steps_per_epoch", steps_per_epoch)
        if steps % per_epoch:
            raise ValueError(f"steps_per_epoch ({per_epoch}) must divide steps ({steps})")
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < lr < np.inf:
            raise ValueError(f"lr must be a positive finite number, got {lr!r}")
        epochs = steps // per_epoch
        probe = scheduler_cls(
            torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr), **kwargs
        )
        if not needs_metric(probe):
            timetable = np.array(lr_sequence(scheduler_cls, epochs - 1, lrs=(lr,), **kwargs))[:, 0]
            shared = np.repeat(timetable, per_epoch)
            return self.simulate(shared, runs=runs, seed=seed), np.repeat(shared[:, None], runs, 1)
        holders = [
            torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr) for _ in range(runs)
        ]
        schedulers = [scheduler_cls(holder, **kwargs) for holder in holders]
        draws = generator(seed)
        theta = self.initial(runs)
        losses = torch.empty(steps + 1, runs, dtype=torch.float64)
        lrs = torch.empty(steps, runs, dtype=torch.float64)
        losses[0] = self.loss(theta)
        for epoch in range(epochs):
            current = torch.tensor([h.param_groups[0]["lr"] for h in holders], dtype=torch.float64)
            first = epoch * per_epoch
            for t in range(first, first + per_epoch):
                theta = self.step(theta, current, draws)
                losses[t + 1], lrs[t] = self.loss(theta), current
            metrics = losses[first + 1 : first + per_epoch + 1].mean(dim=0).tolist()
            for scheduler, metric in zip(schedulers, metrics, strict=True):
                scheduler.step(metric)
        return losses.numpy(), lrs.numpy()


def schedule_lrs(
    scheduler_cls: Callable[..., Any], steps: int, lr: float, **kwargs: Any
) -> np.ndarray:
    """Return the learning rates of ``steps`` steps under a scheduler stepped after each.

    The rates come from :func:`optnotes.lr_scheduler.sequence.lr_sequence`: the first step uses the
    rate set at construction, step ``t`` the rate after ``t - 1`` calls of
    ``scheduler.step()``.

    Parameters
    ----------
    scheduler_cls : callable
        ``scheduler_cls(optimizer, **kwargs)`` builds the scheduler.
    steps : int
        Number of optimizer steps.
    lr : float
        The optimizer's initial learning rate.
    **kwargs
        Passed to ``scheduler_cls``.

    Returns
    -------
    numpy.ndarray
        Shape ``(steps,)``, ready for :meth:`NoisyQuadratic.expected_loss` and
        :meth:`NoisyQuadratic.simulate`.

    Examples
    --------
    >>> from optnotes.lr_scheduler import StepLR
    >>> schedule_lrs(StepLR, 4, 0.1, step_size=2, gamma=0.5).tolist()
    [0.1, 0.1, 0.05, 0.05]
    """
    steps = _positive_int("steps", steps)
    return np.array(lr_sequence(scheduler_cls, steps - 1, lrs=(lr,), **kwargs))[:, 0]
