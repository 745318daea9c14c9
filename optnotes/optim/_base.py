r"""What every optnotes optimizer shares: option checks, the step loop, state and plumbing.

Each optimizer module holds one algorithm, in four parts, in this order:

``<name>_step_``
    The update of one tensor, the paper's pseudo-code in torch operations: the
    code the book shows.
``<name>_foreach_``
    The same update of a list of tensors, built from ``torch._foreach_*``
    operations (the multi-tensor path, ``foreach=True``).
``<name>``
    The functional form: one call over the lists of a param group that runs
    one of the two, as ``foreach`` says.
the class
    A :class:`torch.optim.Optimizer` that validates its arguments, keeps the
    state in torch's layout and, for each param group, calls ``<name>``.

The contract between a class and its functions is torch's: in
``torch/optim/adam.py``, ``Adam.step`` gathers the group's tensors and state,
then calls ``adam(params, grads, exp_avgs, ..., beta1=..., foreach=...)``,
which runs ``_single_tensor_adam`` or ``_multi_tensor_adam``. Here a class's
:meth:`Optimizer._step_group` first prepares the state (:meth:`Optimizer._prepare_states`
creates a parameter's buffers before its first step and advances every ``step``),
then makes one call of its functional form with every argument named.
labml.ai's template (``init_state(state, group, param)`` then
``step_param(state, group, grad, param)``, once per parameter) reads as well
for one path, but the multi-tensor path needs the whole group at once: the
template would need a second method, and the hyper-parameters would be read
out of the group twice. Torch's call serves both paths with one list of
keywords, makes the functions usable without the class, and lets a reader put
our files beside torch's. Its keywords are checked by Python: the update
functions take their hyper-parameters keyword-only and without defaults, so a
misspelt or forgotten one is a ``TypeError``, not a wrong number.

The multi-tensor plumbing lives here too, once: splitting lists by device and
dtype (:func:`by_device_and_dtype`), the ascent and L2 prologue
(:func:`ascent_and_l2`), torch's rule for the default path, and with them every
import from torch's private API.
"""

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import torch
from torch import Tensor
from torch.optim.optimizer import _default_to_fused_or_foreach

#: Options of ``torch.optim`` that select an implementation rather than an
#: algorithm and that optnotes does not have: each may be left at its default
#: and nothing else.
UNSUPPORTED_OPTIONS = {
    "fused": "the fused kernels",
    "capturable": "CUDA-graph capture",
    "differentiable": "differentiating through the step",
}


def check(condition: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``condition`` holds (torch's wording)."""
    if not condition:
        raise ValueError(message)


def check_lr(lr: float | Tensor) -> None:
    """Validate a learning rate the way every ``torch.optim`` class does."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    check(lr >= 0.0, f"Invalid learning rate: {lr}")


def check_betas(betas: tuple[float, float]) -> None:
    """Validate Adam-style ``betas`` (each in [0, 1)) with torch's messages."""
    for index, beta in enumerate(betas[:2]):
        check(0.0 <= beta < 1.0, f"Invalid beta parameter at index {index}: {beta}")


def as_float(value: float | Tensor) -> float:
    """Return a hyper-parameter as a Python number (a 1-element tensor is read out)."""
    return value.item() if isinstance(value, Tensor) else value


def zeros_like(param: Tensor) -> Tensor:
    """Return a zero buffer shaped like ``param`` (same dtype, device and memory format)."""
    return torch.zeros_like(param, memory_format=torch.preserve_format)


def new_step_counter() -> Tensor:
    """Return a fresh step count, stored as torch stores it: a 0-dim float tensor on the CPU."""
    dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    return torch.tensor(0.0, dtype=dtype)


def by_device_and_dtype(
    tensor_lists: list[list[Tensor] | None],
) -> Iterator[tuple[list[list[Tensor] | None], list[int]]]:
    """Split parallel lists of tensors into groups of one device and dtype.

    A foreach kernel needs its tensors on one device with one dtype, so every
    ``<name>_foreach_`` function works group by group (in the code, a trailing
    underscore marks one group's lists: ``params_``).

    Parameters
    ----------
    tensor_lists : list of (list of torch.Tensor or None)
        Lists of equal length, entry ``i`` of each belonging to parameter ``i``;
        a list that is ``None`` (a buffer whose option is off) stays ``None``.

    Yields
    ------
    lists : list of (list of torch.Tensor or None)
        One group's entries of each list.
    indices : list of int
        The positions of the group's members in the input lists.
    """
    grouped = torch.optim.Optimizer._group_tensors_by_device_and_dtype(
        [[] if tensors is None else tensors for tensors in tensor_lists], with_indices=True
    )
    for group_lists, indices in grouped.values():
        yield (
            [None if t is None else g for t, g in zip(tensor_lists, group_lists, strict=True)],
            indices,
        )


def ascent_and_l2(
    grads: list[Tensor], params: list[Tensor], weight_decay: float, maximize: bool
) -> list[Tensor]:
    r"""Return the gradients to step along: negated to maximize, plus the L2 term λθ.

    The multi-tensor form of the first lines of every ``<name>_step_``
    (``grad = -grad``, ``grad = grad.add(param, alpha=weight_decay)``), with
    torch's operations. The given gradients are never written: a change makes a
    new list first, which the caller may then overwrite.

    Parameters
    ----------
    grads, params : list of torch.Tensor
        The gradients :math:`g_t` and their parameters :math:`\theta`.
    weight_decay : float
        L2 penalty :math:`\lambda`.
    maximize : bool
        Ascend instead of descend.

    Returns
    -------
    list of torch.Tensor
        ``grads`` itself when nothing changes, otherwise a new list.
    """
    if maximize:
        grads = torch._foreach_neg(grads)  # g ← −g (a new list, ours to overwrite)
    if weight_decay != 0:
        if maximize:
            torch._foreach_add_(grads, params, alpha=weight_decay)  # g ← g + λθ
        else:
            grads = torch._foreach_add(grads, params, alpha=weight_decay)  # g ← g + λθ
    return grads


def as_real(tensor: Tensor | None) -> Tensor | None:
    """Return ``torch.view_as_real(tensor)`` for a dense complex tensor, else ``tensor`` itself."""
    if isinstance(tensor, Tensor) and torch.is_complex(tensor) and not tensor.is_sparse:
        return torch.view_as_real(tensor)
    return tensor


def complex_as_real(
    functional: Callable[..., Any] | None = None, *, l2_before_views: bool = False
) -> Callable[..., Any]:
    r"""Make a functional form step complex parameters as torch does: as their real views.

    A complex parameter :math:`\theta = a + ib` of shape ``S`` is, to torch's
    optimizers, the real parameter :math:`(a, b)` of shape ``(*S, 2)`` that
    ``torch.view_as_real`` shows without copying: its gradient, moments and other
    buffers are viewed the same way, and the update runs on the views. So the
    complex case reduces to the real one with each real and imaginary part a
    coordinate of its own: :math:`g^2` is :math:`(\Re g)^2` and :math:`(\Im g)^2`
    coordinate-wise, never the complex square, and :math:`\sqrt v` is real. The
    state keeps its complex dtype (the views write through).

    Applied to ``<name>(params, grads, *state_lists, foreach=..., **hyperparameters)``,
    the returned function replaces every dense complex tensor of every list argument
    by its real view before calling ``functional``; the update functions never see a
    complex tensor. (SGD does without: its update is linear with real coefficients,
    so torch steps complex tensors as they are.)

    One wrinkle, for bit-for-bit equality: the per-tensor code of torch's Adam,
    RMSprop, Adagrad, Adadelta and Adamax adds the L2 term before it takes the
    views, :math:`g \leftarrow g + \lambda\theta` in complex arithmetic, which
    rounds differently (by an ulp, now and then) from the same sum on the views.
    ``l2_before_views=True`` reproduces that order: on the per-tensor path, with a
    non-zero, non-decoupled ``weight_decay``, each complex parameter's gradient is
    negated (``maximize``) and given its L2 term in complex arithmetic first, then
    that parameter is stepped alone with ``maximize=False, weight_decay=0``. The
    multi-tensor paths of torch view first, as here.
    """
    if functional is None:
        return functools.partial(complex_as_real, l2_before_views=l2_before_views)

    def views(value: Any) -> Any:
        return [as_real(item) for item in value] if isinstance(value, list) else value

    @functools.wraps(functional)
    def on_real_views(*args: Any, foreach: bool, **kwargs: Any) -> Any:
        params, grads = args[0], args[1]
        if (
            l2_before_views
            and not foreach
            and kwargs["weight_decay"] != 0
            and not kwargs.get("decoupled_weight_decay", False)
            and any(torch.is_complex(param) for param in params)
        ):
            for i, param in enumerate(params):  # one parameter at a time

                def only_i(value: Any, i: int = i) -> Any:
                    return [value[i]] if isinstance(value, list) else value

                args_i, kwargs_i = (
                    [only_i(a) for a in args],
                    {k: only_i(v) for k, v in kwargs.items()},
                )
                if torch.is_complex(param):
                    grad = -grads[i] if kwargs["maximize"] else grads[i]
                    args_i[1] = [grad.add(param, alpha=kwargs["weight_decay"])]  # g + λθ in ℂ
                    kwargs_i.update(maximize=False, weight_decay=0)
                on_real_views(*args_i, foreach=False, **kwargs_i)
            return None
        return functional(
            *(views(arg) for arg in args),
            foreach=foreach,
            **{key: views(value) for key, value in kwargs.items()},
        )

    return on_real_views


class Optimizer(torch.optim.Optimizer):
    """Base class of the optnotes optimizers.

    It adds to :class:`torch.optim.Optimizer` the step loop every optimizer
    shares: collect each group's parameters that have a gradient, choose the
    group's path, and hand them to the subclass's :meth:`_step_group`. It also
    refuses the implementation options optnotes does not have (``fused``,
    ``capturable``, ``differentiable``) with an error naming them, wherever they
    come from (constructor, a param group, a loaded ``state_dict``).

    A subclass implements :meth:`_step_group` and, when it keeps state with a
    step count, :meth:`_init_state`. Complex parameters and sparse gradients are
    refused unless the subclass says it handles them, as torch's twin does
    (:attr:`supports_complex`, :attr:`supports_sparse_grads`).
    """

    #: Whether the class steps complex parameters, each as its real view, as torch does
    #: (``complex_as_real`` in ``optnotes.optim._base`` says how).
    supports_complex: ClassVar[bool] = False
    #: Accepts sparse COO gradients (torch's SGD and Adagrad do).
    supports_sparse_grads: ClassVar[bool] = False

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a param group after checking it asks for nothing we do not implement.

        Parameters
        ----------
        param_group : dict
            The parameters (key ``"params"``) and their hyper-parameters.
        """
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        self._check_options(group)
        for param in group["params"]:
            if torch.is_complex(param) and not self.supports_complex:
                raise TypeError(
                    f"optnotes.optim.{type(self).__name__} does not support complex parameters; "
                    f"use torch.optim.{type(self).__name__}"
                )

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict`` written by this class or by its ``torch.optim`` twin.

        Parameters
        ----------
        state_dict : dict
            As returned by ``state_dict()``; the layout is torch's.
        """
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            self._check_options(group)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        # Checkpoints from older torch versions may lack newer options or store the
        # step as a number; fill and convert them as torch's classes do. Only the
        # class's own options: torch's base class adds "differentiable" to the
        # defaults on loading, an option some optimizers (Muon, L-BFGS) do not have.
        options = self.defaults.keys() & inspect.signature(type(self)).parameters.keys()
        for group in self.param_groups:
            for key in options:
                group.setdefault(key, self.defaults[key])
        for param_state in self.state.values():
            if "step" in param_state and not torch.is_tensor(param_state["step"]):
                param_state["step"] = new_step_counter().fill_(float(param_state["step"]))

    def _check_options(self, group: dict[str, Any]) -> None:
        for option, what in UNSUPPORTED_OPTIONS.items():
            if group.get(option):
                raise ValueError(
                    f"optnotes.optim.{type(self).__name__} does not implement {option}=True "
                    f"({what}); leave {option} at its default or use "
                    f"torch.optim.{type(self).__name__}"
                )

    @torch.no_grad()
    def step(self, closure=None):
        """Perform a single optimization step.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss.

        Returns
        -------
        torch.Tensor or None
            The loss returned by ``closure``, if one was given.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [param for param in group["params"] if param.grad is not None]
            if not params:
                continue
            grads = [param.grad for param in params]
            if not self.supports_sparse_grads and any(grad.is_sparse for grad in grads):
                raise RuntimeError(
                    f"optnotes.optim.{type(self).__name__} does not support sparse gradients"
                )
            self._step_group(group, params, grads, foreach=self._use_foreach(group, params))
        return loss

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        """Update the parameters of one group that have a gradient.

        Prepare their state, then call the functional form of the algorithm
        with every argument by keyword and ``foreach=foreach``.
        """
        raise NotImplementedError

    def _use_foreach(self, group: dict[str, Any], params: list[Tensor]) -> bool:
        """Whether ``group`` takes the multi-tensor path.

        ``foreach=True`` or ``False`` decides; ``None`` follows torch's rule
        (``torch.optim.optimizer._default_to_fused_or_foreach``): multi-tensor
        when every parameter is a plain tensor on a device with foreach kernels
        (CUDA, XPU, ...), so never on the CPU.
        """
        if group["foreach"] is not None:
            return group["foreach"]
        return _default_to_fused_or_foreach(params, differentiable=False, use_fused=False)[1]

    def _prepare_states(self, group: dict[str, Any], params: list[Tensor]) -> list[dict[str, Any]]:
        """Return the state of each param: created before its first step, step count advanced."""
        states = [self.state[param] for param in params]
        for param, state in zip(params, states, strict=True):
            if not state:
                state.update(self._init_state(group, param))
        # t ← t + 1 for all at once; torch's trick: a tensor 1 is not re-wrapped per step
        torch._foreach_add_([state["step"] for state in states], torch.tensor(1.0), alpha=1.0)
        return states

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        """Return the state of ``param`` before its first step (a ``step`` count and buffers)."""
        raise NotImplementedError
