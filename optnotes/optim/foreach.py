r"""The optimizers over lists of tensors: the multi-tensor (``foreach``) path.

Each function here does, for a whole list of parameters, what its per-tensor
twin (:func:`~optnotes.optim.sgd.sgd_step_`, :func:`~optnotes.optim.adam.adam_step_`, ...)
does for one: the same equations, line for line. Where the per-tensor code calls
``exp_avg.lerp_(grad, 1 - beta1)``, the code here calls
``torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)``: one call for every
tensor at once. Python dispatches each operation once instead of once per
parameter, and on a GPU a foreach operation launches a few kernels that each
handle many tensors, where the loop launches one kernel per tensor and
operation. A model with hundreds of small tensors (biases, norm weights)
can spend most of a per-tensor step on that overhead.

A foreach kernel needs its tensors on one device with one dtype, so each
function first splits its lists into such groups (in the code, a trailing
underscore marks one group's lists: ``params_``). The operations and their
order are those of torch's ``_multi_tensor_*`` functions (torch 2.13), so a
step equals ``torch.optim``'s ``foreach=True`` step bit for bit. On the CPU a
foreach operation runs the per-tensor kernel on each tensor of its list, and a
step also equals the per-tensor step bit for bit; on a GPU the foreach kernels
may round differently, and the two paths agree to round-off.

Unlike torch, no function here writes into the gradients it is given
(torch's Nesterov SGD adds the velocity to ``param.grad`` in place).
"""

from collections.abc import Iterator

import torch
from torch import Tensor
from torch.optim import Optimizer

__all__ = [
    "adadelta_foreach_",
    "adagrad_foreach_",
    "adam_foreach_",
    "rmsprop_foreach_",
    "sgd_foreach_",
]


def _by_device_and_dtype(
    tensor_lists: list[list[Tensor] | None],
) -> Iterator[tuple[list[list[Tensor] | None], list[int]]]:
    """Split parallel lists of tensors into groups of one device and dtype.

    Yields each group's lists (a ``None`` list stays ``None``) and the
    positions of its members in the input lists.
    """
    grouped = Optimizer._group_tensors_by_device_and_dtype(
        [[] if tensors is None else tensors for tensors in tensor_lists], with_indices=True
    )
    for group_lists, indices in grouped.values():
        yield (
            [None if t is None else g for t, g in zip(tensor_lists, group_lists, strict=True)],
            indices,
        )


def _ascent_and_l2(
    grads: list[Tensor], params: list[Tensor], weight_decay: float, maximize: bool
) -> list[Tensor]:
    """Return the gradients to step along: negated to maximize, plus the L2 term λθ.

    The given gradients are never written: a change makes a new list first.
    """
    if maximize:
        grads = torch._foreach_neg(grads)  # g ← −g (a new list, ours to overwrite)
    if weight_decay != 0:
        if maximize:
            torch._foreach_add_(grads, params, alpha=weight_decay)  # g ← g + λθ
        else:
            grads = torch._foreach_add(grads, params, alpha=weight_decay)  # g ← g + λθ
    return grads


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
    r"""Apply one SGD update to every tensor of ``params``, in place.

    Parameters
    ----------
    params : list of torch.Tensor
        The parameters :math:`\theta`, updated in place.
    grads : list of torch.Tensor
        Their gradients :math:`g_t` (not modified).
    momentum_buffers : list of torch.Tensor or None
        The velocities :math:`b_{t-1}` (``None`` for a parameter's first step),
        updated in place; ``None`` without momentum.
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
    list of torch.Tensor or None
        ``momentum_buffers``, with each ``None`` replaced by the new velocity.
    """
    for (params_, grads_, bufs), indices in _by_device_and_dtype([params, grads, momentum_buffers]):
        grads_owned = maximize or weight_decay != 0  # grads_ is our copy, free to overwrite
        grads_ = _ascent_and_l2(grads_, params_, weight_decay, maximize)
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
        torch._foreach_add_(params_, grads_, alpha=-lr)  # θ ← θ − η d
    return momentum_buffers


def adam_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    max_exp_avg_sqs: list[Tensor] | None,
    steps: list[float],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    r"""Apply one Adam (or AdamW) update to every tensor of ``params``, in place.

    Parameters
    ----------
    params : list of torch.Tensor
        The parameters :math:`\theta`, updated in place.
    grads : list of torch.Tensor
        Their gradients :math:`g_t` (not modified).
    exp_avgs, exp_avg_sqs : list of torch.Tensor
        The moments :math:`m_{t-1}` and :math:`v_{t-1}`, updated in place.
    max_exp_avg_sqs : list of torch.Tensor or None
        AMSGrad's running maxima of :math:`v`, updated in place; ``None`` for plain Adam.
    steps : list of float
        The number :math:`t` of this step for each parameter, starting at 1.
    lr : float
        Learning rate :math:`\eta`.
    beta1 : float
        Decay rate of the first moment :math:`\beta_1`.
    beta2 : float
        Decay rate of the second moment :math:`\beta_2`.
    eps : float
        Term added for numerical stability :math:`\epsilon`.
    weight_decay : float
        Weight decay :math:`\lambda`.
    decoupled_weight_decay : bool
        Shrink the weights directly (AdamW) instead of adding :math:`\lambda\theta` to the gradient.
    maximize : bool
        Ascend instead of descend.
    """
    for (
        params_,
        grads_,
        exp_avgs_,
        exp_avg_sqs_,
        max_exp_avg_sqs_,
    ), indices in _by_device_and_dtype([params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs]):
        if weight_decay != 0 and decoupled_weight_decay:
            torch._foreach_mul_(params_, 1 - lr * weight_decay)  # θ ← (1 − ηλ)θ   (AdamW)
        l2 = 0.0 if decoupled_weight_decay else weight_decay
        grads_ = _ascent_and_l2(grads_, params_, l2, maximize)

        torch._foreach_lerp_(exp_avgs_, grads_, 1 - beta1)  # m ← β₁m + (1−β₁)g
        torch._foreach_mul_(exp_avg_sqs_, beta2)  # v ← β₂v
        torch._foreach_addcmul_(exp_avg_sqs_, grads_, grads_, 1 - beta2)  # v ← β₂v + (1−β₂)g²
        del grads_  # free a copy of the gradients before the next temporaries

        bias_correction1 = [1 - beta1 ** steps[i] for i in indices]  # 1 − β₁ᵗ
        bias_correction2 = [1 - beta2 ** steps[i] for i in indices]  # 1 − β₂ᵗ
        step_sizes = [(lr / bc) * -1 for bc in bias_correction1]  # −η / (1 − β₁ᵗ)
        if max_exp_avg_sqs_ is not None:  # AMSGrad: normalise by the largest v seen so far
            torch._foreach_maximum_(max_exp_avg_sqs_, exp_avg_sqs_)
        v = exp_avg_sqs_ if max_exp_avg_sqs_ is None else max_exp_avg_sqs_

        denom = torch._foreach_sqrt(v)  # √v
        torch._foreach_div_(denom, [bc**0.5 for bc in bias_correction2])  # √v / √(1 − β₂ᵗ)
        torch._foreach_add_(denom, eps)  # √v̂ + ε
        torch._foreach_addcdiv_(params_, exp_avgs_, denom, step_sizes)  # θ ← θ − η m̂ / (√v̂ + ε)


def rmsprop_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    square_avgs: list[Tensor],
    grad_avgs: list[Tensor] | None,
    momentum_buffers: list[Tensor] | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    maximize: bool,
) -> None:
    r"""Apply one RMSprop update to every tensor of ``params``, in place.

    Parameters
    ----------
    params : list of torch.Tensor
        The parameters :math:`\theta`, updated in place.
    grads : list of torch.Tensor
        Their gradients :math:`g_t` (not modified).
    square_avgs : list of torch.Tensor
        Running means of squared gradients :math:`v_{t-1}`, updated in place.
    grad_avgs : list of torch.Tensor or None
        Running means of gradients :math:`\bar g_{t-1}` (centered variant), or ``None``.
    momentum_buffers : list of torch.Tensor or None
        Velocities :math:`b_{t-1}` (start at zero), or ``None`` without momentum.
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
    for (params_, grads_, square_avgs_, grad_avgs_, bufs), _ in _by_device_and_dtype(
        [params, grads, square_avgs, grad_avgs, momentum_buffers]
    ):
        grads_ = _ascent_and_l2(grads_, params_, weight_decay, maximize)

        torch._foreach_mul_(square_avgs_, alpha)  # v ← αv
        torch._foreach_addcmul_(square_avgs_, grads_, grads_, value=1 - alpha)  # v ← αv + (1−α)g²
        if grad_avgs_ is not None:
            torch._foreach_lerp_(grad_avgs_, grads_, 1 - alpha)  # ḡ ← αḡ + (1−α)g
            avg = torch._foreach_addcmul(square_avgs_, grad_avgs_, grad_avgs_, value=-1)  # v − ḡ²
            torch._foreach_sqrt_(avg)  # √(v − ḡ²)
        else:
            avg = torch._foreach_sqrt(square_avgs_)  # √v
        torch._foreach_add_(avg, eps)  # ε outside the square root

        if bufs is not None:
            torch._foreach_mul_(bufs, momentum)  # b ← μb
            torch._foreach_addcdiv_(bufs, grads_, avg)  # b ← μb + g / (√v + ε)
            torch._foreach_add_(params_, bufs, alpha=-lr)  # θ ← θ − ηb
        else:
            torch._foreach_addcdiv_(params_, grads_, avg, value=-lr)  # θ ← θ − η g / (√v + ε)


def adagrad_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    state_sums: list[Tensor],
    steps: list[float],
    *,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    r"""Apply one Adagrad update to every tensor of ``params``, in place.

    Parameters
    ----------
    params : list of torch.Tensor
        The parameters :math:`\theta`, updated in place.
    grads : list of torch.Tensor
        Their gradients :math:`g_t` (not modified).
    state_sums : list of torch.Tensor
        Sums of squared gradients :math:`s_{t-1}`, updated in place.
    steps : list of float
        The number :math:`t` of this step for each parameter, starting at 1.
    lr : float
        Learning rate :math:`\eta`.
    lr_decay : float
        Learning-rate decay :math:`\delta`.
    weight_decay : float
        Weight decay :math:`\lambda`.
    eps : float
        Term added for numerical stability :math:`\epsilon`.
    maximize : bool
        Ascend instead of descend.
    """
    for (params_, grads_, state_sums_), indices in _by_device_and_dtype(
        [params, grads, state_sums]
    ):
        grads_owned = maximize or weight_decay != 0  # grads_ is our copy, free to overwrite
        grads_ = _ascent_and_l2(grads_, params_, weight_decay, maximize)

        # −ηₜ = −η / (1 + (t−1)δ): no decay on step 1
        minus_clr = [-lr / (1 + (steps[i] - 1) * lr_decay) for i in indices]
        torch._foreach_addcmul_(state_sums_, grads_, grads_, value=1)  # s ← s + g²
        std = torch._foreach_sqrt(state_sums_)  # √s
        torch._foreach_add_(std, eps)  # √s + ε
        if grads_owned:
            torch._foreach_mul_(grads_, minus_clr)  # −ηₜ g
        else:
            grads_ = torch._foreach_mul(grads_, minus_clr)  # −ηₜ g
        torch._foreach_addcdiv_(params_, grads_, std)  # θ ← θ − ηₜ g / (√s + ε)


def adadelta_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    square_avgs: list[Tensor],
    acc_deltas: list[Tensor],
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    r"""Apply one Adadelta update to every tensor of ``params``, in place.

    Parameters
    ----------
    params : list of torch.Tensor
        The parameters :math:`\theta`, updated in place.
    grads : list of torch.Tensor
        Their gradients :math:`g_t` (not modified).
    square_avgs : list of torch.Tensor
        Running means of squared gradients :math:`v_{t-1}`, updated in place.
    acc_deltas : list of torch.Tensor
        Running means of squared updates :math:`u_{t-1}`, updated in place.
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
    for (params_, grads_, square_avgs_, acc_deltas_), _ in _by_device_and_dtype(
        [params, grads, square_avgs, acc_deltas]
    ):
        grads_ = _ascent_and_l2(grads_, params_, weight_decay, maximize)

        torch._foreach_mul_(square_avgs_, rho)  # v ← ρv
        torch._foreach_addcmul_(square_avgs_, grads_, grads_, value=1 - rho)  # v ← ρv + (1−ρ)g²
        std = torch._foreach_add(square_avgs_, eps)  # v + ε
        torch._foreach_sqrt_(std)  # √(v + ε)
        deltas = torch._foreach_add(acc_deltas_, eps)  # u + ε
        torch._foreach_sqrt_(deltas)  # √(u + ε)
        torch._foreach_div_(deltas, std)  # √(u + ε) / √(v + ε)
        torch._foreach_mul_(deltas, grads_)  # Δ = √(u + ε) / √(v + ε) · g
        torch._foreach_mul_(acc_deltas_, rho)  # u ← ρu
        torch._foreach_addcmul_(acc_deltas_, deltas, deltas, value=1 - rho)  # u ← ρu + (1−ρ)Δ²
        torch._foreach_add_(params_, deltas, alpha=-lr)  # θ ← θ − ηΔ
