r"""Adafactor: a factored second moment and a step relative to the parameter's scale.

Shazeer & Stern (2018), *Adafactor: Adaptive Learning Rates with Sublinear Memory Cost*.
Adam keeps, for an :math:`n \times m` weight matrix, an :math:`n \times m` average
:math:`V_t` of :math:`G_t \odot G_t`. Adafactor keeps its row sums :math:`R_t \in
\mathbb{R}^n` and column sums :math:`C_t \in \mathbb{R}^m` only, :math:`n + m` numbers,
and rebuilds the matrix from them when it needs it.

**The factorisation.** Which rank-1 matrix :math:`W = r c^\top` (:math:`r, c \ge 0`)
should stand for a non-negative :math:`V`? The paper measures the loss by the
I-divergence (generalised Kullback–Leibler divergence)

.. math::

    D(V \,\|\, W) = \sum_{ij} \Bigl( V_{ij} \log \frac{V_{ij}}{W_{ij}} - V_{ij} + W_{ij} \Bigr).

Write :math:`R = V 1_m` (row sums), :math:`C = 1_n^\top V` (column sums),
:math:`S = 1_n^\top V 1_m` (the total), and split :math:`r c^\top` into its total
:math:`s = (1^\top r)(1^\top c)` and two distributions :math:`p = r / 1^\top r`,
:math:`q = c / 1^\top c`, so that :math:`W_{ij} = s\, p_i q_j`. Then, up to terms free
of :math:`W`,

.. math::

    D = -\sum_i R_i \log p_i \;-\; \sum_j C_j \log q_j \;-\; S \log s \;+\; s,

three terms in three separate unknowns. By Gibbs' inequality
:math:`-\sum_i R_i \log p_i` over the simplex is smallest at :math:`p = R / S`, likewise
:math:`q = C / S`, and :math:`s - S \log s` is smallest at :math:`s = S`. The minimiser is
therefore

.. math::

    \widehat{V} = s\, p\, q^\top = \frac{R\, C^\top}{S} = \frac{R_t C_t^\top}{1_n^\top R_t},

row sums times column sums over the total (the scale split between :math:`r` and
:math:`c` is free; the product is not). It preserves every row and column sum of
:math:`V`. As sums are linear, the row sums of an average of :math:`G_t \odot G_t` are
the average of its row sums: keeping :math:`R_t` and :math:`C_t` as running averages is
the same as factoring the running average of :math:`V_t`.

Torch keeps row and column *means* (``row_var`` :math:`r = R/m`, ``col_var``
:math:`c = C/n`) and divides by the mean of ``row_var`` (:math:`S / nm`): the same
:math:`R C^\top / S`, with smaller numbers. A tensor of more than two dimensions is a
stack of matrices over its last two; each is factored on its own (``row_var`` has shape
``(..., n, 1)``, ``col_var`` ``(..., 1, m)``, and ``row_var @ col_var`` is the batch of
outer products). A 0- or 1-dimensional tensor keeps the full ``variance``.

**The update** (torch's, for step :math:`t = 1, 2, \ldots`):

.. math::

    \hat\beta_{2,t} &= 1 - t^{\tau} \quad (\tau = \texttt{beta2\_decay} \le 0) \\
    \rho_t &= \min(\gamma, 1/\sqrt{t}), \qquad
    \alpha_t = \max\bigl(\epsilon_2, \operatorname{RMS}(\theta_{t-1})\bigr)\, \rho_t \\
    \theta &\leftarrow \theta_{t-1} (1 - \gamma\lambda) \\
    r_t &= \hat\beta_{2,t} r_{t-1} + (1-\hat\beta_{2,t})\, \operatorname{mean}_j G_t^2, \qquad
    c_t = \hat\beta_{2,t} c_{t-1} + (1-\hat\beta_{2,t})\, \operatorname{mean}_i G_t^2 \\
    \widehat{V}_t &= r_t c_t^\top / \max(\operatorname{mean}_i r_t, \epsilon_1)
        \quad \text{(or } v_t = \hat\beta_{2,t} v_{t-1} + (1-\hat\beta_{2,t}) G_t^2
        \text{ for a vector)} \\
    U_t &= G_t / \max\bigl(\sqrt{\widehat{V}_t}, \epsilon_1\bigr), \qquad
    \widehat{U}_t = U_t / \max\bigl(1, \operatorname{RMS}(U_t) / d\bigr) \\
    \theta_t &= \theta - \alpha_t \widehat{U}_t

The decay :math:`\hat\beta_{2,1} = 0` makes the first estimate :math:`G_1^2` itself and
:math:`1 - \hat\beta_{2,t} = t^{\tau}` shrinks, so no bias correction is needed (the
paper's §7). The step is *relative*: :math:`\alpha_t` scales with the
root-mean-square of the parameter, so a tensor of large weights takes large steps, and
:math:`\epsilon_2` keeps weights near zero moving.

**Update clipping** (the paper's §6) is in torch: :math:`U_t` is divided by
:math:`\max(1, \operatorname{RMS}(U_t)/d)`, per tensor, so its RMS never exceeds
:math:`d` (default 1). It is what guards the first steps, when a stale
:math:`\widehat{V}` underestimates :math:`G^2`.

**Where torch departs from the paper** (and we follow torch):

- no first moment: the paper's optional momentum :math:`\beta_1` does not exist here;
- ``lr`` :math:`\gamma` replaces the paper's constant :math:`10^{-2}` in :math:`\rho_t`
  and scales a decoupled weight decay :math:`\theta \leftarrow \theta (1 - \gamma\lambda)`
  (applied after :math:`\alpha_t` has read :math:`\operatorname{RMS}(\theta_{t-1})`); there
  is no option for an absolute step, no parameter-scale switch and no warm-up;
- :math:`\epsilon_1` is not added to :math:`G^2` (the paper: :math:`10^{-30}`) but bounds
  the mean of ``row_var`` below by :math:`\epsilon_1` and :math:`\widehat{V}` below by
  :math:`\epsilon_1^2` (clamped, then ``rsqrt``); ``eps=(None, 1e-3)``: ``None`` means the
  machine epsilon of the dtype, ``torch.finfo(dtype).eps``, read once per param group
  and kept for all of it: off the group's first parameter on the per-tensor path, off
  the first dtype group (in torch's grouping order) on the multi-tensor path. A float64
  parameter in a group led by a float32 one gets float32's epsilon, or the reverse.
"""

from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch import Tensor

from ._base import Optimizer, by_device_and_dtype, check, new_step_counter, zeros_like


def adafactor_step_(
    param: Tensor,
    grad: Tensor,
    row_var: Tensor | None,
    col_var: Tensor | None,
    variance: Tensor | None,
    step: float,
    *,
    lr: float | Tensor,
    beta2_decay: float,
    eps1: float | None,
    eps2: float,
    d: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    r"""Apply one Adafactor update to ``param`` in place.

    Parameters
    ----------
    param, grad, maximize
        As every update function takes them (see :mod:`optnotes.optim`).
    row_var, col_var : torch.Tensor or None
        For ``grad.dim() > 1``: the running row means :math:`r_{t-1}` (shape ``(..., n, 1)``)
        and column means :math:`c_{t-1}` (shape ``(..., 1, m)``) of :math:`G^2`, updated in
        place; otherwise ``None``.
    variance : torch.Tensor or None
        For 0- and 1-dimensional ``grad``: the running average :math:`v_{t-1}` of
        :math:`G^2`, updated in place; otherwise ``None``.
    step : float
        The number :math:`t` of this step, starting at 1.
    lr : float or torch.Tensor
        :math:`\gamma`: the cap of the relative step :math:`\rho_t` and the weight-decay scale.
    beta2_decay : float
        :math:`\tau \le 0` in :math:`\hat\beta_{2,t} = 1 - t^{\tau}`.
    eps1 : float or None
        :math:`\epsilon_1`, the floor of :math:`\sqrt{\widehat V}` and of the mean row
        factor; ``None``: ``torch.finfo(param.dtype).eps``.
    eps2 : float
        :math:`\epsilon_2`, the floor of :math:`\operatorname{RMS}(\theta)` in the step size.
    d : float
        Clipping threshold: the largest RMS the update keeps.
    weight_decay : float
        Decoupled decay :math:`\lambda`: :math:`\theta \leftarrow \theta (1 - \gamma\lambda)`.
    """
    if maximize:
        grad = -grad
    if eps1 is None:
        eps1 = torch.finfo(param.dtype).eps

    one_minus_beta2_t = step**beta2_decay  # 1 − β̂₂ = t^τ
    rho_t = min(lr, 1 / (step**0.5))  # ρ = min(γ, 1/√t)
    alpha = max(eps2, param.norm(2).item() / (param.numel() ** 0.5)) * rho_t  # α = max(ε₂, RMS θ) ρ

    if weight_decay != 0:
        param.mul_(1 - lr * weight_decay)  # θ ← θ(1 − γλ)

    if grad.dim() > 1:
        # mean_j G² as ‖G‖² / m, without a G-sized intermediate
        row_mean = torch.norm(grad, dim=-1, keepdim=True).square_().div_(grad.size(-1))
        row_var.lerp_(row_mean, one_minus_beta2_t)  # r ← β̂₂r + (1−β̂₂) mean_j G²
        col_mean = torch.norm(grad, dim=-2, keepdim=True).square_().div_(grad.size(-2))
        col_var.lerp_(col_mean, one_minus_beta2_t)  # c ← β̂₂c + (1−β̂₂) mean_i G²
        var_estimate = row_var @ col_var  # r cᵀ
        row_var_mean = row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1)  # max(r̄, ε₁)
        var_estimate.div_(row_var_mean)  # V̂ = r cᵀ / max(r̄, ε₁)
    else:
        variance.lerp_(grad * grad, one_minus_beta2_t)  # v ← β̂₂v + (1−β̂₂) G²
        var_estimate = variance.clone()  # V̂ = v (a copy: the next lines write into it)

    update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_()  # 1 / max(√V̂, ε₁)
    update.mul_(grad)  # U = G / max(√V̂, ε₁)
    denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * d))  # max(1, RMS(U)/d)
    param.add_(update, alpha=-alpha / denom)  # θ ← θ − α U / max(1, RMS(U)/d)


def _by_device_dtype_and_is_multidim(
    tensor_lists: list[list[Tensor | None]],
) -> Iterator[tuple[list[list[Tensor | None]], list[int], bool]]:
    """Split parallel lists (``params, grads, ...``) by device, dtype and ``grad.dim() > 1``.

    Torch's ``_group_tensors_by_device_dtype_and_is_multidim``, groups in its order: a group
    is all factored or all not. Yields each group's lists, positions and whether it is factored.
    """
    for lists, indices in by_device_and_dtype(tensor_lists):
        split: dict[bool, tuple[list[list[Tensor | None]], list[int]]] = {}
        for j, grad in enumerate(lists[1]):
            sub_lists, sub_indices = split.setdefault(grad.dim() > 1, ([[] for _ in lists], []))
            for sub, tensors in zip(sub_lists, lists, strict=True):
                sub.append(tensors[j])
            sub_indices.append(indices[j])
        for is_multidim, (sub_lists, sub_indices) in split.items():
            yield sub_lists, sub_indices, is_multidim


def adafactor_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    row_vars: list[Tensor | None],
    col_vars: list[Tensor | None],
    variances: list[Tensor | None],
    steps: list[float],
    *,
    lr: float | Tensor,
    beta2_decay: float,
    eps1: float | None,
    eps2: float,
    d: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    r"""Apply :func:`adafactor_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of torch's ``_multi_tensor_adafactor``;
    the lists are split by device, dtype and whether the tensor is factored.
    ``eps1=None`` takes the machine epsilon of the first group's dtype, for every group.

    Parameters
    ----------
    params, grads, row_vars, col_vars, variances, steps : list
        One entry per parameter, each as the singular argument of :func:`adafactor_step_`.
    lr, beta2_decay, eps1, eps2, d, weight_decay, maximize
        As in :func:`adafactor_step_`.
    """
    for (
        params_,
        grads_,
        row_vars_,
        col_vars_,
        variances_,
    ), indices, is_multidim in _by_device_dtype_and_is_multidim(
        [params, grads, row_vars, col_vars, variances]
    ):
        if eps1 is None:
            eps1 = torch.finfo(params_[0].dtype).eps
        if maximize:
            grads_ = torch._foreach_neg(grads_)  # g ← −g

        one_minus_beta2_ts = [steps[i] ** beta2_decay for i in indices]  # t^τ
        rho_ts = [min(lr, 1 / (steps[i] ** 0.5)) for i in indices]  # ρ = min(γ, 1/√t)
        alphas = [
            max(eps2, p.norm(2).item() / (p.numel() ** 0.5)) * rho  # α = max(ε₂, RMS θ) ρ
            for p, rho in zip(params_, rho_ts, strict=True)
        ]

        if weight_decay != 0:
            torch._foreach_mul_(params_, 1 - lr * weight_decay)  # θ ← θ(1 − γλ)

        if is_multidim:
            means = [torch.norm(grad, dim=-1, keepdim=True) for grad in grads_]
            torch._foreach_mul_(means, means)
            torch._foreach_div_(means, [grad.size(-1) for grad in grads_])  # mean_j G²
            torch._foreach_lerp_(row_vars_, means, one_minus_beta2_ts)  # r ← β̂₂r + (1−β̂₂)·
            means = [torch.norm(grad, dim=-2, keepdim=True) for grad in grads_]
            torch._foreach_mul_(means, means)
            torch._foreach_div_(means, [grad.size(-2) for grad in grads_])  # mean_i G²
            torch._foreach_lerp_(col_vars_, means, one_minus_beta2_ts)  # c ← β̂₂c + (1−β̂₂)·
            var_estimates = [r @ c for r, c in zip(row_vars_, col_vars_, strict=True)]  # r cᵀ
            row_var_means = [r.mean(dim=-2, keepdim=True) for r in row_vars_]
            torch._foreach_clamp_min_(row_var_means, eps1)
            torch._foreach_div_(var_estimates, row_var_means)  # V̂ = rcᵀ / max(r̄, ε₁)
        else:
            grads_squared = torch._foreach_mul(grads_, grads_)
            torch._foreach_lerp_(variances_, grads_squared, one_minus_beta2_ts)  # v ← β̂₂v + ·
            var_estimates = [v.clone() for v in variances_]  # V̂ = v

        torch._foreach_clamp_min_(var_estimates, eps1 * eps1)
        torch._foreach_rsqrt_(var_estimates)  # 1 / max(√V̂, ε₁)
        torch._foreach_mul_(var_estimates, grads_)  # U = G / max(√V̂, ε₁)
        updates = var_estimates
        scales = [
            -a / max(1.0, u.norm(2).item() / ((u.numel() ** 0.5) * d))  # −α / max(1, RMS(U)/d)
            for a, u in zip(alphas, updates, strict=True)
        ]
        torch._foreach_mul_(updates, scales)
        torch._foreach_add_(params_, updates)  # θ ← θ − α Û


def adafactor(
    params: list[Tensor],
    grads: list[Tensor],
    row_vars: list[Tensor | None],
    col_vars: list[Tensor | None],
    variances: list[Tensor | None],
    steps: list[float],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one Adafactor update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`adafactor_foreach_` once, or :func:`adafactor_step_` once per tensor: the call
    :class:`Adafactor` makes, as torch's class calls ``torch.optim._adafactor.adafactor``.
    As there, a 1-element ``lr`` tensor is squeezed to 0 dimensions, and on the per-tensor
    path ``eps1=None`` becomes the machine epsilon of the first parameter's dtype, for all.
    """
    lr = hyperparameters.get("lr")
    if isinstance(lr, Tensor) and lr.dim() != 0:
        hyperparameters["lr"] = lr.squeeze()
    if foreach:
        adafactor_foreach_(params, grads, row_vars, col_vars, variances, steps, **hyperparameters)
        return
    if params and "eps1" in hyperparameters and hyperparameters["eps1"] is None:
        hyperparameters["eps1"] = torch.finfo(params[0].dtype).eps
    for i, param in enumerate(params):
        adafactor_step_(
            param, grads[i], row_vars[i], col_vars[i], variances[i], steps[i], **hyperparameters
        )


class Adafactor(Optimizer):
    r"""Adafactor: factored second moments and relative step sizes.

    A drop-in replacement for :class:`torch.optim.Adafactor` (see :mod:`optnotes.optim`
    and, for the algorithm, this module). The update is :func:`adafactor_step_`, or
    :func:`adafactor_foreach_` on the multi-tensor path.

    Parameters
    ----------
    params, maximize
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float or torch.Tensor, default 1e-2
        :math:`\gamma`: the cap of the relative step size :math:`\rho_t = \min(\gamma,
        1/\sqrt t)` and the scale of the weight decay (the paper has no learning rate).
    beta2_decay : float, default -0.8
        :math:`\tau \le 0`: :math:`\hat\beta_{2,t} = 1 - t^{\tau}`.
    eps : tuple of (float or None, float), default (None, 1e-3)
        :math:`(\epsilon_1, \epsilon_2)`: the floor of :math:`\sqrt{\widehat V}` (``None``:
        the machine epsilon of the dtype, see the module) and the floor of
        :math:`\operatorname{RMS}(\theta)` in the step size.
    d : float, default 1.0
        Clipping threshold: the update's RMS is cut down to at most ``d``.
    weight_decay : float, default 0.0
        Decoupled decay :math:`\lambda`, :math:`\theta \leftarrow \theta(1 - \gamma\lambda)`.
        Torch's docstring says the default is 1e-2; its signature, followed here, says 0.0.
    foreach : bool or None, default None
        ``True``: the multi-tensor path. Unlike every other optimizer, and as torch's
        Adafactor does to save memory, ``None`` means the per-tensor path on every device.
    """

    supports_complex = True  # not so: refused at the step with torch's error, as torch does

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        # torch's checks, order and messages (its own, not the "Invalid ..." of the others)
        check(not (isinstance(lr, Tensor) and lr.numel() != 1), "Tensor lr must be 1-element")
        check(lr >= 0.0, f"Learning rate should be >= 0 but is: {lr}")
        check(beta2_decay <= 0.0, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        check(eps[0] is None or eps[0] >= 0.0, f"epsilon1 should be >= 0 but is: {eps[0]}")
        check(eps[1] >= 0.0, f"epsilon2 should be >= 0 but is: {eps[1]}")
        check(d >= 1.0, f"Clipping threshold d should be >= 1 but is: {d}")
        check(weight_decay >= 0.0, f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _use_foreach(self, group: dict[str, Any], params: list[Tensor]) -> bool:
        return bool(group["foreach"])  # None: the per-tensor path, even on a GPU (torch's rule)

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        state = {"step": new_step_counter()}
        if param.dim() > 1:
            state["row_var"] = param.new_zeros((*param.shape[:-1], 1))  # r₀ = 0, (..., n, 1)
            state["col_var"] = param.new_zeros((*param.shape[:-2], 1, param.shape[-1]))  # c₀ = 0
        else:
            state["variance"] = zeros_like(param)  # v₀ = 0
        return state

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        if any(torch.is_complex(param) for param in params):
            raise RuntimeError("Adafactor does not support complex parameters")
        states = self._prepare_states(group, params)
        eps1, eps2 = group["eps"]
        adafactor(
            params,
            grads,
            row_vars=[state.get("row_var") for state in states],
            col_vars=[state.get("col_var") for state in states],
            variances=[state.get("variance") for state in states],
            steps=[state["step"].item() for state in states],
            lr=group["lr"],
            beta2_decay=group["beta2_decay"],
            eps1=eps1,
            eps2=eps2,
            d=group["d"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
            foreach=foreach,
        )
