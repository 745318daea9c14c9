"""Learning-rate schedulers, drop-in replacements for ``torch.optim.lr_scheduler``.

``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``ReduceLROnPlateau`` and
``CyclicLR`` take the same arguments as their torch namesakes, subclass
:class:`torch.optim.lr_scheduler.LRScheduler` (so torch's ``SequentialLR``,
``ChainedScheduler`` and ``isinstance`` checks accept them) and produce the same
learning rates step for step. ``LinearWarmup`` puts a linear warm-up in front of
any scheduler, ``ReduceLROnPlateau`` included.

The schedules themselves are values in ``schedules``: functions of the step made
by factories (``schedules.cosine(T_max)``, ``schedules.step(step_size, gamma)``,
``schedules.linear(start, end, steps)``, ...) and composed with
``schedules.join(schedules, boundaries)``, warm-up being one such join
(``schedules.warmup(schedule, warmup_steps)``). Each closed form is written once
there, in a function of the step (``step_factor``, ``cosine_annealing_lr``,
``cyclic_lr``, ..., exported here too) that the factories and the classes call, so the
book can plot a schedule without an optimizer. ``lr_sequence`` reads the learning rates
any scheduler sets, step by step.
"""

from . import schedules
from .cosine import CosineAnnealingLR
from .cyclic import CyclicLR
from .exponential import ExponentialLR
from .plateau import ReduceLROnPlateau
from .schedules import (
    cosine_annealing_factor,
    cosine_annealing_lr,
    cyclic_geometry,
    cyclic_lr,
    cyclic_scale_fn,
    cyclic_value,
    exponential_factor,
    linear_warmup_factor,
    step_factor,
)
from .sequence import iter_lr_sequence, lr_sequence, needs_metric
from .step import StepLR
from .warmup import LinearWarmup

__all__ = [
    "CosineAnnealingLR",
    "CyclicLR",
    "ExponentialLR",
    "LinearWarmup",
    "ReduceLROnPlateau",
    "StepLR",
    "cosine_annealing_factor",
    "cosine_annealing_lr",
    "cyclic_geometry",
    "cyclic_lr",
    "cyclic_scale_fn",
    "cyclic_value",
    "exponential_factor",
    "iter_lr_sequence",
    "linear_warmup_factor",
    "lr_sequence",
    "needs_metric",
    "schedules",
    "step_factor",
]
