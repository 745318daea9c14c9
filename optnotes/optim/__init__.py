"""Drop-in replacements for six ``torch.optim`` optimizers.

Each class takes the same arguments as its ``torch.optim`` namesake, writes the
same ``state_dict`` and produces the same parameters step for step. Each
module pairs the class with the plain function that performs the update
(``sgd_step_``, ``adam_step_``, ...): the code the book explains. Their twins
over lists of tensors (``foreach=True``, the default on a GPU as in torch) are
in :mod:`optnotes.optim.foreach`.
"""

from .adadelta import Adadelta, adadelta_step_
from .adagrad import Adagrad, adagrad_step_
from .adam import Adam, adam_step_
from .adamw import AdamW
from .rmsprop import RMSprop, rmsprop_step_
from .sgd import SGD, sgd_step_

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "RMSprop",
    "adadelta_step_",
    "adagrad_step_",
    "adam_step_",
    "rmsprop_step_",
    "sgd_step_",
]
