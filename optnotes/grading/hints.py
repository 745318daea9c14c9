"""Guess the cause of a difference from its pattern, and phrase it as advice.

The checker collects :class:`Evidence` about the first difference between a
student's optimizer and the reference: at which step it appears, whether the
student's update is the reference's times a constant, whether only the second param
group is affected, and which hyper-parameter, switched off, makes it disappear. Each
common mistake leaves a typical pattern; :func:`optimizer_hints` maps patterns to
advice. The advice is a guess: it points to the place to look, not to the fix.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

FAMILIES = {"SGD", "Adam", "RMSprop", "Adagrad", "Adadelta"}
"""Algorithms the hints know; ``AdamW`` belongs to ``Adam``."""

ADVICE = {
    "bias_correction": (
        "Bias correction is missing: m and v start at zero, so Adam divides them by "
        "(1 - β1^t) and (1 - β2^t), with t counting steps from 1."
    ),
    "bias_correction_m": "The first moment is not bias-corrected: m̂ = m / (1 - β1^t).",
    "bias_correction_v": "The second moment is not bias-corrected: v̂ = v / (1 - β2^t).",
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
    "amsgrad": (
        "AMSGrad keeps the running maximum of v (before bias correction) and divides "
        "by the square root of that maximum."
    ),
    "centered": "Centered RMSprop divides by √(v - ḡ²) + ε, ḡ the running mean of the gradient.",
    "maximize": "maximize=True negates the gradient before anything else happens.",
    "initial_accumulator_value": "Adagrad's sum of squares starts at initial_accumulator_value.",
    "param_groups": (
        "Only the second param group differs: read hyper-parameters from each group "
        "(group['lr']), not from self.defaults or the constructor's arguments."
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


@dataclass(frozen=True)
class Evidence:
    """What is known about the first difference in one setting.

    Parameters
    ----------
    family : str
        The reference's algorithm, one of :data:`FAMILIES` or ``""``.
    hyperparameters : dict
        The reference's hyper-parameters in this setting (its first param group).
    step : int
        The first step (from 1) after which the parameters differ.
    factor : float or None
        The student's update divided by the reference's at that step, when that ratio
        is the same for every element of the first differing parameter.
    second_group_only : bool
        Whether the parameters of the first param group still agree at that step.
    switched_off : str or None
        The first hyper-parameter of :data:`SWITCH_OFF` whose switching off makes
        the difference disappear.
    """

    family: str
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    step: int = 1
    factor: float | None = None
    second_group_only: bool = False
    switched_off: str | None = None


def family_of(cls: type) -> str:
    """Return the algorithm family of an optimizer class, by the names in its MRO."""
    for base in cls.__mro__:
        name = "Adam" if base.__name__ == "AdamW" else base.__name__
        if name in FAMILIES:
            return name
    return ""


# (family, advice key, the step-1 factor this mistake produces, or None if it cannot occur)
_FACTORS: tuple[tuple[str, str, Callable[[Mapping[str, Any]], float | None]], ...] = (
    ("Adam", "bias_correction", lambda h: (1 - h["betas"][0]) / math.sqrt(1 - h["betas"][1])),
    ("Adam", "bias_correction_m", lambda h: 1 - h["betas"][0]),
    ("Adam", "bias_correction_v", lambda h: 1 / math.sqrt(1 - h["betas"][1])),
    ("RMSprop", "rmsprop_bias_correction", lambda h: math.sqrt(1 - h["alpha"])),
    ("SGD", "dampening", lambda h: 1 - h["dampening"] if h["momentum"] else None),
    ("SGD", "nesterov", lambda h: 1 / (1 + h["momentum"]) if h["nesterov"] else None),
    ("Adagrad", "lr_decay", lambda h: 1 / (1 + h["lr_decay"])),
)


def optimizer_hints(evidence: Evidence) -> list[str]:
    """Return advice that fits the evidence, most specific first.

    Parameters
    ----------
    evidence : Evidence
        What is known about the difference.

    Returns
    -------
    list of str
        Pieces of advice from :data:`ADVICE`, without repeats; empty when no pattern fits.
    """
    keys = []
    if evidence.second_group_only:
        keys.append("param_groups")
    if evidence.step == 1 and evidence.factor is not None:
        for family, key, factor in _FACTORS:
            if family != evidence.family:
                continue
            try:
                expected = factor(evidence.hyperparameters)
            except KeyError:  # the reference lacks a hyper-parameter the rule needs
                continue
            if expected is not None and expected != 1.0 and _close(evidence.factor, expected):
                keys.append(key)
        if _close(evidence.factor, -1.0):
            keys.append("sign")
    if evidence.switched_off is not None:
        keys.append(_switch_off_key(evidence))
    return [ADVICE[key] for key in dict.fromkeys(keys)]


def error_hints(error: BaseException) -> list[str]:
    """Return advice for an exception raised by the student's code.

    Parameters
    ----------
    error : BaseException
        What the student's optimizer raised.

    Returns
    -------
    list of str
        Advice about ``.grad`` being ``None`` when the message points there, else nothing.
    """
    return [ADVICE["none_grad"]] if "NoneType" in str(error) else []


def _switch_off_key(evidence: Evidence) -> str:
    name = evidence.switched_off
    if name == "eps":
        return f"eps_{evidence.family}" if f"eps_{evidence.family}" in ADVICE else "eps"
    if name == "weight_decay" and evidence.family == "Adam":
        decoupled = evidence.hyperparameters.get("decoupled_weight_decay", False)
        return "decoupled_weight_decay" if decoupled else "l2_weight_decay"
    return name


def _close(a: float, b: float) -> bool:
    """Equal up to what ε and round-off change in a step-1 ratio."""
    return math.isclose(a, b, rel_tol=1e-3)
