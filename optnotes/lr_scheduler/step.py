r"""Step decay: multiply the learning rate by :math:`\gamma` every ``step_size`` steps.

.. math::
    \eta_t = \eta_0\, \gamma^{\lfloor t / s \rfloor}
"""

from torch.optim import Optimizer

from ._base import LRScheduler, current_lrs, warn_if_called_outside_step
from .schedules import step_factor

__all__ = ["StepLR"]


class StepLR(LRScheduler):
    r"""Decay the learning rate of each param group by ``gamma`` every ``step_size`` steps.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.StepLR`: same
    arguments, learning rates and ``state_dict``. The closed form is
    ``step_factor`` (as a schedule, ``schedules.step``); like torch, and because
    parity with torch after a manual change of the learning rate needs it, the
    scheduler applies it *recursively*, which here is exact: at every multiple
    of :math:`s` the current learning rate is multiplied by
    :math:`\gamma = f(t) / f(t-1)`, otherwise it is left alone. A learning rate
    changed by hand therefore keeps its new value and decays from there.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    step_size : int
        The period :math:`s` of the decay, a positive number of steps.
    gamma : float, default 0.1
        The decay factor :math:`\gamma`.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.

    Raises
    ------
    ValueError
        If ``step_size`` is not positive (torch accepts it and fails with
        ``ZeroDivisionError`` at the first step).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        step_size: int,
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        if step_size <= 0:
            raise ValueError(f"step_size must be positive, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch``, from the current ones."""
        warn_if_called_outside_step(self)
        t = self.last_epoch
        if t == 0 or t % self.step_size != 0:
            return current_lrs(self.optimizer)  # f(t) = f(t-1)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]  # η ← γη

    def _get_closed_form_lr(self) -> list[float]:
        """Closed-form learning rates at ``last_epoch`` (for ``step(epoch)``, ``SequentialLR``)."""
        f = step_factor(self.last_epoch, self.step_size, self.gamma)
        return [base_lr * f for base_lr in self.base_lrs]  # η_t = η₀ γ^⌊t/s⌋
