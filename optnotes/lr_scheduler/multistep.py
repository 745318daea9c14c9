r"""Multi-step decay: multiply the learning rate by :math:`\gamma` at each milestone.

.. math::
    \eta_t = \eta_0\, \gamma^{\,\#\{i \,:\, m_i \le t\}}
"""

from collections import Counter
from collections.abc import Iterable

from torch.optim import Optimizer

from ._base import LRScheduler, current_lrs, warn_if_called_outside_step
from .schedules import multistep_factor

__all__ = ["MultiStepLR"]


class MultiStepLR(LRScheduler):
    r"""Decay the learning rate of each param group by ``gamma`` at each milestone.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.MultiStepLR`: same
    arguments, learning rates (bit for bit) and ``state_dict``, where the milestones
    are kept, as in torch, in a ``collections.Counter``. The closed form is
    ``multistep_factor`` (as a schedule, ``schedules.multistep``),

    .. math::
        \eta_t = \eta_0\, \gamma^{\,\#\{i \,:\, m_i \le t\}}.

    Like torch, the scheduler applies it *recursively*: at a milestone listed
    :math:`k` times the current learning rate is multiplied by
    :math:`\gamma^k = f(t) / f(t-1)`, at any other step it is left alone. A learning
    rate changed by hand therefore keeps its new value and decays from there.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    milestones : iterable of int
        The steps :math:`m_1, m_2, \dots` at which the learning rate drops. torch's
        documentation asks for an increasing list; the order does not matter, and a
        milestone listed twice multiplies by :math:`\gamma^2`.
    gamma : float, default 0.1
        The decay factor :math:`\gamma`.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(milestones)  # milestone → how often it is listed
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch``, from the current ones."""
        warn_if_called_outside_step(self)
        t = self.last_epoch
        if t not in self.milestones:
            return current_lrs(self.optimizer)  # f(t) = f(t-1)
        drop = self.gamma ** self.milestones[t]  # γ^k, with k the number of times t is listed
        return [group["lr"] * drop for group in self.optimizer.param_groups]  # η ← γ^k η

    def _get_closed_form_lr(self) -> list[float]:
        """Closed-form learning rates at ``last_epoch`` (for ``step(epoch)``, ``SequentialLR``)."""
        f = multistep_factor(self.last_epoch, self.milestones.elements(), self.gamma)
        return [base_lr * f for base_lr in self.base_lrs]  # η_t = η₀ γ^#{m_i ≤ t}
