"""Optimizers written as students write them, for "find the bug" exercises.

Each class here is a hand-in with one mistake, or none: read its ``update``, predict
where it parts from torch, then run ``check_optimizer`` on it. The names say only which
algorithm each one implements; what is wrong with each is in the exercises' solutions
(folded away in the book, left out of the students' build) and in the package's tests.
:data:`MUTANTS` lists them with the ``torch.optim`` class each imitates.
"""

import math
from typing import NamedTuple

import torch

from optnotes.grading.skeleton import SkeletonOptimizer


class Adam1(SkeletonOptimizer):
    """A student's Adam.

    Does it move parameters as ``torch.optim.Adam`` does?
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One Adam step."""
        beta1, beta2 = group["betas"]
        if not state:
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
            state["v_max"] = torch.zeros_like(param)
        if group["maximize"]:
            grad = -grad
        grad = grad + group["weight_decay"] * param
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        v = state["v"]
        if group["amsgrad"]:
            state["v_max"] = torch.maximum(state["v_max"], state["v"])
            v = state["v_max"]
        param -= group["lr"] * state["m"] / (v.sqrt() + group["eps"])


class Adam2(SkeletonOptimizer):
    """A student's Adam.

    Does it move parameters as ``torch.optim.Adam`` does?
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One Adam step."""
        beta1, beta2 = group["betas"]
        if not state:
            state["t"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
            state["v_max"] = torch.zeros_like(param)
        state["t"] += 1
        t = state["t"]
        if group["maximize"]:
            grad = -grad
        grad = grad + group["weight_decay"] * param
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        v = state["v"]
        if group["amsgrad"]:
            state["v_max"] = torch.maximum(state["v_max"], state["v"])
            v = state["v_max"]
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param -= group["lr"] * m_hat / torch.sqrt(v_hat + group["eps"])


class AdamW1(SkeletonOptimizer):
    """A student's AdamW.

    Does it move parameters as ``torch.optim.AdamW`` does?
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One AdamW step."""
        beta1, beta2 = group["betas"]
        if not state:
            state["t"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
            state["v_max"] = torch.zeros_like(param)
        state["t"] += 1
        t = state["t"]
        if group["maximize"]:
            grad = -grad
        grad = grad + group["weight_decay"] * param
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        v = state["v"]
        if group["amsgrad"]:
            state["v_max"] = torch.maximum(state["v_max"], state["v"])
            v = state["v_max"]
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])


class SGD1(SkeletonOptimizer):
    """A student's SGD.

    Does it move parameters as ``torch.optim.SGD`` does?
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One SGD step."""
        momentum = group["momentum"]
        if group["maximize"]:
            grad = -grad
        grad = grad + group["weight_decay"] * param
        if momentum != 0:
            if not state:
                state["buf"] = torch.zeros_like(param)
            state["buf"] = momentum * state["buf"] + (1 - group["dampening"]) * grad
            grad = (grad + momentum * state["buf"]) if group["nesterov"] else state["buf"]
        param -= group["lr"] * grad


class SGD2(SkeletonOptimizer):
    """A student's SGD.

    Does it move parameters as ``torch.optim.SGD`` does?
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One SGD step."""
        momentum = group["momentum"]
        if group["maximize"]:
            grad = -grad
        grad = grad + group["weight_decay"] * param
        if momentum != 0:
            if not state:
                state["buf"] = grad.clone()
            else:
                state["buf"] = momentum * state["buf"] + (1 - group["dampening"]) * grad
            grad = state["buf"]
        param -= group["lr"] * grad


class SGD3(SkeletonOptimizer):
    """A student's SGD.

    Does it move parameters as ``torch.optim.SGD`` does?
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One SGD step."""
        momentum = group["momentum"]
        if group["maximize"]:
            grad = -grad
        grad = grad + group["weight_decay"] * param
        if momentum != 0:
            if not state:
                state["buf"] = grad.clone()
            else:
                state["buf"] = momentum * state["buf"] + (1 - group["dampening"]) * grad
            grad = (grad + momentum * state["buf"]) if group["nesterov"] else state["buf"]
        param -= self.defaults["lr"] * grad


class Adagrad1(SkeletonOptimizer):
    """A student's Adagrad.

    Does it move parameters as ``torch.optim.Adagrad`` does?
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One Adagrad step."""
        if not state:
            state["t"] = 0
            state["sum"] = torch.zeros_like(param) + group["initial_accumulator_value"]
        state["t"] += 1
        if group["maximize"]:
            grad = -grad
        grad = grad + group["weight_decay"] * param
        state["sum"] = state["sum"] + grad**2
        step_size = group["lr"] / (1 + state["t"] * group["lr_decay"])
        param -= step_size * grad / (state["sum"].sqrt() + group["eps"])


class RMSprop1(SkeletonOptimizer):
    """A student's RMSprop.

    Does it move parameters as ``torch.optim.RMSprop`` does?
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One RMSprop step."""
        alpha = group["alpha"]
        if not state:
            state["t"] = 0
            state["v"] = torch.zeros_like(param)
            state["g_avg"] = torch.zeros_like(param)
            state["buf"] = torch.zeros_like(param)
        state["t"] += 1
        if group["maximize"]:
            grad = -grad
        grad = grad + group["weight_decay"] * param
        state["v"] = alpha * state["v"] + (1 - alpha) * grad**2
        v_hat = state["v"] / (1 - alpha ** state["t"])
        if group["centered"]:
            state["g_avg"] = alpha * state["g_avg"] + (1 - alpha) * grad
            v_hat = v_hat - state["g_avg"] ** 2
        denom = v_hat.sqrt() + group["eps"]
        if group["momentum"] > 0:
            state["buf"] = group["momentum"] * state["buf"] + grad / denom
            param -= group["lr"] * state["buf"]
        else:
            param -= group["lr"] * grad / denom


class Adamax1(SkeletonOptimizer):
    """A student's Adamax.

    Does it move parameters as ``torch.optim.Adamax`` does?
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One Adamax step."""
        beta1, beta2 = group["betas"]
        if not state:
            state["t"] = 0
            state["m"] = torch.zeros_like(param)
            state["u"] = torch.zeros_like(param)
        state["t"] += 1
        t = state["t"]
        if group["maximize"]:
            grad = -grad
        grad = grad + group["weight_decay"] * param
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["u"] = torch.sqrt(
            beta2 * state["u"] ** 2 + (1 - beta2) * (grad.abs() + group["eps"]) ** 2
        )
        step_size = group["lr"] / (1 - beta1**t)
        param -= step_size * state["m"] / state["u"]


class NAdam1(SkeletonOptimizer):
    """A student's NAdam.

    Does it move parameters as ``torch.optim.NAdam`` does?
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One NAdam step."""
        beta1, beta2 = group["betas"]
        if not state:
            state["t"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
        state["t"] += 1
        t = state["t"]
        if group["maximize"]:
            grad = -grad
        if group["decoupled_weight_decay"]:
            param *= 1 - group["lr"] * group["weight_decay"]
        else:
            grad = grad + group["weight_decay"] * param
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        # Nesterov: the next step's momentum, plus the current gradient's share
        m_hat = beta1 * state["m"] / (1 - beta1 ** (t + 1)) + (1 - beta1) * grad / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        param -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])


class RAdam1(SkeletonOptimizer):
    """A student's RAdam.

    Does it move parameters as ``torch.optim.RAdam`` does?
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One RAdam step."""
        beta1, beta2 = group["betas"]
        if not state:
            state["t"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
        state["t"] += 1
        t = state["t"]
        if group["maximize"]:
            grad = -grad
        if group["decoupled_weight_decay"]:
            param *= 1 - group["lr"] * group["weight_decay"]
        else:
            grad = grad + group["weight_decay"] * param
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        m_hat = state["m"] / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 4:
            r_t = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            adaptive = math.sqrt(1 - beta2**t) / (state["v"].sqrt() + group["eps"])
            param -= group["lr"] * r_t * m_hat * adaptive
        else:
            param -= group["lr"] * m_hat


class Mutant(NamedTuple):
    """A hand-in for an exercise, and the optimizer it should equal."""

    cls: type
    """The hand-in."""
    reference: str
    """Name of the ``torch.optim`` (or ``torch.optim.lr_scheduler``) class it imitates."""


MUTANTS = {
    "adam_1": Mutant(Adam1, "Adam"),
    "adam_2": Mutant(Adam2, "Adam"),
    "adamw_1": Mutant(AdamW1, "AdamW"),
    "sgd_1": Mutant(SGD1, "SGD"),
    "sgd_2": Mutant(SGD2, "SGD"),
    "sgd_3": Mutant(SGD3, "SGD"),
    "adagrad_1": Mutant(Adagrad1, "Adagrad"),
    "rmsprop_1": Mutant(RMSprop1, "RMSprop"),
    "adamax_1": Mutant(Adamax1, "Adamax"),
    "nadam_1": Mutant(NAdam1, "NAdam"),
    "radam_1": Mutant(RAdam1, "RAdam"),
}
"""Every hand-in by name."""
