r"""Adagrad: per-coordinate step sizes from the sum of squared gradients (Duchi et al., 2011).

.. math::

    s_t &= s_{t-1} + g_t^2 \\
    \eta_t &= \eta / (1 + (t-1)\,\delta) \\
    \theta_t &= \theta_{t-1} - \eta_t\, g_t / (\sqrt{s_t} + \epsilon)

Coordinates with large or frequent gradients take ever smaller steps, those
with rare gradients keep large ones. The sum only grows, so every step size
shrinks like :math:`1/\sqrt{t}` at least; :math:`\delta` (``lr_decay``) shrinks
the global rate further.
"""

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from ._base import Optimizer, as_float, check, check_lr, new_step_counter


def adagrad_step_(
    param: Tensor,
    grad: Tensor,
    state_sum: Tensor,
    step: float,
    *,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    r"""Apply one Adagrad update to ``param`` in place.

    Parameters
    ----------
    param : torch.Tensor
        The parameter :math:`\theta`, updated in place.
    grad : torch.Tensor
        Its gradient :math:`g_t` (not modified).
    state_sum : torch.Tensor
        Sum of squared gradients :math:`s_{t-1}`, updated in place.
    step : float
        The number :math:`t` of this step, starting at 1.
    lr, lr_decay, weight_decay, eps : float
        :math:`\eta`, :math:`\delta`, :math:`\lambda`, :math:`\epsilon`.
    maximize : bool
        Ascend instead of descend.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # g ← g + λθ

    clr = lr / (1 + (step - 1) * lr_decay)  # ηₜ = η / (1 + (t−1)δ): no decay on step 1
    state_sum.addcmul_(grad, grad, value=1)  # s ← s + g²
    std = state_sum.sqrt().add_(eps)  # √s + ε
    param.addcdiv_(grad, std, value=-clr)  # θ ← θ − ηₜ g / (√s + ε)


class Adagrad(Optimizer):
    r"""Adagrad.

    A drop-in replacement for :class:`torch.optim.Adagrad`: same arguments,
    defaults, errors, ``state_dict`` layout and numbers. As in torch, the
    state (``step`` and ``sum``) of every parameter is created by the
    constructor, filled with ``initial_accumulator_value``. The update is
    :func:`adagrad_step_`.

    Parameters
    ----------
    params : iterable
        Parameters to optimize, or dicts defining parameter groups.
    lr : float, default 1e-2
        Learning rate :math:`\eta`.
    lr_decay : float, default 0
        Learning-rate decay :math:`\delta`.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` added to the gradient.
    initial_accumulator_value : float, default 0
        Starting value :math:`s_0` of the sum of squared gradients.
    eps : float, default 1e-10
        :math:`\epsilon`, added to :math:`\sqrt{s_t}`.
    foreach, differentiable, fused
        Implementation options of ``torch.optim.Adagrad``; only their defaults
        are supported.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_lr(lr)
        check(lr_decay >= 0.0, f"Invalid lr_decay value: {lr_decay}")
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        check(
            initial_accumulator_value >= 0.0,
            f"Invalid initial_accumulator_value value: {initial_accumulator_value}",
        )
        check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param)

    def _init_state(self, param: Tensor) -> None:
        state = self.state[param]
        state["step"] = new_step_counter()
        state["sum"] = torch.full_like(
            param, self.defaults["initial_accumulator_value"], memory_format=torch.preserve_format
        )

    def share_memory(self) -> None:
        """Move the ``sum`` state to shared memory (for Hogwild-style training)."""
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param]["sum"].share_memory_()

    def _step_group(self, group: dict[str, Any]) -> None:
        for param, grad in self._params_with_grad(group):
            state = self.state[param]
            if not state:  # a param group added after construction
                self._init_state(param)
            state["step"] += 1
            adagrad_step_(
                param,
                grad,
                state["sum"],
                state["step"].item(),
                lr=as_float(group["lr"]),
                lr_decay=group["lr_decay"],
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                maximize=group["maximize"],
            )
