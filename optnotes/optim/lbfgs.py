r"""L-BFGS: limited-memory BFGS, with an optional strong-Wolfe line search.

A quasi-Newton method moves along :math:`d_k = -H_k g_k`, where :math:`g_k` is the
gradient at :math:`x_k` and :math:`H_k` approximates the inverse Hessian. BFGS
builds :math:`H_k` from the steps :math:`s_i = x_{i+1} - x_i` and the gradient
changes :math:`y_i = g_{i+1} - g_i`, with :math:`\rho_i = 1 / y_i^\top s_i`:

.. math::

    H_{i+1} = (I - \rho_i s_i y_i^\top)\, H_i\, (I - \rho_i y_i s_i^\top) + \rho_i s_i s_i^\top,

the matrix closest to :math:`H_i` that satisfies the secant equation
:math:`H_{i+1} y_i = s_i` (Nocedal & Wright, *Numerical Optimization*, 2nd ed.,
eq. 6.17). L-BFGS never forms :math:`H_k`: it keeps the last :math:`m` pairs
(``history_size``) and starts each time from :math:`H_k^0 = \gamma_k I` with
:math:`\gamma_k = s_{k-1}^\top y_{k-1} / y_{k-1}^\top y_{k-1}` (eq. 7.20).
Unrolling the update :math:`m` times, :math:`H_k g` is a product of rank-two
corrections applied to a vector, which the *two-loop recursion* evaluates in
:math:`O(mn)` (Algorithm 7.4, :func:`lbfgs_direction`):

.. math::

    q &\leftarrow g; \quad
        \text{for } i = k-1, \dots, k-m:\;
        \alpha_i = \rho_i s_i^\top q,\; q \leftarrow q - \alpha_i y_i \\
    r &\leftarrow \gamma_k q; \quad
        \text{for } i = k-m, \dots, k-1:\;
        \beta_i = \rho_i y_i^\top r,\; r \leftarrow r + (\alpha_i - \beta_i) s_i \\
    H_k g &= r.

The first loop applies the right-hand factors :math:`(I - \rho_i y_i s_i^\top)`
from the newest pair back, the second the left-hand ones and the
:math:`\rho_i s_i s_i^\top` terms from the oldest forward. A pair is stored only if
:math:`y^\top s > 10^{-10}` (the curvature condition, which keeps :math:`H_k`
positive definite); otherwise the memory is left as it was.

The step :math:`x_{k+1} = x_k + t_k d_k` has a fixed length :math:`t_k = \eta` (the
learning rate; :math:`\min(1, 1/\lVert g_1\rVert_1)\,\eta` on the very first
iteration, when :math:`H^0 = I` knows nothing of the scale), or one found by a line
search satisfying the *strong Wolfe conditions* with :math:`c_1 = 10^{-4}`,
:math:`c_2 = 0.9` (eq. 3.7):

.. math::

    f(x + t d) \le f(x) + c_1 t\, g^\top d, \qquad
    \lvert \nabla f(x + t d)^\top d \rvert \le c_2 \lvert g^\top d \rvert.

The search (:func:`_strong_wolfe`, Algorithms 3.5 and 3.6, ported by torch from
Torch7's ``lswolfe.lua``) first brackets an interval that holds such a step, then
zooms into it. Each new trial is the minimizer of the cubic that matches
:math:`\phi(t) = f(x + t d)` and :math:`\phi'(t) = \nabla f(x+td)^\top d` at two
points (:func:`_cubic_interpolate`, eq. 3.59):

.. math::

    d_1 &= \phi'_1 + \phi'_2 - 3\,\frac{\phi_1 - \phi_2}{t_1 - t_2}, \qquad
    d_2 = \sqrt{d_1^2 - \phi'_1 \phi'_2}, \\
    t^\ast &= t_2 - (t_2 - t_1)\,
        \frac{\phi'_2 + d_2 - d_1}{\phi'_2 - \phi'_1 + 2 d_2} \quad (t_1 \le t_2),

clipped to the interval, or the interval's midpoint when :math:`d_1^2 < \phi'_1\phi'_2`
(the cubic has no minimizer).

Where torch's code and docstring disagree, we follow the code (torch 2.13):

- ``max_eval`` defaults to ``max_iter * 5 // 4`` (rounded down), not ``max_iter * 1.25``.
- The line search is always called with its own ``tolerance_change=1e-9``; the
  group's ``tolerance_change`` does not reach it.
- "First order optimality" is :math:`\max_j \lvert g_j\rvert \le` ``tolerance_grad``;
  ``tolerance_change`` bounds three things: the directional derivative
  (:math:`g^\top d > -\text{tol}` ends the step), the step
  (:math:`\max_j \lvert t d_j\rvert \le \text{tol}`) and the change of the loss.
- ``line_search_fn`` is checked only when a line search is about to run: any value
  other than ``None`` and ``"strong_wolfe"`` is a ``RuntimeError`` from ``step``,
  not from the constructor.
"""

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor

from ._base import Optimizer, check_lr

# Torch keeps its scalars (t, ρ, γ) as Python numbers or as 0-dim tensors.
Scalar = float | Tensor


def _cubic_interpolate(
    x1: Scalar,
    f1: Scalar,
    g1: Scalar,
    x2: Scalar,
    f2: Scalar,
    g2: Scalar,
    bounds: tuple[Scalar, Scalar] | None = None,
) -> Scalar:
    r"""Return the minimizer of the cubic through two points, clipped to ``bounds``.

    The cubic matches :math:`\phi(x_1) = f_1`, :math:`\phi'(x_1) = g_1`,
    :math:`\phi(x_2) = f_2`, :math:`\phi'(x_2) = g_2` (Nocedal & Wright, eq. 3.59).
    ``bounds`` defaults to the interval between :math:`x_1` and :math:`x_2`; when the
    cubic has no minimizer, the middle of ``bounds`` is returned.
    """
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)  # d₁ = φ'₁ + φ'₂ − 3(φ₁ − φ₂)/(x₁ − x₂)
    d2_square = d1**2 - g1 * g2  # d₂² = d₁² − φ'₁φ'₂
    if d2_square >= 0:
        d2 = d2_square.sqrt()
        # x* = far − (far − near)(φ'_far + d₂ − d₁)/(φ'_far − φ'_near + 2d₂), far the larger x
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)  # clip to the bounds
    return (xmin_bound + xmax_bound) / 2.0  # no minimizer: bisect


def _strong_wolfe(
    obj_func: Callable[[list[Tensor], Scalar, Tensor], tuple[float, Tensor]],
    x: list[Tensor],
    t: Scalar,
    d: Tensor,
    f: float,
    g: Tensor,
    gtd: Tensor,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Tensor, Scalar, int]:
    r"""Find a step ``t`` along ``d`` that satisfies the strong Wolfe conditions.

    Nocedal & Wright, Algorithm 3.5 (bracketing) and 3.6 (zoom), as torch ports
    Torch7's ``lswolfe.lua``: the bracketing phase extrapolates by cubic
    interpolation within :math:`[t + 0.01(t - t_{prev}),\, 10t]`; the zoom phase
    bisects the bracket by cubic interpolation and, when a trial falls within 10 %
    of an end twice in a row (or on it), moves it 10 % of the bracket inside.

    Parameters
    ----------
    obj_func : callable
        ``obj_func(x, t, d)`` returns :math:`\phi(t) = f(x + t d)` (a float) and the
        flat gradient there; it leaves the parameters at ``x``.
    x : list of torch.Tensor
        The parameters at :math:`t = 0`.
    t : float or torch.Tensor
        The first trial step.
    d : torch.Tensor
        The flat search direction.
    f, g, gtd
        :math:`\phi(0)`, the flat gradient at ``x`` and :math:`\phi'(0) = g^\top d`.
    c1, c2 : float
        The sufficient-decrease and curvature constants (:math:`0 < c_1 < c_2 < 1`).
    tolerance_change : float
        Stop zooming when the bracket, times :math:`\max_j \lvert d_j\rvert`, is
        narrower than this.
    max_ls : int
        The most evaluations of ``obj_func`` after the first.

    Returns
    -------
    f_new : float
        :math:`\phi(t)` at the step returned.
    g_new : torch.Tensor
        The flat gradient there.
    t : float or torch.Tensor
        The step.
    ls_func_evals : int
        How many times ``obj_func`` ran.
    """
    d_norm = d.abs().max()  # ‖d‖∞, to measure the bracket in parameter space
    g = g.clone(memory_format=torch.contiguous_format)
    f_new, g_new = obj_func(x, t, d)  # φ(t), ∇f(x + td)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)  # φ'(t) = ∇f(x + td)ᵀd

    # Bracketing (Algorithm 3.5): grow t until [t_prev, t] holds a Wolfe point.
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        # no sufficient decrease φ(t) > φ(0) + c₁tφ'(0), or no decrease since t_prev
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new.clone(memory_format=torch.contiguous_format)]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        # strong curvature condition |φ'(t)| ≤ −c₂φ'(0): t is a Wolfe point
        if abs(gtd_new) <= -c2 * gtd:
            bracket = [t]
            bracket_f = [f_new]
            bracket_g = [g_new]
            done = True
            break
        # φ'(t) ≥ 0: the minimum lies behind t
        if gtd_new >= 0:
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new.clone(memory_format=torch.contiguous_format)]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        # still descending: extrapolate, t ∈ [t + 0.01(t − t_prev), 10t]
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev = tmp
        f_prev = f_new
        g_prev = g_new.clone(memory_format=torch.contiguous_format)
        gtd_prev = gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    # Out of evaluations while still descending: the bracket is [0, t].
    if ls_iter == max_ls:
        bracket = [0, t]
        bracket_f = [f, f_new]
        bracket_g = [g, g_new]

    # Zoom (Algorithm 3.6): shrink the bracket around a Wolfe point; `low` is its
    # end with the lower φ, `high` the other one.
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        # the bracket is too small to matter: |t_high − t_low| ‖d‖∞ < tol
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break

        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )

        # Guard against trials at an end of the bracket: if t is within 10 % of an
        # end, and was so last time too or lies on (or beyond) it, move it 10 % inside.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # no sufficient decrease, or not below φ(t_low): t becomes the high end
            bracket[high_pos] = t
            bracket_f[high_pos] = f_new
            bracket_g[high_pos] = g_new.clone(memory_format=torch.contiguous_format)
            bracket_gtd[high_pos] = gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True  # strong Wolfe conditions hold at t
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # φ'(t)(t_high − t_low) ≥ 0: the minimum is between t_low and t, so
                # the old low end becomes the high end
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            # t becomes the low end
            bracket[low_pos] = t
            bracket_f[low_pos] = f_new
            bracket_g[low_pos] = g_new.clone(memory_format=torch.contiguous_format)
            bracket_gtd[low_pos] = gtd_new

    # The best point found: the low end of the bracket.
    t = bracket[low_pos]
    f_new = bracket_f[low_pos]
    g_new = bracket_g[low_pos]
    return f_new, g_new, t, ls_func_evals


def lbfgs_direction(
    flat_grad: Tensor,
    old_dirs: list[Tensor],
    old_stps: list[Tensor],
    ro: list[Tensor],
    H_diag: Scalar,
    al: list[Tensor | None],
) -> Tensor:
    r"""Return the L-BFGS direction :math:`d = -H_k g` by the two-loop recursion.

    Nocedal & Wright, Algorithm 7.4, started from :math:`q = -g` rather than
    :math:`g`, so that the result is the direction itself; torch's operations in
    torch's order.

    Parameters
    ----------
    flat_grad : torch.Tensor
        The gradient :math:`g`, all parameters flattened into one vector.
    old_dirs : list of torch.Tensor
        The gradient changes :math:`y_i = g_{i+1} - g_i`, oldest first (torch's name).
    old_stps : list of torch.Tensor
        The steps :math:`s_i = x_{i+1} - x_i`, oldest first.
    ro : list of torch.Tensor
        :math:`\rho_i = 1 / y_i^\top s_i`.
    H_diag : float or torch.Tensor
        :math:`\gamma_k`, the scale of the initial inverse Hessian :math:`H_k^0 = \gamma_k I`.
    al : list
        Scratch space of at least ``len(old_dirs)`` entries; entry ``i`` receives
        :math:`\alpha_i` (torch keeps it in the optimizer's state as ``al``).

    Returns
    -------
    torch.Tensor
        The direction :math:`d = -H_k g`, a new tensor.
    """
    num_old = len(old_dirs)
    q = flat_grad.neg()  # q ← −g
    for i in range(num_old - 1, -1, -1):  # newest pair first
        al[i] = old_stps[i].dot(q) * ro[i]  # αᵢ = ρᵢ sᵢᵀq
        q.add_(old_dirs[i], alpha=-al[i])  # q ← q − αᵢ yᵢ
    r = torch.mul(q, H_diag)  # r ← H⁰q = γ q
    for i in range(num_old):  # oldest pair first
        be_i = old_dirs[i].dot(r) * ro[i]  # βᵢ = ρᵢ yᵢᵀr
        r.add_(old_stps[i], alpha=al[i] - be_i)  # r ← r + (αᵢ − βᵢ) sᵢ
    return r  # r = −H g


class LBFGS(Optimizer):
    r"""L-BFGS, with a fixed step or a strong-Wolfe line search.

    A drop-in replacement for :class:`torch.optim.LBFGS` (see :mod:`optnotes.optim` and
    :mod:`optnotes.optim.lbfgs`): same arguments, the same single param group, the
    same state (kept, as torch keeps it, under the first parameter) and the same
    parameters after every step. Each :meth:`step` takes a closure that re-evaluates
    the loss and its gradients, and runs up to ``max_iter`` iterations.

    A complex parameter is stepped as torch steps it: as its real view, two real
    coordinates per entry of the vector L-BFGS works on.

    Parameters
    ----------
    params
        The parameters to optimize: one group only.
    lr : float, default 1
        The step length :math:`\eta` (the line search's first trial when there is one).
    max_iter : int, default 20
        The most iterations per call of :meth:`step`.
    max_eval : int, optional
        The most evaluations of the closure per call of :meth:`step`; by default
        ``max_iter * 5 // 4``.
    tolerance_grad : float, default 1e-7
        Stop when :math:`\max_j \lvert g_j\rvert` is at most this.
    tolerance_change : float, default 1e-9
        Stop when the directional derivative, the step or the change of the loss is
        smaller than this.
    history_size : int, default 100
        The number :math:`m` of pairs :math:`(s_i, y_i)` kept.
    line_search_fn : str, optional
        ``"strong_wolfe"``, or ``None`` for the fixed step.
    """

    supports_complex = True  # as its real view, as torch's

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # All parameters as one vector: L-BFGS works in R^n, n the number of entries.

    def _gather_flat_grad(self) -> Tensor:
        """Return every parameter's gradient in one new vector (zeros where there is none)."""
        views = []
        for p in self._params:
            if p.grad is None:
                view = p.new(p.numel()).zero_()
            elif p.grad.is_sparse:
                view = p.grad.to_dense().view(-1)
            else:
                view = p.grad.view(-1)
            if torch.is_complex(view):  # a complex entry is two real coordinates
                view = torch.view_as_real(view).view(-1)
            views.append(view)
        return torch.cat(views, 0)

    def _add_grad(self, step_size: Scalar, update: Tensor) -> None:
        """Move the parameters in place: x ← x + step_size · update (a flat vector)."""
        offset = 0
        for p in self._params:
            if torch.is_complex(p):
                p = torch.view_as_real(p)
            numel = p.numel()
            p.add_(update[offset : offset + numel].view_as(p), alpha=step_size)
            offset += numel
        if offset != sum(p.numel() * (2 if torch.is_complex(p) else 1) for p in self._params):
            raise AssertionError(f"Expected offset {offset} to equal the number of entries")

    def _clone_param(self) -> list[Tensor]:
        return [p.clone(memory_format=torch.contiguous_format) for p in self._params]

    def _set_param(self, params_data: list[Tensor]) -> None:
        for p, pdata in zip(self._params, params_data, strict=True):
            p.copy_(pdata)

    def _directional_evaluate(
        self, closure: Callable[[], Any], x: list[Tensor], t: Scalar, d: Tensor
    ) -> tuple[float, Tensor]:
        """Return f(x + td) and its flat gradient, leaving the parameters at ``x``."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    @torch.no_grad()
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations.

        Parameters
        ----------
        closure : callable
            Clears the gradients, re-evaluates the model, back-propagates and returns
            the loss; it runs with gradients enabled.

        Returns
        -------
        Any
            What the first call of ``closure`` returned: the loss before any move.
        """
        if len(self.param_groups) != 1:
            raise AssertionError(
                f"Expected exactly one param_group, but got {len(self.param_groups)}"
            )
        closure = torch.enable_grad()(closure)

        group = self.param_groups[0]
        lr = group["lr"]
        if isinstance(lr, Tensor) and lr.dim() != 0:
            lr = lr.squeeze()  # torch's _to_scalar: a 1-element tensor becomes 0-dim
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]

        # The state is global; torch files it under the first parameter, so that
        # load_state_dict casts it to that parameter's dtype and device.
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)  # closure evaluations, over all steps
        state.setdefault("n_iter", 0)  # iterations, over all steps

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        opt_cond = flat_grad.abs().max() <= tolerance_grad  # ‖g‖∞ ≤ tol: optimal already
        if opt_cond:
            return orig_loss

        # The previous step's direction d and length t, the memory (y_i, s_i, ρ_i),
        # γ and the last gradient and loss, carried from call to call.
        d = state.get("d")
        t = state.get("t")
        old_dirs = state.get("old_dirs")
        old_stps = state.get("old_stps")
        ro = state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # Direction.
            if state["n_iter"] == 1:
                d = flat_grad.neg()  # d = −g: steepest descent, H⁰ = I
                old_dirs = []
                old_stps = []
                ro = []
                H_diag = 1
            else:
                y = flat_grad.sub(prev_flat_grad)  # y = g_k − g_{k−1}
                s = d.mul(t)  # s = x_k − x_{k−1} = t d
                ys = y.dot(s)  # yᵀs
                if ys > 1e-10:  # curvature condition: keep H positive definite
                    if len(old_dirs) == history_size:  # memory full: forget the oldest
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)  # ρ = 1/yᵀs
                    H_diag = ys / y.dot(y)  # γ = yᵀs / yᵀy (eq. 7.20)
                if "al" not in state:
                    state["al"] = [None] * history_size
                d = lbfgs_direction(flat_grad, old_dirs, old_stps, ro, H_diag, state["al"])

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.clone(memory_format=torch.contiguous_format)
            else:
                prev_flat_grad.copy_(flat_grad)
            prev_loss = loss

            # Step length: η, or min(1, 1/‖g‖₁) η on the very first iteration.
            t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr if state["n_iter"] == 1 else lr

            gtd = flat_grad.dot(d)  # directional derivative gᵀd
            if gtd > -tolerance_change:  # not (enough of) a descent direction
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def obj_func(x: list[Tensor], t: Scalar, d: Tensor) -> tuple[float, Tensor]:
                    return self._directional_evaluate(closure, x, t, d)

                # (torch passes no tolerance_change: the search keeps its own 1e-9)
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)  # x ← x + t d
                opt_cond = flat_grad.abs().max() <= tolerance_grad
            else:
                self._add_grad(t, d)  # x ← x + t d
                if n_iter != max_iter:
                    # re-evaluate, except after the last iteration (torch: no use in a
                    # stochastic setting; the next call evaluates anyway)
                    with torch.enable_grad():
                        loss = closure()
                    loss = float(loss)
                    flat_grad = self._gather_flat_grad()
                    opt_cond = flat_grad.abs().max() <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # Stopping tests, in torch's order.
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:  # ‖g‖∞ ≤ tolerance_grad
                break
            if d.mul(t).abs().max() <= tolerance_change:  # ‖t d‖∞: the step is tiny
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss no longer changes
                break

        state["d"] = d
        state["t"] = t
        state["old_dirs"] = old_dirs
        state["old_stps"] = old_stps
        state["ro"] = ro
        state["H_diag"] = H_diag
        state["prev_flat_grad"] = prev_flat_grad
        state["prev_loss"] = prev_loss
        return orig_loss
