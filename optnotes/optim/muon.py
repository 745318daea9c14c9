r"""Muon: momentum orthogonalised by Newton–Schulz (Jordan et al., 2024).

Muon ("MomentUm Orthogonalized by Newton–Schulz", Jordan, Jin, Boza, You, Cesista,
Newhouse and Bernstein, 2024, *Muon: An optimizer for hidden layers in neural
networks*) trains the 2-D weights of a network's hidden layers. It keeps SGD's
momentum :math:`B_t` and replaces the step along it by the nearest semi-orthogonal
matrix. With the thin singular value decomposition :math:`B = U S V^\top` of an
:math:`A \times B`-shaped momentum, that matrix is the polar factor

.. math::

    \operatorname{polar}(B) = U V^\top
        = \operatorname*{arg\,min}_{O^\top O = I \text{ or } O O^\top = I} \lVert O - B \rVert_F
        = \operatorname*{arg\,max}_{\lVert \Delta \rVert_2 \le 1} \langle B, \Delta \rangle ,

the direction of steepest descent when a step's size is measured by its spectral norm
(Bernstein & Newhouse, 2024, *Old Optimizer, New Norm*). Every singular direction of
the update gets the same length, so the rare directions (small :math:`\sigma_i`) are no
longer drowned by the few dominant ones.

**Newton–Schulz.** An SVD per step is slow on an accelerator; an odd polynomial is a few
matrix products. For :math:`X = U S V^\top`, :math:`(X X^\top) X = U S^3 V^\top`, so

.. math::

    p(X) = a X + b (X X^\top) X + c (X X^\top)^2 X = U\, p(S)\, V^\top :

the polynomial acts on each singular value, :math:`\sigma \mapsto p(\sigma) = a\sigma +
b\sigma^3 + c\sigma^5`, and keeps the singular vectors. Iterating it :math:`k` times gives
:math:`U p^{k}(S) V^\top`, which tends to :math:`U V^\top` when :math:`p^{k}(\sigma) \to 1`
for every :math:`\sigma` in :math:`(0, 1]`. The classical Newton–Schulz iteration for the
polar factor (Kovarik, 1970; Björck & Bowie, 1971; Higham, 2008, *Functions of
Matrices*, §8.3) is the cubic :math:`p(\sigma) = \tfrac32\sigma - \tfrac12\sigma^3`:
:math:`p(1) = 1` and :math:`p'(1) = 0`, quadratic convergence near 1, but only
:math:`p'(0) = \tfrac32` near 0, so five steps take :math:`\sigma = 10^{-3}` only to
:math:`7.6 \cdot 10^{-3}`. The iteration needs :math:`\sigma \le 1` to start with; the
input is divided by its Frobenius norm :math:`\lVert G \rVert_F = (\sum_i
\sigma_i^2)^{1/2} \ge \sigma_{\max}` (the spectral norm would need the SVD), clamped
below at :math:`\varepsilon` so that a zero gradient stays zero.

**The quintic and why it does not converge to 1.** Jordan's coefficients
:math:`(a, b, c) = (3.4445, -4.7750, 2.0315)` maximise the slope at zero,
:math:`p'(0) = a`, past the point where the iteration still converges to 1: a small
singular value grows by about 3.44 per step, and five steps take :math:`\sigma =
10^{-3}` to 0.47. The price is the fixed point: :math:`p(1) = a + b + c = 0.701 \neq 1`.
The positive fixed points of :math:`p` are 0.868 and 1.264; at the one in
:math:`(0, 1]`, :math:`\sigma^\ast \approx 0.868`, :math:`p'(\sigma^\ast) \approx -1.58`:
with :math:`|p'| > 1` it repels, so the iterates never settle. They are trapped instead:
in exact arithmetic, torch's five steps send every normalised :math:`\sigma \ge 0.01`
into :math:`[0.68, 1.13]` (the largest value of :math:`p` on :math:`[0, 1]` is 1.20).
The result is :math:`U S' V^\top` with :math:`S'` scattered around 0.9, not
:math:`U V^\top` (Jordan: "something like :math:`S'_{ii} \sim \mathrm{Uniform}(0.5,
1.5)`" once bfloat16 rounding is added), which in his experiments trains as well as the
exact polar factor.
The iteration runs in bfloat16 whatever the parameter's dtype, so the update has about
three significant digits even for float64 parameters. For a tall matrix (:math:`A > B`)
it runs on the transpose, so that the Gram matrix :math:`X X^\top` is the smaller
:math:`\min(A, B)^2` one; :math:`p(X^\top) = p(X)^\top`, so only the cost (and the
rounding) changes.

**The step.** With learning rate :math:`\eta`, momentum :math:`\mu`, weight decay
:math:`\lambda` and the Newton–Schulz map :math:`\mathrm{NS}`:

.. math::

    B_t &= \mu B_{t-1} + (1-\mu)\, g_t \\
    \widetilde B_t &= \begin{cases} (1-\mu)\, g_t + \mu B_t & \text{Nesterov} \\
        B_t & \text{otherwise} \end{cases} \\
    O_t &= \mathrm{NS}^{(a,b,c)}_{k}\bigl(\widetilde B_t / \max(\lVert \widetilde B_t
        \rVert_F, \varepsilon)\bigr) \\
    \theta_t &= (1 - \eta\lambda)\, \theta_{t-1} - \eta\, s(A, B)\, O_t

Torch's docstring writes the momentum as :math:`B_t = \mu B_{t-1} + g_t` and Nesterov as
:math:`g_t + \mu B_t`; its code computes the average above with ``lerp``, and so do we.
By induction the code's buffer is :math:`(1-\mu)` times the documented one, and so is
the Nesterov vector; the normalisation divides that factor out, so the two agree up to
rounding and the :math:`\varepsilon` clamp, but the stored ``momentum_buffer`` is
:math:`(1-\mu)` times the documented one. The weight decay is decoupled (as in AdamW,
Loshchilov & Hutter, 2019) and uses the unadjusted :math:`\eta`, although torch's
docstring calls it an "L2 penalty"; its default is 0.1, not 0.

**The learning-rate scale** :math:`s(A, B)`, with :math:`A \times B` the parameter's
shape. An exactly semi-orthogonal :math:`O` has :math:`r = \min(A, B)` unit singular
values, so :math:`\lVert O \rVert_F^2 = r` and its root mean square entry is
:math:`\sqrt{r / (AB)} = 1/\sqrt{\max(A, B)}`: wide or tall layers get small entries.

``adjust_lr_fn=None`` or ``"original"`` (Jordan's code)
    :math:`s = \sqrt{\max(1, A/B)}`. The RMS entry becomes :math:`1/\sqrt{B}` for every
    shape, and the spectral norm of a tall update (:math:`A > B`, e.g. an
    ``out × in`` ``Linear`` weight that expands) grows to
    :math:`\sqrt{\text{fan-out}/\text{fan-in}}`, the scaling of Yang, Simon & Bernstein
    (2023), *A Spectral Condition for Feature Learning*.
``"match_rms_adamw"`` (Liu et al., 2025, *Muon is Scalable for LLM Training*)
    :math:`s = 0.2\sqrt{\max(A, B)}`. The RMS entry of the update becomes
    :math:`0.2\,\eta`, about that of AdamW's updates, so that a learning rate and weight
    decay tuned for AdamW can be reused.

Any other value (possible only by editing a param group after construction) leaves
:math:`\eta` unchanged, as torch's code does.

**What torch's Muon lacks, and so do we.** It takes only 2-D parameters (ValueError in
the constructor, for the groups given to it; ``add_param_group`` does not check); its
class has no ``foreach`` (nor ``maximize``), and its functional form refuses
``foreach=True``; complex parameters and sparse gradients are refused at the step
(RuntimeError). One quirk is reproduced with the rest: for a bfloat16 parameter without
Nesterov, ``update.bfloat16()`` is the momentum buffer itself and the in-place division
normalises the stored buffer.
"""

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from ._base import Optimizer, check, zeros_like

#: Jordan's quintic coefficients :math:`(a, b, c)` and step count, torch's defaults.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
NS_STEPS = 5
EPS = 1e-7

#: The values ``adjust_lr_fn`` may take in the constructor.
ADJUST_LR_FNS = (None, "original", "match_rms_adamw")


def zeropower_via_newtonschulz(
    grad: Tensor, ns_coefficients: tuple[float, float, float], ns_steps: int, eps: float
) -> Tensor:
    r"""Return the approximate polar factor :math:`U S' V^\top` of ``grad``, in bfloat16.

    Torch's ``_zeropower_via_newtonschulz``, operation for operation.

    Parameters
    ----------
    grad : torch.Tensor
        The 2-D matrix :math:`G = U S V^\top` to orthogonalise (not modified unless it is
        already a bfloat16 tensor: then it is divided by its norm in place, as in torch).
    ns_coefficients : tuple of float
        The coefficients :math:`(a, b, c)` of :math:`p(\sigma) = a\sigma + b\sigma^3 + c\sigma^5`.
    ns_steps : int
        The number :math:`k` of iterations (less than 100).
    eps : float
        Lower bound :math:`\varepsilon` of the norm the input is divided by.

    Returns
    -------
    torch.Tensor
        :math:`U p^{k}(S / \lVert G \rVert_F) V^\top`, bfloat16, shaped like ``grad``.
    """
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if len(grad.shape) != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    ortho = grad.bfloat16()  # X ← G in bfloat16
    if grad.size(0) > grad.size(1):
        ortho = ortho.T  # tall: iterate on Xᵀ, whose Gram matrix XXᵀ is the smaller one
    ortho.div_(ortho.norm().clamp(min=eps))  # X ← X / max(‖X‖_F, ε): every σ ≤ 1
    for _ in range(ns_steps):
        gram = ortho @ ortho.T  # XXᵀ = U S² Uᵀ
        poly = torch.addmm(gram, gram, gram, beta=b, alpha=c)  # b XXᵀ + c (XXᵀ)²
        ortho = torch.addmm(ortho, poly, ortho, beta=a)  # X ← aX + (b XXᵀ + c (XXᵀ)²) X
    if grad.size(0) > grad.size(1):
        ortho = ortho.T
    return ortho


def adjust_lr(
    lr: float | Tensor, adjust_lr_fn: str | None, param_shape: torch.Size
) -> float | Tensor:
    r"""Return the learning rate :math:`\eta\, s(A, B)` of a parameter shaped ``A × B``.

    Parameters
    ----------
    lr : float or torch.Tensor
        The learning rate :math:`\eta`.
    adjust_lr_fn : str or None
        ``None`` or ``"original"``: :math:`s = \sqrt{\max(1, A/B)}`;
        ``"match_rms_adamw"``: :math:`s = 0.2\sqrt{\max(A, B)}`; anything else: :math:`s = 1`.
    param_shape : torch.Size
        The parameter's shape; its first two sizes are :math:`A` and :math:`B`.

    Returns
    -------
    float or torch.Tensor
        :math:`\eta\, s(A, B)`.
    """
    rows, cols = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))  # RMS entry 1/√B for every shape
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))  # RMS entry 0.2 (AdamW's)
    else:
        ratio = 1.0
    return lr * ratio


def muon_step_(
    param: Tensor,
    grad: Tensor,
    momentum_buffer: Tensor,
    *,
    lr: float | Tensor,
    weight_decay: float,
    momentum: float,
    nesterov: bool,
    ns_coefficients: tuple[float, float, float],
    ns_steps: int,
    eps: float,
    adjust_lr_fn: str | None,
) -> None:
    r"""Apply one Muon update to the 2-D ``param`` in place.

    Parameters
    ----------
    param, grad, lr
        As every update function takes them (see :mod:`optnotes.optim`); ``lr`` may
        be a 0-dim tensor, as in torch.
    momentum_buffer : torch.Tensor
        The momentum :math:`B_{t-1}`, updated in place (an average: see the module).
    weight_decay : float
        Decoupled weight decay :math:`\lambda`: :math:`\theta \leftarrow (1-\eta\lambda)\theta`.
    momentum : float
        Momentum factor :math:`\mu`.
    nesterov : bool
        Orthogonalise the Nesterov vector :math:`(1-\mu) g_t + \mu B_t` instead of :math:`B_t`.
    ns_coefficients, ns_steps, eps
        As in :func:`zeropower_via_newtonschulz`.
    adjust_lr_fn : str or None
        As in :func:`adjust_lr`.
    """
    if grad.ndim != 2:
        raise ValueError("Param gradient must be a 2D matrix")

    momentum_buffer.lerp_(grad, 1 - momentum)  # B ← μB + (1−μ)g
    update = grad.lerp(momentum_buffer, momentum) if nesterov else momentum_buffer  # (1−μ)g + μB

    update = zeropower_via_newtonschulz(update, ns_coefficients, ns_steps, eps)  # O ≈ UVᵀ
    adjusted_lr = adjust_lr(lr, adjust_lr_fn, param.shape)  # η s(A, B)

    param.mul_(1 - lr * weight_decay)  # θ ← (1 − ηλ)θ, with the unadjusted η
    param.add_(update, alpha=-adjusted_lr)  # θ ← θ − η s(A, B) O


def muon(
    params: list[Tensor],
    grads: list[Tensor],
    momentum_buffers: list[Tensor],
    *,
    lr: float | Tensor,
    foreach: bool | None = None,
    **hyperparameters: Any,
) -> None:
    """Apply one Muon update to every tensor of ``params``: :func:`muon_step_` once per tensor.

    The call :class:`Muon` makes, as torch's class calls ``torch.optim._muon.muon``. Torch
    has no multi-tensor Muon: ``foreach=True`` raises its RuntimeError.
    """
    if foreach:
        raise RuntimeError("Foreach is not supported for Muon yet")
    if isinstance(lr, Tensor) and lr.dim() != 0:
        lr = lr.squeeze()  # torch's _to_scalar: a 1-element tensor becomes a 0-dim one
    for i, param in enumerate(params):
        muon_step_(param, grads[i], momentum_buffers[i], lr=lr, **hyperparameters)


class Muon(Optimizer):
    r"""Muon: SGD momentum orthogonalised by a Newton–Schulz iteration, for 2-D parameters.

    A drop-in replacement for :class:`torch.optim.Muon` (see :mod:`optnotes.optim` and the
    module above). The update is :func:`muon_step_`; torch has no multi-tensor path, and
    this class no ``foreach`` argument (a param group's ``"foreach"`` is ignored, as in
    torch). Biases, norm weights and embeddings belong to another optimizer (AdamW).

    Parameters
    ----------
    params
        As every optimizer takes them (see :mod:`optnotes.optim`); each must be 2-D.
    lr : float or torch.Tensor, default 1e-3
        Learning rate :math:`\eta`.
    weight_decay : float, default 0.1
        Decoupled weight decay :math:`\lambda` (torch's docstring says "L2 penalty").
    momentum : float, default 0.95
        Momentum factor :math:`\mu` of the average :math:`B_t = \mu B_{t-1} + (1-\mu) g_t`.
    nesterov : bool, default True
        Orthogonalise :math:`(1-\mu) g_t + \mu B_t` instead of :math:`B_t`.
    ns_coefficients : tuple of float, default (3.4445, -4.7750, 2.0315)
        Coefficients :math:`(a, b, c)` of the Newton–Schulz quintic (checked at the step).
    eps : float, default 1e-7
        Lower bound :math:`\varepsilon` of the norm the momentum is divided by.
    ns_steps : int, default 5
        Newton–Schulz iterations (less than 100, checked at the step).
    adjust_lr_fn : {None, "original", "match_rms_adamw"}, default None
        The learning-rate scale :math:`s(A, B)`; ``None`` is ``"original"``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
        eps: float = EPS,
        ns_steps: int = NS_STEPS,
        adjust_lr_fn: str | None = None,
    ) -> None:
        check(not isinstance(lr, Tensor) or lr.numel() == 1, "Tensor lr must be 1-element")
        check(lr >= 0.0, f"Learning rate should be >= 0 but is: {lr}")
        check(momentum >= 0.0, f"momentum should be >= 0 but is: {momentum}")
        check(weight_decay >= 0.0, f"weight decay should be >= 0 but is: {weight_decay}")
        check(
            adjust_lr_fn in ADJUST_LR_FNS,
            f"Adjust learning rate function {adjust_lr_fn} is not supported",
        )
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_coefficients": ns_coefficients,
            "eps": eps,
            "ns_steps": ns_steps,
            "adjust_lr_fn": adjust_lr_fn,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                check(
                    param.ndim == 2,
                    "Muon only supports 2D parameters whereas we found a parameter "
                    f"with size: {param.size()}",
                )

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a param group; as in torch, complex parameters are refused at the step.

        Parameters
        ----------
        param_group : dict
            The parameters (key ``"params"``) and their hyper-parameters.
        """
        torch.optim.Optimizer.add_param_group(self, param_group)
        self._check_options(self.param_groups[-1])

    def _use_foreach(self, group: dict[str, Any], params: list[Tensor]) -> bool:
        return False  # torch's Muon has only the per-tensor path

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        momentum_buffers = []
        for param in params:
            if torch.is_complex(param):
                raise RuntimeError("Muon does not support complex parameters")
            state = self.state[param]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = zeros_like(param.grad)  # B₀ = 0; no step count
            momentum_buffers.append(state["momentum_buffer"])
        muon(
            params,
            grads,
            momentum_buffers,
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            nesterov=group["nesterov"],
            ns_coefficients=group["ns_coefficients"],
            ns_steps=group["ns_steps"],
            eps=group["eps"],
            adjust_lr_fn=group["adjust_lr_fn"],
            foreach=foreach,
        )
