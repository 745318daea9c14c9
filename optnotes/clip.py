r"""Gradient clipping, as in ``torch.nn.utils``.

Two ways to keep one bad batch from throwing the parameters far away
(Pascanu et al., 2013):

* **clipping by norm** rescales all gradients together so that their global norm
  is at most :math:`c`; the direction of the update is kept,

  .. math::
      \|g\|_p = \Bigl\| \bigl(\|g^{(1)}\|_p, \dots, \|g^{(n)}\|_p\bigr) \Bigr\|_p,
      \qquad
      g^{(i)} \leftarrow g^{(i)} \cdot \min\Bigl(1, \frac{c}{\|g\|_p + 10^{-6}}\Bigr),

  where :math:`g^{(i)}` is the gradient of the :math:`i`-th parameter tensor. The
  global norm is the norm of the per-tensor norms, which equals the norm of all
  gradients concatenated into one vector (for :math:`p = \infty` too);

* **clipping by value** clamps every element to :math:`[-c, c]`, which changes
  the direction of the update.

The functions give the same numbers as ``torch.nn.utils.clip_grad_norm_`` and
``torch.nn.utils.clip_grad_value_``. PyTorch dispatches to fused ``_foreach``
kernels; on the CPU those give bit for bit the results of the plain loop written
here, which is why ``foreach`` is accepted but does not change the computation.
"""

import types
import warnings
from collections.abc import Iterable

import torch

__all__ = ["clip_grad_norm_", "clip_grad_value_", "grad_norm"]

_TensorOrTensors = torch.Tensor | Iterable[torch.Tensor]


def _as_list(parameters: _TensorOrTensors) -> list[torch.Tensor]:
    """Accept a single tensor or an iterable of tensors, as torch does."""
    if isinstance(parameters, torch.Tensor):
        return [parameters]
    return list(parameters)


def _grads(parameters: list[torch.Tensor]) -> list[torch.Tensor]:
    """Gradients of the parameters that have one; the others are skipped."""
    return [p.grad for p in parameters if p.grad is not None]


@torch.no_grad()
def grad_norm(parameters: _TensorOrTensors, norm_type: float | str = 2.0) -> torch.Tensor:
    r"""Global norm of the gradients, without changing them.

    .. math::
        \|g\|_p = \Bigl\| \bigl(\|g^{(1)}\|_p, \dots, \|g^{(n)}\|_p\bigr) \Bigr\|_p

    Parameters
    ----------
    parameters : torch.Tensor or iterable of torch.Tensor
        Parameters whose ``.grad`` is measured; those whose ``.grad`` is ``None``
        are skipped.
    norm_type : float or str, default 2.0
        The order :math:`p` of the norm; ``float('inf')`` or ``'inf'`` for the
        largest absolute value.

    Returns
    -------
    torch.Tensor
        A 0-dim tensor on the device of the first gradient; ``tensor(0.)`` when no
        parameter has a gradient.
    """
    grads = _grads(_as_list(parameters))
    p = float(norm_type)  # accepts 'inf', like torch
    if not grads:
        return torch.tensor(0.0)
    device = grads[0].device
    # ‖g^{(i)}‖_p for every tensor, gathered on the first gradient's device
    norms = [torch.linalg.vector_norm(g, p).to(device) for g in grads]
    # ‖g‖_p = ‖(‖g^{(1)}‖_p, …, ‖g^{(n)}‖_p)‖_p
    return torch.linalg.vector_norm(torch.stack(norms), p)


@torch.no_grad()
def clip_grad_norm_(
    parameters: _TensorOrTensors,
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> torch.Tensor:
    r"""Rescale the gradients in place so that their global norm is at most ``max_norm``.

    .. math::
        g^{(i)} \leftarrow g^{(i)} \cdot \min\Bigl(1, \frac{c}{\|g\|_p + 10^{-6}}\Bigr)

    Every gradient is multiplied by the coefficient, also when it is 1 (as in
    torch, which avoids a device-to-host synchronisation for the test). A ``nan``
    or ``inf`` norm therefore spreads to every gradient unless
    ``error_if_nonfinite`` is set.

    Parameters
    ----------
    parameters : torch.Tensor or iterable of torch.Tensor
        Parameters whose ``.grad`` is clipped; those whose ``.grad`` is ``None``
        are skipped.
    max_norm : float
        The largest global norm :math:`c` allowed.
    norm_type : float or str, default 2.0
        The order :math:`p` of the norm; ``float('inf')`` or ``'inf'`` for the
        largest absolute value.
    error_if_nonfinite : bool, default False
        Raise instead of scaling when the global norm is ``nan`` or ``inf``.
    foreach : bool or None, default None
        Accepted for compatibility with torch; the result does not depend on it.

    Returns
    -------
    torch.Tensor
        The global norm :math:`\|g\|_p` *before* clipping.

    Raises
    ------
    RuntimeError
        If ``error_if_nonfinite`` is true and the global norm is not finite.
    """
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)  # a generator would be exhausted by grad_norm
    if is_generator and not parameters:
        warnings.warn(
            "`parameters` is an empty generator, no gradient clipping will occur.",
            stacklevel=3,
        )
    total_norm = grad_norm(parameters, norm_type)
    if error_if_nonfinite and not torch.isfinite(total_norm):
        raise RuntimeError(
            f"The total norm of order {float(norm_type)} for gradients from "
            "`parameters` is non-finite, so it cannot be clipped. To disable "
            "this error and scale the gradients by the non-finite norm anyway, "
            "set `error_if_nonfinite=False`"
        )
    # min(1, c / (‖g‖ + 10⁻⁶))
    coef = torch.clamp(float(max_norm) / (total_norm + 1e-6), max=1.0)
    for g in _grads(parameters):
        g.mul_(coef.to(g.device))  # g⁽ⁱ⁾ ← coef · g⁽ⁱ⁾
    return total_norm


@torch.no_grad()
def clip_grad_value_(
    parameters: _TensorOrTensors,
    clip_value: float,
    foreach: bool | None = None,
) -> None:
    r"""Clamp every gradient element in place to :math:`[-c, c]`.

    .. math::
        g_j \leftarrow \max\bigl(-c, \min(c, g_j)\bigr)

    Parameters
    ----------
    parameters : torch.Tensor or iterable of torch.Tensor
        Parameters whose ``.grad`` is clipped; those whose ``.grad`` is ``None``
        are skipped.
    clip_value : float
        The bound :math:`c`.
    foreach : bool or None, default None
        Accepted for compatibility with torch; the result does not depend on it.
    """
    c = float(clip_value)
    for g in _grads(_as_list(parameters)):
        g.clamp_(min=-c, max=c)
