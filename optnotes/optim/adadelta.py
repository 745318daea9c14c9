r"""Adadelta: step sizes in the units of the parameters (Zeiler, 2012).

Adagrad's step :math:`\eta g/\sqrt{\sum g^2}` has no units, while a parameter
update should have the units of the parameter. Adadelta replaces the global
rate by a running RMS of past *updates*, which has those units:

.. math::

    v_t &= \rho v_{t-1} + (1-\rho) g_t^2 \\
    \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
    u_t &= \rho u_{t-1} + (1-\rho) \Delta_t^2 \\
    \theta_t &= \theta_{t-1} - \eta\, \Delta_t

:math:`\epsilon` sits inside both square roots: it starts the very first
update (when :math:`u_0 = 0`). PyTorch keeps a learning rate :math:`\eta`
(default 1, the paper's rule).
"""

from collections.abc import Iterable
from typing import Any

from torch import Tensor

from ._base import Optimizer, UpdateArgs, as_float, check, check_lr, new_step_counter, zeros_like
from .foreach import adadelta_foreach_


def adadelta_step_(
    param: Tensor,
    grad: Tensor,
    square_avg: Tensor,
    acc_delta: Tensor,
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    r"""Apply one Adadelta update to ``param`` in place.

    Parameters
    ----------
    param : torch.Tensor
        The parameter :math:`\theta`, updated in place.
    grad : torch.Tensor
        Its gradient :math:`g_t` (not modified).
    square_avg : torch.Tensor
        Running mean of squared gradients :math:`v_{t-1}`, updated in place.
    acc_delta : torch.Tensor
        Running mean of squared updates :math:`u_{t-1}`, updated in place.
    lr : float
        Learning rate :math:`\eta`.
    rho : float
        Decay rate of both running averages :math:`\rho`.
    eps : float
        Term added for numerical stability :math:`\epsilon`.
    weight_decay : float
        Weight decay :math:`\lambda`.
    maximize : bool
        Ascend instead of descend.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # g ← g + λθ

    square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)  # v ← ρv + (1−ρ)g²
    std = square_avg.add(eps).sqrt_()  # √(v + ε)
    delta = acc_delta.add(eps).sqrt_()  # √(u + ε)
    delta.div_(std).mul_(grad)  # Δ = √(u + ε) / √(v + ε) · g
    acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)  # u ← ρu + (1−ρ)Δ²
    param.add_(delta, alpha=-lr)  # θ ← θ − ηΔ


class Adadelta(Optimizer):
    r"""Adadelta.

    A drop-in replacement for :class:`torch.optim.Adadelta`: same arguments,
    defaults, errors, ``state_dict`` layout and numbers. The update is
    :func:`adadelta_step_`, or :func:`~optnotes.optim.foreach.adadelta_foreach_`
    on the multi-tensor path.

    Parameters
    ----------
    params : iterable
        Parameters to optimize, or dicts defining parameter groups.
    lr : float, default 1.0
        Factor :math:`\eta` applied to the update.
    rho : float, default 0.9
        Decay rate :math:`\rho` of both running averages, in [0, 1].
    eps : float, default 1e-6
        :math:`\epsilon`, inside both square roots.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` added to the gradient.
    foreach : bool or None, default None
        Use the multi-tensor update; ``None`` picks it as torch does (when every
        parameter is on a GPU).
    capturable, differentiable
        Implementation options of ``torch.optim.Adadelta``; only their
        defaults are supported.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    """

    _single_tensor_update = staticmethod(adadelta_step_)
    _multi_tensor_update = staticmethod(adadelta_foreach_)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        # v₀ = u₀ = 0
        return {
            "step": new_step_counter(),
            "square_avg": zeros_like(param),
            "acc_delta": zeros_like(param),
        }

    def _update_args(self, group: dict[str, Any], params: list[Tensor]) -> UpdateArgs:
        states = self._states(group, params)
        state_lists = [
            [state["square_avg"] for state in states],
            [state["acc_delta"] for state in states],
        ]
        return state_lists, {
            "lr": as_float(group["lr"]),
            "rho": group["rho"],
            "eps": group["eps"],
            "weight_decay": group["weight_decay"],
            "maximize": group["maximize"],
        }
