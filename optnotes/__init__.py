"""optnotes: readable, tested re-implementations of PyTorch's optimizers.

The package behind the *optnotes* book. Each optimizer, learning-rate schedule and
clipping function is a drop-in replacement for its ``torch`` counterpart and is
tested to give the same numbers; the remaining modules are the helpers the
chapters share (devices, test problems, data, a training loop, plots and an
assignment checker).
"""

__version__ = "0.1.0"
