"""Learning-rate schedulers written as students write them, for "find the bug" exercises.

Each class here is a hand-in with one mistake: read its ``get_lr``, predict at which step
it parts from torch, then run ``check_scheduler`` on it. As in
:mod:`~optnotes.grading.mutants`, the names say only which scheduler each one
implements; what is wrong with each is in the package's tests.
:data:`SCHEDULER_MUTANTS` lists them with the ``torch.optim.lr_scheduler`` class each
imitates.
"""

import math

from torch.optim.lr_scheduler import LRScheduler

from optnotes.grading.mutants import Mutant

__all__ = [
    "SCHEDULER_MUTANTS",
    "CosineAnnealingWarmRestarts1",
    "MultiStepLR1",
    "OneCycleLR1",
    "PolynomialLR1",
]


class MultiStepLR1(LRScheduler):
    """A student's MultiStepLR.

    Does it set the learning rates ``torch.optim.lr_scheduler.MultiStepLR`` sets?
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return the learning rate of each param group at ``self.last_epoch``."""
        passed = sum(1 for milestone in self.milestones if self.last_epoch > milestone)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]


class PolynomialLR1(LRScheduler):
    """A student's PolynomialLR.

    Does it set the learning rates ``torch.optim.lr_scheduler.PolynomialLR`` sets?
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return the learning rate of each param group at ``self.last_epoch``."""
        factor = (1 - self.last_epoch / self.total_iters) ** self.power
        return [base_lr * factor for base_lr in self.base_lrs]


class CosineAnnealingWarmRestarts1(LRScheduler):
    """A student's CosineAnnealingWarmRestarts.

    Does it set the learning rates ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``
    sets?
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return the learning rate of each param group at ``self.last_epoch``."""
        cycle, t_cur = divmod(self.last_epoch, self.T_0)
        length = self.T_0 * self.T_mult**cycle
        cosine = (1 + math.cos(math.pi * t_cur / length)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]


class OneCycleLR1(LRScheduler):
    """A student's OneCycleLR.

    Does it set the learning rates and momenta ``torch.optim.lr_scheduler.OneCycleLR``
    sets?
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps=None,
        epochs=None,
        steps_per_epoch=None,
        pct_start=0.3,
        anneal_strategy="cos",
        cycle_momentum=True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=False,
        last_epoch=-1,
    ):
        self.total_steps = total_steps if total_steps is not None else epochs * steps_per_epoch
        self.max_lr, self.cycle_momentum = max_lr, cycle_momentum
        self.base_momentum, self.max_momentum = base_momentum, max_momentum
        self.start_lr = max_lr / div_factor
        self.end_lr = self.start_lr / final_div_factor
        self.cosine = anneal_strategy == "cos"
        peak = float(pct_start * self.total_steps) - 1
        # (last step of the phase, lr at its start and end, momentum at its start and end)
        if three_phase:
            self.phases = [
                (peak, self.start_lr, max_lr, base_momentum, max_momentum),
                (2 * peak, max_lr, self.start_lr, max_momentum, base_momentum),
                (self.total_steps - 1, self.start_lr, self.end_lr, base_momentum, base_momentum),
            ]
        else:
            self.phases = [
                (peak, self.start_lr, max_lr, base_momentum, max_momentum),
                (self.total_steps - 1, max_lr, self.end_lr, max_momentum, base_momentum),
            ]
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, fraction):
        if self.cosine:
            return end + (start - end) / 2 * (math.cos(math.pi * fraction) + 1)
        return start + (end - start) * fraction

    def get_lr(self):
        """Return each param group's learning rate at ``self.last_epoch``; set the momenta."""
        t, phase_start = self.last_epoch, 0.0
        for end, lr_start, lr_end, momentum_start, momentum_end in self.phases:
            if t <= end or end == self.phases[-1][0]:
                fraction = (t - phase_start) / (end - phase_start)
                lr = self._anneal(lr_start, lr_end, fraction)
                momentum = self._anneal(momentum_start, momentum_end, fraction)
                break
            phase_start = end
        if self.cycle_momentum:
            for group in self.optimizer.param_groups:
                group["momentum"] = momentum
        return [lr for _ in self.optimizer.param_groups]


SCHEDULER_MUTANTS = {
    "multisteplr_1": Mutant(MultiStepLR1, "MultiStepLR"),
    "polynomiallr_1": Mutant(PolynomialLR1, "PolynomialLR"),
    "cosineannealingwarmrestarts_1": Mutant(
        CosineAnnealingWarmRestarts1, "CosineAnnealingWarmRestarts"
    ),
    "onecyclelr_1": Mutant(OneCycleLR1, "OneCycleLR"),
}
"""Every scheduler hand-in by name."""
