r"""Stochastic gradient descent, with momentum and Nesterov momentum.

With gradient :math:`g_t`, learning rate :math:`\eta`, momentum :math:`\mu`,
dampening :math:`\tau` and weight decay :math:`\lambda`:

.. math::

    g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
    b_t &= \begin{cases} g_t & t = 1 \\ \mu b_{t-1} + (1-\tau) g_t & t > 1 \end{cases} \\
    d_t &= \begin{cases} g_t + \mu b_t & \text{Nesterov} \\ b_t & \text{otherwise} \end{cases} \\
    \theta_t &= \theta_{t-1} - \eta d_t

(Sutskever et al., 2013). Without momentum :math:`d_t = g_t`.
"""

from collections.abc import Iterable
from typing import Any

from torch import Tensor

from ._base import Optimizer, UpdateArgs, as_float, check, check_lr
from .foreach import sgd_foreach_


def sgd_step_(
    param: Tensor,
    grad: Tensor,
    momentum_buffer: Tensor | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> Tensor | None:
    r"""Apply one SGD update to ``param`` in place.

    Parameters
    ----------
    param : torch.Tensor
        The parameter :math:`\theta`, updated in place.
    grad : torch.Tensor
        Its gradient :math:`g_t` (not modified).
    momentum_buffer : torch.Tensor or None
        The velocity :math:`b_{t-1}`, updated in place; ``None`` on the first step.
    lr : float
        Learning rate :math:`\eta`.
    momentum : float
        Momentum factor :math:`\mu`.
    dampening : float
        Dampening of the gradient's share :math:`\tau`.
    weight_decay : float
        Weight decay :math:`\lambda`.
    nesterov : bool
        Use Nesterov momentum.
    maximize : bool
        Ascend instead of descend.

    Returns
    -------
    torch.Tensor or None
        The momentum buffer to keep for the next step (``None`` without momentum).
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # g ← g + λθ
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = grad.clone()  # b₁ = g₁: no dampening on the first step
        else:
            momentum_buffer.mul_(momentum).add_(grad, alpha=1 - dampening)  # b ← μb + (1−τ)g
        # Nesterov looks ahead along the velocity: d = g + μb; plain momentum: d = b
        grad = grad.add(momentum_buffer, alpha=momentum) if nesterov else momentum_buffer
    param.add_(grad, alpha=-lr)  # θ ← θ − η d
    return momentum_buffer


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    A drop-in replacement for :class:`torch.optim.SGD`: same arguments,
    defaults, errors, ``state_dict`` layout and numbers. The update is
    :func:`sgd_step_`, or :func:`~optnotes.optim.foreach.sgd_foreach_` on the
    multi-tensor path.

    Parameters
    ----------
    params : iterable
        Parameters to optimize, or dicts defining parameter groups.
    lr : float, default 1e-3
        Learning rate :math:`\eta`.
    momentum : float, default 0
        Momentum factor :math:`\mu`.
    dampening : float, default 0
        Dampening :math:`\tau` of the gradient's share in the velocity.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` added to the gradient.
    nesterov : bool, default False
        Use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    foreach : bool or None, default None
        Use the multi-tensor update; ``None`` picks it as torch does (when every
        parameter is on a GPU).
    differentiable, fused
        Implementation options of ``torch.optim.SGD``; only their defaults are
        supported.
    """

    _single_tensor_update = staticmethod(sgd_step_)
    _multi_tensor_update = staticmethod(sgd_foreach_)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_lr(lr)
        check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        check(
            not nesterov or (momentum > 0 and dampening == 0),
            "Nesterov momentum requires a momentum and zero dampening",
        )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def _update_args(self, group: dict[str, Any], params: list[Tensor]) -> UpdateArgs:
        # Plain SGD keeps no state at all (torch's state_dict stays empty); with
        # momentum, a param's velocity is created by its first step (None before).
        has_momentum = group["momentum"] != 0
        buffers = [self.state[p].get("momentum_buffer") for p in params] if has_momentum else None
        return [buffers], {
            "lr": as_float(group["lr"]),
            "momentum": group["momentum"],
            "dampening": group["dampening"],
            "weight_decay": group["weight_decay"],
            "nesterov": group["nesterov"],
            "maximize": group["maximize"],
        }

    def _after_update(
        self, group: dict[str, Any], params: list[Tensor], buffers: list[Tensor | None]
    ) -> None:
        # Both update functions return the velocities, new ones included.
        if group["momentum"] != 0:
            for param, buffer in zip(params, buffers, strict=True):
                self.state[param]["momentum_buffer"] = buffer
