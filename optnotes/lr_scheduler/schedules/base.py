r"""What a schedule is: a function of the step, made by a factory, composed by joins.

A *schedule* (the type ``Schedule``) maps the step :math:`t = 0, 1, 2, \dots` (the number of
``scheduler.step()`` calls so far) to a number, usually a factor that multiplies the
initial learning rate; it needs no optimizer, so it can be plotted, joined to another or
handed to :class:`torch.optim.lr_scheduler.LambdaLR` as ``lr_lambda``. Factories make
them: ``cosine(T_max=100)`` is the schedule, ``cosine(T_max=100)(t)`` its value at
:math:`t`. The factories return ``functools.partial`` objects of the closed-form
functions, so a schedule shows its arguments when printed and can be pickled.
"""

from collections.abc import Callable

__all__ = ["Schedule"]

# the type of a schedule: step t ≥ 0 in, factor out (not documented as an object: Sphinx
# would render the alias's value, a class it cannot link to)
Schedule = Callable[[int], float]
