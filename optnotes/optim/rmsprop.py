r"""RMSprop (Tieleman & Hinton, 2012).

Divide the gradient by a running root-mean-square of recent gradients, so
every coordinate moves at a similar pace. With smoothing constant
:math:`\alpha`:

.. math::

    v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2 \\
    \theta_t &= \theta_{t-1} - \eta\, g_t / (\sqrt{v_t} + \epsilon)

The *centered* variant divides by an estimate of the standard deviation
instead, :math:`\sqrt{v_t - \bar g_t^2}` with :math:`\bar g_t = \alpha \bar g_{t-1}
+ (1-\alpha) g_t`; with momentum :math:`\mu` the normalised gradient feeds a
velocity :math:`b_t = \mu b_{t-1} + g_t/(\sqrt{v_t}+\epsilon)` and
:math:`\theta_t = \theta_{t-1} - \eta b_t`. There is no bias correction: the
first steps are larger than later ones.
"""

from collections.abc import Iterable
from typing import Any

from torch import Tensor

from ._base import Optimizer, UpdateArgs, as_float, check, check_lr, new_step_counter, zeros_like
from .foreach import rmsprop_foreach_


def rmsprop_step_(
    param: Tensor,
    grad: Tensor,
    square_avg: Tensor,
    grad_avg: Tensor | None,
    momentum_buffer: Tensor | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    maximize: bool,
) -> None:
    r"""Apply one RMSprop update to ``param`` in place.

    Parameters
    ----------
    param : torch.Tensor
        The parameter :math:`\theta`, updated in place.
    grad : torch.Tensor
        Its gradient :math:`g_t` (not modified).
    square_avg : torch.Tensor
        Running mean of squared gradients :math:`v_{t-1}`, updated in place.
    grad_avg : torch.Tensor or None
        Running mean of gradients :math:`\bar g_{t-1}` (centered variant), or ``None``.
    momentum_buffer : torch.Tensor or None
        Velocity :math:`b_{t-1}` (starts at zero), or ``None`` without momentum.
    lr : float
        Learning rate :math:`\eta`.
    alpha : float
        Smoothing constant of the running averages :math:`\alpha`.
    eps : float
        Term added for numerical stability :math:`\epsilon`.
    weight_decay : float
        Weight decay :math:`\lambda`.
    momentum : float
        Momentum factor :math:`\mu`.
    maximize : bool
        Ascend instead of descend.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # g ← g + λθ

    square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)  # v ← αv + (1−α)g²
    if grad_avg is not None:
        grad_avg.lerp_(grad, 1 - alpha)  # ḡ ← αḡ + (1−α)g
        avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()  # √(v − ḡ²)
    else:
        avg = square_avg.sqrt()  # √v
    avg.add_(eps)  # ε outside the square root

    if momentum_buffer is not None:
        momentum_buffer.mul_(momentum).addcdiv_(grad, avg)  # b ← μb + g / (√v + ε)
        param.add_(momentum_buffer, alpha=-lr)  # θ ← θ − ηb
    else:
        param.addcdiv_(grad, avg, value=-lr)  # θ ← θ − η g / (√v + ε)


class RMSprop(Optimizer):
    r"""RMSprop, optionally centered and with momentum.

    A drop-in replacement for :class:`torch.optim.RMSprop`: same arguments,
    defaults, errors, ``state_dict`` layout and numbers. The update is
    :func:`rmsprop_step_`, or :func:`~optnotes.optim.foreach.rmsprop_foreach_` on
    the multi-tensor path.

    Parameters
    ----------
    params : iterable
        Parameters to optimize, or dicts defining parameter groups.
    lr : float, default 1e-2
        Learning rate :math:`\eta`.
    alpha : float, default 0.99
        Smoothing constant :math:`\alpha` of the running averages.
    eps : float, default 1e-8
        :math:`\epsilon`, added to the root mean square.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` added to the gradient.
    momentum : float, default 0
        Momentum factor :math:`\mu`.
    centered : bool, default False
        Normalise by the estimated standard deviation of the gradient.
    foreach : bool or None, default None
        Use the multi-tensor update; ``None`` picks it as torch does (when every
        parameter is on a GPU).
    capturable, differentiable
        Implementation options of ``torch.optim.RMSprop``; only their defaults
        are supported.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    """

    _single_tensor_update = staticmethod(rmsprop_step_)
    _multi_tensor_update = staticmethod(rmsprop_foreach_)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        check(alpha >= 0.0, f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        state = {"step": new_step_counter()}
        state["square_avg"] = zeros_like(param)  # v₀ = 0
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(param)  # b₀ = 0
        if group["centered"]:
            state["grad_avg"] = zeros_like(param)  # ḡ₀ = 0
        return state

    def _update_args(self, group: dict[str, Any], params: list[Tensor]) -> UpdateArgs:
        states = self._states(group, params)
        state_lists = [
            [state["square_avg"] for state in states],
            [state["grad_avg"] for state in states] if group["centered"] else None,
            [state["momentum_buffer"] for state in states] if group["momentum"] > 0 else None,
        ]
        return state_lists, {
            "lr": as_float(group["lr"]),
            "alpha": group["alpha"],
            "eps": group["eps"],
            "weight_decay": group["weight_decay"],
            "momentum": group["momentum"],
            "maximize": group["maximize"],
        }
