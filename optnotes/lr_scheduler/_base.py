"""The parts of ``torch.optim.lr_scheduler`` that the optnotes schedulers reuse.

The schedulers subclass :class:`torch.optim.lr_scheduler.LRScheduler` and keep its
machinery: the step counter ``last_epoch``, writing the values of ``get_lr`` into
the param groups (also when ``group["lr"]`` is a tensor), ``get_last_lr`` and the
``state_dict`` layout. Only the schedules themselves are re-implemented. The few
private helpers of torch's module they call are gathered here, so that a change in
torch's internals has one place to be fixed.
"""

from collections.abc import Sequence
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import (
    EPOCH_DEPRECATION_WARNING,
    LRScheduler,
    ReduceLROnPlateau,
    _format_param,
    _param_groups_val_list,
    _update_param_group_val,
    _warn_get_lr_called_within_step,
)

__all__ = [
    "EPOCH_DEPRECATION_WARNING",
    "LRScheduler",
    "check_children",
    "current_lrs",
    "per_group",
    "set_group_value",
    "warn_if_called_outside_step",
]


def current_lrs(optimizer: Optimizer) -> list[Any]:
    """Return the learning rate of every param group (tensors are copied)."""
    return _param_groups_val_list(optimizer, "lr")


def per_group(name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """Repeat a scalar once per param group, or check a list has one entry per group.

    Raises ``ValueError`` naming ``name`` when a list has the wrong length.
    """
    return _format_param(name, optimizer, value)


def set_group_value(group: dict[str, Any], key: str, value: Any) -> None:
    """Write ``group[key] = value``, filling in place when ``group[key]`` is a tensor."""
    _update_param_group_val(group, key, value)


def warn_if_called_outside_step(scheduler: LRScheduler) -> None:
    """Warn, as torch does, when ``get_lr`` is called directly instead of ``get_last_lr``."""
    _warn_get_lr_called_within_step(scheduler)


def check_children(container: object, schedulers: Sequence[Any], optimizer: Optimizer) -> None:
    """Check the schedulers of ``SequentialLR`` or ``ChainedScheduler`` as torch does.

    Each must have an ``optimizer``, be no ``ReduceLROnPlateau`` (its ``step`` needs a
    metric) and drive ``optimizer``; the messages are torch's, naming the index.

    Raises
    ------
    TypeError
        If a scheduler has no ``optimizer`` attribute.
    ValueError
        If a scheduler is a ``ReduceLROnPlateau`` or drives another optimizer.
    """
    name = container.__class__.__name__
    for index, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{name} at index {index} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):  # ours subclasses torch's
            raise ValueError(
                f"{name} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{index} in the given schedulers sequence."
            )
        if optimizer != scheduler.optimizer:
            raise ValueError(
                f"{name} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {scheduler.__class__.__name__} at index {index} has "
                f"{scheduler.optimizer}, which is different from "
                f"{optimizer.__class__.__name__}."
            )
