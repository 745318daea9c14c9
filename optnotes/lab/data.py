"""Small data sets for the chapters' training runs: nothing is downloaded.

Every function returns a ``(train, test)`` pair of :class:`Data`, already on the
device, and gives the same tensors for the same ``seed``.
"""

from typing import NamedTuple

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from optnotes.lab.device import best_device
from optnotes.lab.seeding import numpy_rng, resolve_seed


class Data(NamedTuple):
    """Inputs and targets of one split; unpacks as ``x, y = data``."""

    x: torch.Tensor
    """Inputs, one example per row."""
    y: torch.Tensor
    """Targets, as class indices (``torch.long``) or as real values."""


def digits(
    *,
    n_train: int | None = None,
    test_size: float = 0.25,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[Data, Data]:
    """Load scikit-learn's 8x8 handwritten digits as standardized tensors.

    The 1797 images ship with scikit-learn. The split is stratified and seeded; each of
    the 64 pixels is shifted and scaled by the mean and standard deviation it has in the
    training examples (constant pixels are only shifted).

    Parameters
    ----------
    n_train : int, optional
        Keep only this many training examples, e.g. to watch a model over-fit.
    test_size : float
        Fraction of the images held out for testing.
    seed : int
        Seed of the split (``OPTNOTES_SEED`` is added, see :mod:`optnotes.lab.seeding`).
    device : torch.device or str, optional
        Where to put the tensors; defaults to ``best_device()``.

    Returns
    -------
    tuple of Data
        ``(train, test)``: inputs of shape ``(n, 64)`` in float32, targets in
        ``0..9`` as ``torch.long``.
    """
    images, labels = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=resolve_seed(seed), stratify=labels
    )
    x_train, y_train = x_train[:n_train], y_train[:n_train]
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std[std == 0] = 1.0
    return (
        _to_data((x_train - mean) / std, y_train, device),
        _to_data((x_test - mean) / std, y_test, device),
    )


def regression(
    *,
    n_train: int = 200,
    n_test: int = 200,
    n_features: int = 10,
    noise: float = 0.1,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[Data, Data]:
    r"""Draw a linear regression problem, :math:`y = x w + \text{noise}`.

    Inputs and weights are standard normal; the noise is normal with standard
    deviation ``noise``.

    Parameters
    ----------
    n_train, n_test : int
        Number of training and test examples.
    n_features : int
        Number of input features.
    noise : float
        Standard deviation of the noise added to the targets.
    seed : int
        Seed of the draw (``OPTNOTES_SEED`` is added, see :mod:`optnotes.lab.seeding`).
    device : torch.device or str, optional
        Where to put the tensors; defaults to ``best_device()``.

    Returns
    -------
    tuple of Data
        ``(train, test)``: inputs of shape ``(n, n_features)``, targets of shape
        ``(n, 1)``, both float32.
    """
    rng = numpy_rng(seed)
    weights = rng.standard_normal((n_features, 1))
    x = rng.standard_normal((n_train + n_test, n_features))
    y = x @ weights + noise * rng.standard_normal((n_train + n_test, 1))
    return (
        _to_data(x[:n_train], y[:n_train], device),
        _to_data(x[n_train:], y[n_train:], device),
    )


def adding_problem(
    *,
    n_train: int = 512,
    n_test: int = 256,
    seq_len: int = 50,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[Data, Data]:
    """Draw the adding problem: sum the two marked numbers of a long sequence.

    Each step of a sequence carries two inputs: a number drawn uniformly from [0, 1]
    and a marker that is 1 at exactly two steps (one in each half) and 0 elsewhere.
    The target is the sum of the two marked numbers, so the answer depends on inputs
    seen long before the end: the task of Hochreiter & Schmidhuber (1997) used to
    study exploding and vanishing gradients.

    Parameters
    ----------
    n_train, n_test : int
        Number of training and test sequences.
    seq_len : int
        Length of every sequence (at least 2).
    seed : int
        Seed of the draw (``OPTNOTES_SEED`` is added, see :mod:`optnotes.lab.seeding`).
    device : torch.device or str, optional
        Where to put the tensors; defaults to ``best_device()``.

    Returns
    -------
    tuple of Data
        ``(train, test)``: inputs of shape ``(n, seq_len, 2)``, targets of shape
        ``(n, 1)``, both float32.
    """
    rng = numpy_rng(seed)
    n = n_train + n_test
    values = rng.uniform(size=(n, seq_len))
    markers = np.zeros((n, seq_len))
    rows = np.arange(n)
    markers[rows, rng.integers(0, seq_len // 2, size=n)] = 1.0
    markers[rows, rng.integers(seq_len // 2, seq_len, size=n)] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values * markers).sum(axis=1, keepdims=True)
    return (
        _to_data(x[:n_train], y[:n_train], device),
        _to_data(x[n_train:], y[n_train:], device),
    )


def _to_data(x: np.ndarray, y: np.ndarray, device: torch.device | str | None) -> Data:
    """Convert NumPy arrays to float32 inputs and float32 or long targets on ``device``."""
    device = best_device() if device is None else torch.device(device)
    target_dtype = torch.long if np.issubdtype(y.dtype, np.integer) else torch.float32
    return Data(
        x=torch.as_tensor(x, dtype=torch.float32, device=device),
        y=torch.as_tensor(y, dtype=target_dtype, device=device),
    )
