"""One run of an optimizer on the check's problem, with the traps that catch hidden bugs.

A run constructs the optimizer on the parameters of a
:class:`~optnotes.grading.problem.Quadratics` problem in two param groups, takes
``steps`` steps and keeps the parameters after each. Each of its traps is a situation in
which a wrong optimizer can agree with the reference on a plain run and still be wrong
(:class:`Protocol` switches them, so that the diagnosis can find out which one a
difference depends on):

- the learning rates change twice during the run, as under a scheduler;
- the second param group has half the first group's learning rate;
- one parameter has no gradient in every third step (its own step count falls behind);
- gradients are zeroed in place between steps, as ``zero_grad(set_to_none=False)``
  does, so a buffer that aliases ``.grad`` changes under the optimizer;
- halfway through, the optimizer is rebuilt from its ``state_dict()``, as when training
  resumes from a checkpoint;
- every step must leave ``.grad`` as it was, and every state tensor of a parameter's
  shape must have the parameter's dtype and device (:func:`device_problem` runs the
  optimizer on the ``meta`` device to see where it creates its state).

A reference whose ``step`` requires a closure (:data:`CLOSURE_DRIVEN`: LBFGS) runs on
one param group, and each step is ``optimizer.step(closure)``, the closure zeroing the
gradients, evaluating the loss, back-propagating and returning the loss; the gradients
are then the optimizer's to set, so neither the missing gradient nor ``.grad`` being
left alone is checked.
"""

import copy
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from optnotes.grading.problem import (
    FIRST_OF_GROUP_1,
    UNUSED,
    Quadratics,
    has_gradient,
    lr_factor,
)

__all__ = [
    "AVERAGE",
    "CLOSURE_DRIVEN",
    "FULL",
    "OBSERVED_STATE",
    "TRAIN_EVAL",
    "TRAPS",
    "MissingMethodsError",
    "Protocol",
    "Run",
    "closure_protocol",
    "default_lr",
    "device_problem",
    "needs_train_eval",
    "observed_state",
    "run_optimizer",
]

OBSERVED_STATE = {"ASGD": ("ax",)}
"""State that is the optimizer's output, by reference name, compared as the parameters are.

ASGD's parameters are the plain SGD iterates; its result, the average of the iterates,
is ``state[p]["ax"]``, which nothing else would check."""


UPDATE_PRECISION = {"Muon": torch.bfloat16}
"""The precision a reference computes its update in, where it is below the parameters'."""


CLOSURE_DRIVEN = ("LBFGS",)
"""Names of the references whose ``step`` requires a closure (torch's
``step_requires_closure``); they run on one param group, each step re-evaluating the loss."""


TRAIN_EVAL = ("AdamWScheduleFree", "SGDScheduleFree")
"""Names of the references whose parameters hold the training point in train mode and the
average in eval mode, switched with ``train()`` and ``eval()`` (the Schedule-Free ones,
``optnotes.optim``'s and ``schedulefree``'s)."""

AVERAGE = "eval()"
"""The key in ``Run.observed`` (:class:`Run`) of the parameters after ``eval()``
(:data:`TRAIN_EVAL`)."""


class MissingMethodsError(TypeError):
    """The optimizer lacks methods the reference's protocol calls (``train()``, ``eval()``)."""


def needs_train_eval(reference_cls: type) -> bool:
    """Whether a reference (or a subclass of one) is in :data:`TRAIN_EVAL`."""
    return any(klass.__name__ in TRAIN_EVAL for klass in reference_cls.__mro__)


def needs_closure(reference_cls: type) -> bool:
    """Whether a reference (or a subclass of one) is in :data:`CLOSURE_DRIVEN`."""
    return any(klass.__name__ in CLOSURE_DRIVEN for klass in reference_cls.__mro__)


def closure_protocol(protocol: "Protocol") -> "Protocol":
    """Return ``protocol`` for a closure-driven reference.

    One param group, every gradient set by the closure (no parameter without a gradient
    in some steps).
    """
    return replace(protocol, closure=True, group_lr_ratio=1.0, intermittent=False)


def update_eps(reference_cls: type) -> float:
    """Return the unit of the precision of a reference's update (0: the parameters')."""
    for klass in reference_cls.__mro__:
        if klass.__name__ in UPDATE_PRECISION:
            return torch.finfo(UPDATE_PRECISION[klass.__name__]).eps
    return 0.0


def observed_state(reference_cls: type) -> tuple[str, ...]:
    """Return the state keys compared for a reference class (or a subclass of one)."""
    for klass in reference_cls.__mro__:
        if klass.__name__ in OBSERVED_STATE:
            return OBSERVED_STATE[klass.__name__]
    return ()


@dataclass(frozen=True)
class Protocol:
    """Which traps a run sets, and the round-off it adds on purpose.

    Parameters
    ----------
    lr_changes : bool
        Change the learning rates during the run (see
        :func:`~optnotes.grading.problem.lr_factor`).
    resume : bool
        Rebuild the optimizer from its ``state_dict()`` halfway through.
    intermittent : bool
        Leave one parameter without a gradient in every third step.
    grads_in_place : bool
        Zero the gradients in place before each backward pass, as
        ``optimizer.zero_grad(set_to_none=False)`` does, instead of setting them to
        ``None``: a buffer that is the gradient tensor itself, not a copy, changes.
    group_lr_ratio : float
        The second param group's learning rate over the first's.
    roundoff : float
        When positive, after every step each parameter element is moved by this
        many units in the last place of its dtype (of its value plus its update), with
        a random sign: a run of the same algorithm that rounds differently.
    roundoff_seed : int
        Seed of those random signs.
    update_eps : float
        Where the reference computes its update in a lower precision (Muon's bfloat16
        Newton-Schulz iteration), the unit of that precision: the added round-off then
        also moves each element by ``roundoff`` times this unit of its update.
    closure : bool
        Step with ``optimizer.step(closure)`` on one param group, the closure setting
        the gradients (see :data:`CLOSURE_DRIVEN`), instead of setting them before a
        plain ``step()``.
    train_eval : bool
        Call ``train()`` before the first step, keep the parameters after ``eval()`` too
        after every step, and save the checkpoint in eval mode (see :data:`TRAIN_EVAL`).
    """

    lr_changes: bool = True
    resume: bool = True
    intermittent: bool = True
    grads_in_place: bool = True
    group_lr_ratio: float = 0.5
    roundoff: float = 0.0
    roundoff_seed: int = 0
    update_eps: float = 0.0
    closure: bool = False
    train_eval: bool = False

    def without(self, trap: str) -> "Protocol":
        """Return the same protocol with one trap switched off (``"group_lr_ratio"`` → 1)."""
        return replace(self, **{trap: 1.0 if trap == "group_lr_ratio" else False})


FULL = Protocol()
"""The protocol of the check, with every trap set and no added round-off."""

TRAPS = ("lr_changes", "group_lr_ratio", "intermittent", "grads_in_place", "resume")
"""The traps, in the order the diagnosis tries switching them off."""


@dataclass
class Run:
    """What happened in one run.

    Parameters
    ----------
    snapshots : list of list of torch.Tensor
        The parameters before the first step and after each step, followed by the
        observed state of each parameter (``observed`` of :func:`run_optimizer`, NaN
        where the optimizer keeps none).
    hyperparameters : dict
        The optimizer's first param group, without ``params``.
    error : Exception or None
        What the optimizer raised, if it did.
    error_when : str
        Where it raised: ``"in the constructor"``, ``"in step 3"``, ...
    grad_changed : tuple of (int, int) or None
        The first ``(step, parameter)`` whose ``.grad`` the step changed.
    state_problem : str or None
        The first state tensor with another dtype than its parameter's.
    observed : tuple of str
        The state keys whose values follow the parameters in each snapshot, key by key,
        then :data:`AVERAGE` where the parameters after ``eval()`` follow too.
    """

    snapshots: list[list[torch.Tensor]] = field(default_factory=list)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    error: Exception | None = None
    error_when: str = ""
    grad_changed: tuple[int, int] | None = None
    state_problem: str | None = None
    observed: tuple[str, ...] = ()


def default_lr(cls: type) -> float:
    """Return the default ``lr`` of an optimizer class (1e-3 if its signature has none)."""
    try:
        parameter = inspect.signature(cls).parameters.get("lr")
    except (TypeError, ValueError):
        return 1e-3
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return 1e-3
    return float(parameter.default)


def run_optimizer(
    cls: type,
    setting: Mapping[str, Any],
    problem: Quadratics,
    steps: int,
    lr: float,
    protocol: Protocol = FULL,
    observed: tuple[str, ...] = (),
) -> Run:
    """Run an optimizer on ``problem`` for ``steps`` steps under ``protocol``.

    Parameters
    ----------
    cls : type
        The optimizer class, constructed as ``cls(param_groups, **setting)``.
    setting : dict
        Its hyper-parameters.
    problem : Quadratics
        The problem, in the precision of the run.
    steps : int
        Number of steps.
    lr : float
        The first group's learning rate at the start (the setting's, or the default).
    protocol : Protocol
        Which traps to set.
    observed : tuple of str
        State keys to keep after every step with the parameters, key by key, each for
        every parameter (see :data:`OBSERVED_STATE`).

    Returns
    -------
    Run
        The parameters after every step, and anything that went wrong. Errors of the
        optimizer are caught and recorded, never raised.
    """
    params = problem.parameters()
    run = Run(
        snapshots=[_snapshot(None, params, observed, protocol)],
        observed=observed + ((AVERAGE,) if protocol.train_eval else ()),
    )
    base_lrs = [lr, lr * protocol.group_lr_ratio]
    signs = torch.Generator().manual_seed(protocol.roundoff_seed)
    resume_after = steps // 2 if protocol.resume and steps >= 2 else None
    optimizer = None
    step = 0
    try:
        optimizer = cls(_groups(params, base_lrs, protocol.closure), **setting)
        run.hyperparameters = {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}
        if protocol.train_eval:
            run.error_when = "before the first step"
            _require_train_eval(optimizer)
            optimizer.train()
            run.error_when = ""
        for step in range(1, steps + 1):
            if step - 1 == resume_after:
                if protocol.train_eval:
                    optimizer.eval()  # a checkpoint is saved in eval mode: the average
                params[:] = [p.detach().clone().requires_grad_(True) for p in params]
                optimizer = _resumed(cls, setting, params, base_lrs, optimizer, run, protocol)
                if protocol.train_eval:
                    optimizer.train()
            factor = lr_factor(step, steps) if protocol.lr_changes else 1.0
            for group, base in zip(optimizer.param_groups, base_lrs, strict=not protocol.closure):
                group["lr"] = base * factor
            if protocol.closure:
                optimizer.step(_closure(problem, params, protocol, signs))
            else:
                _set_gradients(problem, params, step, protocol)
                before = [None if p.grad is None else p.grad.clone() for p in params]
                optimizer.step()
                if run.grad_changed is None:
                    run.grad_changed = _changed_gradient(params, before, step)
            if protocol.roundoff:
                _add_roundoff(
                    params, run.snapshots[-1], protocol.roundoff, signs, protocol.update_eps
                )
            run.snapshots.append(_snapshot(optimizer, params, observed, protocol))
    except Exception as error:  # the student's code may fail in any way; report it
        run.error = error
        if optimizer is None:
            run.error_when = "in the constructor"
        elif run.error_when == "":
            run.error_when = f"in step {step}"
        return run
    run.state_problem = _state_dtype_problem(optimizer, params)
    return run


def device_problem(
    cls: type,
    setting: Mapping[str, Any],
    lr: float,
    shapes: tuple[tuple[int, ...], ...] = ((5,), (3, 4)),
    train_eval: bool = False,
) -> str | None:
    """Run two steps on the ``meta`` device; say what the optimizer did on another device.

    Parameters on ``meta`` have shapes and dtypes but no values, so any tensor the
    optimizer creates without ``device=param.device`` (``torch.zeros(param.shape)``)
    lands on the CPU: combining it with a parameter raises, and keeping it as state is
    seen. The check needs no GPU.

    Parameters
    ----------
    cls : type
        The optimizer class.
    setting : dict
        Its hyper-parameters.
    lr : float
        The learning rate.
    shapes : tuple of tuple of int
        Shapes of the parameters.
    train_eval : bool
        Call ``train()`` before the steps (see :data:`TRAIN_EVAL`).

    Returns
    -------
    str or None
        What went wrong, or ``None`` if the optimizer kept to the parameters' device
        (or cannot run on ``meta`` at all for other reasons, as ``.item()`` cannot).
    """
    params = [
        torch.empty(shape, dtype=torch.float64, device="meta", requires_grad=True)
        for shape in shapes
    ]
    try:
        optimizer = cls([{"params": params, "lr": lr}], **setting)
        if train_eval:
            optimizer.train()
        for _ in range(2):
            for param in params:
                param.grad = torch.empty_like(param)
            optimizer.step()
    except Exception as error:  # the student's code may fail in any way; report it
        if "device" in str(error) and "meta tensors" not in str(error):
            return (
                "with parameters on another device ('meta', as on a GPU) it raised "
                f"{type(error).__name__}: {error}"
            )
        return None
    for position, param in enumerate(params):
        for key, value in optimizer.state[param].items():
            if (
                torch.is_tensor(value)
                and value.shape == param.shape
                and value.device.type != "meta"
            ):
                return (
                    f"state[{key!r}] of a parameter on device 'meta' is on {value.device.type!r}"
                    f" (param {position})"
                )
    return None


def _snapshot(
    optimizer: torch.optim.Optimizer | None,
    params: list[torch.Tensor],
    observed: tuple[str, ...],
    protocol: Protocol,
) -> list[torch.Tensor]:
    """Return the parameters, the observed state and, under ``train_eval``, the average.

    The average is the parameters after ``eval()``; ``train()`` puts the training point
    back. Before the optimizer exists (or steps) the two are the same.
    """
    values = _values(params) + _observed(optimizer, params, observed)
    if not protocol.train_eval:
        return values
    if optimizer is None:
        return values + _values(params)
    optimizer.eval()
    average = _values(params)
    optimizer.train()
    return values + average


def _require_train_eval(optimizer: torch.optim.Optimizer) -> None:
    """Raise :class:`MissingMethodsError` unless ``optimizer`` has ``train()`` and ``eval()``."""
    missing = [name for name in ("train", "eval") if not callable(getattr(optimizer, name, None))]
    if missing:
        methods = " and ".join(f"{name}()" for name in missing)
        raise MissingMethodsError(
            f"your optimizer has no {methods}: a Schedule-Free optimizer needs train() and "
            "eval() to switch the parameters between the point where gradients are taken "
            "(train mode) and the average it returns (eval mode); the check calls train() "
            "before the first step and eval() after every step"
        )


def _observed(
    optimizer: torch.optim.Optimizer | None, params: list[torch.Tensor], keys: tuple[str, ...]
) -> list[torch.Tensor]:
    """Return ``state[p][key]`` for every key and parameter, NaN where there is none."""
    values = []
    for key in keys:
        for param in params:
            state = {} if optimizer is None else optimizer.state.get(param, {})
            value = state.get(key)
            if torch.is_tensor(value) and value.shape == param.shape:
                values.append(value.detach().clone().to(param.dtype))
            else:
                values.append(torch.full_like(param.detach(), math.nan))
    return values


def _groups(
    params: list[torch.Tensor], lrs: list[float], single: bool = False
) -> list[dict[str, Any]]:
    if single:
        return [{"params": params, "lr": lrs[0]}]
    return [
        {"params": params[:FIRST_OF_GROUP_1], "lr": lrs[0]},
        {"params": params[FIRST_OF_GROUP_1:], "lr": lrs[1]},
    ]


def _values(params: list[torch.Tensor]) -> list[torch.Tensor]:
    return [p.detach().clone() for p in params]


def _resumed(
    cls: type,
    setting: Mapping[str, Any],
    params: list[torch.Tensor],
    lrs: list[float],
    optimizer: torch.optim.Optimizer,
    run: Run,
    protocol: Protocol = FULL,
) -> torch.optim.Optimizer:
    """Return a new optimizer on ``params`` that continues from ``optimizer``'s state."""
    run.error_when = "when resuming from state_dict()"
    saved = copy.deepcopy(optimizer.state_dict())
    resumed = cls(_groups(params, lrs, protocol.closure), **setting)
    resumed.load_state_dict(saved)
    run.error_when = ""
    return resumed


def _closure(
    problem: Quadratics,
    params: list[torch.Tensor],
    protocol: Protocol,
    signs: torch.Generator,
) -> Callable[[], torch.Tensor]:
    """Return the closure of a step: zero the gradients, evaluate the loss, backward.

    With ``protocol.roundoff``, each gradient element also moves by that many units in
    the last place, with a random sign: the optimizer iterates within a step, and the
    round-off of each iteration shows in the next one's gradient.
    """

    def closure() -> torch.Tensor:
        for param in params:
            if protocol.grads_in_place and param.grad is not None:
                param.grad.zero_()
            else:
                param.grad = None
        with torch.enable_grad():
            loss = problem.loss(params)
            loss.backward()
        if protocol.roundoff:
            for param in params:
                if param.grad is not None:
                    eps = torch.finfo(param.dtype).eps
                    sign = torch.randint(0, 2, param.shape, generator=signs).to(param.dtype)
                    param.grad.add_((sign * 2 - 1) * protocol.roundoff * eps * param.grad.abs())
        return loss

    return closure


@torch.no_grad()
def _set_gradients(
    problem: Quadratics, params: list[torch.Tensor], step: int, protocol: Protocol
) -> None:
    for position, param in enumerate(params):
        if position == UNUSED or (protocol.intermittent and not has_gradient(position, step)):
            param.grad = None
            continue
        gradient = problem.gradient(position, param)
        if protocol.grads_in_place and param.grad is not None:
            param.grad.zero_().add_(gradient)  # as zero_grad(set_to_none=False), backward()
        else:
            param.grad = gradient


def _changed_gradient(
    params: list[torch.Tensor], before: list[torch.Tensor | None], step: int
) -> tuple[int, int] | None:
    for position, (param, grad) in enumerate(zip(params, before, strict=True)):
        if grad is None:
            continue
        after = param.grad
        if after is None or after.shape != grad.shape:
            return step, position
        same = (after == grad) | (after.isnan() & grad.isnan())
        if not bool(same.all()):
            return step, position
    return None


@torch.no_grad()
def _add_roundoff(
    params: list[torch.Tensor],
    previous: list[torch.Tensor],
    ulps: float,
    signs: torch.Generator,
    update_eps: float = 0.0,
) -> None:
    for param, before in zip(params, previous[: len(params)], strict=True):
        eps = torch.finfo(param.dtype).eps
        sign = torch.randint(0, 2, param.shape, generator=signs).to(param.dtype) * 2 - 1
        update = (param - before).abs()
        param.add_(sign * ulps * (eps * (param.abs() + update) + update_eps * update))


def _state_dtype_problem(
    optimizer: torch.optim.Optimizer, params: list[torch.Tensor]
) -> str | None:
    for position, param in enumerate(params):
        for key, value in optimizer.state.get(param, {}).items():
            if (
                torch.is_tensor(value)
                and value.shape == param.shape
                and value.numel() > 1
                and value.dtype != param.dtype
            ):
                return (
                    f"state[{key!r}] of param {position} is {value.dtype}, "
                    f"the parameter {param.dtype}"
                )
    return None
