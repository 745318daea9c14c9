"""One seed source for the whole book: every random draw honours ``OPTNOTES_SEED``.

The chapters name their seeds (``mlp(..., seed=0)``, ``digits(seed=0)``, five seeds
``range(5)``) and every helper that draws random numbers passes its seed through
:func:`resolve_seed`, which adds the integer offset read from the environment variable
``OPTNOTES_SEED`` (default 0). Running a chapter with ``OPTNOTES_SEED=7`` therefore
replays the whole chapter on other initial weights, data splits, batch orders and
noise: a claim that survives several offsets is a claim about the method, not about
one lucky draw.
"""

import os

import numpy as np
import torch

ENV_VAR = "OPTNOTES_SEED"


def seed_offset() -> int:
    """Return the offset added to every seed of the book.

    Returns
    -------
    int
        The value of ``OPTNOTES_SEED``, or 0 when it is unset or empty.

    Raises
    ------
    ValueError
        If ``OPTNOTES_SEED`` is not an integer.
    """
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return 0
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{ENV_VAR} must be an integer offset, not {value!r}") from None


def resolve_seed(seed: int) -> int:
    """Return the seed actually used for the seed a chapter names.

    Parameters
    ----------
    seed : int
        The seed as written in the chapter (0, 1, ...).

    Returns
    -------
    int
        ``seed + seed_offset()``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    return seed + seed_offset()


def manual_seed(seed: int = 0) -> int:
    """Seed torch's global generators (CPU and accelerators) for a chapter's own draws.

    Parameters
    ----------
    seed : int
        The seed as written in the chapter; ``OPTNOTES_SEED`` is added.

    Returns
    -------
    int
        The seed used.
    """
    used = resolve_seed(seed)
    torch.manual_seed(used)
    return used


def generator(seed: int = 0, device: torch.device | str = "cpu") -> torch.Generator:
    """Return a torch generator of its own, seeded through :func:`resolve_seed`.

    Parameters
    ----------
    seed : int
        The seed as written in the chapter; ``OPTNOTES_SEED`` is added.
    device : torch.device or str
        Where the generator draws.

    Returns
    -------
    torch.Generator
        Independent of the global random state.
    """
    return torch.Generator(device=device).manual_seed(resolve_seed(seed))


def numpy_rng(seed: int = 0) -> np.random.Generator:
    """Return a NumPy generator seeded through :func:`resolve_seed`.

    Parameters
    ----------
    seed : int
        The seed as written in the chapter; ``OPTNOTES_SEED`` is added.

    Returns
    -------
    numpy.random.Generator
        A fresh PCG64 generator.
    """
    return np.random.default_rng(resolve_seed(seed))
