"""Learning-rate schedulers, drop-in replacements for ``torch.optim.lr_scheduler``.

``StepLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``, ``ExponentialLR``,
``PolynomialLR``, ``CosineAnnealingLR``, ``LambdaLR``, ``MultiplicativeLR``,
``ReduceLROnPlateau`` and ``CyclicLR`` take the same arguments as their torch
namesakes, subclass :class:`torch.optim.lr_scheduler.LRScheduler` (so torch's
``SequentialLR``, ``ChainedScheduler`` and ``isinstance`` checks accept them) and
produce the same learning rates step for step. ``CosineAnnealingWarmRestarts`` and
``OneCycleLR`` (which also cycles the momentum, or Adam's β₁) complete the list, and
``SequentialLR`` and ``ChainedScheduler`` re-implement torch's two containers, accepting
torch's schedulers and ours in any mix; the pure forms are ``schedules.sgdr`` and
``schedules.one_cycle``. ``WarmupCosineLR``, ``WSDLR`` (warmup–stable–decay) and
``InverseSqrtLR`` add the schedules of large-scale training that torch lacks, as Hugging
Face ``transformers``' ``get_cosine_schedule_with_warmup``, ``get_wsd_schedule`` and
``get_inverse_sqrt_schedule`` define them; their pure forms are
``schedules.warmup_cosine``, ``schedules.wsd`` and ``schedules.inverse_sqrt``.
``LinearWarmup`` puts a linear warm-up in front of any scheduler, ``ReduceLROnPlateau``
included.

The schedules themselves are values in ``schedules``: functions of the step made
by factories (``schedules.cosine(T_max)``, ``schedules.step(step_size, gamma)``,
``schedules.multistep(milestones, gamma)``, ``schedules.polynomial(total_iters, power)``,
``schedules.linear(start, end, steps)``, ...) and composed with
``schedules.join(schedules, boundaries)``, warm-up being one such join
(``schedules.warmup(schedule, warmup_steps)``). Each closed form is written once
there, in a function of the step (``step_factor``, ``multistep_factor``,
``linear_factor``, ``cosine_annealing_lr``, ``cyclic_lr``, ..., exported here too) that
the factories and the classes call, so the book can plot a schedule without an
optimizer; any schedule is also an ``lr_lambda`` for ``LambdaLR``. ``lr_sequence``
reads the learning rates any scheduler sets, step by step.
"""

from . import schedules
from .chained import ChainedScheduler
from .constant import ConstantLR
from .cosine import CosineAnnealingLR
from .cyclic import CyclicLR
from .exponential import ExponentialLR
from .lambda_lr import LambdaLR, MultiplicativeLR
from .linear import LinearLR
from .modern import WSDLR, InverseSqrtLR, WarmupCosineLR
from .multistep import MultiStepLR
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .polynomial import PolynomialLR
from .schedules import (
    constant_factor,
    cosine_annealing_factor,
    cosine_annealing_lr,
    cyclic_geometry,
    cyclic_lr,
    cyclic_scale_fn,
    cyclic_value,
    exponential_factor,
    inverse_sqrt_factor,
    linear_factor,
    linear_warmup_factor,
    multistep_factor,
    one_cycle_lr,
    one_cycle_momentum,
    one_cycle_value,
    polynomial_factor,
    sgdr_cycle,
    sgdr_lr,
    step_factor,
    warmup_cosine_factor,
    wsd_factor,
)
from .sequence import iter_lr_sequence, lr_sequence, needs_metric
from .sequential import SequentialLR
from .sgdr import CosineAnnealingWarmRestarts
from .step import StepLR
from .warmup import LinearWarmup

__all__ = [
    "WSDLR",
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "InverseSqrtLR",
    "LambdaLR",
    "LinearLR",
    "LinearWarmup",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
    "WarmupCosineLR",
    "constant_factor",
    "cosine_annealing_factor",
    "cosine_annealing_lr",
    "cyclic_geometry",
    "cyclic_lr",
    "cyclic_scale_fn",
    "cyclic_value",
    "exponential_factor",
    "inverse_sqrt_factor",
    "iter_lr_sequence",
    "linear_factor",
    "linear_warmup_factor",
    "lr_sequence",
    "multistep_factor",
    "needs_metric",
    "one_cycle_lr",
    "one_cycle_momentum",
    "one_cycle_value",
    "polynomial_factor",
    "schedules",
    "sgdr_cycle",
    "sgdr_lr",
    "step_factor",
    "warmup_cosine_factor",
    "wsd_factor",
]
