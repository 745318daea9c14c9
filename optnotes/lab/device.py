"""Choose the device the chapters train on, and describe it in one line.

The choice is the fastest available accelerator: CUDA, then Apple's MPS, then the
CPU. Setting the environment variable ``OPTNOTES_DEVICE`` (for example ``cpu`` or
``cuda:1``) overrides it, so a reader can rerun a chapter on the CPU without editing
the notebook.
"""

import os

import torch

ENV_VAR = "OPTNOTES_DEVICE"


def best_device() -> torch.device:
    """Return the device to compute on.

    Returns
    -------
    torch.device
        The device named by ``OPTNOTES_DEVICE`` when that variable is set, otherwise
        ``cuda`` if available, then ``mps``, then ``cpu``.

    Raises
    ------
    ValueError
        If ``OPTNOTES_DEVICE`` names a device that is unknown or not available here.
    """
    requested = os.environ.get(ENV_VAR, "").strip()
    if requested:
        return _validated(requested)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _validated(name: str) -> torch.device:
    """Parse ``name`` as a device and check that it can be used on this machine."""
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise ValueError(f"{ENV_VAR}={name!r} is not a device name: {error}") from None
    if device.type == "cpu":
        available = True
    elif device.type == "cuda":
        index = 0 if device.index is None else device.index
        available = torch.cuda.is_available() and index < torch.cuda.device_count()
    elif device.type == "mps":
        available = torch.backends.mps.is_available()
    else:
        raise ValueError(f"{ENV_VAR}={name!r}: only cpu, cuda[:index] and mps are supported")
    if not available:
        raise ValueError(f"{ENV_VAR}={name!r}, but that device is not available on this machine")
    return device


def describe_device(device: torch.device | str) -> str:
    """Describe a device in one line, for a notebook to print.

    Parameters
    ----------
    device : torch.device or str
        The device to describe.

    Returns
    -------
    str
        For example ``"cpu (2 threads)"`` or ``"cuda:0 (NVIDIA H100 80GB HBM3)"``.
    """
    device = torch.device(device)
    if device.type == "cuda":
        index = torch.cuda.current_device() if device.index is None else device.index
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"cpu ({threads} thread{'s' if threads > 1 else ''})"
    return str(device)
