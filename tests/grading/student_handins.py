"""Student hand-ins for testing the assignment checker: correct ones and ones with one bug each.

Written independently of ``optnotes.grading.mutants``, from the algorithms' papers and
torch's semantics, the way students write them: some subclass ``SkeletonOptimizer`` and
implement ``update``, some are full ``torch.optim.Optimizer`` subclasses with their own
``step``. Every hand-in says in a comment what it gets wrong ("Correct" if nothing).
``HANDINS`` at the bottom lists them all, with the torch reference, whether the hand-in
is correct and, for a bug, a setting under which it shows.

Several bugs do not show in a plain run of 20 steps at a constant learning rate (they
need the learning rate to change, a parameter whose gradient is missing in some steps
only, a checkpoint, a GPU, or ``.grad`` read after the step); their ``bug`` line says
when they show.
"""

import math
from typing import NamedTuple

import torch
from torch.optim.lr_scheduler import LRScheduler

from optnotes.grading import SkeletonOptimizer

# ---------------------------------------------------------------------------------------
# SGD
# ---------------------------------------------------------------------------------------


class SGDTextbook(torch.optim.Optimizer):
    # Correct: g ← ∇ (+ λθ); buf ← μ·buf + (1 - d)·g (buf = g at first); step along buf,
    # or along g + μ·buf with Nesterov; θ ← θ - η·step. Out-of-place arithmetic.
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

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            mu = group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * p
                if mu != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = g.clone()
                    else:
                        buf = state["momentum_buffer"]
                        state["momentum_buffer"] = mu * buf + (1 - group["dampening"]) * g
                    buf = state["momentum_buffer"]
                    g = g + mu * buf if group["nesterov"] else buf
                p -= group["lr"] * g
        return loss


class SGDSkeleton(SkeletonOptimizer):
    # Correct: the same algorithm on the skeleton, buffer updated in place.
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
        d = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            d = d.add(param, alpha=group["weight_decay"])
        mu = group["momentum"]
        if mu:
            if "buf" not in state:
                state["buf"] = d.clone()
            else:
                state["buf"].mul_(mu).add_(d, alpha=1 - group["dampening"])
            d = d.add(state["buf"], alpha=mu) if group["nesterov"] else state["buf"]
        param.add_(d, alpha=-group["lr"])


class SGDLrInBuffer(SGDSkeleton):
    # Bug: the learning rate is folded into the buffer (buf ← μ·buf + η·g; θ ← θ - buf).
    # The same as torch while η is constant; wrong as soon as η changes during the run.
    def update(self, param, grad, state, group):
        lr, mu = group["lr"], group["momentum"]
        d = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            d = d + group["weight_decay"] * param
        if not mu:
            param -= lr * d
            return
        if "buf" not in state:
            state["buf"] = lr * d
        else:
            state["buf"] = mu * state["buf"] + (1 - group["dampening"]) * lr * d
        param -= (lr * d + mu * state["buf"]) if group["nesterov"] else state["buf"]


class SGDIgnoresMaximize(SGDSkeleton):
    # Bug: takes maximize but always descends.
    def update(self, param, grad, state, group):
        d = grad
        if group["weight_decay"]:
            d = d + group["weight_decay"] * param
        mu = group["momentum"]
        if mu:
            if "buf" not in state:
                state["buf"] = d.clone()
            else:
                state["buf"] = mu * state["buf"] + (1 - group["dampening"]) * d
            d = d + mu * state["buf"] if group["nesterov"] else state["buf"]
        param -= group["lr"] * d


class SGDMaximizeFlipsUpdate(SGDSkeleton):
    # Bug: maximize negates the final step instead of the gradient, so with weight decay
    # the penalty pushes θ away from zero (torch: g ← -∇ + λθ; this: -(∇ + λθ)).
    def update(self, param, grad, state, group):
        d = grad
        if group["weight_decay"]:
            d = d + group["weight_decay"] * param
        mu = group["momentum"]
        if mu:
            if "buf" not in state:
                state["buf"] = d.clone()
            else:
                state["buf"] = mu * state["buf"] + (1 - group["dampening"]) * d
            d = d + mu * state["buf"] if group["nesterov"] else state["buf"]
        sign = -1 if group["maximize"] else 1
        param -= sign * group["lr"] * d


class SGDNesterovAlongBuffer(SGDSkeleton):
    # Bug: with nesterov=True it computes the look-ahead but steps along the buffer
    # (plain momentum).
    def update(self, param, grad, state, group):
        d = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            d = d + group["weight_decay"] * param
        mu = group["momentum"]
        if mu:
            if "buf" not in state:
                state["buf"] = d.clone()
            else:
                state["buf"] = mu * state["buf"] + (1 - group["dampening"]) * d
            d = state["buf"]  # also when group["nesterov"]
        param -= group["lr"] * d


class SGDNesterovOldBuffer(SGDSkeleton):
    # Bug: the Nesterov step g + μ·buf uses the buffer from before this step's update.
    def update(self, param, grad, state, group):
        d = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            d = d + group["weight_decay"] * param
        mu = group["momentum"]
        if mu:
            if "buf" not in state:
                state["buf"] = d.clone()
                old = state["buf"]
            else:
                old = state["buf"]
                state["buf"] = mu * old + (1 - group["dampening"]) * d
            d = d + mu * old if group["nesterov"] else state["buf"]
        param -= group["lr"] * d


class SGDDecayAfterMomentum(SGDSkeleton):
    # Bug: weight decay is added to the step after the momentum buffer, not to the gradient
    # before it (θ ← θ - η·(buf + λθ)).
    def update(self, param, grad, state, group):
        d = -grad if group["maximize"] else grad
        mu = group["momentum"]
        if mu:
            if "buf" not in state:
                state["buf"] = d.clone()
            else:
                state["buf"] = mu * state["buf"] + (1 - group["dampening"]) * d
            d = d + mu * state["buf"] if group["nesterov"] else state["buf"]
        if group["weight_decay"]:
            d = d + group["weight_decay"] * param
        param -= group["lr"] * d


class SGDDampenedFirstStep(SGDSkeleton):
    # Bug: the buffer starts at zero, so the first step is dampened too (buf = (1 - d)·g).
    def update(self, param, grad, state, group):
        d = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            d = d + group["weight_decay"] * param
        mu = group["momentum"]
        if mu:
            buf = state.setdefault("buf", torch.zeros_like(param))
            buf.mul_(mu).add_(d, alpha=1 - group["dampening"])
            d = d + mu * buf if group["nesterov"] else buf
        param -= group["lr"] * d


class SGDBufferAliasesGrad(SGDSkeleton):
    # Bug: the first buffer is param.grad itself, not a copy; later in-place updates of the
    # buffer write into that tensor. Shows when .grad is reused between steps, e.g. with
    # zero_grad(set_to_none=False): the buffer is zeroed and then accumulates the new
    # gradient. (Weight decay or maximize make a new tensor and hide it.)
    def update(self, param, grad, state, group):
        d = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            d = d.add(param, alpha=group["weight_decay"])
        mu = group["momentum"]
        if mu:
            if "buf" not in state:
                state["buf"] = d
            else:
                state["buf"].mul_(mu).add_(d, alpha=1 - group["dampening"])
            d = d.add(state["buf"], alpha=mu) if group["nesterov"] else state["buf"]
        param.add_(d, alpha=-group["lr"])


class SGDNoneGrad(SGDTextbook):
    # Bug: does not skip parameters whose .grad is None (crashes on them).
    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            mu = group["momentum"]
            for p in group["params"]:
                g = -p.grad if group["maximize"] else p.grad
                g = g.add(p, alpha=group["weight_decay"])
                if mu != 0:
                    state = self.state[p]
                    if "momentum_buffer" in state:
                        buf = state["momentum_buffer"]
                        buf.mul_(mu).add_(g, alpha=1 - group["dampening"])
                    else:
                        buf = state["momentum_buffer"] = g.clone()
                    g = g.add(buf, alpha=mu) if group["nesterov"] else buf
                p.add_(g, alpha=-group["lr"])
        return loss


# ---------------------------------------------------------------------------------------
# Adam and AdamW
# ---------------------------------------------------------------------------------------


class AdamTextbook(SkeletonOptimizer):
    # Correct: Algorithm 1 of Kingma & Ba, m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ),
    # θ ← θ - η·m̂/(√v̂ + ε); int step in the state, bias corrections as python floats;
    # AMSGrad keeps the maximum of v and corrects it like v.
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
        beta1, beta2 = group["betas"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["step"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
            if group["amsgrad"]:
                state["v_max"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        v = state["v"]
        if group["amsgrad"]:
            state["v_max"] = torch.maximum(state["v_max"], v)
            v = state["v_max"]
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])


class AdamStepSize(torch.optim.Optimizer):
    # Correct: the "more efficient" order of Kingma & Ba (end of section 2): step size
    # α_t = η·√(1-β2ᵗ)/(1-β1ᵗ) and ε̂ = ε·√(1-β2ᵗ), θ ← θ - α_t·m/(√v + ε̂); in-place
    # state under torch's names, the step count a tensor.
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

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.neg() if group["maximize"] else p.grad
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"].item()
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                if group["amsgrad"]:
                    torch.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                    exp_avg_sq = state["max_exp_avg_sq"]
                correction2 = math.sqrt(1 - beta2**t)
                step_size = group["lr"] * correction2 / (1 - beta1**t)
                eps_hat = group["eps"] * correction2
                p.addcdiv_(exp_avg, exp_avg_sq.sqrt().add_(eps_hat), value=-step_size)
        return loss


class AdamDecayGradInPlace(AdamTextbook):
    # Bug: adds the L2 term to the gradient in place (grad.add_), so after step()
    # param.grad is no longer the loss's gradient. The parameters move as torch's do.
    def update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad.add_(param, alpha=group["weight_decay"])
        if not state:
            state["step"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
            if group["amsgrad"]:
                state["v_max"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad * grad
        v = state["v"]
        if group["amsgrad"]:
            state["v_max"] = torch.maximum(state["v_max"], v)
            v = state["v_max"]
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])


class AdamStateFloat32(AdamStepSize):
    # Bug: state tensors made with torch.zeros(param.shape): always float32 (and on the
    # CPU), so float64 parameters get float32 moments; on a GPU the step crashes.
    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.neg() if group["maximize"] else p.grad
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros(p.shape)
                    state["exp_avg_sq"] = torch.zeros(p.shape)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros(p.shape)
                state["step"] += 1
                t = state["step"]
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                if group["amsgrad"]:
                    torch.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                    exp_avg_sq = state["max_exp_avg_sq"]
                denom = (exp_avg_sq / (1 - beta2**t)).sqrt().add_(group["eps"])
                p.addcdiv_(exp_avg, denom, value=-group["lr"] / (1 - beta1**t))
        return loss


class AdamStateOnCPU(AdamStepSize):
    # Bug: state tensors made with torch.zeros(param.shape, dtype=param.dtype): the right
    # dtype, but always on the CPU; right on CPU parameters, a crash for GPU ones.
    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.neg() if group["maximize"] else p.grad
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros(p.shape, dtype=p.dtype)
                    state["exp_avg_sq"] = torch.zeros(p.shape, dtype=p.dtype)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros(p.shape, dtype=p.dtype)
                state["step"] += 1
                t = state["step"]
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                if group["amsgrad"]:
                    torch.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                    exp_avg_sq = state["max_exp_avg_sq"]
                denom = (exp_avg_sq / (1 - beta2**t)).sqrt().add_(group["eps"])
                p.addcdiv_(exp_avg, denom, value=-group["lr"] / (1 - beta1**t))
        return loss


class AdamGlobalStep(torch.optim.Optimizer):
    # Bug: one step counter for the whole optimizer (self.t += 1 once per step()), so a
    # parameter that had no gradient in some steps gets the wrong bias correction.
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
        self.t = 0

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self.t += 1
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                    state["v_max"] = torch.zeros_like(p)
                state["m"] = beta1 * state["m"] + (1 - beta1) * g
                state["v"] = beta2 * state["v"] + (1 - beta2) * g**2
                if group["amsgrad"]:
                    state["v_max"] = torch.maximum(state["v_max"], state["v"])
                v = state["v_max"] if group["amsgrad"] else state["v"]
                m_hat = state["m"] / (1 - beta1**self.t)
                v_hat = v / (1 - beta2**self.t)
                p -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])
        return loss


class AdamStepPerParameter(AdamGlobalStep):
    # Bug: one shared counter, incremented for every parameter it updates (t runs 1, 2,
    # 3, ... across the parameters of a single step).
    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                self.t += 1
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                    state["v_max"] = torch.zeros_like(p)
                state["m"] = beta1 * state["m"] + (1 - beta1) * g
                state["v"] = beta2 * state["v"] + (1 - beta2) * g**2
                if group["amsgrad"]:
                    state["v_max"] = torch.maximum(state["v_max"], state["v"])
                v = state["v_max"] if group["amsgrad"] else state["v"]
                m_hat = state["m"] / (1 - beta1**self.t)
                v_hat = v / (1 - beta2**self.t)
                p -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])
        return loss


class AdamOwnStateDict(AdamGlobalStep):
    # Bug: keeps the moments in its own dict keyed by id(param) instead of self.state:
    # state_dict() has no state, and an optimizer resumed from a checkpoint starts its
    # moments (and step counts) from zero. A single uninterrupted run is right.
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
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
        self.moments = {}

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                if id(p) not in self.moments:
                    zeros = torch.zeros_like(p)
                    self.moments[id(p)] = {"t": 0, "m": zeros, "v": zeros, "v_max": zeros}
                s = self.moments[id(p)]
                s["t"] += 1
                s["m"] = beta1 * s["m"] + (1 - beta1) * g
                s["v"] = beta2 * s["v"] + (1 - beta2) * g**2
                s["v_max"] = torch.maximum(s["v_max"], s["v"])
                v = s["v_max"] if group["amsgrad"] else s["v"]
                m_hat = s["m"] / (1 - beta1 ** s["t"])
                v_hat = v / (1 - beta2 ** s["t"])
                p -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])
        return loss


class AdamIgnoresMaximize(AdamTextbook):
    # Bug: takes maximize but always descends.
    def update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        g = grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["step"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
            if group["amsgrad"]:
                state["v_max"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        v = state["v"]
        if group["amsgrad"]:
            state["v_max"] = torch.maximum(state["v_max"], v)
            v = state["v_max"]
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])


class AdamIgnoresAmsgrad(AdamTextbook):
    # Bug: takes amsgrad but never keeps the maximum of v (plain Adam).
    def update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["step"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        param -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])


class AdamAmsgradMaxOfVHat(AdamTextbook):
    # Bug: AMSGrad keeps the maximum of the bias-corrected v̂ instead of the maximum of v
    # (corrected afterwards with the current step's 1 - β2ᵗ).
    def update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["step"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
            if group["amsgrad"]:
                state["v_hat_max"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        if group["amsgrad"]:
            state["v_hat_max"] = torch.maximum(state["v_hat_max"], v_hat)
            v_hat = state["v_hat_max"]
        param -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])


class AdamBeta1InSecondMoment(AdamTextbook):
    # Bug: the second moment uses β1 (v ← β1·v + (1-β1)·g²); with the default betas the
    # first step is 0.1 × torch's, as if m were not bias-corrected.
    def update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["step"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
            if group["amsgrad"]:
                state["v_max"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta1 * state["v"] + (1 - beta1) * g * g
        v = state["v"]
        if group["amsgrad"]:
            state["v_max"] = torch.maximum(state["v_max"], v)
            v = state["v_max"]
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])


class AdamWTextbook(SkeletonOptimizer):
    # Correct: Loshchilov & Hutter's form, θ ← θ - η·(m̂/(√v̂ + ε) + λθ), the decay term
    # with the parameter from before the step.
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
        beta1, beta2 = group["betas"]
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
            state["v_max"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        v = state["v"]
        if group["amsgrad"]:
            state["v_max"] = torch.maximum(state["v_max"], v)
            v = state["v_max"]
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        direction = m_hat / (v_hat.sqrt() + group["eps"]) + group["weight_decay"] * param
        param -= group["lr"] * direction


class AdamWDecayAfterStep(AdamWTextbook):
    # Bug: shrinks θ by (1 - ηλ) after the Adam step instead of before it, so the
    # decay also shrinks this step's update.
    def update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
            state["v_max"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        v = state["v"]
        if group["amsgrad"]:
            state["v_max"] = torch.maximum(state["v_max"], v)
            v = state["v_max"]
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])
        param *= 1 - group["lr"] * group["weight_decay"]


class AdamWDecayNotScaledByLr(AdamWTextbook):
    # Bug: decays by λ alone, θ ← θ - λθ - η·m̂/(√v̂ + ε) (the paper's schedule multiplier
    # read as 1); torch decays by η·λ.
    def update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
            state["v_max"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        v = state["v"]
        if group["amsgrad"]:
            state["v_max"] = torch.maximum(state["v_max"], v)
            v = state["v_max"]
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]) + group["weight_decay"] * param


class AdamWMissingGradAsZero(torch.optim.Optimizer):
    # Bug: treats a missing .grad as zero instead of skipping the parameter, so a
    # parameter that took no part in the loss is still decayed (and its step count runs).
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

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                grad = torch.zeros_like(p) if p.grad is None else p.grad
                if group["maximize"]:
                    grad = -grad
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    state["max_exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                p.mul_(1 - group["lr"] * group["weight_decay"])
                state["exp_avg"].lerp_(grad, 1 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                v = state["exp_avg_sq"]
                if group["amsgrad"]:
                    torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    v = state["max_exp_avg_sq"]
                denom = (v / (1 - beta2**t)).sqrt() + group["eps"]
                p.addcdiv_(state["exp_avg"], denom, value=-group["lr"] / (1 - beta1**t))
        return loss


# ---------------------------------------------------------------------------------------
# RMSprop
# ---------------------------------------------------------------------------------------


class RMSpropTextbook(torch.optim.Optimizer):
    # Correct: Hinton's RMSprop, Graves' centered variant, momentum on g/(√v + ε):
    # v ← αv + (1-α)g²; ḡ ← αḡ + (1-α)g; buf ← μ·buf + g/(√(v - ḡ²) + ε); θ ← θ - η·buf.
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

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            alpha = group["alpha"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["square_avg"] = torch.zeros_like(p)
                    state["grad_avg"] = torch.zeros_like(p)
                    state["momentum_buffer"] = torch.zeros_like(p)
                state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
                mean_square = state["square_avg"]
                if group["centered"]:
                    state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g
                    mean_square = mean_square - state["grad_avg"] ** 2
                scaled = g / (mean_square.sqrt() + group["eps"])
                if group["momentum"] > 0:
                    state["momentum_buffer"] = group["momentum"] * state["momentum_buffer"] + scaled
                    scaled = state["momentum_buffer"]
                p -= group["lr"] * scaled
        return loss


class RMSpropSkeleton(SkeletonOptimizer):
    # Base of the buggy RMSprop hand-ins below: the constructor only.
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


class RMSpropEpsInsideSqrt(RMSpropSkeleton):
    # Bug: ε inside the square root, g/√(v + ε).
    def update(self, param, grad, state, group):
        alpha, mu = group["alpha"], group["momentum"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["v"] = torch.zeros_like(param)
            state["g_avg"] = torch.zeros_like(param)
            state["buf"] = torch.zeros_like(param)
        state["v"] = alpha * state["v"] + (1 - alpha) * g * g
        v = state["v"]
        if group["centered"]:
            state["g_avg"] = alpha * state["g_avg"] + (1 - alpha) * g
            v = v - state["g_avg"] ** 2
        scaled = g / (v + group["eps"]).sqrt()
        if mu > 0:
            state["buf"] = mu * state["buf"] + scaled
            scaled = state["buf"]
        param -= group["lr"] * scaled


class RMSpropCenteredWithoutMean(RMSpropSkeleton):
    # Bug: centered=True keeps the running mean ḡ but never subtracts ḡ² (plain RMSprop).
    def update(self, param, grad, state, group):
        alpha, mu = group["alpha"], group["momentum"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["v"] = torch.zeros_like(param)
            state["g_avg"] = torch.zeros_like(param)
            state["buf"] = torch.zeros_like(param)
        state["v"] = alpha * state["v"] + (1 - alpha) * g * g
        if group["centered"]:
            state["g_avg"] = alpha * state["g_avg"] + (1 - alpha) * g
        scaled = g / (state["v"].sqrt() + group["eps"])
        if mu > 0:
            state["buf"] = mu * state["buf"] + scaled
            scaled = state["buf"]
        param -= group["lr"] * scaled


class RMSpropMomentumOnGrad(RMSpropSkeleton):
    # Bug: momentum accumulates the raw gradient (buf ← μ·buf + g) and the buffer is
    # divided by √v + ε afterwards; torch accumulates g/(√v + ε).
    def update(self, param, grad, state, group):
        alpha, mu = group["alpha"], group["momentum"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["v"] = torch.zeros_like(param)
            state["g_avg"] = torch.zeros_like(param)
            state["buf"] = torch.zeros_like(param)
        state["v"] = alpha * state["v"] + (1 - alpha) * g * g
        v = state["v"]
        if group["centered"]:
            state["g_avg"] = alpha * state["g_avg"] + (1 - alpha) * g
            v = v - state["g_avg"] ** 2
        if mu > 0:
            state["buf"] = mu * state["buf"] + g
            g = state["buf"]
        param -= group["lr"] * g / (v.sqrt() + group["eps"])


class RMSpropLrFromDefaults(RMSpropSkeleton):
    # Bug: reads the learning rate from self.defaults, not from the param group: every
    # group gets the constructor's lr (and a scheduler's changes are ignored).
    def update(self, param, grad, state, group):
        alpha, mu = group["alpha"], group["momentum"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["v"] = torch.zeros_like(param)
            state["g_avg"] = torch.zeros_like(param)
            state["buf"] = torch.zeros_like(param)
        state["v"] = alpha * state["v"] + (1 - alpha) * g * g
        v = state["v"]
        if group["centered"]:
            state["g_avg"] = alpha * state["g_avg"] + (1 - alpha) * g
            v = v - state["g_avg"] ** 2
        scaled = g / (v.sqrt() + group["eps"])
        if mu > 0:
            state["buf"] = mu * state["buf"] + scaled
            scaled = state["buf"]
        param -= self.defaults["lr"] * scaled


class RMSpropStateLen(RMSpropSkeleton):
    # Bug: state made with torch.zeros(len(param)): right for vectors only; a matrix gets
    # a state of the wrong shape (the update fails to broadcast) and a scalar has no len().
    def update(self, param, grad, state, group):
        alpha, mu = group["alpha"], group["momentum"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["v"] = torch.zeros(len(param), dtype=param.dtype)
            state["g_avg"] = torch.zeros(len(param), dtype=param.dtype)
            state["buf"] = torch.zeros(len(param), dtype=param.dtype)
        state["v"].mul_(alpha).addcmul_(g, g, value=1 - alpha)
        v = state["v"]
        if group["centered"]:
            state["g_avg"].mul_(alpha).add_(g, alpha=1 - alpha)
            v = v - state["g_avg"] ** 2
        scaled = g / (v.sqrt() + group["eps"])
        if mu > 0:
            state["buf"].mul_(mu).add_(scaled)
            scaled = state["buf"]
        param.add_(scaled, alpha=-group["lr"])


# ---------------------------------------------------------------------------------------
# Adagrad
# ---------------------------------------------------------------------------------------


class AdagradTextbook(SkeletonOptimizer):
    # Correct: Duchi et al.'s diagonal Adagrad: s ← s + g², θ ← θ - η_t·g/(√s + ε),
    # η_t = η/(1 + (t-1)·lr_decay), t counting this parameter's updates from 1,
    # s starting at initial_accumulator_value.
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
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["t"] = 0
            state["sum"] = torch.full_like(param, group["initial_accumulator_value"])
        state["t"] += 1
        state["sum"] = state["sum"] + g * g
        lr_t = group["lr"] / (1 + (state["t"] - 1) * group["lr_decay"])
        param -= lr_t * g / (state["sum"].sqrt() + group["eps"])


class AdagradIgnoresInitialValue(AdagradTextbook):
    # Bug: the sum of squares starts at zero whatever initial_accumulator_value says.
    def update(self, param, grad, state, group):
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["t"] = 0
            state["sum"] = torch.zeros_like(param)
        state["t"] += 1
        state["sum"] = state["sum"] + g * g
        lr_t = group["lr"] / (1 + (state["t"] - 1) * group["lr_decay"])
        param -= lr_t * g / (state["sum"].sqrt() + group["eps"])


class AdagradLrDecayFromFirstStep(AdagradTextbook):
    # Bug: η_t = η/(1 + t·lr_decay): the first step is already decayed (t counted from 1
    # where torch uses t - 1).
    def update(self, param, grad, state, group):
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["t"] = 0
            state["sum"] = torch.full_like(param, group["initial_accumulator_value"])
        state["t"] += 1
        state["sum"] = state["sum"] + g * g
        lr_t = group["lr"] / (1 + state["t"] * group["lr_decay"])
        param -= lr_t * g / (state["sum"].sqrt() + group["eps"])


class AdagradLrDecayPerStepCall(torch.optim.Optimizer):
    # Bug: lr_decay counts calls of step() (one counter for the optimizer), not this
    # parameter's updates; differs for a parameter that had no gradient in some steps.
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
        self.steps_done = 0

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            clr = group["lr"] / (1 + self.steps_done * group["lr_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                state = self.state[p]
                if "sum" not in state:
                    state["sum"] = torch.full_like(p, group["initial_accumulator_value"])
                state["sum"].addcmul_(g, g)
                p.addcdiv_(g, state["sum"].sqrt().add_(group["eps"]), value=-clr)
        self.steps_done += 1
        return loss


class AdagradEpsInsideSqrt(AdagradTextbook):
    # Bug: ε inside the square root, g/√(s + ε); invisible at the default ε = 1e-10 in
    # practice, clear with ε = 1e-3.
    def update(self, param, grad, state, group):
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["t"] = 0
            state["sum"] = torch.full_like(param, group["initial_accumulator_value"])
        state["t"] += 1
        state["sum"] = state["sum"] + g * g
        lr_t = group["lr"] / (1 + (state["t"] - 1) * group["lr_decay"])
        param -= lr_t * g / (state["sum"] + group["eps"]).sqrt()


# ---------------------------------------------------------------------------------------
# Adadelta
# ---------------------------------------------------------------------------------------


class AdadeltaTextbook(torch.optim.Optimizer):
    # Correct: Zeiler's Algorithm 1 with torch's lr: E[g²] ← ρE[g²] + (1-ρ)g²;
    # Δ = √(E[Δ²] + ε)/√(E[g²] + ε)·g; E[Δ²] ← ρE[Δ²] + (1-ρ)Δ²; θ ← θ - η·Δ.
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            rho, eps = group["rho"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["square_avg"] = torch.zeros_like(p)
                    state["acc_delta"] = torch.zeros_like(p)
                state["square_avg"] = rho * state["square_avg"] + (1 - rho) * g * g
                rms_delta = torch.sqrt(state["acc_delta"] + eps)
                rms_grad = torch.sqrt(state["square_avg"] + eps)
                delta = rms_delta / rms_grad * g
                state["acc_delta"] = rho * state["acc_delta"] + (1 - rho) * delta * delta
                p -= group["lr"] * delta
        return loss


class AdadeltaSkeleton(SkeletonOptimizer):
    # Base of the buggy Adadelta hand-ins below: the constructor only.
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)


class AdadeltaSwappedAccumulators(AdadeltaSkeleton):
    # Bug: numerator and denominator swapped, Δ = √(E[g²] + ε)/√(E[Δ²] + ε)·g.
    def update(self, param, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["Eg2"] = torch.zeros_like(param)
            state["Edx2"] = torch.zeros_like(param)
        state["Eg2"] = rho * state["Eg2"] + (1 - rho) * g * g
        delta = (state["Eg2"] + eps).sqrt() / (state["Edx2"] + eps).sqrt() * g
        state["Edx2"] = rho * state["Edx2"] + (1 - rho) * delta * delta
        param -= group["lr"] * delta


class AdadeltaDeltaAccFromGrad(AdadeltaSkeleton):
    # Bug: the accumulator of squared updates is fed the squared gradient,
    # E[Δ²] ← ρE[Δ²] + (1-ρ)g².
    def update(self, param, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["Eg2"] = torch.zeros_like(param)
            state["Edx2"] = torch.zeros_like(param)
        state["Eg2"] = rho * state["Eg2"] + (1 - rho) * g * g
        delta = (state["Edx2"] + eps).sqrt() / (state["Eg2"] + eps).sqrt() * g
        state["Edx2"] = rho * state["Edx2"] + (1 - rho) * g * g
        param -= group["lr"] * delta


class AdadeltaAccumulatesScaledUpdate(AdadeltaSkeleton):
    # Bug: accumulates the update actually applied, (η·Δ)², instead of Δ²; right at the
    # default lr = 1 only.
    def update(self, param, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * param
        if not state:
            state["Eg2"] = torch.zeros_like(param)
            state["Edx2"] = torch.zeros_like(param)
        state["Eg2"] = rho * state["Eg2"] + (1 - rho) * g * g
        step = group["lr"] * (state["Edx2"] + eps).sqrt() / (state["Eg2"] + eps).sqrt() * g
        state["Edx2"] = rho * state["Edx2"] + (1 - rho) * step * step
        param -= step


# ---------------------------------------------------------------------------------------
# Adamax, NAdam and RAdam
# ---------------------------------------------------------------------------------------


class AdamaxTextbook(SkeletonOptimizer):
    # Correct: Kingma & Ba's Algorithm 2 with torch's ε: m ← β1·m + (1-β1)·g;
    # u ← max(β2·u, |g| + ε); θ ← θ - (η/(1-β1ᵗ))·m/u.
    def __init__(
        self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False
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
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["m"] = torch.zeros_like(param)
            state["u"] = torch.zeros_like(param)
        state["step"] += 1
        g = -grad if group["maximize"] else grad
        g = g + group["weight_decay"] * param
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["u"] = torch.maximum(beta2 * state["u"], g.abs() + group["eps"])
        param -= group["lr"] / (1 - beta1 ** state["step"]) * state["m"] / state["u"]


class NAdamTextbook(SkeletonOptimizer):
    # Correct: Dozat's NAdam with the momentum schedule μₜ = β1·(1 - ½·0.96^(tψ)), the
    # product Πμᵢ kept as a Python float: θ ← θ - η·((1-μₜ)/(1-Πᵢ≤ₜμᵢ)·g
    # + μₜ₊₁/(1-Πᵢ≤ₜ₊₁μᵢ)·m)/(√v̂ + ε); weight decay as an L2 term or decoupled.
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
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        g = -grad if group["maximize"] else grad
        if group["decoupled_weight_decay"]:
            param *= 1 - group["lr"] * group["weight_decay"]
        else:
            g = g + group["weight_decay"] * param
        psi = group["momentum_decay"]
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        product = state["mu_product"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        m_bar = (1 - mu) / (1 - product) * g + mu_next / (1 - product * mu_next) * state["m"]
        v_hat = state["v"] / (1 - beta2**t)
        param -= group["lr"] * m_bar / (v_hat.sqrt() + group["eps"])


class NAdamDecoupledAsL2(NAdamTextbook):
    # Bug: decoupled_weight_decay=True adds λθ to the gradient, as without it.
    def update(self, param, grad, state, group):
        super().update(param, grad, state, {**group, "decoupled_weight_decay": False})


class RAdamTextbook(SkeletonOptimizer):
    # Correct: Liu et al.'s Algorithm 2 with torch's threshold and ε: ρ∞ = 2/(1-β2) - 1,
    # ρₜ = ρ∞ - 2tβ2ᵗ/(1-β2ᵗ); if ρₜ > 5, θ ← θ - η·rₜ·m̂·√(1-β2ᵗ)/(√v + ε), else
    # θ ← θ - η·m̂; weight decay as an L2 term or decoupled.
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
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["m"] = torch.zeros_like(param)
            state["v"] = torch.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        g = -grad if group["maximize"] else grad
        if group["decoupled_weight_decay"]:
            param *= 1 - group["lr"] * group["weight_decay"]
        else:
            g = g + group["weight_decay"] * param
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        m_hat = state["m"] / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho > 5:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            adaptive = math.sqrt(1 - beta2**t) / (state["v"].sqrt() + group["eps"])
            param -= group["lr"] * r * m_hat * adaptive
        else:
            param -= group["lr"] * m_hat


class RAdamDecayNotScaledByLr(RAdamTextbook):
    # Bug: decoupled decay shrinks θ by (1 - λ) instead of (1 - ηλ).
    def update(self, param, grad, state, group):
        if group["decoupled_weight_decay"]:
            param *= 1 - group["weight_decay"]
        super().update(param, grad, state, {**group, "weight_decay": 0})


# ---------------------------------------------------------------------------------------
# Gradient clipping
# ---------------------------------------------------------------------------------------


def _grads(parameters):
    params = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def _p_norm(x, norm_type):
    # a textbook p-norm of a flat tensor: max |x| for p = ∞, (Σ|x|ᵖ)^(1/p) otherwise
    if norm_type == math.inf:
        return x.abs().max()
    return x.abs().pow(norm_type).sum().pow(1.0 / norm_type)


@torch.no_grad()
def clip_grad_norm_closed_form(
    parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None
):
    # Correct: the norm of all gradients concatenated into one vector; every gradient
    # scaled by min(max_norm/(norm + 1e-6), 1); returns the norm before clipping.
    grads = _grads(parameters)
    if not grads:
        return torch.tensor(0.0)
    total = _p_norm(torch.cat([g.reshape(-1) for g in grads]), float(norm_type))
    if error_if_nonfinite and not torch.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {total}")
    coefficient = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for g in grads:
        g.mul_(coefficient)
    return total


@torch.no_grad()
def clip_grad_value_closed_form(parameters, clip_value, foreach=None):
    # Correct: clamps every gradient element into [-clip_value, clip_value].
    for g in _grads(parameters):
        g.clamp_(min=-clip_value, max=clip_value)


@torch.no_grad()
def clip_norm_per_tensor(parameters, max_norm, norm_type=2.0):
    # Bug: clips each gradient to max_norm on its own (per-tensor norms); returns the
    # right total norm.
    grads = _grads(parameters)
    norms = [_p_norm(g.reshape(-1), float(norm_type)) for g in grads]
    for g, norm in zip(grads, norms, strict=True):
        g.mul_(torch.clamp(max_norm / (norm + 1e-6), max=1.0))
    return _p_norm(torch.stack(norms), float(norm_type))


@torch.no_grad()
def clip_norm_sum_of_norms(parameters, max_norm, norm_type=2.0):
    # Bug: the total norm is the sum of the per-tensor norms (right for norm_type=1 only).
    grads = _grads(parameters)
    total = sum(_p_norm(g.reshape(-1), float(norm_type)) for g in grads)
    for g in grads:
        g.mul_(torch.clamp(max_norm / (total + 1e-6), max=1.0))
    return total


@torch.no_grad()
def clip_norm_returns_clipped(parameters, max_norm, norm_type=2.0):
    # Bug: clips right but returns the norm after clipping (≈ max_norm), not before.
    grads = _grads(parameters)
    total = _p_norm(torch.cat([g.reshape(-1) for g in grads]), float(norm_type))
    for g in grads:
        g.mul_(torch.clamp(max_norm / (total + 1e-6), max=1.0))
    return _p_norm(torch.cat([g.reshape(-1) for g in grads]), float(norm_type))


@torch.no_grad()
def clip_norm_scales_up(parameters, max_norm, norm_type=2.0):
    # Bug: no clamp at 1: gradients already shorter than max_norm are scaled up to it.
    grads = _grads(parameters)
    total = _p_norm(torch.cat([g.reshape(-1) for g in grads]), float(norm_type))
    for g in grads:
        g.mul_(max_norm / (total + 1e-6))
    return total


@torch.no_grad()
def clip_norm_ignores_norm_type(parameters, max_norm, norm_type=2.0):
    # Bug: takes norm_type but always uses the Euclidean norm.
    grads = _grads(parameters)
    total = torch.cat([g.reshape(-1) for g in grads]).norm()
    for g in grads:
        g.mul_(torch.clamp(max_norm / (total + 1e-6), max=1.0))
    return total


@torch.no_grad()
def clip_norm_inf_by_power(parameters, max_norm, norm_type=2.0):
    # Bug: computes every norm as (Σ|g|ᵖ)^(1/p), also for p = inf, where that gives
    # inf^0 = 1 (or nan) instead of max |g|.
    grads = _grads(parameters)
    flat = torch.cat([g.reshape(-1) for g in grads])
    total = flat.abs().pow(norm_type).sum().pow(1.0 / norm_type)
    for g in grads:
        g.mul_(torch.clamp(max_norm / (total + 1e-6), max=1.0))
    return total


@torch.no_grad()
def clip_norm_without_eps(parameters, max_norm, norm_type=2.0):
    # Bug: scales by max_norm/norm, without torch's + 1e-6 in the denominator (a relative
    # difference of 1e-6/norm in every clipped gradient).
    grads = _grads(parameters)
    total = _p_norm(torch.cat([g.reshape(-1) for g in grads]), float(norm_type))
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / total)
    return total


@torch.no_grad()
def clip_value_only_above(parameters, clip_value):
    # Bug: clamps from above only; large negative gradients stay.
    for g in _grads(parameters):
        g.clamp_(max=clip_value)


# ---------------------------------------------------------------------------------------
# Learning-rate schedulers
# ---------------------------------------------------------------------------------------


class StepLRClosedForm(LRScheduler):
    # Correct: lr = base_lr·γ^⌊t/step_size⌋.
    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class ExponentialLRPlain:
    # Correct: a plain class with the scheduler protocol, lr = base_lr·γᵗ.
    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.optimizer = optimizer
        self.gamma = gamma
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch + 1  # construction is step 0: the lr stays

    def step(self):
        self.last_epoch += 1
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = base * self.gamma**self.last_epoch

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class CosineAnnealingLRClosedForm(LRScheduler):
    # Correct: lr = η_min + (base_lr - η_min)·(1 + cos(πt/T_max))/2, for every t (past
    # T_max the cosine climbs again, as torch's does).
    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class ExponentialLRLags:
    # Bug: step() sets the lr from the count before incrementing it: one step behind.
    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.optimizer = optimizer
        self.gamma = gamma
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.t = last_epoch + 1

    def step(self):
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = base * self.gamma**self.t
        self.t += 1

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class CosineLeads:
    # Bug: the constructor calls step() like torch's, but the count starts at 0, not -1:
    # the lr after construction is already the one of step 1, one step ahead throughout.
    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.optimizer = optimizer
        self.T_max = T_max
        self.eta_min = eta_min
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.t = max(last_epoch, 0)
        self.step()

    def step(self):
        self.t += 1
        cosine = (1 + math.cos(math.pi * self.t / self.T_max)) / 2
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = self.eta_min + (base - self.eta_min) * cosine

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class CosineIgnoresEtaMin(LRScheduler):
    # Bug: takes eta_min but anneals to zero, lr = base_lr·(1 + cos(πt/T_max))/2.
    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [base * cosine for base in self.base_lrs]


class CosineFlatAfterTMax(LRScheduler):
    # Bug: holds η_min after T_max steps (t clamped at T_max); torch's cosine climbs again.
    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = min(self.last_epoch, self.T_max)
        cosine = (1 + math.cos(math.pi * t / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class StepLRDecaysAtZero(LRScheduler):
    # Bug: decays whenever t % step_size == 0, t = 0 included: the construction already
    # multiplies the lr by γ.
    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch % self.step_size == 0:
            return [group["lr"] * self.gamma for group in self.optimizer.param_groups]
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLRSmoothDecay(LRScheduler):
    # Bug: true division in the exponent, γ^(t/step_size): decays a little every step
    # instead of by γ every step_size steps.
    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** (self.last_epoch / self.step_size) for base in self.base_lrs]


class ExponentialLRFirstGroup:
    # Bug: takes the first param group's lr as the base of every group.
    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.optimizer = optimizer
        self.gamma = gamma
        self.base_lr = optimizer.param_groups[0]["lr"]
        self.t = last_epoch + 1
        for group in optimizer.param_groups:
            group["lr"] = self.base_lr * gamma**self.t

    def step(self):
        self.t += 1
        for group in self.optimizer.param_groups:
            group["lr"] = self.base_lr * self.gamma**self.t

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLRNoLastEpoch:
    # Bug: no last_epoch argument (cannot resume), otherwise a correct closed-form StepLR.
    def __init__(self, optimizer, step_size, gamma=0.1):
        self.optimizer = optimizer
        self.step_size = step_size
        self.gamma = gamma
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.t = 0

    def step(self):
        self.t += 1
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = base * self.gamma ** (self.t // self.step_size)

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]


# ---------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------


class HandIn(NamedTuple):
    obj: object  # the class or function
    reference: str  # torch name: "Adam", "SGD", "clip_grad_norm_", "StepLR", ...
    kind: str  # "optimizer" | "scheduler" | "clip"
    correct: bool
    bug: str  # one line: what is wrong ('' if correct)
    kwargs: dict | None = None  # a setting where the bug shows; None = the checker's defaults


def _ok(obj, reference, kind, kwargs=None):
    return HandIn(obj, reference, kind, True, "", kwargs)


def _bug(obj, reference, kind, bug, kwargs=None):
    return HandIn(obj, reference, kind, False, bug, kwargs)


_STEP = {"step_size": 7, "gamma": 0.5}
_MOMENTUM = {"lr": 0.1, "momentum": 0.9}

HANDINS: dict[str, HandIn] = {
    # --- correct optimizers
    "sgd_textbook": _ok(SGDTextbook, "SGD", "optimizer"),
    "sgd_skeleton": _ok(SGDSkeleton, "SGD", "optimizer"),
    "adam_textbook": _ok(AdamTextbook, "Adam", "optimizer"),
    "adam_step_size_eps_hat": _ok(AdamStepSize, "Adam", "optimizer"),
    "adamw_textbook": _ok(AdamWTextbook, "AdamW", "optimizer"),
    "rmsprop_textbook": _ok(RMSpropTextbook, "RMSprop", "optimizer"),
    "adagrad_textbook": _ok(AdagradTextbook, "Adagrad", "optimizer"),
    "adadelta_textbook": _ok(AdadeltaTextbook, "Adadelta", "optimizer"),
    "adamax_textbook": _ok(AdamaxTextbook, "Adamax", "optimizer"),
    "nadam_textbook": _ok(NAdamTextbook, "NAdam", "optimizer"),
    "radam_textbook": _ok(RAdamTextbook, "RAdam", "optimizer"),
    # --- buggy optimizers: SGD
    "sgd_lr_in_momentum_buffer": _bug(
        SGDLrInBuffer,
        "SGD",
        "optimizer",
        "lr folded into the momentum buffer: wrong once the lr changes during the run",
        _MOMENTUM,
    ),
    "sgd_ignores_maximize": _bug(
        SGDIgnoresMaximize,
        "SGD",
        "optimizer",
        "takes maximize and ignores it",
        {"lr": 0.1, "maximize": True},
    ),
    "sgd_maximize_flips_update": _bug(
        SGDMaximizeFlipsUpdate,
        "SGD",
        "optimizer",
        "maximize negates the step, not the gradient: weight decay then pushes away from 0",
        {"lr": 0.1, "maximize": True, "weight_decay": 0.1},
    ),
    "sgd_nesterov_steps_along_buf": _bug(
        SGDNesterovAlongBuffer,
        "SGD",
        "optimizer",
        "nesterov=True steps along buf (plain momentum) instead of g + μ·buf",
        {**_MOMENTUM, "nesterov": True},
    ),
    "sgd_nesterov_old_buffer": _bug(
        SGDNesterovOldBuffer,
        "SGD",
        "optimizer",
        "nesterov step g + μ·buf uses the buffer from before this step's update",
        {**_MOMENTUM, "nesterov": True},
    ),
    "sgd_weight_decay_after_momentum": _bug(
        SGDDecayAfterMomentum,
        "SGD",
        "optimizer",
        "weight decay added to the step after momentum, not to the gradient before it",
        {**_MOMENTUM, "weight_decay": 0.1},
    ),
    "sgd_dampening_on_first_step": _bug(
        SGDDampenedFirstStep,
        "SGD",
        "optimizer",
        "buffer starts at zero, so the first step is dampened: buf = (1 - dampening)·g",
        {**_MOMENTUM, "dampening": 0.5},
    ),
    "sgd_buffer_aliases_grad": _bug(
        SGDBufferAliasesGrad,
        "SGD",
        "optimizer",
        "first momentum buffer is param.grad itself (not cloned): wrong when .grad is "
        "reused, e.g. zero_grad(set_to_none=False)",
        _MOMENTUM,
    ),
    "sgd_crashes_on_none_grad": _bug(
        SGDNoneGrad,
        "SGD",
        "optimizer",
        "does not skip parameters whose .grad is None (AttributeError)",
    ),
    # --- buggy optimizers: Adam and AdamW
    "adam_wd_grad_in_place": _bug(
        AdamDecayGradInPlace,
        "Adam",
        "optimizer",
        "adds weight decay to param.grad in place: .grad after step() is not the loss's "
        "gradient (the parameters move right)",
        {"lr": 0.01, "weight_decay": 0.1},
    ),
    "adam_state_float32": _bug(
        AdamStateFloat32,
        "Adam",
        "optimizer",
        "state made with torch.zeros(param.shape): float32 moments for float64 params "
        "(and CPU ones for GPU params)",
    ),
    "adam_state_on_cpu": _bug(
        AdamStateOnCPU,
        "Adam",
        "optimizer",
        "state made with torch.zeros(param.shape, dtype=param.dtype): always on the CPU, "
        "fails for GPU params only",
    ),
    "adam_global_step_per_call": _bug(
        AdamGlobalStep,
        "Adam",
        "optimizer",
        "one step counter per optimizer (+1 per step()): wrong bias correction for a "
        "param whose grad was None in some steps",
    ),
    "adam_global_step_per_param": _bug(
        AdamStepPerParameter,
        "Adam",
        "optimizer",
        "one shared step counter incremented once per parameter updated",
    ),
    "adam_state_outside_optimizer": _bug(
        AdamOwnStateDict,
        "Adam",
        "optimizer",
        "state in its own dict keyed by id(param): state_dict() is empty, a resumed run "
        "restarts the moments",
    ),
    "adam_ignores_maximize": _bug(
        AdamIgnoresMaximize,
        "Adam",
        "optimizer",
        "takes maximize and ignores it",
        {"lr": 0.01, "maximize": True},
    ),
    "adam_ignores_amsgrad": _bug(
        AdamIgnoresAmsgrad,
        "Adam",
        "optimizer",
        "takes amsgrad and ignores it (shows once v falls, soon with β2 = 0.9)",
        {"lr": 0.01, "betas": (0.9, 0.9), "amsgrad": True},
    ),
    "adam_amsgrad_max_of_v_hat": _bug(
        AdamAmsgradMaxOfVHat,
        "Adam",
        "optimizer",
        "AMSGrad keeps the maximum of the bias-corrected v̂ instead of the maximum of v",
        {"lr": 0.01, "amsgrad": True},
    ),
    "adam_beta1_in_second_moment": _bug(
        AdamBeta1InSecondMoment,
        "Adam",
        "optimizer",
        "second moment uses β1 (v ← β1·v + (1-β1)·g²); first step 0.1 × torch's",
    ),
    "adamw_decay_after_step": _bug(
        AdamWDecayAfterStep,
        "AdamW",
        "optimizer",
        "shrinks θ by (1 - ηλ) after the Adam step instead of before it",
    ),
    "adamw_decay_not_scaled_by_lr": _bug(
        AdamWDecayNotScaledByLr,
        "AdamW",
        "optimizer",
        "decoupled decay θ ← θ - λθ, not scaled by the learning rate",
    ),
    "adamw_decays_params_without_grad": _bug(
        AdamWMissingGradAsZero,
        "AdamW",
        "optimizer",
        "treats a missing .grad as zero: params outside the loss are still decayed",
    ),
    # --- buggy optimizers: RMSprop
    "rmsprop_eps_inside_sqrt": _bug(
        RMSpropEpsInsideSqrt, "RMSprop", "optimizer", "ε inside the square root: g/√(v + ε)"
    ),
    "rmsprop_centered_without_mean": _bug(
        RMSpropCenteredWithoutMean,
        "RMSprop",
        "optimizer",
        "centered=True does not subtract ḡ² from v",
        {"centered": True},
    ),
    "rmsprop_momentum_on_grad": _bug(
        RMSpropMomentumOnGrad,
        "RMSprop",
        "optimizer",
        "momentum accumulates g and then divides by √v + ε, instead of accumulating g/(√v + ε)",
        {"momentum": 0.9},
    ),
    "rmsprop_lr_from_defaults": _bug(
        RMSpropLrFromDefaults,
        "RMSprop",
        "optimizer",
        "reads lr from self.defaults, not from the param group",
    ),
    "rmsprop_state_len_param": _bug(
        RMSpropStateLen,
        "RMSprop",
        "optimizer",
        "state made with torch.zeros(len(param)): wrong shape for matrices, fails on scalars",
    ),
    # --- buggy optimizers: Adagrad
    "adagrad_ignores_initial_accumulator": _bug(
        AdagradIgnoresInitialValue,
        "Adagrad",
        "optimizer",
        "sum of squares starts at 0 whatever initial_accumulator_value is",
        {"initial_accumulator_value": 0.1},
    ),
    "adagrad_lr_decay_from_first_step": _bug(
        AdagradLrDecayFromFirstStep,
        "Adagrad",
        "optimizer",
        "lr / (1 + t·lr_decay) with t from 1: the first step is already decayed",
        {"lr_decay": 0.1},
    ),
    "adagrad_lr_decay_per_step_call": _bug(
        AdagradLrDecayPerStepCall,
        "Adagrad",
        "optimizer",
        "lr_decay counts step() calls, not the param's own updates: wrong for a param "
        "whose grad was None in some steps",
        {"lr_decay": 0.1},
    ),
    "adagrad_eps_inside_sqrt": _bug(
        AdagradEpsInsideSqrt,
        "Adagrad",
        "optimizer",
        "ε inside the square root: g/√(sum + ε)",
        {"eps": 1e-3},
    ),
    # --- buggy optimizers: Adadelta
    "adadelta_swapped_accumulators": _bug(
        AdadeltaSwappedAccumulators,
        "Adadelta",
        "optimizer",
        "numerator and denominator swapped: √(E[g²] + ε)/√(E[Δ²] + ε)·g",
    ),
    "adadelta_delta_acc_from_grad": _bug(
        AdadeltaDeltaAccFromGrad,
        "Adadelta",
        "optimizer",
        "E[Δ²] is fed g² instead of the squared update Δ²",
    ),
    "adadelta_accumulates_scaled_update": _bug(
        AdadeltaAccumulatesScaledUpdate,
        "Adadelta",
        "optimizer",
        "E[Δ²] accumulates (lr·Δ)² instead of Δ²: right at lr=1 only",
        {"lr": 0.5},
    ),
    # --- buggy optimizers: NAdam
    "nadam_decoupled_as_l2": _bug(
        NAdamDecoupledAsL2,
        "NAdam",
        "optimizer",
        "decoupled_weight_decay=True adds λθ to the gradient instead of shrinking θ",
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ),
    # --- buggy optimizers: RAdam
    "radam_decay_not_scaled_by_lr": _bug(
        RAdamDecayNotScaledByLr,
        "RAdam",
        "optimizer",
        "decoupled decay shrinks θ by (1 - λ), not (1 - ηλ)",
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ),
    # --- clipping
    "clip_norm_closed_form": _ok(clip_grad_norm_closed_form, "clip_grad_norm_", "clip"),
    "clip_value_closed_form": _ok(clip_grad_value_closed_form, "clip_grad_value_", "clip"),
    "clip_norm_per_tensor": _bug(
        clip_norm_per_tensor,
        "clip_grad_norm_",
        "clip",
        "clips each gradient by its own norm instead of the total norm",
        {"max_norm": 1.0},
    ),
    "clip_norm_sum_of_norms": _bug(
        clip_norm_sum_of_norms,
        "clip_grad_norm_",
        "clip",
        "total norm = sum of the per-tensor norms",
        {"max_norm": 1.0},
    ),
    "clip_norm_returns_clipped_norm": _bug(
        clip_norm_returns_clipped,
        "clip_grad_norm_",
        "clip",
        "returns the norm after clipping instead of before",
        {"max_norm": 1.0},
    ),
    "clip_norm_scales_up": _bug(
        clip_norm_scales_up,
        "clip_grad_norm_",
        "clip",
        "no clamp at 1: gradients shorter than max_norm are scaled up",
        {"max_norm": 1000.0},
    ),
    "clip_norm_ignores_norm_type": _bug(
        clip_norm_ignores_norm_type,
        "clip_grad_norm_",
        "clip",
        "takes norm_type and always uses the 2-norm",
        {"max_norm": 1.0, "norm_type": 1.0},
    ),
    "clip_norm_inf_by_power": _bug(
        clip_norm_inf_by_power,
        "clip_grad_norm_",
        "clip",
        "norm_type=inf computed as (Σ|g|^p)^(1/p), which is not max |g|",
        {"max_norm": 1.0, "norm_type": math.inf},
    ),
    "clip_norm_without_eps": _bug(
        clip_norm_without_eps,
        "clip_grad_norm_",
        "clip",
        "scales by max_norm/norm without torch's + 1e-6",
        {"max_norm": 1.0},
    ),
    "clip_value_only_from_above": _bug(
        clip_value_only_above,
        "clip_grad_value_",
        "clip",
        "clamps from above only",
        {"clip_value": 0.1},
    ),
    # --- schedulers
    "steplr_closed_form": _ok(StepLRClosedForm, "StepLR", "scheduler", _STEP),
    "exponentiallr_plain_class": _ok(
        ExponentialLRPlain, "ExponentialLR", "scheduler", {"gamma": 0.9}
    ),
    "cosine_closed_form": _ok(
        CosineAnnealingLRClosedForm,
        "CosineAnnealingLR",
        "scheduler",
        {"T_max": 20, "eta_min": 0.001},
    ),
    "exponentiallr_lags": _bug(
        ExponentialLRLags,
        "ExponentialLR",
        "scheduler",
        "sets the lr from the step count before incrementing it: one step behind",
        {"gamma": 0.9},
    ),
    "cosine_leads": _bug(
        CosineLeads,
        "CosineAnnealingLR",
        "scheduler",
        "constructor steps with the count starting at 0: one step ahead",
        {"T_max": 20},
    ),
    "cosine_ignores_eta_min": _bug(
        CosineIgnoresEtaMin,
        "CosineAnnealingLR",
        "scheduler",
        "takes eta_min and anneals to 0",
        {"T_max": 20, "eta_min": 0.001},
    ),
    "cosine_flat_after_t_max": _bug(
        CosineFlatAfterTMax,
        "CosineAnnealingLR",
        "scheduler",
        "holds eta_min after T_max steps; torch's cosine climbs again",
        {"T_max": 20, "eta_min": 0.001},
    ),
    "steplr_decays_at_step_zero": _bug(
        StepLRDecaysAtZero,
        "StepLR",
        "scheduler",
        "decays when t % step_size == 0, t = 0 included",
        _STEP,
    ),
    "steplr_smooth_decay": _bug(
        StepLRSmoothDecay,
        "StepLR",
        "scheduler",
        "γ^(t/step_size) with true division: decays every step",
        _STEP,
    ),
    "exponentiallr_first_group_lr": _bug(
        ExponentialLRFirstGroup,
        "ExponentialLR",
        "scheduler",
        "uses the first param group's lr for every group",
        {"gamma": 0.9},
    ),
    "steplr_no_last_epoch": _bug(
        StepLRNoLastEpoch,
        "StepLR",
        "scheduler",
        "does not take last_epoch",
        {**_STEP, "last_epoch": -1},
    ),
}
