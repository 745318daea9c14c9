r"""Schedulers for the schedules of large-scale training: warm-up + cosine, WSD, 1/√t.

Each class sets the learning rate of every param group to its initial learning rate
times a schedule of :mod:`~optnotes.lr_scheduler.schedules.modern`,

.. math::
    \eta_t = \eta_0\, f(t),

exactly as ``LambdaLR(optimizer, schedule)`` does (the closed form is evaluated afresh at
every step), so they set the learning rates of the ``transformers`` functions
``get_cosine_schedule_with_warmup``, ``get_cosine_with_min_lr_schedule_with_warmup``,
``get_wsd_schedule`` and ``get_inverse_sqrt_schedule``. Unlike a ``LambdaLR``, their
``state_dict`` holds the hyper-parameters as plain values.
"""

from torch.optim import Optimizer

from ._base import LRScheduler, warn_if_called_outside_step
from .schedules.modern import (
    inverse_sqrt,
    inverse_sqrt_factor,
    warmup_cosine,
    warmup_cosine_factor,
    wsd,
    wsd_factor,
)

__all__ = ["WSDLR", "InverseSqrtLR", "WarmupCosineLR"]


class _FactorScheduler(LRScheduler):
    """What the three share: the learning rates are ``base_lr * self._factor(t)``."""

    def _factor(self, step: int) -> float:
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch``, from the initial ones."""
        warn_if_called_outside_step(self)
        return self._get_closed_form_lr()

    def _get_closed_form_lr(self) -> list[float]:
        """Closed-form learning rates at ``last_epoch`` (for ``step(epoch)``, ``SequentialLR``)."""
        f = self._factor(self.last_epoch)
        return [base_lr * f for base_lr in self.base_lrs]  # η_t = η₀ f(t)


class WarmupCosineLR(_FactorScheduler):
    r"""Warm up linearly from 0, then anneal along a cosine to ``min_ratio`` times the initial lr.

    .. math::
        \eta_t = \eta_0 \begin{cases}
            t / W & t < W \\
            \rho + (1 - \rho)\, \tfrac12 \bigl(1 + \cos(2\pi c\, (t - W) / (T - W))\bigr)
            & t \ge W
        \end{cases}

    The schedule ``schedules.modern.warmup_cosine(W, T, rho, c)``, as
    ``transformers``' ``get_cosine_schedule_with_warmup(optimizer, W, T, c)``
    (:math:`\rho = 0`) and ``get_cosine_with_min_lr_schedule_with_warmup(optimizer, W,
    T, c, min_lr_rate=rho)`` define it. As there, nothing is clamped past :math:`T`:
    stepped on, the learning rate climbs back along the cosine. optax's
    ``warmup_cosine_decay_schedule(0, lr, W, decay_steps=T, end_value=rho * lr)`` is the
    same up to :math:`T` (its ``decay_steps`` include the warm-up) and holds
    ``end_value`` after it.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    warmup_steps : int
        The length :math:`W \ge 0` of the warm-up.
    total_steps : int
        The step :math:`T > W` at which the cosine reaches ``min_ratio``, warm-up
        included.
    min_ratio : float, default 0.0
        The end factor :math:`\rho \in [0, 1]`.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.
    num_cycles : float, default 0.5
        The number :math:`c` of cosine periods between :math:`W` and :math:`T`
        (keyword only).

    Raises
    ------
    ValueError
        If ``warmup_steps`` is negative, ``total_steps`` is not larger than
        ``warmup_steps``, ``min_ratio`` is outside :math:`[0, 1]` or ``num_cycles`` is
        negative.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        total_steps: int,
        min_ratio: float = 0.0,
        last_epoch: int = -1,
        *,
        num_cycles: float = 0.5,
    ) -> None:
        warmup_cosine(warmup_steps, total_steps, min_ratio, num_cycles)  # checks the arguments
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_ratio = min_ratio
        self.num_cycles = num_cycles
        super().__init__(optimizer, last_epoch)

    def _factor(self, step: int) -> float:
        return warmup_cosine_factor(
            step, self.warmup_steps, self.total_steps, self.min_ratio, self.num_cycles
        )


class WSDLR(_FactorScheduler):
    r"""Warm up, hold the initial learning rate, then cool down: warmup–stable–decay.

    .. math::
        \eta_t = \eta_0 \begin{cases}
            \rho + (1 - \rho)\, w(t / W) & t < W \\
            1 & W \le t < W + S \\
            \rho + (1 - \rho)\, d((t - W - S) / D) & W + S \le t < W + S + D \\
            \rho & t \ge W + S + D
        \end{cases}

    The schedule ``schedules.modern.wsd`` (MiniCPM, arXiv:2404.06395; the
    :math:`1 - \sqrt{p}` cool-down of Hägele et al., arXiv:2405.18392), as
    ``transformers``' ``get_wsd_schedule(optimizer, num_warmup_steps=W,
    num_decay_steps=D, num_stable_steps=S, warmup_type=warmup_shape, decay_type=shape,
    min_lr_ratio=min_ratio, num_cycles=num_cycles)`` defines it; see ``wsd_factor``
    for the shapes :math:`w` and :math:`d`, and ``wsd`` for how timm's
    ``WSDLRScheduler`` differs (absolute ``lr_min`` and ``warmup_lr_init``).

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    warmup_steps, stable_steps, decay_steps : int
        The lengths :math:`W, S, D \ge 0` of the three phases.
    shape : {"linear", "cosine", "1-sqrt"}, default "linear"
        The decay :math:`d`.
    min_ratio : float, default 0.0
        The factor :math:`\rho \in [0, 1]` at step 0 and from step :math:`W + S + D` on.
    warmup_shape : {"linear", "cosine", "1-sqrt"}, default "linear"
        The warm-up :math:`w`.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.
    num_cycles : float, default 0.5
        The number of cosine periods of the ``"cosine"`` decay (keyword only).

    Raises
    ------
    ValueError
        If a length is negative, ``shape`` or ``warmup_shape`` is unknown,
        ``min_ratio`` is outside :math:`[0, 1]` or ``num_cycles`` is negative.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        stable_steps: int,
        decay_steps: int,
        shape: str = "linear",
        min_ratio: float = 0.0,
        warmup_shape: str = "linear",
        last_epoch: int = -1,
        *,
        num_cycles: float = 0.5,
    ) -> None:
        # checks the arguments
        wsd(warmup_steps, stable_steps, decay_steps, shape, min_ratio, warmup_shape, num_cycles)
        self.warmup_steps = warmup_steps
        self.stable_steps = stable_steps
        self.decay_steps = decay_steps
        self.shape = shape
        self.min_ratio = min_ratio
        self.warmup_shape = warmup_shape
        self.num_cycles = num_cycles
        super().__init__(optimizer, last_epoch)

    def _factor(self, step: int) -> float:
        return wsd_factor(
            step,
            self.warmup_steps,
            self.stable_steps,
            self.decay_steps,
            self.shape,
            self.min_ratio,
            self.warmup_shape,
            self.num_cycles,
        )


class InverseSqrtLR(_FactorScheduler):
    r"""Warm up linearly from 0, then decay the learning rate as the inverse square root.

    .. math::
        \eta_t = \eta_0 \begin{cases}
            t / W & t < W \\
            \bigl(1 + (t - W) / \tau\bigr)^{-1/2} & t \ge W
        \end{cases}

    The schedule ``schedules.modern.inverse_sqrt(W, timescale)``, as ``transformers``'
    ``get_inverse_sqrt_schedule(optimizer, W, timescale)`` defines it. With
    :math:`\tau = W` and :math:`\eta_0 = (d W)^{-1/2}` these are the learning rates of
    the Transformer's "Noam" schedule :math:`d^{-1/2} \min(t^{-1/2}, t W^{-3/2})` at
    every step :math:`t \ge 1` (see ``schedules.modern.noam``).

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    warmup_steps : int
        The length :math:`W \ge 0` of the warm-up.
    timescale : float or None, default None
        The time scale :math:`\tau > 0`; ``None`` for ``warmup_steps or 10_000``.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.

    Raises
    ------
    ValueError
        If ``warmup_steps`` is negative or ``timescale`` is not positive.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        timescale: float | None = None,
        last_epoch: int = -1,
    ) -> None:
        schedule = inverse_sqrt(warmup_steps, timescale)  # checks the arguments
        self.warmup_steps = warmup_steps
        self.timescale = schedule.keywords["timescale"]  # the default filled in
        super().__init__(optimizer, last_epoch)

    def _factor(self, step: int) -> float:
        return inverse_sqrt_factor(step, self.warmup_steps, self.timescale)
