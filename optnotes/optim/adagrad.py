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

from ._base import (
    Optimizer,
    as_float,
    ascent_and_l2,
    by_device_and_dtype,
    check,
    check_lr,
    complex_as_real,
    new_step_counter,
)


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
    param, grad, lr, weight_decay, maximize
        As every update function takes them (see :mod:`optnotes.optim`).
    state_sum : torch.Tensor
        Sum of squared gradients :math:`s_{t-1}`, updated in place.
    step : float
        The number :math:`t` of this step, starting at 1.
    lr_decay : float
        Learning-rate decay :math:`\delta`.
    eps : float
        Term added to :math:`\sqrt{s_t}` for numerical stability, :math:`\epsilon`.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # g ← g + λθ

    clr = lr / (1 + (step - 1) * lr_decay)  # ηₜ = η / (1 + (t−1)δ): no decay on step 1
    state_sum.addcmul_(grad, grad, value=1)  # s ← s + g²
    std = state_sum.sqrt().add_(eps)  # √s + ε
    param.addcdiv_(grad, std, value=-clr)  # θ ← θ − ηₜ g / (√s + ε)


def adagrad_sparse_step_(
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
    r"""Apply one Adagrad update to ``param`` in place, from a sparse COO gradient.

    The update of :func:`adagrad_step_` restricted to the coordinates the gradient
    names: only their sums grow and only they move, as in torch's sparse branch
    (``_make_sparse``). The gradient is coalesced first: the update is not linear in
    :math:`g`, so a coordinate listed twice must have its entries summed before
    squaring. Weight decay would touch every coordinate and is refused, as by torch.

    Parameters
    ----------
    param, state_sum, step, lr, lr_decay, eps, maximize
        As in :func:`adagrad_step_`; ``param`` and ``state_sum`` are dense.
    grad : torch.Tensor
        The gradient, a sparse COO tensor (coalesced or not), never modified.
    weight_decay : float
        Must be 0.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        raise RuntimeError("weight_decay option is not compatible with sparse gradients")

    clr = lr / (1 + (step - 1) * lr_decay)  # ηₜ = η / (1 + (t−1)δ)
    grad = grad.coalesce()  # one entry per coordinate i of I (the listed coordinates)
    indices, values = grad._indices(), grad._values()

    def at_indices(entries: Tensor) -> Tensor:  # a sparse tensor: entries at I, 0 elsewhere
        return torch.sparse_coo_tensor(indices, entries, grad.size())

    state_sum.add_(at_indices(values.pow(2)))  # sᵢ ← sᵢ + gᵢ²          (i ∈ I)
    std_values = state_sum.sparse_mask(grad)._values().sqrt_().add_(eps)  # √sᵢ + ε (i ∈ I)
    param.add_(at_indices(values / std_values), alpha=-clr)  # θᵢ ← θᵢ − ηₜ gᵢ / (√sᵢ + ε)


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
    r"""Apply :func:`adagrad_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of torch's ``_multi_tensor_adagrad``.
    As there, a group (device and dtype) with a sparse gradient among its tensors
    is stepped tensor by tensor (foreach kernels take no sparse tensors).

    Parameters
    ----------
    params, grads, state_sums, steps : list
        One entry per parameter, each as the singular argument of :func:`adagrad_step_`.
    lr, lr_decay, weight_decay, eps, maximize
        As in :func:`adagrad_step_`.
    """
    for (params_, grads_, state_sums_), indices in by_device_and_dtype([params, grads, state_sums]):
        if any(grad.is_sparse for grad in grads_):  # no foreach kernels: loop, as torch does
            for param, grad, state_sum, i in zip(
                params_, grads_, state_sums_, indices, strict=True
            ):
                step_ = adagrad_sparse_step_ if grad.is_sparse else adagrad_step_
                step_(
                    param,
                    grad,
                    state_sum,
                    steps[i],
                    lr=lr,
                    lr_decay=lr_decay,
                    weight_decay=weight_decay,
                    eps=eps,
                    maximize=maximize,
                )
            continue
        grads_owned = maximize or weight_decay != 0  # grads_ is our copy, free to overwrite
        grads_ = ascent_and_l2(grads_, params_, weight_decay, maximize)

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


@complex_as_real(l2_before_views=True)
def adagrad(
    params: list[Tensor],
    grads: list[Tensor],
    state_sums: list[Tensor],
    steps: list[float],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one Adagrad update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`adagrad_foreach_` once, or :func:`adagrad_step_` once per tensor
    (:func:`adagrad_sparse_step_` for a sparse gradient). This is the
    call :class:`Adagrad` makes (as torch's class calls ``torch.optim.adagrad.adagrad``):
    the lists :func:`adagrad_foreach_` takes, then the hyper-parameters of both by keyword.
    """
    if foreach:
        adagrad_foreach_(params, grads, state_sums, steps, **hyperparameters)
        return
    for i, param in enumerate(params):
        step_ = adagrad_sparse_step_ if grads[i].is_sparse else adagrad_step_
        step_(param, grads[i], state_sums[i], steps[i], **hyperparameters)


class Adagrad(Optimizer):
    r"""Adagrad.

    A drop-in replacement for :class:`torch.optim.Adagrad` (see :mod:`optnotes.optim`). As
    in torch, the state (``step`` and ``sum``) of every parameter is created by the
    constructor, filled with ``initial_accumulator_value``. The update is
    :func:`adagrad_step_`, or :func:`adagrad_foreach_` on the multi-tensor path.

    Parameters
    ----------
    params, foreach, maximize, differentiable, fused
        As every optimizer takes them (see :mod:`optnotes.optim`).
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
    """

    supports_complex = True  # as its real view: see complex_as_real
    supports_sparse_grads = True

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
                self.state[param].update(self._init_state(group, param))

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        # As in torch, s₀ is the constructor's initial_accumulator_value for every group.
        initial_value = self.defaults["initial_accumulator_value"]
        if torch.is_complex(param):  # s₀ in both the real and the imaginary part, as in torch
            initial_value = complex(initial_value, initial_value)
        return {
            "step": new_step_counter(),
            "sum": torch.full_like(param, initial_value, memory_format=torch.preserve_format),
        }

    def share_memory(self) -> None:
        """Move the ``sum`` state to shared memory (for Hogwild-style training)."""
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param]["sum"].share_memory_()

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        states = self._prepare_states(group, params)  # also for a group added after construction
        adagrad(
            params,
            grads,
            state_sums=[state["sum"] for state in states],
            steps=[state["step"].item() for state in states],
            lr=as_float(group["lr"]),
            lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
            foreach=foreach,
        )
