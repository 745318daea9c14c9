"""What every optnotes optimizer shares: option checks, the step loop and its state.

Each optimizer module holds two things: a thin :class:`torch.optim.Optimizer`
subclass that validates its arguments and keeps per-parameter state, and a
plain function over tensors that performs the update and reads like the
paper's pseudo-code. Its twin over lists of tensors, built from
``torch._foreach_*`` operations, lives in :mod:`optnotes.optim.foreach`. The
plumbing between a class and its two functions lives here, once.
"""

from collections.abc import Callable
from functools import partial
from itertools import repeat
from typing import Any

import torch
from torch import Tensor
from torch.optim.optimizer import _default_to_fused_or_foreach

#: What :meth:`Optimizer._update_args` returns: the update functions' state
#: arguments (one list over the params per argument, ``None`` for a buffer whose
#: option is off) and their hyper-parameters (keyword arguments).
UpdateArgs = tuple[list[list[Any] | None], dict[str, Any]]

#: Options of ``torch.optim`` that select an implementation rather than an
#: algorithm and that optnotes does not have: each may be left at its default
#: and nothing else.
UNSUPPORTED_OPTIONS = {
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


def zeros_like(param: Tensor) -> Tensor:
    """Return a zero buffer shaped like ``param`` (same dtype, device and memory format)."""
    return torch.zeros_like(param, memory_format=torch.preserve_format)


def new_step_counter() -> Tensor:
    """Return a fresh step count, stored as torch stores it: a 0-dim float tensor on the CPU."""
    dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    return torch.tensor(0.0, dtype=dtype)


class Optimizer(torch.optim.Optimizer):
    """Base class of the optnotes optimizers.

    It adds to :class:`torch.optim.Optimizer` the step loop every optimizer
    shares: collect the parameters that have a gradient, create and advance
    their state, and hand them to one of the subclass's two update functions,
    the readable per-tensor one (``adam_step_``, called once per parameter) or
    the multi-tensor one (``adam_foreach_``, called once with lists), as the
    group's ``foreach`` option says. It also refuses the implementation
    options optnotes does not have (``fused``, ``capturable``,
    ``differentiable``) with an error naming them, wherever they come from
    (constructor, a param group, a loaded ``state_dict``).

    A subclass sets :attr:`_single_tensor_update` and
    :attr:`_multi_tensor_update`, creates a parameter's state in
    :meth:`_init_state`, and says in :meth:`_update_args` which state and
    hyper-parameters the two functions take.
    """

    #: ``update(param, grad, *state, **hyperparameters)``: the per-tensor update.
    _single_tensor_update: Callable[..., Any]
    #: ``update(params, grads, *state_lists, **hyperparameters)``: the multi-tensor update.
    _multi_tensor_update: Callable[..., Any]

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
        """Update the parameters of one group that have a gradient."""
        params = [param for param in group["params"] if param.grad is not None]
        if not params:
            return
        grads = [param.grad for param in params]
        if any(grad.is_sparse for grad in grads):
            raise RuntimeError(
                f"optnotes.optim.{type(self).__name__} does not support sparse gradients"
            )
        state_lists, hyperparameters = self._update_args(group, params)
        if self._use_foreach(group, params):
            returned = self._multi_tensor_update(params, grads, *state_lists, **hyperparameters)
        else:
            # One call per parameter; an argument whose option is off (None) is None for
            # each (repeat() is endless; zip stops at the end of params).
            columns = [repeat(None) if values is None else values for values in state_lists]
            update = partial(self._single_tensor_update, **hyperparameters)
            returned = [update(*args) for args in zip(params, grads, *columns, strict=False)]
        self._after_update(group, params, returned)

    def _use_foreach(self, group: dict[str, Any], params: list[Tensor]) -> bool:
        """Whether ``group`` takes the multi-tensor path.

        ``foreach=True`` or ``False`` decides; ``None`` follows torch's rule
        (``torch.optim.optimizer._default_to_fused_or_foreach``): multi-tensor
        when every parameter is a plain tensor on a device with foreach kernels
        (CUDA, XPU, ...), so never on the CPU.
        """
        if group["foreach"] is not None:
            return group["foreach"]
        return _default_to_fused_or_foreach(params, differentiable=False, use_fused=False)[1]

    def _states(self, group: dict[str, Any], params: list[Tensor]) -> list[dict[str, Any]]:
        """Return the state of each param, created before its first step, step count advanced."""
        states = [self.state[param] for param in params]
        for param, state in zip(params, states, strict=True):
            if not state:
                state.update(self._init_state(group, param))
        # t ← t + 1 for all at once; torch's trick: a tensor 1 is not re-wrapped per step
        torch._foreach_add_([state["step"] for state in states], torch.tensor(1.0), alpha=1.0)
        return states

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        """Return the state of ``param`` before its first step."""
        raise NotImplementedError

    def _update_args(self, group: dict[str, Any], params: list[Tensor]) -> UpdateArgs:
        """Return the update functions' arguments after ``params`` and their gradients.

        First the state arguments, one list over ``params`` per argument
        (``None`` for a buffer whose option is off), then the hyper-parameters
        as keyword arguments.
        """
        raise NotImplementedError

    def _after_update(self, group: dict[str, Any], params: list[Tensor], returned: Any) -> None:
        """Keep what the update returned (a list over ``params``); by default nothing."""
