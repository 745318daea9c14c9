r"""Learning-rate schedules as pure functions of the step.

Each function maps the step :math:`t = 0, 1, 2, \dots` (the number of
``scheduler.step()`` calls so far) to a multiplicative factor or to a learning
rate, with no optimizer involved, so that a schedule can be plotted or reasoned
about on its own. The scheduler classes of this package call these functions:
each formula is written once, here.

The schedulers ``StepLR``, ``ExponentialLR`` and ``CosineAnnealingLR`` do not
evaluate the closed forms below at every step: like PyTorch they *multiply the
current learning rate* by the ratio of two consecutive values,
:math:`\eta_t = \eta_{t-1}\, f(t) / f(t-1)`. Both forms give the same numbers
(up to float round-off) as long as nobody changes the learning rate by hand; a
manual change rescales the rest of a recursive schedule, while the closed form
ignores it.
"""

import math
from collections.abc import Callable
from functools import partial

__all__ = [
    "cosine_annealing_factor",
    "cosine_annealing_lr",
    "cyclic_geometry",
    "cyclic_lr",
    "cyclic_scale_fn",
    "cyclic_value",
    "exponential_factor",
    "linear_warmup_factor",
    "step_factor",
]


def step_factor(step: int, step_size: int, gamma: float = 0.1) -> float:
    r"""Step decay: multiply by :math:`\gamma` every ``step_size`` steps.

    .. math::
        f(t) = \gamma^{\lfloor t / s \rfloor}

    Parameters
    ----------
    step : int
        The step :math:`t`.
    step_size : int
        The period :math:`s` of the decay.
    gamma : float, default 0.1
        The decay factor :math:`\gamma`.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    return gamma ** (step // step_size)


def exponential_factor(step: int, gamma: float) -> float:
    r"""Exponential decay: multiply by :math:`\gamma` at every step.

    .. math::
        f(t) = \gamma^{t}

    Parameters
    ----------
    step : int
        The step :math:`t`.
    gamma : float
        The decay factor :math:`\gamma`.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    return gamma**step


def cosine_annealing_factor(step: int, T_max: int) -> float:
    r"""Cosine annealing from 1 down to 0 in ``T_max`` steps (Loshchilov & Hutter, 2017).

    .. math::
        f(t) = \frac{1}{2}\Bigl(1 + \cos\frac{\pi t}{T_{\max}}\Bigr)

    The cosine is not clamped: for :math:`T_{\max} < t \le 2T_{\max}` the factor
    climbs back to 1, and the schedule repeats with period :math:`2T_{\max}`,
    as PyTorch's ``CosineAnnealingLR`` does.

    Parameters
    ----------
    step : int
        The step :math:`t`.
    T_max : int
        The number of steps :math:`T_{\max}` from the top to the bottom.

    Returns
    -------
    float
        The factor :math:`f(t) \in [0, 1]`.
    """
    # Written as (1 + cos(π·t / T)) / 2 in this order: the halving is exact in
    # floating point, so f(t) / f(t-1) is bit for bit torch's recursive ratio
    # (1 + cos(π t / T)) / (1 + cos(π (t-1) / T)).
    return (1 + math.cos(math.pi * step / T_max)) / 2


def cosine_annealing_lr(step: int, base_lr: float, eta_min: float, T_max: int) -> float:
    r"""Learning rate of cosine annealing, in closed form.

    .. math::
        \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\,
        \frac{1}{2}\Bigl(1 + \cos\frac{\pi t}{T_{\max}}\Bigr)

    Parameters
    ----------
    step : int
        The step :math:`t`.
    base_lr : float
        The initial learning rate :math:`\eta_0`.
    eta_min : float
        The smallest learning rate :math:`\eta_{\min}`, reached at
        :math:`t = T_{\max}`.
    T_max : int
        The number of steps :math:`T_{\max}` from the top to the bottom.

    Returns
    -------
    float
        The learning rate :math:`\eta_t`.
    """
    return eta_min + (base_lr - eta_min) * cosine_annealing_factor(step, T_max)


def linear_warmup_factor(step: int, warmup_steps: int, start_factor: float = 1.0 / 3) -> float:
    r"""Linear warm-up from ``start_factor`` to 1 in ``warmup_steps`` steps (Goyal et al., 2017).

    .. math::
        f(t) = \begin{cases}
            f_0 + (1 - f_0)\, t / W & t < W \\
            1 & t \ge W
        \end{cases}

    Parameters
    ----------
    step : int
        The step :math:`t`.
    warmup_steps : int
        The length :math:`W` of the warm-up.
    start_factor : float, default 1/3
        The factor :math:`f_0` at step 0 (PyTorch ``LinearLR``'s default).

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    if step >= warmup_steps:
        return 1.0
    return start_factor + (1 - start_factor) * step / warmup_steps


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
