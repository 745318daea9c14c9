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

import torch
from torch import Tensor

from ._base import Optimizer, as_float, ascent_and_l2, by_device_and_dtype, check, check_lr


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
    param, grad, lr, weight_decay, maximize
        As every update function takes them (see :mod:`optnotes.optim`). ``grad`` may
        be a sparse COO tensor, as in torch: every operation here takes one, and
        without momentum or weight decay only its coordinates move. ``param`` may be
        complex: the update is linear with real coefficients, so it equals the update
        of the ``view_as_real`` views.
    momentum_buffer : torch.Tensor or None
        The velocity :math:`b_{t-1}`, updated in place; ``None`` on the first step.
    momentum : float
        Momentum factor :math:`\mu`.
    dampening : float
        Dampening of the gradient's share :math:`\tau`.
    nesterov : bool
        Use Nesterov momentum.

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


def sgd_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    momentum_buffers: list[Tensor | None] | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> list[Tensor | None] | None:
    r"""Apply :func:`sgd_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of torch's ``_multi_tensor_sgd``; as
    there, the parameters of a group (device and dtype) with a sparse gradient are
    updated one by one.
    Unlike torch's, Nesterov momentum leaves the gradients unchanged (torch adds
    the velocity to ``param.grad`` in place).

    Parameters
    ----------
    params, grads, momentum_buffers : list
        One entry per parameter, each as the singular argument of :func:`sgd_step_`;
        ``momentum_buffers`` is ``None`` without momentum.
    lr, momentum, dampening, weight_decay, nesterov, maximize
        As in :func:`sgd_step_`.

    Returns
    -------
    list of torch.Tensor or None
        ``momentum_buffers``, with each ``None`` replaced by the new velocity.
    """
    for (params_, grads_, bufs), indices in by_device_and_dtype([params, grads, momentum_buffers]):
        has_sparse_grad = any(grad.is_sparse for grad in grads_)
        grads_owned = maximize or weight_decay != 0  # grads_ is our copy, free to overwrite
        grads_ = ascent_and_l2(grads_, params_, weight_decay, maximize)
        if momentum != 0:
            if any(buf is None for buf in bufs):  # a first step for some: loop, as torch does
                for i, (buf, grad) in enumerate(zip(bufs, grads_, strict=True)):
                    if buf is None:
                        bufs[i] = momentum_buffers[indices[i]] = grad.clone()  # b₁ = g₁
                    else:
                        buf.mul_(momentum).add_(grad, alpha=1 - dampening)  # b ← μb + (1−τ)g
            else:
                torch._foreach_mul_(bufs, momentum)  # b ← μb
                torch._foreach_add_(bufs, grads_, alpha=1 - dampening)  # b ← μb + (1−τ)g
            if not nesterov:
                grads_ = bufs  # d = b
            elif grads_owned:
                torch._foreach_add_(grads_, bufs, alpha=momentum)  # d = g + μb
            else:
                grads_ = torch._foreach_add(grads_, bufs, alpha=momentum)  # d = g + μb
        if has_sparse_grad:  # foreach kernels take no sparse tensors: loop, as torch does
            for param, grad in zip(params_, grads_, strict=True):
                param.add_(grad, alpha=-lr)  # θ ← θ − η d
        else:
            torch._foreach_add_(params_, grads_, alpha=-lr)  # θ ← θ − η d
    return momentum_buffers


def sgd(
    params: list[Tensor],
    grads: list[Tensor],
    momentum_buffers: list[Tensor | None] | None,
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> list[Tensor | None] | None:
    """Apply one SGD update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`sgd_foreach_` once, or :func:`sgd_step_` once per tensor. This is the call
    :class:`SGD` makes (as torch's class calls ``torch.optim.sgd.sgd``): the lists
    :func:`sgd_foreach_` takes, then the hyper-parameters of both by keyword. Returns
    ``momentum_buffers`` as :func:`sgd_foreach_` does.
    """
    if foreach:
        return sgd_foreach_(params, grads, momentum_buffers, **hyperparameters)
    for i, param in enumerate(params):
        buffer = None if momentum_buffers is None else momentum_buffers[i]
        buffer = sgd_step_(param, grads[i], buffer, **hyperparameters)
        if momentum_buffers is not None:
            momentum_buffers[i] = buffer
    return momentum_buffers


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    A drop-in replacement for :class:`torch.optim.SGD` (see :mod:`optnotes.optim`). The
    update is :func:`sgd_step_`, or :func:`sgd_foreach_` on the multi-tensor path.

    Parameters
    ----------
    params, foreach, maximize, differentiable, fused
        As every optimizer takes them (see :mod:`optnotes.optim`).
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
    """

    supports_complex = True  # natively, as torch: the update is linear with real coefficients
    supports_sparse_grads = True

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

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        # No state to prepare: plain SGD keeps none (torch's state_dict stays empty),
        # and a velocity is created by its param's first step (None before it).
        has_momentum = group["momentum"] != 0
        momentum_buffers = sgd(
            params,
            grads,
            momentum_buffers=(
                [self.state[param].get("momentum_buffer") for param in params]
                if has_momentum
                else None
            ),
            lr=as_float(group["lr"]),
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
            foreach=foreach,
        )
        if has_momentum:
            for param, buffer in zip(params, momentum_buffers, strict=True):
                self.state[param]["momentum_buffer"] = buffer
