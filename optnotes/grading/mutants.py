"""Optimizers written as students write them, for "find the bug" exercises.

Each class here is a hand-in with one mistake, or none: read its ``update``, predict
where it parts from torch, then run ``check_optimizer`` on it. The names say only which
algorithm each one implements; what is wrong with each is in the exercises' solutions
(folded away in the book, left out of the students' build) and in the package's tests.
:data:`MUTANTS` lists them with the ``torch.optim`` class each imitates (or the
``optnotes.optim`` one, for the optimizers torch lacks).
"""

import math
from typing import NamedTuple

import torch
from torch.optim.lbfgs import _strong_wolfe

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


class ASGD1(SkeletonOptimizer):
    """A student's ASGD.

    Does it move parameters, and average them into ``state[p]["ax"]``, as
    ``torch.optim.ASGD`` does?
    """

    def __init__(
        self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, *, maximize=False
    ):
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One ASGD step."""
        if not state:
            state["step"] = 0
            state["eta"] = group["lr"]
            state["ax"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        if group["maximize"]:
            grad = -grad
        grad = grad + group["weight_decay"] * param
        eta = state["eta"]
        param *= 1 - group["lambd"] * eta
        param -= eta * grad
        # average the iterates from step t0 on
        mu = 1 / max(1, t - group["t0"])
        state["ax"] += mu * (param - state["ax"])
        state["eta"] = group["lr"] / (1 + group["lambd"] * group["lr"] * t) ** group["alpha"]


class Rprop1(SkeletonOptimizer):
    """A student's Rprop.

    Does it move parameters as ``torch.optim.Rprop`` does?
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, maximize=False):
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "maximize": maximize}
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One Rprop step."""
        eta_minus, eta_plus = group["etas"]
        smallest, largest = group["step_sizes"]
        if not state:
            state["prev"] = torch.zeros_like(param)
            state["step_size"] = torch.full_like(param, group["lr"])
        if group["maximize"]:
            grad = -grad
        sign = (grad * state["prev"]).sign()
        factor = torch.ones_like(param)
        factor[sign > 0] = eta_plus
        factor[sign < 0] = eta_minus
        state["step_size"] = (state["step_size"] * factor).clamp(smallest, largest)
        param -= grad.sign() * state["step_size"]
        state["prev"] = grad.clone()


class Adafactor1(SkeletonOptimizer):
    """A student's Adafactor.

    Does it move parameters as ``torch.optim.Adafactor`` does?
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        beta2_decay=-0.8,
        eps=(None, 1e-3),
        d=1.0,
        weight_decay=0.0,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update(self, param, grad, state, group):
        """One Adafactor step."""
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = torch.finfo(param.dtype).eps
        factored = grad.dim() > 1
        if not state:
            state["step"] = 0
            if factored:
                state["row"] = torch.zeros_like(grad.sum(dim=-1, keepdim=True))
                state["col"] = torch.zeros_like(grad.sum(dim=-2, keepdim=True))
            else:
                state["v"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        if group["maximize"]:
            grad = -grad
        beta2 = 1 - t ** group["beta2_decay"]
        rho = min(group["lr"], 1 / math.sqrt(t))
        rms = param.square().mean().sqrt().item()
        alpha = max(eps2, rms) * rho
        param *= 1 - group["lr"] * group["weight_decay"]
        if factored:
            state["row"] = beta2 * state["row"] + (1 - beta2) * grad.square().mean(-1, True)
            state["col"] = beta2 * state["col"] + (1 - beta2) * grad.square().mean(-2, True)
            v_hat = state["row"] @ state["col"]
        else:
            state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
            v_hat = state["v"]
        u = grad / v_hat.sqrt().clamp(min=eps1)
        u = u / max(1.0, u.square().mean().sqrt().item() / group["d"])
        param -= alpha * u


class Muon1(SkeletonOptimizer):
    """A student's Muon.

    Does it move parameters as ``torch.optim.Muon`` does?
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        weight_decay=0.1,
        momentum=0.95,
        nesterov=True,
        ns_coefficients=(3.4445, -4.775, 2.0315),
        eps=1e-7,
        ns_steps=5,
        adjust_lr_fn=None,
    ):
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

    def orthogonalise(self, g, group):
        """Newton-Schulz: the nearest orthogonal matrix to g, roughly, in bfloat16."""
        a, b, c = group["ns_coefficients"]
        x = g.bfloat16()
        tall = g.shape[0] > g.shape[1]
        if tall:
            x = x.T
        x = x / x.norm().clamp(min=group["eps"])
        for _ in range(group["ns_steps"]):
            gram = x @ x.T
            poly = torch.addmm(gram, gram, gram, beta=b, alpha=c)  # b·gram + c·gram²
            x = torch.addmm(x, poly, x, beta=a)  # a·x + poly @ x
        if tall:
            x = x.T
        return x

    def update(self, param, grad, state, group):
        """One Muon step."""
        mu = group["momentum"]
        if not state:
            state["buf"] = torch.zeros_like(param)
        state["buf"] = mu * state["buf"] + (1 - mu) * grad
        direction = state["buf"]
        if group["nesterov"]:
            direction = (1 - mu) * grad + mu * state["buf"]
        ortho = self.orthogonalise(direction, group)
        rows, cols = param.shape
        if group["adjust_lr_fn"] == "match_rms_adamw":
            scale = 0.2 * math.sqrt(max(rows, cols))
        else:
            scale = math.sqrt(max(1, cols / rows))
        param *= 1 - group["lr"] * group["weight_decay"]
        param -= group["lr"] * scale * ortho


class LBFGS1(torch.optim.Optimizer):
    """A student's L-BFGS (the strong-Wolfe search is torch's own).

    Does it move parameters as ``torch.optim.LBFGS`` does?
    """

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
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
        self.params = self.param_groups[0]["params"]

    def flat_grad(self):
        """Every gradient in one vector, zeros where there is none."""
        return torch.cat(
            [
                torch.zeros(p.numel(), dtype=p.dtype) if p.grad is None else p.grad.reshape(-1)
                for p in self.params
            ]
        )

    def move(self, t, d):
        """Move the parameters: x ← x + t·d, d a flat vector."""
        offset = 0
        for p in self.params:
            p.add_(d[offset : offset + p.numel()].view_as(p), alpha=t)
            offset += p.numel()

    def direction(self, g, s_list, y_list):
        """Return d = -H g by the two-loop recursion."""
        q = -g
        alphas = []
        for s, y in zip(reversed(s_list), reversed(y_list), strict=True):
            alpha = s.dot(q) / y.dot(s)
            q = q - alpha * y
            alphas.append(alpha)
        r = q
        for s, y, alpha in zip(s_list, y_list, reversed(alphas), strict=True):
            beta = y.dot(r) / y.dot(s)
            r = r + (alpha - beta) * s
        return r

    @torch.no_grad()
    def step(self, closure):
        """Up to max_iter L-BFGS iterations."""
        group = self.param_groups[0]
        closure = torch.enable_grad()(closure)
        state = self.state[self.params[0]]
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        g = self.flat_grad()
        if g.abs().max() <= group["tolerance_grad"]:
            return orig_loss
        s_list = state.setdefault("s", [])
        y_list = state.setdefault("y", [])
        for n_iter in range(1, group["max_iter"] + 1):
            state["n_iter"] += 1
            if state["n_iter"] > 1:
                y = g - state["g_prev"]
                s = state["d"] * state["t"]
                if y.dot(s) > 1e-10:
                    if len(s_list) == group["history_size"]:
                        s_list.pop(0)
                        y_list.pop(0)
                    s_list.append(s)
                    y_list.append(y)
            d = self.direction(g, s_list, y_list)
            state["g_prev"] = g.clone()
            prev_loss = loss
            t = group["lr"]
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / g.abs().sum()) * group["lr"]
            gtd = g.dot(d)
            if gtd > -group["tolerance_change"]:
                break
            if group["line_search_fn"] == "strong_wolfe":
                x0 = [p.clone() for p in self.params]

                def evaluate(x, t, d):
                    self.move(t, d)
                    value = float(closure())
                    grad = self.flat_grad()
                    for p, p0 in zip(self.params, x, strict=True):
                        p.copy_(p0)
                    return value, grad

                max_ls = group["max_eval"] - evals
                loss, g, t, n = _strong_wolfe(evaluate, x0, t, d, loss, g, gtd, max_ls=max_ls)
                self.move(t, d)
                evals += n
            else:
                self.move(t, d)
                if n_iter != group["max_iter"]:
                    loss = float(closure())
                    g = self.flat_grad()
                    evals += 1
            state["d"], state["t"] = d, t
            if n_iter == group["max_iter"] or evals >= group["max_eval"]:
                break
            if g.abs().max() <= group["tolerance_grad"]:
                break
            if (d * t).abs().max() <= group["tolerance_change"]:
                break
            if abs(loss - prev_loss) < group["tolerance_change"]:
                break
        state["d"], state["t"] = d, t
        return orig_loss


class Lion1(SkeletonOptimizer):
    """A student's Lion.

    Does it move parameters as ``optnotes.optim.Lion`` (``lion_pytorch.Lion``) does?
    """

    def __init__(
        self,
        params,
        lr=1e-4,
        betas=(0.9, 0.99),
        weight_decay=0.0,
        use_triton=False,
        decoupled_weight_decay=False,
    ):
        defaults = {"lr": lr, "betas": betas, "weight_decay": weight_decay}
        super().__init__(params, defaults)
        self.init_lr = lr
        self.decoupled = decoupled_weight_decay

    def update(self, param, grad, state, group):
        """One Lion step."""
        beta1, beta2 = group["betas"]
        decay = group["weight_decay"]
        if self.decoupled:
            decay = decay / self.init_lr
        if not state:
            state["m"] = torch.zeros_like(param)
        param *= 1 - group["lr"] * decay
        state["m"] = beta2 * state["m"] + (1 - beta2) * grad
        param -= group["lr"] * torch.sign(beta1 * state["m"] + (1 - beta1) * grad)


class AdamWScheduleFree1(torch.optim.Optimizer):
    """A student's Schedule-Free AdamW, with the paper's three sequences kept apart.

    Does it move parameters as ``optnotes.optim.AdamWScheduleFree`` does?
    """

    def __init__(
        self,
        params,
        lr=0.0025,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        warmup_steps=0,
        r=0.0,
        weight_lr_power=2.0,
        foreach=True,
    ):
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "warmup_steps": warmup_steps,
            "r": r,
            "weight_lr_power": weight_lr_power,
            "foreach": foreach,
            "k": 0,
            "lr_max": 0.0,
            "weight_sum": 0.0,
            "train_mode": False,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def train(self):
        """Parameters to the point y where the gradient is taken."""
        for group in self.param_groups:
            beta1 = group["betas"][0]
            for p in group["params"]:
                state = self.state[p]
                if not group["train_mode"] and state:
                    p.copy_((1 - beta1) * state["x"] + beta1 * state["z"])
            group["train_mode"] = True

    @torch.no_grad()
    def eval(self):
        """Parameters to the average x."""
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if group["train_mode"] and state:
                    p.copy_(state["x"])
            group["train_mode"] = False

    @torch.no_grad()
    def step(self, closure=None):
        """One step: z takes Adam's normalised step, x averages z, y lies between."""
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            group["k"] += 1
            t = group["k"]
            lr = group["lr"]
            if t <= group["warmup_steps"]:
                lr = lr * t / group["warmup_steps"]
            group["lr_max"] = max(group["lr_max"], lr)
            weight = t ** group["r"] * group["lr_max"] ** group["weight_lr_power"]
            group["weight_sum"] += weight
            c = weight / group["weight_sum"] if group["weight_sum"] > 0 else 0.0
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["x"] = p.clone()
                    state["z"] = p.clone()
                    state["v"] = torch.zeros_like(p)
                state["v"] = beta2 * state["v"] + (1 - beta2) * p.grad**2
                v_hat = state["v"] / (1 - beta2**t)
                d = p.grad / (v_hat.sqrt() + group["eps"]) + group["weight_decay"] * p
                state["z"] = state["z"] - lr * d
                state["x"] = (1 - c) * state["x"] + c * state["z"]
                p.copy_((1 - beta1) * state["x"] + beta1 * state["z"])


class SGDScheduleFree1(torch.optim.Optimizer):
    """A student's Schedule-Free SGD, the parameters holding y as in the reference.

    Does it move parameters as ``optnotes.optim.SGDScheduleFree`` does?
    """

    def __init__(
        self,
        params,
        lr=1.0,
        momentum=0.9,
        weight_decay=0,
        warmup_steps=0,
        r=0.0,
        weight_lr_power=2,
        foreach=True,
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "warmup_steps": warmup_steps,
            "r": r,
            "weight_lr_power": weight_lr_power,
            "foreach": foreach,
            "k": 0,
            "weight_sum": 0.0,
            "train_mode": False,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def train(self):
        """Parameters from x to y = βx + (1-β)z."""
        for group in self.param_groups:
            beta = group["momentum"]
            for p in group["params"]:
                if not group["train_mode"] and "z" in self.state[p]:
                    p.copy_(beta * p + (1 - beta) * self.state[p]["z"])
            group["train_mode"] = True

    @torch.no_grad()
    def eval(self):
        """Parameters from y to x = (y - (1-β)z)/β."""
        for group in self.param_groups:
            beta = group["momentum"]
            for p in group["params"]:
                if group["train_mode"] and "z" in self.state[p]:
                    p.copy_((p - (1 - beta) * self.state[p]["z"]) / beta)
            group["train_mode"] = False

    @torch.no_grad()
    def step(self, closure=None):
        """One step, y updated in place from y and z."""
        for group in self.param_groups:
            beta = group["momentum"]
            group["k"] += 1
            t = group["k"]
            lr = group["lr"]
            if t <= group["warmup_steps"]:
                lr = lr * t / group["warmup_steps"]
            weight = t ** group["r"]
            group["weight_sum"] += weight
            c = weight / group["weight_sum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "z" not in state:
                    state["z"] = p.clone()
                z = state["z"]
                g = p.grad + group["weight_decay"] * p
                # y ← (1-c)y + cz + lr(β(1-c) - 1)g, then z ← z - lr·g
                p.mul_(1 - c).add_(c * z).add_(g, alpha=lr * (beta * (1 - c) - 1))
                z.sub_(g, alpha=lr)


class Mutant(NamedTuple):
    """A hand-in for an exercise, and the optimizer it should equal."""

    cls: type
    """The hand-in."""
    reference: str
    """Name of the ``torch.optim`` (or ``torch.optim.lr_scheduler``, or ``optnotes.optim``)
    class it imitates."""


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
    "asgd_1": Mutant(ASGD1, "ASGD"),
    "rprop_1": Mutant(Rprop1, "Rprop"),
    "adafactor_1": Mutant(Adafactor1, "Adafactor"),
    "muon_1": Mutant(Muon1, "Muon"),
    "lbfgs_1": Mutant(LBFGS1, "LBFGS"),
    "lion_1": Mutant(Lion1, "Lion"),
    "adamwschedulefree_1": Mutant(AdamWScheduleFree1, "AdamWScheduleFree"),
    "sgdschedulefree_1": Mutant(SGDScheduleFree1, "SGDScheduleFree"),
}
"""Every hand-in by name."""
