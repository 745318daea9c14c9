"""What every optnotes optimizer shares: option checks, the step loop and its state.

Each optimizer module holds two things: a thin :class:`torch.optim.Optimizer`
subclass that validates its arguments and keeps per-parameter state, and a
plain function over tensors that performs the update and reads like the
paper's pseudo-code. The plumbing between them lives here, once.
"""

from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor

#: Options of ``torch.optim`` that select an implementation rather than an
#: algorithm. optnotes has only the plain ("single-tensor") implementation, so
#: each may be left at its default and nothing else.
UNSUPPORTED_OPTIONS = {
    "foreach": "the multi-tensor implementation",
    "fused": "the fused kernels",
    "capturable": "CUDA-graph capture",
    "differentiable": "differentiating through the step",
}


def check(condition: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``condition`` holds (torch's wording)."""
    if not condition:
        raise ValueError(message)


def check_lr(lr: float | Tensor) -> None:
    """Validate a learning rate the way every ``torch.optim`` class does."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    check(lr >= 0.0, f"Invalid learning rate: {lr}")


def as_float(value: float | Tensor) -> float:
    """Return a hyper-parameter as a Python number (a 1-element tensor is read out)."""
    return value.item() if isinstance(value, Tensor) else value


def new_step_counter() -> Tensor:
    """Return a fresh step count, stored as torch stores it: a 0-dim float tensor on the CPU."""
    dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    return torch.tensor(0.0, dtype=dtype)


class Optimizer(torch.optim.Optimizer):
    """Base class of the optnotes optimizers.

    It adds three things to :class:`torch.optim.Optimizer`: implementation
    options optnotes does not have (``foreach``, ``fused``, ``capturable``,
    ``differentiable``) are refused with an error naming them, wherever they
    come from (constructor, a param group, a loaded ``state_dict``); the
    closure handling of :meth:`step`; and :meth:`_params_with_grad`, which
    yields the parameters that have a gradient. A subclass implements
    :meth:`_step_group`, which updates one param group.
    """

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a param group after checking it asks for nothing we do not implement.

        Parameters
        ----------
        param_group : dict
            The parameters (key ``"params"``) and their hyper-parameters.
        """
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        self._check_options(group)
        for param in group["params"]:
            if torch.is_complex(param):
                raise TypeError(
                    f"optnotes.optim.{type(self).__name__} does not support complex parameters; "
                    f"use torch.optim.{type(self).__name__}"
                )

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict`` written by this class or by its ``torch.optim`` twin.

        Parameters
        ----------
        state_dict : dict
            As returned by ``state_dict()``; the layout is torch's.
        """
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            self._check_options(group)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        # Checkpoints from older torch versions may lack newer keys or store the
        # step as a number; fill and convert them as torch's classes do.
        for group in self.param_groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)
        for param_state in self.state.values():
            if "step" in param_state and not torch.is_tensor(param_state["step"]):
                param_state["step"] = new_step_counter().fill_(float(param_state["step"]))

    def _check_options(self, group: dict[str, Any]) -> None:
        for option, what in UNSUPPORTED_OPTIONS.items():
            if group.get(option):
                raise ValueError(
                    f"optnotes.optim.{type(self).__name__} does not implement {option}=True "
                    f"({what}); leave {option} at its default or use "
                    f"torch.optim.{type(self).__name__}"
                )

    def _params_with_grad(self, group: dict[str, Any]) -> Iterator[tuple[Tensor, Tensor]]:
        """Yield ``(param, grad)`` for each parameter of ``group`` that has a gradient."""
        for param in group["params"]:
            if param.grad is None:
                continue
            if param.grad.is_sparse:
                raise RuntimeError(
                    f"optnotes.optim.{type(self).__name__} does not support sparse gradients"
                )
            yield param, param.grad

    @torch.no_grad()
    def step(self, closure=None):
        """Perform a single optimization step.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss.

        Returns
        -------
        torch.Tensor or None
            The loss returned by ``closure``, if one was given.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError
