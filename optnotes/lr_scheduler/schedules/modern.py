r"""The schedules of large-scale training that torch lacks: warm-up + cosine, WSD, 1/√t.

Each closed form is a plain function of the step and the hyper-parameters
(``warmup_cosine_factor``, ``wsd_factor``, ``inverse_sqrt_factor``), transcribed from the
reference implementation it follows, Hugging Face ``transformers``
(``src/transformers/optimization.py``), so that ``LambdaLR(opt, schedule)`` sets the same
learning rates as the ``transformers`` function of the same name. The factories
``warmup_cosine``, ``wsd`` and ``inverse_sqrt`` fix the hyper-parameters and return the
schedule :math:`t \mapsto f(t)`; ``warmup_cosine_optax`` and ``noam`` are the other
conventions of the same curves (optax's, and the Transformer paper's).

.. math::
    \text{warm-up + cosine: } f(t) &= \begin{cases}
        t / W & t < W \\
        \rho + (1 - \rho)\, \tfrac12 \bigl(1 + \cos(2\pi c\, p)\bigr),
        \ p = \frac{t - W}{T - W} & t \ge W
    \end{cases} \\
    \text{WSD: } f(t) &= \begin{cases}
        \rho + (1 - \rho)\, w\bigl(t / W\bigr) & t < W \\
        1 & W \le t < W + S \\
        \rho + (1 - \rho)\, d\bigl((t - W - S) / D\bigr) & W + S \le t < W + S + D \\
        \rho & t \ge W + S + D
    \end{cases} \\
    \text{inverse square root: } f(t) &= \begin{cases}
        t / W & t < W \\
        \bigl(1 + (t - W) / \tau\bigr)^{-1/2} & t \ge W
    \end{cases}

>>> from optnotes.lr_scheduler.schedules.modern import inverse_sqrt, warmup_cosine, wsd
>>> [round(warmup_cosine(2, 6)(t), 3) for t in (0, 1, 2, 4, 6)]
[0.0, 0.5, 1.0, 0.5, 0.0]
>>> [round(wsd(2, 2, 4, shape="1-sqrt")(t), 3) for t in (0, 1, 2, 4, 5, 8)]
[0.0, 0.5, 1.0, 1.0, 0.5, 0.0]
>>> [round(inverse_sqrt(4)(t), 3) for t in (0, 2, 4, 16)]
[0.0, 0.5, 1.0, 0.5]
"""

import math
from functools import partial

from .base import Schedule

__all__ = [
    "DECAY_SHAPES",
    "inverse_sqrt",
    "inverse_sqrt_factor",
    "noam",
    "warmup_cosine",
    "warmup_cosine_factor",
    "warmup_cosine_optax",
    "wsd",
    "wsd_factor",
]

#: The shapes of the warm-up and of the decay of ``wsd`` (``transformers``' names).
DECAY_SHAPES = ("linear", "cosine", "1-sqrt")


def _check_steps(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")


def _check_ratio(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


def _check_shape(name: str, value: str) -> None:
    if value not in DECAY_SHAPES:
        raise ValueError(f"{name} must be one of {DECAY_SHAPES}, got {value!r}")


# ---------------------------------------------------------------- warm-up + cosine


def warmup_cosine_factor(
    step: int,
    warmup_steps: int,
    total_steps: int,
    min_ratio: float = 0.0,
    num_cycles: float = 0.5,
) -> float:
    r"""Linear warm-up from 0, then cosine decay to ``min_ratio`` (``transformers``' form).

    .. math::
        f(t) = \begin{cases}
            t / W & t < W \\
            \max\Bigl(0,\ \rho + (1 - \rho)\, \tfrac12 \bigl(1 + \cos(2\pi c\, p)\bigr)\Bigr),
            \quad p = \dfrac{t - W}{\max(1, T - W)} & t \ge W
        \end{cases}

    ``_get_cosine_schedule_with_warmup_lr_lambda`` of ``transformers``, the schedule of
    ``get_cosine_schedule_with_warmup`` (:math:`\rho = 0`) and of
    ``get_cosine_with_min_lr_schedule_with_warmup`` (``min_lr_rate`` :math:`= \rho`),
    operation for operation. As there, nothing is clamped at :math:`T`: with the default
    :math:`c = 1/2` the factor reaches :math:`\rho` at :math:`t = T` and, if stepped on,
    climbs back along the cosine (to 1 at :math:`t = 2T - W`). Join it with a constant
    to hold the end value: ``join([warmup_cosine(W, T, rho), constant(rho)], [T])``.

    Parameters
    ----------
    step : int
        The step :math:`t`.
    warmup_steps : int
        The length :math:`W` of the warm-up (``num_warmup_steps``).
    total_steps : int
        The step :math:`T` at which the cosine reaches ``min_ratio``, counted from the
        start, warm-up included (``num_training_steps``).
    min_ratio : float, default 0.0
        The end factor :math:`\rho` (``min_lr_rate``).
    num_cycles : float, default 0.5
        The number :math:`c` of cosine periods over :math:`[W, T]`; 1/2 is a half
        cosine, from 1 down to :math:`\rho`.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    if step < warmup_steps:
        return float(step) / float(max(1, warmup_steps))  # t / W
    progress = float(step - warmup_steps) / float(max(1, total_steps - warmup_steps))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    factor = factor * (1 - min_ratio) + min_ratio  # ρ + (1 − ρ)·cosine
    return float(max(0, factor))  # transformers' max(0, ·) returns the int 0 below 0


def warmup_cosine(
    warmup_steps: int,
    total_steps: int,
    min_ratio: float = 0.0,
    num_cycles: float = 0.5,
) -> Schedule:
    r"""Warm up linearly from 0 for ``warmup_steps``, then decay along a cosine.

    The schedule ``warmup_cosine_factor`` (see there for the formula), that of
    ``transformers``' ``get_cosine_schedule_with_warmup(opt, W, T, num_cycles)`` when
    ``min_ratio`` is 0 and of ``get_cosine_with_min_lr_schedule_with_warmup(opt, W, T,
    num_cycles, min_lr_rate=min_ratio)`` otherwise. Note that the warm-up starts from 0
    whatever ``min_ratio`` is (``wsd`` starts it from ``min_ratio``, as ``transformers``
    does there).

    optax's ``warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps,
    decay_steps, end_value)`` is the same curve with ``init_value = 0``,
    ``decay_steps = total_steps`` (optax's ``decay_steps`` counts the warm-up too),
    ``end_value = min_ratio * peak_value``, for :math:`t \le T`. It differs in that the
    warm-up may start above 0, the decay holds ``end_value`` past :math:`T` (here the
    cosine climbs back), it has an ``exponent`` and no ``num_cycles``, and
    :math:`T \le W` is an error there (here the decay denominator is
    :math:`\max(1, T - W)`): see ``warmup_cosine_optax``.

    Parameters
    ----------
    warmup_steps : int
        The length :math:`W \ge 0` of the warm-up.
    total_steps : int
        The step :math:`T > W` at which the factor reaches ``min_ratio``, warm-up
        included.
    min_ratio : float, default 0.0
        The end factor :math:`\rho \in [0, 1]`.
    num_cycles : float, default 0.5
        The number :math:`c \ge 0` of cosine periods between :math:`W` and :math:`T`.

    Returns
    -------
    callable
        The schedule :math:`t \mapsto f(t)`.

    Raises
    ------
    ValueError
        If ``warmup_steps`` is negative, ``total_steps`` is not larger than
        ``warmup_steps``, ``min_ratio`` is outside :math:`[0, 1]` or ``num_cycles`` is
        negative.
    """
    _check_steps("warmup_steps", warmup_steps)
    if total_steps <= warmup_steps:
        raise ValueError(
            f"total_steps must be larger than warmup_steps ({warmup_steps}), got {total_steps}"
        )
    _check_ratio("min_ratio", min_ratio)
    if num_cycles < 0:
        raise ValueError(f"num_cycles must be non-negative, got {num_cycles}")
    return partial(
        warmup_cosine_factor,
        warmup_steps=warmup_steps,
        total_steps=total_steps,
        min_ratio=min_ratio,
        num_cycles=num_cycles,
    )


def _warmup_cosine_optax(
    step: int,
    init_ratio: float,
    warmup_steps: int,
    decay_steps: int,
    end_ratio: float,
    exponent: float,
) -> float:
    if step < warmup_steps:  # linear_schedule(init, peak, W): clip(t, 0, W)
        frac = 1 - step / warmup_steps
        return (init_ratio - 1.0) * frac + 1.0
    count = min(step - warmup_steps, decay_steps - warmup_steps)  # cosine_decay_schedule
    cosine_decay = 0.5 * (1 + math.cos(math.pi * count / (decay_steps - warmup_steps)))
    return (1 - end_ratio) * cosine_decay**exponent + end_ratio


def warmup_cosine_optax(
    warmup_steps: int,
    decay_steps: int,
    init_ratio: float = 0.0,
    end_ratio: float = 0.0,
    exponent: float = 1.0,
) -> Schedule:
    r"""Warm up linearly from ``init_ratio``, then decay along a cosine, as optax does.

    optax's ``warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps,
    decay_steps, end_value, exponent)`` divided by ``peak_value``: ``init_ratio =
    init_value / peak_value``, ``end_ratio = end_value / peak_value``. optax joins a
    ``linear_schedule`` with a ``cosine_decay_schedule`` of ``decay_steps - warmup_steps``
    steps at ``warmup_steps``; ``decay_steps`` is the length of the whole schedule,
    *warm-up included*:

    .. math::
        f(t) = \begin{cases}
            f_0 + (1 - f_0)\, t / W & t < W \\
            \rho + (1 - \rho) \Bigl[\tfrac12 \bigl(1 + \cos(\pi \min(t - W, D - W) / (D - W))
            \bigr)\Bigr]^{e} & t \ge W
        \end{cases}

    With ``init_ratio = 0`` and ``exponent = 1`` this is ``warmup_cosine(W, D,
    end_ratio)`` up to :math:`t = D`; past :math:`D` optax holds :math:`\rho` while
    ``transformers``' cosine climbs back.

    Parameters
    ----------
    warmup_steps : int
        The length :math:`W \ge 0` of the warm-up.
    decay_steps : int
        The length :math:`D > W` of the schedule, warm-up included.
    init_ratio : float, default 0.0
        The factor :math:`f_0` at step 0.
    end_ratio : float, default 0.0
        The factor :math:`\rho` from step :math:`D` on.
    exponent : float, default 1.0
        The power :math:`e` of the raised cosine.

    Returns
    -------
    callable
        The schedule :math:`t \mapsto f(t)`.

    Raises
    ------
    ValueError
        If ``warmup_steps`` is negative or ``decay_steps`` is not larger than
        ``warmup_steps`` (optax raises for this too).
    """
    _check_steps("warmup_steps", warmup_steps)
    if decay_steps <= warmup_steps:
        raise ValueError(
            f"decay_steps must be larger than warmup_steps ({warmup_steps}), got {decay_steps}"
        )
    return partial(
        _warmup_cosine_optax,
        init_ratio=init_ratio,
        warmup_steps=warmup_steps,
        decay_steps=decay_steps,
        end_ratio=end_ratio,
        exponent=exponent,
    )


# ---------------------------------------------------------------- warmup–stable–decay


def wsd_factor(
    step: int,
    warmup_steps: int,
    stable_steps: int,
    decay_steps: int,
    shape: str = "linear",
    min_ratio: float = 0.0,
    warmup_shape: str = "linear",
    num_cycles: float = 0.5,
) -> float:
    r"""Warm up, hold, then cool down: the warmup–stable–decay factor (``transformers``' form).

    .. math::
        f(t) = \begin{cases}
            \max\bigl(0,\ \rho + (1 - \rho)\, w(t / \max(1, W))\bigr) & t < W \\
            1 & W \le t < W + S \\
            \max\bigl(0,\ \rho + (1 - \rho)\, d((t - W - S) / \max(1, D))\bigr)
                & W + S \le t < W + S + D \\
            \rho & t \ge W + S + D
        \end{cases}

    with the warm-up :math:`w(p)` = :math:`p` (``"linear"``),
    :math:`\frac12(1 - \cos \pi p)` (``"cosine"``) or :math:`1 - \sqrt{1 - p}`
    (``"1-sqrt"``), and the decay :math:`d(p)` = :math:`1 - p` (``"linear"``),
    :math:`\frac12(1 + \cos 2\pi c p)` (``"cosine"``) or :math:`1 - \sqrt{p}`
    (``"1-sqrt"``, the cool-down of Hägele et al., 2024). This is
    ``_get_wsd_scheduler_lambda`` of ``transformers`` operation for operation.

    Parameters
    ----------
    step : int
        The step :math:`t`.
    warmup_steps, stable_steps, decay_steps : int
        The lengths :math:`W`, :math:`S` and :math:`D` of the three phases.
    shape : {"linear", "cosine", "1-sqrt"}, default "linear"
        The decay :math:`d` (``decay_type``).
    min_ratio : float, default 0.0
        The factor :math:`\rho` at the start of the warm-up and the end of the decay
        (``min_lr_ratio``).
    warmup_shape : {"linear", "cosine", "1-sqrt"}, default "linear"
        The warm-up :math:`w` (``warmup_type``).
    num_cycles : float, default 0.5
        The number :math:`c` of cosine periods of the ``"cosine"`` decay.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    if step < warmup_steps:
        progress = float(step) / float(max(1, warmup_steps))
        if warmup_shape == "linear":
            factor = progress
        elif warmup_shape == "cosine":
            factor = 0.5 * (1.0 - math.cos(math.pi * progress))
        else:  # "1-sqrt"
            factor = 1.0 - math.sqrt(1.0 - progress)
        factor = factor * (1.0 - min_ratio) + min_ratio
        return max(0.0, factor)
    if step < warmup_steps + stable_steps:
        return 1.0
    if step < warmup_steps + stable_steps + decay_steps:
        progress = float(step - warmup_steps - stable_steps) / float(max(1, decay_steps))
        if shape == "linear":
            factor = 1.0 - progress
        elif shape == "cosine":
            factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
        else:  # "1-sqrt"
            factor = 1.0 - math.sqrt(progress)
        factor = factor * (1.0 - min_ratio) + min_ratio
        return max(0.0, factor)
    return float(min_ratio)


def wsd(
    warmup_steps: int,
    stable_steps: int,
    decay_steps: int,
    shape: str = "linear",
    min_ratio: float = 0.0,
    warmup_shape: str = "linear",
    num_cycles: float = 0.5,
) -> Schedule:
    r"""Warm up for ``warmup_steps``, hold 1 for ``stable_steps``, decay for ``decay_steps``.

    The warmup–stable–decay ("trapezoidal") schedule of MiniCPM (Hu et al., 2024,
    arXiv:2404.06395), with the :math:`1 - \sqrt{p}` cool-down that Hägele et al.
    (2024, arXiv:2405.18392) found best; the formula is ``wsd_factor``'s. It is
    ``transformers``' ``get_wsd_schedule(opt, num_warmup_steps=W, num_decay_steps=D,
    num_stable_steps=S, warmup_type=warmup_shape, decay_type=shape,
    min_lr_ratio=min_ratio, num_cycles=num_cycles)``; given ``num_training_steps``
    instead, ``transformers`` takes :math:`S = T - W - D`. Its default ``decay_type`` is
    ``"cosine"``, ours ``"linear"``.

    The sources differ:

    * ``transformers`` starts the warm-up at ``min_lr_ratio`` (not 0, unlike its own
      ``get_cosine_with_min_lr_schedule_with_warmup``) and keeps :math:`\rho` after the
      decay; it offers cosine and :math:`1 - \sqrt{1 - p}` warm-ups;
    * timm's ``WSDLRScheduler(opt, t_initial=S + D, decay_t=D, lr_min, decay_fn,
      warmup_t=W, warmup_lr_init)`` has the same phases and the same decay progress
      :math:`(t - W - S) / D`, but its end ``lr_min`` and its start ``warmup_lr_init``
      (default 0) are learning rates shared by all param groups, not ratios, its
      warm-up is linear only, its cosine is always a half period, and its default
      decay is ``"1-sqrt"``. With one param group of learning rate :math:`\eta_0`,
      ``lr_min`` :math:`= \rho \eta_0` and ``warmup_lr_init`` :math:`= \rho \eta_0`
      give the same learning rates as ``shape`` in ``{"linear", "1-sqrt"}`` or
      ``"cosine"`` with ``num_cycles=0.5``;
    * MiniCPM itself decays exponentially; the shapes here are those of the two
      libraries.

    Parameters
    ----------
    warmup_steps, stable_steps, decay_steps : int
        The lengths :math:`W, S, D \ge 0` of the three phases.
    shape : {"linear", "cosine", "1-sqrt"}, default "linear"
        The decay.
    min_ratio : float, default 0.0
        The factor :math:`\rho \in [0, 1]` at step 0 and from step :math:`W + S + D` on.
    warmup_shape : {"linear", "cosine", "1-sqrt"}, default "linear"
        The warm-up.
    num_cycles : float, default 0.5
        The number of cosine periods of the ``"cosine"`` decay; 1/2 is a half cosine.

    Returns
    -------
    callable
        The schedule :math:`t \mapsto f(t)`.

    Raises
    ------
    ValueError
        If a length is negative, ``shape`` or ``warmup_shape`` is not one of
        ``DECAY_SHAPES``, ``min_ratio`` is outside :math:`[0, 1]` or ``num_cycles`` is
        negative.
    """
    _check_steps("warmup_steps", warmup_steps)
    _check_steps("stable_steps", stable_steps)
    _check_steps("decay_steps", decay_steps)
    _check_shape("shape", shape)
    _check_ratio("min_ratio", min_ratio)
    _check_shape("warmup_shape", warmup_shape)
    if num_cycles < 0:
        raise ValueError(f"num_cycles must be non-negative, got {num_cycles}")
    return partial(
        wsd_factor,
        warmup_steps=warmup_steps,
        stable_steps=stable_steps,
        decay_steps=decay_steps,
        shape=shape,
        min_ratio=min_ratio,
        warmup_shape=warmup_shape,
        num_cycles=num_cycles,
    )


# ---------------------------------------------------------------- inverse square root


def inverse_sqrt_factor(step: int, warmup_steps: int, timescale: float) -> float:
    r"""Linear warm-up from 0, then decay as the inverse square root (``transformers``' form).

    .. math::
        f(t) = \begin{cases}
            t / \max(1, W) & t < W \\
            \Bigl(\dfrac{t + \tau - W}{\tau}\Bigr)^{-1/2} & t \ge W
        \end{cases}

    ``_get_inverse_sqrt_schedule_lr_lambda`` of ``transformers`` (adapted there from
    big_vision's ``rsqrt``), operation for operation; the factor is 1 at :math:`t = W`
    and halves every time :math:`t - W + \tau` quadruples.

    Parameters
    ----------
    step : int
        The step :math:`t`.
    warmup_steps : int
        The length :math:`W` of the warm-up.
    timescale : float
        The time scale :math:`\tau > 0` of the decay.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    if step < warmup_steps:
        return float(step) / float(max(1, warmup_steps))
    shift = timescale - warmup_steps
    return 1.0 / math.sqrt((step + shift) / timescale)


def inverse_sqrt(warmup_steps: int, timescale: float | None = None) -> Schedule:
    r"""Warm up linearly from 0 for ``warmup_steps``, then decay as :math:`1/\sqrt{t}`.

    ``transformers``' ``get_inverse_sqrt_schedule(opt, num_warmup_steps, timescale)``,
    with its default ``timescale``: ``warmup_steps``, or 10 000 when there is no warm-up.
    The formula is ``inverse_sqrt_factor``'s.

    With :math:`\tau = W` it is the Transformer's "Noam" schedule (Vaswani et al., 2017)
    divided by its peak :math:`(d W)^{-1/2}`:
    :math:`d^{-1/2} \min(t^{-1/2}, t W^{-3/2}) = (d W)^{-1/2} f(t)` for every
    :math:`t \ge 1`, since :math:`t W^{-3/2} = W^{-1/2}\, t / W` and
    :math:`t^{-1/2} = W^{-1/2} (t / W)^{-1/2}`. The two differ only at step 0, where
    ``noam`` takes :math:`t = 1` (see there).

    Parameters
    ----------
    warmup_steps : int
        The length :math:`W \ge 0` of the warm-up.
    timescale : float or None, default None
        The time scale :math:`\tau > 0`; ``None`` for ``warmup_steps or 10_000``.

    Returns
    -------
    callable
        The schedule :math:`t \mapsto f(t)`.

    Raises
    ------
    ValueError
        If ``warmup_steps`` is negative or ``timescale`` is not positive.
    """
    _check_steps("warmup_steps", warmup_steps)
    if timescale is None:
        timescale = warmup_steps or 10_000
    if not timescale > 0:
        raise ValueError(f"timescale must be positive, got {timescale}")
    return partial(inverse_sqrt_factor, warmup_steps=warmup_steps, timescale=timescale)


def _noam(step: int, d_model: int, warmup_steps: int, factor: float) -> float:
    step = max(step, 1)  # the Annotated Transformer's `rate`: step 0 counts as step 1
    return factor * (d_model ** (-0.5) * min(step ** (-0.5), step * warmup_steps ** (-1.5)))


def noam(d_model: int, warmup_steps: int, factor: float = 1.0) -> Schedule:
    r"""Return the Transformer's "Noam" learning rate (Vaswani et al., 2017), not a factor.

    .. math::
        f(t) = k\, d^{-1/2} \min\bigl(s^{-1/2},\ s\, W^{-3/2}\bigr), \qquad s = \max(t, 1)

    Vaswani et al. (2017, eq. 3), as the Annotated Transformer's ``rate`` evaluates it
    (step 0 taken as step 1, so that the first update is not made with a zero learning
    rate). The value is the learning rate, not a factor: use it as ``lr_lambda`` with an
    optimizer whose learning rate is 1. For :math:`t \ge 1` it is
    ``inverse_sqrt(W)`` (:math:`\tau = W`) times :math:`k (d W)^{-1/2}`, its peak at
    :math:`t = W`.

    Parameters
    ----------
    d_model : int
        The model width :math:`d > 0`.
    warmup_steps : int
        The length :math:`W > 0` of the warm-up.
    factor : float, default 1.0
        The scale :math:`k` in front.

    Returns
    -------
    callable
        The schedule :math:`t \mapsto f(t)`.

    Raises
    ------
    ValueError
        If ``d_model`` or ``warmup_steps`` is not positive.
    """
    if d_model <= 0:
        raise ValueError(f"d_model must be positive, got {d_model}")
    if warmup_steps <= 0:
        raise ValueError(f"warmup_steps must be positive, got {warmup_steps}")
    return partial(_noam, d_model=d_model, warmup_steps=warmup_steps, factor=factor)
