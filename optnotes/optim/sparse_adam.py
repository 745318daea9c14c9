r"""SparseAdam: Adam (Kingma & Ba, 2015) restricted to the coordinates a sparse gradient names.

An embedding table with ``sparse=True`` gets, at each step, a gradient that lists only
the rows the batch looked up: a set :math:`I_t` of coordinates with values
:math:`g_{t,i}`. Adam would decay *every* moment each step, touching the whole table;
SparseAdam treats the gradient as masked instead, and updates only the coordinates in
:math:`I_t`:

.. math::

    m_{t,i} &= \beta_1 m_{t-1,i} + (1-\beta_1) g_{t,i} \\
    v_{t,i} &= \beta_2 v_{t-1,i} + (1-\beta_2) g_{t,i}^2 \\
    \theta_{t,i} &= \theta_{t-1,i} - \eta\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,
        \frac{m_{t,i}}{\sqrt{v_{t,i}} + \epsilon}
    \qquad (i \in I_t),

every other coordinate keeps its moments and its value. The bias corrections use the
parameter's step count :math:`t` (one per step with a gradient), not the number of
times coordinate :math:`i` was seen, so a rare row's moments stay small and its steps
are those of a young Adam. This is an approximation of Adam, not Adam: with a dense
gradient the two agree, with a sparse one the moments of the absent rows do not decay.
Torch's code, followed here, computes the moment updates as
:math:`m \mathrel{+}= (1-\beta_1)(g - m)` on the listed values, and adds
:math:`\epsilon` to :math:`\sqrt{v_t}` itself, where Adam adds it to the
bias-corrected :math:`\sqrt{\hat v_t}`: SparseAdam's effective :math:`\epsilon` is
:math:`\epsilon/\sqrt{1-\beta_2^t}`, larger in the first steps.

Only a dense parameter with a sparse COO gradient is accepted (``nn.Embedding(...,
sparse=True)``, ``nn.EmbeddingBag``); dense gradients, sparse or complex parameters are
refused, with torch's errors. There is no multi-tensor path (torch has none): the
update is a loop of sparse operations.
"""

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from ._base import Optimizer, check, check_betas


def sparse_adam_step_(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    step: int,
    *,
    lr: float | Tensor,
    beta1: float,
    beta2: float,
    eps: float,
    maximize: bool,
) -> None:
    r"""Apply one SparseAdam update to the coordinates of ``param`` that ``grad`` lists.

    Parameters
    ----------
    param : torch.Tensor
        The dense parameter :math:`\theta`, updated in place at the listed coordinates.
    grad : torch.Tensor
        Its gradient, a sparse COO tensor (coalesced or not), never modified.
    exp_avg, exp_avg_sq : torch.Tensor
        The dense moments :math:`m_{t-1}` and :math:`v_{t-1}`, updated in place at the
        listed coordinates.
    step : int
        The number :math:`t` of this step, starting at 1.
    lr : float or torch.Tensor
        Learning rate :math:`\eta` (a 0-dim tensor is used as it is, as in torch).
    beta1, beta2 : float
        Decay rates :math:`\beta_1, \beta_2` of the moments.
    eps : float
        :math:`\epsilon`, added to :math:`\sqrt{v_t}`.
    maximize : bool
        Ascend instead of descend.
    """
    if maximize:
        grad = -grad
    grad = grad.coalesce()  # one entry per coordinate of I: the update is not linear in g
    indices, values = grad._indices(), grad._values()
    if values.numel() == 0:
        return  # nothing listed, nothing moves

    def at_indices(entries: Tensor) -> Tensor:  # a sparse tensor: entries at I, 0 elsewhere
        return torch.sparse_coo_tensor(indices, entries, grad.size())

    old_exp_avg = exp_avg.sparse_mask(grad)._values()  # m_{t−1,i}           (i ∈ I)
    exp_avg_update = values.sub(old_exp_avg).mul_(1 - beta1)  # (1−β₁)(gᵢ − mᵢ)
    exp_avg.add_(at_indices(exp_avg_update))  # mᵢ ← β₁mᵢ + (1−β₁)gᵢ
    old_exp_avg_sq = exp_avg_sq.sparse_mask(grad)._values()  # v_{t−1,i}
    exp_avg_sq_update = values.pow(2).sub_(old_exp_avg_sq).mul_(1 - beta2)  # (1−β₂)(gᵢ² − vᵢ)
    exp_avg_sq.add_(at_indices(exp_avg_sq_update))  # vᵢ ← β₂vᵢ + (1−β₂)gᵢ²

    # The new moments at I once more, from the dense values (not another sparse_mask)
    numer = exp_avg_update.add_(old_exp_avg)  # m_{t,i}
    denom = exp_avg_sq_update.add_(old_exp_avg_sq).sqrt_().add_(eps)  # √v_{t,i} + ε

    bias_correction1 = 1 - beta1**step  # 1 − β₁ᵗ
    bias_correction2 = 1 - beta2**step  # 1 − β₂ᵗ
    step_size = lr * math.sqrt(bias_correction2) / bias_correction1  # η √(1 − β₂ᵗ) / (1 − β₁ᵗ)
    param.add_(at_indices(-step_size * numer.div_(denom)))  # θᵢ ← θᵢ − step · mᵢ / (√vᵢ + ε)


def sparse_adam(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    steps: list[int],
    **hyperparameters: Any,
) -> None:
    """Apply :func:`sparse_adam_step_` to every tensor of ``params``.

    The call :class:`SparseAdam` makes (as torch's class calls
    ``torch.optim._functional.sparse_adam``): the lists, then the hyper-parameters of
    :func:`sparse_adam_step_` by keyword. There is no multi-tensor path.
    """
    for i, param in enumerate(params):
        sparse_adam_step_(param, grads[i], exp_avgs[i], exp_avg_sqs[i], steps[i], **hyperparameters)


class SparseAdam(Optimizer):
    r"""Adam for sparse gradients: only the coordinates a gradient lists are updated.

    A drop-in replacement for :class:`torch.optim.SparseAdam` (see :mod:`optnotes.optim`):
    same arguments, errors and ``state_dict`` (as in torch, the ``step`` of each
    parameter is a Python ``int``, not a tensor). The update is :func:`sparse_adam_step_`.

    Parameters
    ----------
    params, maximize
        As every optimizer takes them (see :mod:`optnotes.optim`); the parameters must
        be dense, real tensors whose gradients are sparse.
    lr : float, default 1e-3
        Learning rate :math:`\eta` (strictly positive).
    betas : tuple of float, default (0.9, 0.999)
        Decay rates :math:`(\beta_1, \beta_2)` of the moments.
    eps : float, default 1e-8
        :math:`\epsilon` (strictly positive), added to :math:`\sqrt{v_t}`.
    """

    supports_complex = True  # not so: refused below with torch's error, after its checks
    supports_sparse_grads = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        check(lr > 0.0, f"Invalid learning rate: {lr}")  # strictly, unlike Adam
        check(eps > 0.0, f"Invalid epsilon value: {eps}")
        check_betas(betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)

        sparse_params, complex_params = [], []
        for index, group in enumerate(self.param_groups):
            for d_index, param in enumerate(group["params"]):
                if param.is_sparse:
                    sparse_params.append([index, d_index])
                if param.is_complex():
                    complex_params.append([index, d_index])
        check(
            not sparse_params,
            f"Sparse params at indices {sparse_params}: SparseAdam requires dense parameter "
            "tensors",
        )
        check(
            not complex_params,
            f"Complex params at indices {complex_params}: SparseAdam does not support complex "
            "parameters",
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        # torch's SparseAdam fills no defaults and keeps ``step`` a Python int: bypass
        # the conversions of optnotes' base class.
        torch.optim.Optimizer.__setstate__(self, state)

    def _use_foreach(self, group: dict[str, Any], params: list[Tensor]) -> bool:
        return False  # the only path

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        states = []
        for param, grad in zip(params, grads, strict=True):  # in torch's order, state first
            if not grad.is_sparse:
                raise RuntimeError(
                    "SparseAdam does not support dense gradients, please consider Adam instead"
                )
            state = self.state[param]
            if not state:
                state["step"] = 0
                state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
            state["step"] += 1  # t ← t + 1, a Python int as in torch
            states.append(state)
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        sparse_adam(
            params,
            grads,
            exp_avgs=[state["exp_avg"] for state in states],
            exp_avg_sqs=[state["exp_avg_sq"] for state in states],
            steps=[state["step"] for state in states],
            lr=lr.squeeze() if isinstance(lr, Tensor) and lr.dim() != 0 else lr,  # torch's form
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            maximize=group.get("maximize", False),
        )
