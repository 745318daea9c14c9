r"""Schedulers stepped together: their effects on the learning rate compound.

.. math::
    \eta_t = \eta_0 \prod_k f_k(t)

for schedulers that multiply the current learning rate by a factor (the recursive
ones: ``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ...); a scheduler that
sets the learning rate outright (``CyclicLR``, ``OneCycleLR``,
``CosineAnnealingWarmRestarts``) overrides those stepped before it.
"""

from collections.abc import Sequence

from torch.optim import Optimizer

from ._base import LRScheduler, check_children, current_lrs
from ._container import SchedulerContainer

__all__ = ["ChainedScheduler"]


class ChainedScheduler(SchedulerContainer):
    r"""Step several schedulers of one optimizer at once, in order.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.ChainedScheduler`:
    same arguments, errors, ``state_dict`` and learning rates. Its children may be
    PyTorch's schedulers, this package's, or a mix. Every ``step()`` calls
    ``step()`` of each child in the order given; the learning rates are what the
    last one leaves in the optimizer. A recursive child multiplies the current
    learning rate, so the factors of recursive children compound: a ``LinearLR``
    warm-up chained with a cosine never reaches the peak.

    The constructor does not step anything: the children's constructors have
    already set the learning rates for step 0 (each in turn, in the order they were
    built). ``ReduceLROnPlateau`` is refused because its ``step`` needs a metric.

    Parameters
    ----------
    schedulers : sequence of torch.optim.lr_scheduler.LRScheduler
        The schedulers to step together, all built on the same optimizer.
    optimizer : torch.optim.Optimizer or None, default None
        The optimizer; ``None`` means that of the first scheduler.

    Raises
    ------
    ValueError
        If ``schedulers`` is empty, or holds a ``ReduceLROnPlateau`` or a scheduler of
        another optimizer.
    TypeError
        If a scheduler has no ``optimizer`` attribute.
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError(
                f"{self.__class__.__name__} expects at least one scheduler to be chained, "
                "but got no scheduler."
            )
        optimizer = optimizer or schedulers[0].optimizer
        check_children(self, schedulers, optimizer)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = current_lrs(self._schedulers[-1].optimizer)

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = current_lrs(self._schedulers[-1].optimizer)
