r"""Cosine annealing (Loshchilov & Hutter, 2017), in PyTorch's recursive form.

.. math::
    \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\,
    \frac{1}{2}\Bigl(1 + \cos\frac{\pi t}{T_{\max}}\Bigr)
"""

import math

from torch.optim import Optimizer

from ._base import LRScheduler, current_lrs, warn_if_called_outside_step
from .schedules import cosine_annealing_factor, cosine_annealing_lr, raised_cosine

__all__ = ["CosineAnnealingLR"]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the learning rate of each param group along a cosine.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.CosineAnnealingLR`:
    same arguments, ``state_dict`` and learning rates, bit for bit.

    The closed form is ``cosine_annealing_lr`` (as a schedule of factors,
    ``schedules.cosine``). Like torch, and because bit-for-bit parity with torch
    needs it, the scheduler does not evaluate it but moves the *current* learning
    rate by the ratio of two consecutive factors
    :math:`f(t) = \frac12(1 + \cos(\pi t / T_{\max}))`:

    .. math::
        \eta_t = \eta_{\min} + (\eta_{t-1} - \eta_{\min})\,
        \frac{f(t)}{f(t-1)}
        = \eta_{\min} + (\eta_{t-1} - \eta_{\min})\,
        \frac{1 + \cos(\pi t / T_{\max})}{1 + \cos(\pi (t-1) / T_{\max})}.

    Until someone changes the learning rate by hand, this telescopes to the
    closed form (up to round-off); after a manual change the rest of the curve
    is rescaled to end at :math:`\eta_{\min}`. At the bottom of the cosine,
    :math:`f(t-1) = 0` and the ratio is undefined, so the step out of the trough
    adds the closed-form increment instead, with
    :math:`\cos(\pi t / T_{\max}) = \cos(\pi + \pi / T_{\max}) = -\cos(\pi / T_{\max})`,

    .. math::
        \eta_t = \eta_{t-1} + (\eta_0 - \eta_{\min})\,
        \frac{1 - \cos(\pi / T_{\max})}{2}.

    There is no clamping at :math:`T_{\max}`: the learning rate climbs back to
    :math:`\eta_0` at :math:`2T_{\max}` and keeps oscillating.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    T_max : int
        The number of steps :math:`T_{\max}` from the initial learning rate to
        ``eta_min``.
    eta_min : float, default 0.0
        The smallest learning rate :math:`\eta_{\min}`.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.

    Raises
    ------
    ValueError
        If ``T_max`` is not positive (torch accepts it and fails with
        ``ZeroDivisionError`` at the first step).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if T_max <= 0:
            raise ValueError(f"T_max must be positive, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch``, from the current ones."""
        warn_if_called_outside_step(self)
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            # the step made by the constructor keeps the lr (also when resuming)
            return current_lrs(self.optimizer)
        if (t - 1 - T) % (2 * T) == 0:
            # out of the trough, f(t-1) = 0: add (η₀ − η_min)·f(t), with f(t) from
            # cos(πt/T) = −cos(π/T) as torch evaluates it (bit for bit; the cosine of the
            # rounded angle πt/T, cosine_annealing_factor(t, T), differs in the last bit)
            rise = raised_cosine(-math.cos(math.pi / T))
            return [
                group["lr"] + (base_lr - eta_min) * rise
                for base_lr, group in zip(self.base_lrs, self.optimizer.param_groups, strict=True)
            ]
        # η_t − η_min = (η_{t−1} − η_min) · f(t) / f(t−1)
        ratio = cosine_annealing_factor(t, T) / cosine_annealing_factor(t - 1, T)
        return [ratio * (group["lr"] - eta_min) + eta_min for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        """Closed-form learning rates at ``last_epoch`` (for ``step(epoch)``, ``SequentialLR``)."""
        return [
            cosine_annealing_lr(self.last_epoch, base_lr, self.eta_min, self.T_max)
            for base_lr in self.base_lrs
        ]
