r"""Drop-in replacements for ``torch.optim`` optimizers.

Each class takes the same arguments as its ``torch.optim`` namesake, writes the
same ``state_dict`` and produces the same parameters step for step. Each
module holds one algorithm: the plain function that updates one tensor
(``sgd_step_``, ``adam_step_``, ...), the code the book explains; right under
it, its twin over lists of tensors (``sgd_foreach_``, ``adam_foreach_``, ...);
then the functional form that runs one of the two (``sgd``, ``adam``, ...) and
the class that calls it.

The twin is the multi-tensor path (``foreach=True``, the default on a GPU, as
in torch): where the per-tensor code calls ``exp_avg.lerp_(grad, 1 - beta1)``,
it calls ``torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)``, one call for
every tensor at once. Python then dispatches each operation once instead of
once per parameter, and on a GPU a foreach operation launches a few kernels
that each handle many tensors, where the loop launches one kernel per tensor
and operation: a model with hundreds of small tensors (biases, norm weights)
can spend most of a per-tensor step on that overhead. Both paths use torch's
operations in torch's order (torch 2.13), so each equals the same path of
``torch.optim`` bit for bit. On the CPU a foreach operation runs the per-tensor
kernel on each tensor of its list and the two paths agree bit for bit too; on a
GPU the foreach kernels may round differently, and they agree to round-off.

Complex parameters are stepped as torch steps them, as their ``torch.view_as_real``
views (one shared wrapper, ``_base.complex_as_real``, so the update functions stay
real); sparse gradients are accepted where torch accepts them (SGD, Adagrad, and
SparseAdam, which takes nothing else).

Arguments every optimizer shares, described here once:

``params`` (classes)
    The parameters to optimize, or dicts defining parameter groups.
``foreach`` (classes)
    ``True`` or ``False`` picks the multi-tensor or the per-tensor update;
    ``None`` (the default) picks as torch does: multi-tensor when every
    parameter of the group is on a GPU.
``maximize`` (classes and update functions)
    Maximize the objective instead of minimizing it: step along :math:`-g_t`.
``fused``, ``capturable``, ``differentiable`` (classes, where torch's has them)
    Implementation options of ``torch.optim``; only their defaults are
    supported, and any other value is refused with an error naming it.
``param``, ``grad`` (update functions)
    The parameter :math:`\theta`, updated in place, and its gradient
    :math:`g_t`, never modified. The state buffers that follow them are updated
    in place; a buffer whose option is off is ``None``.
``lr`` (update functions)
    The learning rate :math:`\eta`.
``weight_decay`` (update functions)
    Weight decay :math:`\lambda`, added to the gradient as an L2 penalty:
    :math:`g_t \leftarrow g_t + \lambda\theta_{t-1}` (Adam's decoupled form aside).
"""

from .adadelta import Adadelta, adadelta_foreach_, adadelta_step_
from .adafactor import Adafactor, adafactor_foreach_, adafactor_step_
from .adagrad import Adagrad, adagrad_foreach_, adagrad_step_
from .adam import Adam, adam_foreach_, adam_step_
from .adamax import Adamax, adamax_foreach_, adamax_step_
from .adamw import AdamW
from .adamw_schedule_free import (
    AdamWScheduleFree,
    adamw_schedule_free_foreach_,
    adamw_schedule_free_step_,
)
from .asgd import ASGD, asgd_foreach_, asgd_step_
from .lbfgs import LBFGS
from .lion import Lion, lion_foreach_, lion_step_
from .muon import Muon, muon_step_
from .nadam import NAdam, nadam_foreach_, nadam_step_
from .radam import RAdam, radam_foreach_, radam_step_
from .rmsprop import RMSprop, rmsprop_foreach_, rmsprop_step_
from .rprop import Rprop, rprop_foreach_, rprop_step_
from .sgd import SGD, sgd_foreach_, sgd_step_
from .sgd_schedule_free import SGDScheduleFree, sgd_schedule_free_foreach_, sgd_schedule_free_step_
from .sparse_adam import SparseAdam, sparse_adam_step_

__all__ = [
    "ASGD",
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "AdamWScheduleFree",
    "Adamax",
    "Lion",
    "Muon",
    "NAdam",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGDScheduleFree",
    "SparseAdam",
    "adadelta_foreach_",
    "adadelta_step_",
    "adafactor_foreach_",
    "adafactor_step_",
    "adagrad_foreach_",
    "adagrad_step_",
    "adam_foreach_",
    "adam_step_",
    "adamax_foreach_",
    "adamax_step_",
    "adamw_schedule_free_foreach_",
    "adamw_schedule_free_step_",
    "asgd_foreach_",
    "asgd_step_",
    "lion_foreach_",
    "lion_step_",
    "muon_step_",
    "nadam_foreach_",
    "nadam_step_",
    "radam_foreach_",
    "radam_step_",
    "rmsprop_foreach_",
    "rmsprop_step_",
    "rprop_foreach_",
    "rprop_step_",
    "sgd_foreach_",
    "sgd_schedule_free_foreach_",
    "sgd_schedule_free_step_",
    "sgd_step_",
    "sparse_adam_step_",
]
