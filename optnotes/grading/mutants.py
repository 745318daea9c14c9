"""Optimizers with one planted bug each: the mistakes students make.

Each class is written the way a student would write it, with the bug in plain sight
for whoever knows where to look; its docstring names the bug. They serve two
purposes: "find the bug" exercises, and the proof that ``check_optimizer`` catches
each mistake. :data:`MUTANTS` lists them with the reference they imitate and
hyper-parameters under which the bug shows.
"""

from typing import Any, NamedTuple

import torch

from optnotes.grading.skeleton import SkeletonOptimizer


class AdamNoBiasCorrection(SkeletonOptimizer):
    """Adam without bias correction.

    Bug: the moments start at zero, so for the first steps ``m`` and ``v`` are too
    small; Adam divides them by ``1 - beta1**t`` and ``1 - beta2**t``. This version
    skips that, and its first steps are about three times too long.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(
            params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        )

    def update(self, param, grad, state, group):
        """One Adam step: update the moments, then the parameter."""
        beta1, beta2 = group["betas"]
        if not state:
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
        grad = grad + group["weight_decay"] * param
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        param -= group["lr"] * state["m"] / (state["v"].sqrt() + group["eps"])


class AdamEpsInsideSqrt(SkeletonOptimizer):
    """Adam with epsilon under the square root.

    Bug: the denominator is ``sqrt(v_hat + eps)`` instead of ``sqrt(v_hat) + eps``.
    With the default ``eps = 1e-8`` the two hardly differ; with a larger ``eps`` the
    steps of parameters with small gradients are too long.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(
            params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        )

    def update(self, param, grad, state, group):
        """One Adam step: update the moments, correct their bias, then step."""
        beta1, beta2 = group["betas"]
        if not state:
            state["t"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
        state["t"] += 1
        t = state["t"]
        grad = grad + group["weight_decay"] * param
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        param -= group["lr"] * m_hat / torch.sqrt(v_hat + group["eps"])


class AdamWWithL2(SkeletonOptimizer):
    """AdamW that is really Adam with an L2 penalty.

    Bug: weight decay is added to the gradient (``g + wd * param``), so it passes
    through the adaptive denominator; AdamW decouples it and shrinks the parameter
    directly, ``param *= 1 - lr * wd``, before the Adam step.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(
            params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        )

    def update(self, param, grad, state, group):
        """One AdamW step: weight decay, moments, bias correction, step."""
        beta1, beta2 = group["betas"]
        if not state:
            state["t"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
        state["t"] += 1
        t = state["t"]
        grad = grad + group["weight_decay"] * param
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        param -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])


class SGDDampenedFirstStep(SkeletonOptimizer):
    """SGD with momentum that dampens the very first gradient.

    Bug: the momentum buffer starts at zero and every step adds
    ``(1 - dampening) * grad``; torch starts the buffer at the first gradient itself,
    undampened, so here the first step is too short.
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0):
        super().__init__(
            params,
            {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay},
        )

    def update(self, param, grad, state, group):
        """One SGD step: weight decay, momentum, then the parameter."""
        grad = grad + group["weight_decay"] * param
        if group["momentum"] != 0:
            if not state:
                state["buf"] = torch.zeros_like(param)
            state["buf"] = group["momentum"] * state["buf"] + (1 - group["dampening"]) * grad
            grad = state["buf"]
        param -= group["lr"] * grad


class NesterovAsPlainMomentum(SkeletonOptimizer):
    """SGD whose Nesterov option does nothing.

    Bug: with ``nesterov=True`` the step should follow ``grad + momentum * buf`` (a
    look-ahead); this version steps along ``buf`` either way.
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, nesterov=False):
        super().__init__(params, {"lr": lr, "momentum": momentum, "nesterov": nesterov})

    def update(self, param, grad, state, group):
        """One SGD step with (Nesterov) momentum."""
        if group["momentum"] != 0:
            if not state:
                state["buf"] = grad.clone()
            else:
                state["buf"] = group["momentum"] * state["buf"] + grad
            grad = state["buf"]
        param -= group["lr"] * grad


class SGDIgnoresParamGroups(SkeletonOptimizer):
    """SGD that reads the learning rate from the defaults.

    Bug: ``self.defaults["lr"]`` is the constructor's learning rate; a param group
    with its own ``lr`` (or a scheduler, which writes ``group["lr"]``) is ignored.
    """

    def __init__(self, params, lr=1e-3):
        super().__init__(params, {"lr": lr})

    def update(self, param, grad, state, group):
        """One plain gradient step."""
        param -= self.defaults["lr"] * grad


class AdagradLrDecayOffByOne(SkeletonOptimizer):
    """Adagrad whose learning-rate decay starts one step early.

    Bug: the step size is ``lr / (1 + t * lr_decay)`` with ``t`` counting from 1, so
    the first step is already decayed; torch uses ``lr / (1 + (t - 1) * lr_decay)``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, eps=1e-10):
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps})

    def update(self, param, grad, state, group):
        """One Adagrad step: accumulate squared gradients, decay the step size, step."""
        if not state:
            state["t"] = 0
            state["sum"] = torch.zeros_like(param)
        state["t"] += 1
        state["sum"] += grad**2
        step_size = group["lr"] / (1 + state["t"] * group["lr_decay"])
        param -= step_size * grad / (state["sum"].sqrt() + group["eps"])


class RMSpropWithBiasCorrection(SkeletonOptimizer):
    """RMSprop with Adam's bias correction added.

    Bug: RMSprop has no bias correction; dividing ``v`` by ``1 - alpha**t`` makes the
    first steps about ten times shorter than torch's with the default ``alpha``.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps})

    def update(self, param, grad, state, group):
        """One RMSprop step: running mean of squared gradients, then step."""
        alpha = group["alpha"]
        if not state:
            state["t"] = 0
            state["v"] = torch.zeros_like(param)
        state["t"] += 1
        state["v"] = alpha * state["v"] + (1 - alpha) * grad**2
        v_hat = state["v"] / (1 - alpha ** state["t"])
        param -= group["lr"] * grad / (v_hat.sqrt() + group["eps"])


class Mutant(NamedTuple):
    """A planted bug, how to check for it, and what the checker should say."""

    cls: type[torch.optim.Optimizer]
    """The buggy optimizer."""
    reference: str
    """Name of the ``torch.optim`` class it imitates."""
    kwargs: dict[str, Any]
    """Hyper-parameters under which the bug changes the result."""


MUTANTS = {
    "adam_no_bias_correction": Mutant(AdamNoBiasCorrection, "Adam", {}),
    "adam_eps_inside_sqrt": Mutant(AdamEpsInsideSqrt, "Adam", {"lr": 0.01, "eps": 1e-3}),
    "adamw_with_l2": Mutant(AdamWWithL2, "AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    "sgd_dampened_first_step": Mutant(
        SGDDampenedFirstStep, "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}
    ),
    "nesterov_as_plain_momentum": Mutant(
        NesterovAsPlainMomentum, "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}
    ),
    "sgd_ignores_param_groups": Mutant(SGDIgnoresParamGroups, "SGD", {"lr": 0.1}),
    "adagrad_lr_decay_off_by_one": Mutant(AdagradLrDecayOffByOne, "Adagrad", {"lr_decay": 0.1}),
    "rmsprop_with_bias_correction": Mutant(RMSpropWithBiasCorrection, "RMSprop", {}),
}
"""Every mutant by name."""
