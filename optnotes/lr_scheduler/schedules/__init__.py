r"""Learning-rate schedules as values: functions of the step, made by factories, joined.

A schedule maps the step :math:`t = 0, 1, 2, \dots` to a factor (see
:mod:`~optnotes.lr_scheduler.schedules.base`); it needs no optimizer, so the book can plot
it, join it to another, or hand it to ``LambdaLR``. The factories:

* :mod:`~optnotes.lr_scheduler.schedules.decay`: ``step``, ``exponential``, ``cosine``;
* :mod:`~optnotes.lr_scheduler.schedules.cyclical`: ``cyclic``;
* :mod:`~optnotes.lr_scheduler.schedules.piecewise`: ``constant``, ``linear``, and the
  compositions ``join(schedules, boundaries)`` and ``warmup(schedule, warmup_steps)``.

Each closed form is written once, in a plain function of the step and the
hyper-parameters (``step_factor``, ``cosine_annealing_lr``, ``cyclic_value``, ...) that the
factories fix the hyper-parameters of and the scheduler classes call.

>>> from optnotes.lr_scheduler import schedules
>>> warm_cosine = schedules.warmup(schedules.cosine(T_max=90), warmup_steps=10)
>>> hold = schedules.join([warm_cosine, schedules.constant(0.0)], [100])
"""

from .base import Schedule
from .cyclical import cyclic, cyclic_geometry, cyclic_lr, cyclic_scale_fn, cyclic_value
from .decay import (
    cosine,
    cosine_annealing_factor,
    cosine_annealing_lr,
    exponential,
    exponential_factor,
    raised_cosine,
    step,
    step_factor,
)
from .piecewise import constant, join, linear, linear_warmup_factor, warmup

__all__ = [
    "Schedule",
    "constant",
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
    "join",
    "linear",
    "linear_warmup_factor",
    "raised_cosine",
    "step",
    "step_factor",
    "warmup",
]
