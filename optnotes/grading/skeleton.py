"""A skeleton to hand out: the loop over parameters is written, the update is the exercise."""

from typing import Any

import torch


class SkeletonOptimizer(torch.optim.Optimizer):
    """Base class for optimizers written as exercises.

    ``step`` visits every parameter that has a gradient and calls :meth:`update` with
    the parameter, its gradient, its state (a dict, empty on the first step) and its
    param group (the hyper-parameters: ``group["lr"]``, ...). A subclass stores its
    hyper-parameters by passing ``defaults`` to ``super().__init__`` and implements
    :meth:`update`; the result is a ``torch.optim.Optimizer`` like any other.

    Examples
    --------
    >>> class MySGD(SkeletonOptimizer):
    ...     def __init__(self, params, lr=0.01):
    ...         super().__init__(params, {"lr": lr})
    ...
    ...     def update(self, param, grad, state, group):
    ...         param.add_(grad, alpha=-group["lr"])
    """

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        """Update every parameter that has a gradient.

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
            for param in group["params"]:
                if param.grad is not None:
                    self.update(param, param.grad, self.state[param], group)
        return loss

    def update(
        self,
        param: torch.Tensor,
        grad: torch.Tensor,
        state: dict[str, Any],
        group: dict[str, Any],
    ) -> None:
        """Change ``param`` in place by one step of the algorithm.

        Parameters
        ----------
        param : torch.Tensor
            The parameter to update (gradients are off inside ``step``).
        grad : torch.Tensor
            Its gradient; do not modify it in place.
        state : dict
            Whatever this parameter needs to remember between steps.
        group : dict
            The hyper-parameters of the parameter's group.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update()")
