r"""Schedulers one after another: each takes over at a milestone.

.. math::
    \eta_t = \text{the value of scheduler } k \text{ at its step } t - m_k
    \quad \text{for } m_k \le t < m_{k+1}, \qquad m_0 = 0

The pure counterpart is ``schedules.join(schedules, boundaries)``.
"""

from bisect import bisect_right
from typing import Any

from torch.optim import Optimizer

from ._base import LRScheduler, check_children, set_group_value
from ._container import SchedulerContainer

__all__ = ["SequentialLR"]


class SequentialLR(SchedulerContainer):
    r"""Run schedulers one after another, switching at the given milestones.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.SequentialLR`: same
    arguments, errors, warnings, ``state_dict`` and learning rates. Its children may
    be PyTorch's schedulers, this package's, or a mix. A ``ChainedScheduler`` or
    ``SequentialLR`` may be the first child (the construction steps it, and PyTorch
    warns that a scheduler was stepped before the optimizer), not a later one: at its
    milestone it has no learning rates of its own to restart from, and
    ``NotImplementedError`` is raised, as in PyTorch.

    What it does, in PyTorch's order:

    * **construction**: it writes ``initial_lr`` back into every param group, winds
      back ``last_epoch`` of every child by one (recursively into children that hold
      ``_schedulers``: ``recursive_undo``), and redoes the constructor's step of the
      child that runs at step 0 only. Each child's constructor had already set the
      learning rates (``CyclicLR`` and ``OneCycleLR`` overwrite them, and
      ``initial_lr`` with them), so the order in which the children were built
      matters;
    * **step()**: the child in charge of step :math:`t` (the number of milestones
      :math:`\le t`) is stepped, except at a milestone :math:`t = m_k`, where child
      :math:`k` restarts at its step 0: ``last_epoch = 0`` and its *closed form*
      there (``_get_closed_form_lr``, or ``get_lr`` for schedulers without one;
      PyTorch calls ``_update_lr(0)``, which, unlike ``step(0)``, gives no
      deprecation warning). A recursive scheduler thereby restarts from its base
      learning rates (to round-off: ``CosineAnnealingLR`` with ``eta_min > 0``
      differs in the last bit).

    The milestones are neither sorted nor checked beyond their number, and
    ``ReduceLROnPlateau`` is refused because its ``step`` needs a metric (see
    ``LinearWarmup`` for a warm-up in front of one).

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer that every scheduler in ``schedulers`` schedules.
    schedulers : list of torch.optim.lr_scheduler.LRScheduler
        The schedulers, in the order they take over; built on ``optimizer``.
    milestones : list of int
        The steps :math:`m_1, \dots, m_K` at which schedulers :math:`1, \dots, K`
        take over; one fewer than ``schedulers``.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.

    Raises
    ------
    ValueError
        If ``schedulers`` is empty, holds a ``ReduceLROnPlateau`` or a scheduler of
        another optimizer, or ``milestones`` has not one entry fewer than
        ``schedulers``.
    TypeError
        If a scheduler has no ``optimizer`` attribute.
    KeyError
        If a param group has no ``'initial_lr'`` (no child set it).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError(
                f"{self.__class__.__name__} expects at least one scheduler, but got no scheduler."
            )
        check_children(self, schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                "than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to "
                f"{len(milestones)}"
            )
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer

        for group in optimizer.param_groups:
            set_group_value(group, "lr", group["initial_lr"])  # undo the children's writes
        self.recursive_undo()  # and their constructors' steps
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()  # redo the step of the one in charge of step 0
        self._last_lr = first.get_last_lr()

    def recursive_undo(self, sched: Any = None) -> None:
        """Take one step off ``last_epoch`` of every child, recursing into containers.

        Parameters
        ----------
        sched : object or None, default None
            The scheduler to wind back; ``None`` means this one, whose children are
            wound back.
        """
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for child in scheds._schedulers:
                self.recursive_undo(child)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Advance one step: step the child in charge, or restart the next one at its milestone."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)  # milestones passed
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)  # its closed form at its step 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()
