r"""Constant warm-up: hold the learning rate at a fraction of it, then restore it.

.. math::
    \eta_t = \eta_0 \begin{cases} c & t < T \\ 1 & t \ge T \end{cases}
"""

from torch.optim import Optimizer

from ._base import LRScheduler, current_lrs, warn_if_called_outside_step
from .schedules import constant_factor

__all__ = ["ConstantLR"]


class ConstantLR(LRScheduler):
    r"""Multiply the learning rate of each param group by ``factor`` until step ``total_iters``.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.ConstantLR`: same
    arguments, checks, learning rates (bit for bit) and ``state_dict``. The closed
    form is ``constant_factor``,

    .. math::
        \eta_t = \eta_0 \bigl(c + [t \ge T]\,(1 - c)\bigr),

    as a schedule ``join([constant(c), constant(1.0)], [T])``. Like torch, the
    scheduler applies it *recursively*: at step 0 the current learning rate is
    multiplied by :math:`c`, at step :math:`T` by :math:`1/c`, and left alone
    otherwise. A learning rate changed by hand in between is therefore divided
    by :math:`c` at step :math:`T`.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    factor : float, default 1/3
        The factor :math:`c \in [0, 1]` applied before step :math:`T`.
    total_iters : int, default 5
        The step :math:`T` at which the learning rates are restored.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.

    Raises
    ------
    ValueError
        If ``factor`` is not in :math:`[0, 1]`.
    ZeroDivisionError
        At step ``total_iters``, if ``factor`` is 0 (as in torch: :math:`1/c` is
        undefined); used inside ``SequentialLR`` up to a milestone before
        ``total_iters``, ``factor=0`` works.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError(
                f"Constant multiplicative factor expected to be between 0 and 1, "
                f"got factor={factor}."
            )
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch``, from the current ones."""
        warn_if_called_outside_step(self)
        t = self.last_epoch
        if t == 0:
            # also at construction: η₀ ← c η₀ (torch tests t == 0, not the initial step)
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if t != self.total_iters:
            return current_lrs(self.optimizer)  # f(t) = f(t-1)
        # η_T = η_{T−1} · (1 / c): the factor is undone
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        """Closed-form learning rates at ``last_epoch`` (for ``step(epoch)``, ``SequentialLR``)."""
        f = constant_factor(self.last_epoch, self.factor, self.total_iters)
        return [base_lr * f for base_lr in self.base_lrs]  # η_t = η₀ (c + [t ≥ T](1 − c))
