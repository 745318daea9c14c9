r"""Cyclical learning rates (Smith, 2017) in closed form: a triangle wave with a scaled amplitude.

``cyclic_value`` is the wave between any two values, ``cyclic_lr`` the learning rate with
``CyclicLR``'s arguments, and the factory ``cyclic`` the same as a
schedule (see :mod:`~optnotes.lr_scheduler.schedules.base`). ``CyclicLR`` evaluates this
closed form at every step (it is not recursive), for the learning rate and, the other
way round, for the momentum.
"""

import math
from collections.abc import Callable
from functools import partial

from .base import Schedule

__all__ = ["cyclic", "cyclic_geometry", "cyclic_lr", "cyclic_scale_fn", "cyclic_value"]


def cyclic_geometry(
    step_size_up: float, step_size_down: float | None = None
) -> tuple[float, float]:
    r"""Length of a cycle and the fraction of it spent rising.

    .. math::
        L = s_{\uparrow} + s_{\downarrow}, \qquad r = s_{\uparrow} / L

    Parameters
    ----------
    step_size_up : float
        Steps :math:`s_{\uparrow} > 0` from the low to the high value.
    step_size_down : float or None, default None
        Steps :math:`s_{\downarrow} \ge 0` back down; ``None`` means
        :math:`s_{\downarrow} = s_{\uparrow}`. With 0 the wave is a saw-tooth.

    Returns
    -------
    tuple of float
        The cycle length :math:`L` and the rising fraction :math:`r`.

    Raises
    ------
    ValueError
        If ``step_size_up`` is not positive or ``step_size_down`` is negative.
    """
    up = float(step_size_up)
    down = up if step_size_down is None else float(step_size_down)
    if up <= 0:
        raise ValueError(f"step_size_up must be positive, got {step_size_up}")
    if down < 0:
        raise ValueError(f"step_size_down must be non-negative, got {step_size_down}")
    total_size = up + down
    return total_size, up / total_size


def _triangular_scale(cycle: float) -> float:
    return 1.0  # constant amplitude


def _triangular2_scale(cycle: float) -> float:
    return 1 / (2.0 ** (cycle - 1))  # amplitude halves every cycle


def _exp_range_scale(gamma: float, iteration: float) -> float:
    return gamma**iteration  # amplitude decays by γ every step


def cyclic_scale_fn(mode: str, gamma: float = 1.0) -> tuple[Callable[[float], float], str]:
    r"""Return an amplitude policy of cyclical learning rates (Smith, 2017).

    .. math::
        \text{triangular: } 1, \qquad
        \text{triangular2: } 2^{-(k-1)}, \qquad
        \text{exp\_range: } \gamma^{t}

    where :math:`k = 1, 2, \dots` counts cycles and :math:`t` steps.

    Parameters
    ----------
    mode : str
        ``'triangular'``, ``'triangular2'`` or ``'exp_range'``.
    gamma : float, default 1.0
        The per-step decay :math:`\gamma` of ``'exp_range'``.

    Returns
    -------
    tuple of (callable, str)
        The scale function and what it is evaluated on: ``'cycle'`` (the cycle
        number :math:`k`) or ``'iterations'`` (the step :math:`t`).

    Raises
    ------
    ValueError
        If ``mode`` is none of the three.
    """
    if mode == "triangular":
        return _triangular_scale, "cycle"
    if mode == "triangular2":
        return _triangular2_scale, "cycle"
    if mode == "exp_range":
        return partial(_exp_range_scale, gamma), "iterations"
    raise ValueError(f"mode must be 'triangular', 'triangular2' or 'exp_range', got {mode!r}")


def cyclic_value(
    step: int,
    low: float,
    high: float,
    total_size: float,
    step_ratio: float,
    scale_fn: Callable[[float], float],
    scale_mode: str,
) -> float:
    r"""Evaluate a triangle wave from ``low`` to ``high`` and back, with a scaled amplitude.

    With cycle length :math:`L` and rising fraction :math:`r`
    (see ``cyclic_geometry``):

    .. math::
        k = \Bigl\lfloor 1 + \frac{t}{L} \Bigr\rfloor, \qquad
        x = 1 + \frac{t}{L} - k, \qquad
        h = \begin{cases} x / r & x \le r \\ (x - 1) / (r - 1) & x > r \end{cases}

    .. math::
        v_t = v_{\text{low}} + (v_{\text{high}} - v_{\text{low}})\, h\,
        \sigma(k \text{ or } t)

    ``CyclicLR`` uses it twice: for the learning rate (from ``base_lr`` up to
    ``max_lr``) and for the momentum, which moves the opposite way (from
    ``max_momentum`` down to ``base_momentum``).

    Parameters
    ----------
    step : int
        The step :math:`t`.
    low, high : float
        The value at the start of a cycle and at its peak.
    total_size, step_ratio : float
        The cycle length :math:`L` and rising fraction :math:`r`.
    scale_fn : callable
        The amplitude policy :math:`\sigma`, with values in :math:`[0, 1]`.
    scale_mode : str
        Evaluate :math:`\sigma` on the cycle number (``'cycle'``) or on the step
        (``'iterations'``).

    Returns
    -------
    float
        The value :math:`v_t`.
    """
    cycle = math.floor(1 + step / total_size)  # k, counted from 1
    x = 1.0 + step / total_size - cycle  # position in the cycle, in [0, 1)
    # rising: h = x / r; falling: h = (x − 1) / (r − 1) = (1 − x) / (1 − r)
    height = x / step_ratio if x <= step_ratio else (x - 1) / (step_ratio - 1)
    scale = scale_fn(cycle if scale_mode == "cycle" else step)
    return low + (high - low) * height * scale  # v = low + (high - low)·h·σ


def cyclic_lr(
    step: int,
    base_lr: float,
    max_lr: float,
    step_size_up: float = 2000,
    step_size_down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Callable[[float], float] | None = None,
    scale_mode: str = "cycle",
) -> float:
    r"""Cyclical learning rate (Smith, 2017), with ``CyclicLR``'s arguments.

    .. math::
        \eta_t = \eta_{\text{base}} + (\eta_{\max} - \eta_{\text{base}})\,
        h_t\, \sigma(k \text{ or } t)

    with the triangle :math:`h_t \in [0, 1]` and cycle number :math:`k` of
    ``cyclic_value`` and the amplitude policy :math:`\sigma` of
    ``cyclic_scale_fn``.

    Parameters
    ----------
    step : int
        The step :math:`t`.
    base_lr, max_lr : float
        The bottom and the top of the cycle.
    step_size_up : float, default 2000
        Steps from ``base_lr`` up to ``max_lr``.
    step_size_down : float or None, default None
        Steps back down; ``None`` means the same as ``step_size_up``.
    mode : str, default 'triangular'
        ``'triangular'``, ``'triangular2'`` or ``'exp_range'``; ignored when
        ``scale_fn`` is given.
    gamma : float, default 1.0
        The per-step decay of ``'exp_range'``.
    scale_fn : callable or None, default None
        A custom amplitude policy :math:`\sigma`, replacing ``mode``.
    scale_mode : str, default 'cycle'
        With ``scale_fn``: evaluate it on the cycle number (``'cycle'``) or
        on the step (``'iterations'``).

    Returns
    -------
    float
        The learning rate :math:`\eta_t`.
    """
    total_size, step_ratio = cyclic_geometry(step_size_up, step_size_down)
    if scale_fn is None:
        scale_fn, scale_mode = cyclic_scale_fn(mode, gamma)
    return cyclic_value(step, base_lr, max_lr, total_size, step_ratio, scale_fn, scale_mode)


def cyclic(
    low: float,
    high: float,
    step_size_up: float = 2000,
    step_size_down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Schedule:
    r"""Cyclical values as a schedule: ``cyclic_lr`` from ``low`` up to ``high`` and back.

    With ``low`` and ``high`` as fractions of the initial learning rate it is a factor;
    ``cyclic(0.1, 1.0, 5)`` times ``lr`` gives ``CyclicLR(base_lr=0.1·lr, max_lr=lr,
    step_size_up=5)``'s learning rates.

    Parameters
    ----------
    low, high : float
        The bottom and the top of the cycle (``base_lr`` and ``max_lr`` of ``cyclic_lr``).
    step_size_up, step_size_down, mode, gamma
        The shape of the cycle and the amplitude policy, as in ``cyclic_lr``.

    Returns
    -------
    callable
        The value as a function of the step.

    Raises
    ------
    ValueError
        If the step sizes or ``mode`` are invalid.
    """
    cyclic_geometry(step_size_up, step_size_down)  # check the arguments now, not at step 0
    cyclic_scale_fn(mode, gamma)
    return partial(
        cyclic_lr,
        base_lr=low,
        max_lr=high,
        step_size_up=step_size_up,
        step_size_down=step_size_down,
        mode=mode,
        gamma=gamma,
    )
