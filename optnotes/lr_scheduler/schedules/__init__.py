r"""Learning-rate schedules as values: functions of the step, made by factories, joined.

A schedule maps the step :math:`t = 0, 1, 2, \dots` to a factor (see
:mod:`~optnotes.lr_scheduler.schedules.base`); it needs no optimizer, so the book can plot
it, join it to another, or hand it to ``LambdaLR``. The factories:

* :mod:`~optnotes.lr_scheduler.schedules.decay`: ``step``, ``multistep``, ``exponential``,
  ``polynomial``, ``cosine``;
* :mod:`~optnotes.lr_scheduler.schedules.cyclical`: ``cyclic``;
* :mod:`~optnotes.lr_scheduler.schedules.modern`: ``warmup_cosine``, ``wsd`` and
  ``inverse_sqrt`` (with ``noam`` and ``warmup_cosine_optax``), the schedules of
  large-scale training, as Hugging Face ``transformers`` defines them;
* :mod:`~optnotes.lr_scheduler.schedules.piecewise`: ``constant``, ``linear``, and the
  compositions ``join(schedules, boundaries)`` and ``warmup(schedule, warmup_steps)``;
  ``LinearLR`` and ``ConstantLR`` are such pieces (see
  :mod:`~optnotes.lr_scheduler.schedules.ramp`).

Each closed form is written once, in a plain function of the step and the
hyper-parameters (``step_factor``, ``cosine_annealing_lr``, ``cyclic_value``,
``linear_factor``, ...) that the factories fix the hyper-parameters of and the scheduler
classes call.

>>> from optnotes.lr_scheduler import schedules
>>> warm_cosine = schedules.warmup(schedules.cosine(T_max=90), warmup_steps=10)
>>> hold = schedules.join([warm_cosine, schedules.constant(0.0)], [100])
"""

from .annealing import (
    annealing_cos,
    annealing_linear,
    one_cycle,
    one_cycle_knots,
    one_cycle_lr,
    one_cycle_momentum,
    one_cycle_phases,
    one_cycle_value,
)
from .base import Schedule
from .cyclical import cyclic, cyclic_geometry, cyclic_lr, cyclic_scale_fn, cyclic_value
from .decay import (
    cosine,
    cosine_annealing_factor,
    cosine_annealing_lr,
    exponential,
    exponential_factor,
    multistep,
    multistep_factor,
    polynomial,
    polynomial_factor,
    raised_cosine,
    step,
    step_factor,
)
from .modern import (
    DECAY_SHAPES,
    inverse_sqrt,
    inverse_sqrt_factor,
    noam,
    warmup_cosine,
    warmup_cosine_factor,
    warmup_cosine_optax,
    wsd,
    wsd_factor,
)
from .piecewise import constant, join, linear, linear_warmup_factor, warmup
from .ramp import constant_factor, linear_factor
from .restarts import sgdr, sgdr_cycle, sgdr_lr

__all__ = [
    "DECAY_SHAPES",
    "Schedule",
    "annealing_cos",
    "annealing_linear",
    "constant",
    "constant_factor",
    "cosine",
    "cosine_annealing_factor",
    "cosine_annealing_lr",
    "cyclic",
    "cyclic_geometry",
    "cyclic_lr",
    "cyclic_scale_fn",
    "cyclic_value",
    "exponential",
    "exponential_factor",
    "inverse_sqrt",
    "inverse_sqrt_factor",
    "join",
    "linear",
    "linear_factor",
    "linear_warmup_factor",
    "multistep",
    "multistep_factor",
    "noam",
    "one_cycle",
    "one_cycle_knots",
    "one_cycle_lr",
    "one_cycle_momentum",
    "one_cycle_phases",
    "one_cycle_value",
    "polynomial",
    "polynomial_factor",
    "raised_cosine",
    "sgdr",
    "sgdr_cycle",
    "sgdr_lr",
    "step",
    "step_factor",
    "warmup",
    "warmup_cosine",
    "warmup_cosine_factor",
    "warmup_cosine_optax",
    "wsd",
    "wsd_factor",
]
