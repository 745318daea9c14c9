r"""Advice for what the diagnosis finds, and the first steps that typical mistakes take.

A hint is given only when the evidence singles out its cause (see
:mod:`~optnotes.grading.diagnosis`): a trap or a hyper-parameter whose switching off makes
the difference disappear, an argument whose value makes no difference, or a first step
that equals, on every element and in two settings of the hyper-parameters, the first step
of exactly one known mistake. :data:`FIRST_STEPS` holds those first steps: for each
algorithm, its correct first update and the updates of its classic mistakes, computed
from the gradient :math:`g` at the starting point :math:`\theta` (every state starts at
zero, :math:`t = 1`). Advice points to the place to look, in one or two sentences.
"""

from collections.abc import Callable, Mapping
from typing import Any

import torch

__all__ = [
    "ADVICE",
    "FIRST_STEPS",
    "PROBE",
    "SWITCH_OFF",
    "error_hints",
    "family_of",
    "ignored_argument_advice",
    "switch_off_advice",
]

FAMILIES = {"SGD", "Adam", "RMSprop", "Adagrad", "Adadelta"}
"""Algorithms the hints know; ``AdamW`` belongs to ``Adam``."""

ADVICE = {
    "bias_correction": (
        "Bias correction is missing: m and v start at zero, so Adam divides them by "
        "(1 - β1^t) and (1 - β2^t), with t counting steps from 1."
    ),
    "bias_correction_m": "The first moment is not bias-corrected: m̂ = m / (1 - β1^t).",
    "bias_correction_v": "The second moment is not bias-corrected: v̂ = v / (1 - β2^t).",
    "v_uses_beta1": (
        "The second moment's running mean uses β2, the first moment's β1: v ← β2·v + (1 - β2)·g²."
    ),
    "rmsprop_bias_correction": (
        "RMSprop has no bias correction: divide by √v + ε, v the plain running mean of g²."
    ),
    "sign": (
        "The step goes the wrong way: θ ← θ - η·(update) descends; "
        "maximize=True negates the gradient first."
    ),
    "dampening": (
        "The first momentum step is buf = g, without dampening; "
        "only later steps use buf ← μ·buf + (1 - dampening)·g."
    ),
    "nesterov": "With nesterov=True, step along g + μ·buf (after updating buf), not along buf.",
    "momentum": "Check the momentum buffer: how it starts, how it is updated, what it multiplies.",
    "lr_decay": (
        "Adagrad's step size is η / (1 + (t - 1)·lr_decay) with t counting from 1: "
        "the first step is not decayed."
    ),
    "weight_decay": "Weight decay is added to the gradient first, g ← g + λθ, before the rest.",
    "l2_weight_decay": (
        "Adam's weight_decay is an L2 penalty: add λθ to the gradient before updating the moments "
        "(shrinking θ by (1 - ηλ) directly is AdamW's decoupled decay)."
    ),
    "decoupled_weight_decay": (
        "AdamW decouples weight decay: multiply θ by (1 - ηλ) before the Adam step and leave "
        "the gradient alone (adding λθ to the gradient is Adam's L2 penalty)."
    ),
    "eps": "Check where ε goes: inside or outside the square root, before or after correction.",
    "eps_Adam": "ε goes outside the square root, after bias correction: η·m̂ / (√v̂ + ε).",
    "eps_RMSprop": "ε goes outside the square root: g / (√v + ε).",
    "eps_Adagrad": "ε goes outside the square root: g / (√sum + ε).",
    "eps_Adadelta": "Adadelta puts ε inside both square roots: √(u + ε) / √(v + ε) · g.",
    "adadelta_swapped": (
        "Adadelta's update is √(u + ε) / √(v + ε) · g: the running mean u of squared "
        "updates goes above, the running mean v of squared gradients below."
    ),
    "amsgrad": (
        "AMSGrad keeps the running maximum of v (before bias correction) and divides "
        "by the square root of that maximum."
    ),
    "centered": "Centered RMSprop divides by √(v - ḡ²) + ε, ḡ the running mean of the gradient.",
    "maximize": "maximize=True negates the gradient before anything else happens.",
    "initial_accumulator_value": "Adagrad's sum of squares starts at initial_accumulator_value.",
    "param_groups": (
        "Your optimizer agrees only when every param group has the same learning rate all "
        "along: read hyper-parameters from each group (group['lr']) in every step, not from "
        "self.defaults or the constructor's arguments."
    ),
    "lr_changes": (
        "Your optimizer agrees while the learning rate stays constant and differs once it "
        "changes, as a scheduler changes it: read group['lr'] in every step and use it for "
        "that step's update only (do not fold it into a buffer or keep it in the state)."
    ),
    "intermittent": (
        "Your optimizer agrees when every parameter has a gradient in every step: a "
        "parameter whose .grad is None takes no step, so its step count must not advance "
        "(keep t in that parameter's own state, not one counter for all)."
    ),
    "grads_in_place": (
        "Your optimizer agrees when every step gets a new .grad tensor and differs when the "
        "gradients are zeroed in place (optimizer.zero_grad(set_to_none=False)): a buffer "
        "that starts as the gradient must be a copy, grad.clone()."
    ),
    "no_grad_no_step": (
        "A parameter whose .grad is None takes no part in the step: no weight decay, no "
        "momentum, no change to its state."
    ),
    "resume": (
        "Your optimizer agrees on an uninterrupted run and differs after it is rebuilt from "
        "its state_dict(): keep everything a parameter needs between steps in "
        "self.state[param] (the skeleton's `state`), which state_dict() saves."
    ),
    "grad_in_place": (
        "step() must leave .grad as it is (the caller may still use it): compute "
        "grad + λ·param into a new tensor, e.g. grad = grad.add(param, alpha=λ), "
        "not grad.add_(...)."
    ),
    "state_like_param": (
        "Create state with torch.zeros_like(param) (or dtype=param.dtype, "
        "device=param.device): state in another dtype rounds differently, and state on "
        "the CPU fails for a parameter on a GPU."
    ),
    "none_grad": "Skip parameters whose .grad is None: they took no part in the loss.",
    "scheduler_lags": (
        "Your learning rates lag one step behind: constructing a scheduler already performs "
        "step 0, so the first value is the epoch-0 learning rate."
    ),
    "scheduler_leads": (
        "Your learning rates are one step ahead: the value after construction belongs to "
        "epoch 0, and each step() then advances one epoch."
    ),
    "scheduler_groups": (
        "Only the second param group differs: compute each group's learning rate from its "
        "own starting value (group['initial_lr']), not from one shared number."
    ),
    "clip_returns_norm": "Return the total norm before clipping, not after.",
    "clip_no_op": (
        "When the total norm is below max_norm the gradients stay as they are: the scale "
        "factor max_norm / (norm + 1e-6) is clamped at 1."
    ),
    "clip_norm_type": (
        "The total norm is the p-norm of the per-tensor p-norms (the largest absolute "
        "value for norm_type=inf)."
    ),
    "clip_per_tensor": (
        "Clip by the norm of all gradients together and scale every gradient by the same "
        "factor; clipping each tensor by its own norm turns the direction of the step."
    ),
    "clip_sum_of_norms": (
        "The total norm is the p-norm of the vector of per-tensor norms, (Σ‖g_i‖^p)^(1/p), "
        "not their sum."
    ),
}
"""Advice by key, each one sentence or two."""

SWITCH_OFF = {
    "weight_decay": {"weight_decay": 0.0},
    "eps": {"eps": 0.0},
    "dampening": {"dampening": 0.0},
    "nesterov": {"nesterov": False},
    "lr_decay": {"lr_decay": 0.0},
    "amsgrad": {"amsgrad": False},
    "centered": {"centered": False},
    "maximize": {"maximize": False},
    "initial_accumulator_value": {"initial_accumulator_value": 0.0},
    "momentum": {"momentum": 0.0, "dampening": 0.0, "nesterov": False},
}
"""Hyper-parameters, most specific first, and the settings that switch each one off."""

PROBE = {
    "betas": (0.7, 0.95),
    "alpha": 0.9,
    "rho": 0.7,
    "momentum": 0.5,
    "dampening": 0.3,
    "lr_decay": 0.3,
    "initial_accumulator_value": 0.3,
}
"""Other values of the hyper-parameters that shape a first step, to confirm a mistake in a
second setting (zero or absent ones stay so: switching them on changes the algorithm)."""

Update = Callable[[torch.Tensor, torch.Tensor, float, Mapping[str, Any]], torch.Tensor]
"""A first update ``Δθ = f(g, θ, lr, hyper-parameters)``."""


def _gradient(g: torch.Tensor, theta: torch.Tensor, h: Mapping[str, Any], l2: bool = True):
    """Return the gradient the algorithm works with: negated to maximize, plus the L2 term."""
    g = -g if h.get("maximize", False) else g
    return g + h.get("weight_decay", 0.0) * theta if l2 else g


def _sgd(g, theta, lr, h, *, first=1.0, nesterov=None):
    g = _gradient(g, theta, h)
    momentum = h["momentum"]
    if not momentum:
        return -lr * g
    buf = first * g  # buf₁ = g, undampened
    nesterov = h["nesterov"] if nesterov is None else nesterov
    return -lr * (g + momentum * buf if nesterov else buf)


def _adam(g, theta, lr, h, *, m=1.0, v=1.0, eps_inside=False, decoupled=None):
    decoupled = h.get("decoupled_weight_decay", False) if decoupled is None else decoupled
    g = _gradient(g, theta, h, l2=not decoupled)
    m_hat, v_hat = m * g, v * g * g  # m₁/(1-β1) = g, v₁/(1-β2) = g², times a mistake
    denominator = (v_hat + h["eps"]).sqrt() if eps_inside else v_hat.sqrt() + h["eps"]
    shrink = -lr * h["weight_decay"] * theta if decoupled else 0.0
    return shrink - lr * m_hat / denominator


def _rmsprop(g, theta, lr, h, *, v=1.0, eps_inside=False, centered=None):
    g = _gradient(g, theta, h)
    alpha = h["alpha"]
    square_avg = v * (1 - alpha) * g * g  # v₁ = (1-α)·g²
    if h["centered"] if centered is None else centered:
        square_avg = square_avg - ((1 - alpha) * g) ** 2  # ḡ₁ = (1-α)·g
    denominator = (square_avg + h["eps"]).sqrt() if eps_inside else square_avg.sqrt() + h["eps"]
    return -lr * g / denominator  # with momentum, buf₁ = g / denominator as well


def _adagrad(g, theta, lr, h, *, decayed=False, eps_inside=False):
    g = _gradient(g, theta, h)
    total = h["initial_accumulator_value"] + g * g
    step_size = lr / (1 + h["lr_decay"]) if decayed else lr  # η / (1 + (t-1)·lr_decay)
    denominator = (total + h["eps"]).sqrt() if eps_inside else total.sqrt() + h["eps"]
    return -step_size * g / denominator


def _adadelta(g, theta, lr, h, *, swapped=False, eps_outside=False):
    g = _gradient(g, theta, h)
    rho, eps = h["rho"], h["eps"]
    square_avg = (1 - rho) * g * g  # v₁ = (1-ρ)·g²; u₀ = 0
    if eps_outside:
        return -lr * eps / (square_avg.sqrt() + eps) * g
    above, below = torch.full_like(g, eps).sqrt(), (square_avg + eps).sqrt()
    if swapped:
        above, below = below, above
    return -lr * above / below * g


def _negated(update: Update) -> Update:
    return lambda g, theta, lr, h: -update(g, theta, lr, h)


def _mistake(update: Update, **mistake: Any) -> Update:
    return lambda g, theta, lr, h: update(g, theta, lr, h, **mistake)


def _beta(which: int, update: Update, name: str) -> Update:
    """Return a mistake whose size is 1 - β1 (``which=0``) or 1 - β2 (``which=1``)."""
    return lambda g, theta, lr, h: update(g, theta, lr, h, **{name: 1 - h["betas"][which]})


FIRST_STEPS: dict[str, tuple[Update, dict[str, tuple[Update, Callable[..., bool]]]]] = {
    "SGD": (
        _sgd,
        {
            "dampening": (
                lambda g, t, lr, h: _sgd(g, t, lr, h, first=1 - h["dampening"]),
                lambda h: bool(h["momentum"] and h["dampening"]),
            ),
            "nesterov": (_mistake(_sgd, nesterov=False), lambda h: bool(h["nesterov"])),
            "sign": (_negated(_sgd), lambda h: True),
        },
    ),
    "Adam": (
        _adam,
        {
            "bias_correction": (
                lambda g, t, lr, h: _adam(g, t, lr, h, m=1 - h["betas"][0], v=1 - h["betas"][1]),
                lambda h: True,
            ),
            "bias_correction_m": (_beta(0, _adam, "m"), lambda h: True),
            "bias_correction_v": (_beta(1, _adam, "v"), lambda h: True),
            "v_uses_beta1": (
                lambda g, t, lr, h: _adam(g, t, lr, h, v=(1 - h["betas"][0]) / (1 - h["betas"][1])),
                lambda h: True,
            ),
            "eps_Adam": (_mistake(_adam, eps_inside=True), lambda h: True),
            "l2_weight_decay": (
                _mistake(_adam, decoupled=True),
                lambda h: bool(h["weight_decay"]) and not h.get("decoupled_weight_decay"),
            ),
            "decoupled_weight_decay": (
                _mistake(_adam, decoupled=False),
                lambda h: bool(h["weight_decay"]) and bool(h.get("decoupled_weight_decay")),
            ),
            "sign": (_negated(_adam), lambda h: True),
        },
    ),
    "RMSprop": (
        _rmsprop,
        {
            "rmsprop_bias_correction": (
                lambda g, t, lr, h: _rmsprop(g, t, lr, h, v=1 / (1 - h["alpha"])),
                lambda h: not h["centered"],
            ),
            "eps_RMSprop": (_mistake(_rmsprop, eps_inside=True), lambda h: True),
            "centered": (_mistake(_rmsprop, centered=False), lambda h: bool(h["centered"])),
            "sign": (_negated(_rmsprop), lambda h: True),
        },
    ),
    "Adagrad": (
        _adagrad,
        {
            "lr_decay": (_mistake(_adagrad, decayed=True), lambda h: bool(h["lr_decay"])),
            "eps_Adagrad": (_mistake(_adagrad, eps_inside=True), lambda h: True),
            "sign": (_negated(_adagrad), lambda h: True),
        },
    ),
    "Adadelta": (
        _adadelta,
        {
            "adadelta_swapped": (_mistake(_adadelta, swapped=True), lambda h: True),
            "eps_Adadelta": (_mistake(_adadelta, eps_outside=True), lambda h: True),
            "sign": (_negated(_adadelta), lambda h: True),
        },
    ),
}
"""The correct first update of each family, and for each advice key the first update of
that mistake with the condition on the hyper-parameters under which it can occur."""


def family_of(cls: type) -> str:
    """Return the algorithm family of an optimizer class, by the names in its MRO."""
    for base in cls.__mro__:
        name = "Adam" if base.__name__ == "AdamW" else base.__name__
        if name in FAMILIES:
            return name
    return ""


def switch_off_advice(name: str, family: str, hyperparameters: Mapping[str, Any]) -> str:
    """Advice for a difference that disappears when hyper-parameter ``name`` is switched off.

    Parameters
    ----------
    name : str
        A key of :data:`SWITCH_OFF`.
    family : str
        The reference's family (:func:`family_of`).
    hyperparameters : dict
        The reference's hyper-parameters.

    Returns
    -------
    str
        The advice.
    """
    if name == "eps":
        return ADVICE.get(f"eps_{family}", ADVICE["eps"])
    if name == "weight_decay":
        decoupled = hyperparameters.get("decoupled_weight_decay", False)
        if family == "Adam":
            return ADVICE["decoupled_weight_decay" if decoupled else "l2_weight_decay"]
        if decoupled:  # NAdam's and RAdam's decoupled decay is AdamW's
            return ADVICE["decoupled_weight_decay"]
    return ADVICE[name]


def ignored_argument_advice(name: str) -> str:
    """Return the advice for an argument that the student's optimizer takes and ignores."""
    return f"Your optimizer takes {name} but does not use it."


def error_hints(error: BaseException) -> list[str]:
    """Return advice for an exception raised by the student's code.

    Parameters
    ----------
    error : BaseException
        What the student's code raised.

    Returns
    -------
    list of str
        Advice about ``.grad`` being ``None`` when the message points there, else nothing.
    """
    return [ADVICE["none_grad"]] if "NoneType" in str(error) else []
