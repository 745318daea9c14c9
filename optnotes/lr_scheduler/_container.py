"""What ``SequentialLR`` and ``ChainedScheduler`` share: a scheduler made of schedulers."""

from typing import Any

from ._base import LRScheduler

__all__ = ["SchedulerContainer"]


class SchedulerContainer(LRScheduler):
    """A scheduler that drives the schedulers in ``self._schedulers``.

    Its ``state_dict`` holds its own attributes and, under ``'_schedulers'``, the list
    of its children's states: PyTorch's layout for ``SequentialLR`` and
    ``ChainedScheduler``, so that a checkpoint of either loads into the other's
    namesake.
    """

    _schedulers: list[LRScheduler]

    def state_dict(self) -> dict[str, Any]:
        """Return the state, with the children's states as a list under ``'_schedulers'``."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the state written by ``state_dict`` (ours or PyTorch's), children included.

        Parameters
        ----------
        state_dict : dict
            The state; it is left as it was given.
        """
        children = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        state_dict["_schedulers"] = children  # give the caller's dict back unchanged
        for index, state in enumerate(children):
            self._schedulers[index].load_state_dict(state)
