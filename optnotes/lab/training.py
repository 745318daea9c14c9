"""A small, seeded training loop that records what the optimizer did.

:func:`fit` trains any model with any optimizer (ours or ``torch.optim``'s), an
optional learning-rate scheduler and optional gradient clipping, and returns a
:class:`History`: the loss, learning rate and gradient norm of every step, and the
loss and accuracy of every epoch. The whole data set is moved to the device once and
batches are drawn with a seeded permutation, which keeps small runs fast.
"""

import importlib.util
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import torch
from torch import nn

from optnotes.clip import clip_grad_norm_, grad_norm
from optnotes.lab.device import best_device
from optnotes.lab.seeding import manual_seed
from optnotes.lr_scheduler import needs_metric

if TYPE_CHECKING:
    import pandas as pd
    import tqdm.std as tqdm_std

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class History:
    """Records of a training run, one list per quantity.

    Parameters
    ----------
    steps : dict
        One entry per optimizer step: ``epoch``, ``step`` (counted from 1), ``loss`` (of
        the batch), ``lr`` (of the first param group, as used by this step) and
        ``grad_norm`` (global 2-norm of the gradients, before any clipping).
    epochs : dict
        One entry per epoch: ``epoch``, ``step`` (the last step of the epoch),
        ``train_loss`` (mean over the epoch's batches), ``val_loss`` when validation data
        were given, and ``train_accuracy`` / ``val_accuracy`` for classification.
    """

    steps: dict[str, list[float]] = field(default_factory=dict)
    epochs: dict[str, list[float]] = field(default_factory=dict)

    @property
    def diverged(self) -> bool:
        """Whether the loss became ``nan`` or infinite, which stops training."""
        return any(not math.isfinite(loss) for loss in self.steps.get("loss", []))

    def as_dict(self) -> dict[str, dict[str, list[float]]]:
        """Return the records as plain lists, e.g. to save as JSON.

        Returns
        -------
        dict
            ``{"steps": {...}, "epochs": {...}}``, copies of ``steps`` and ``epochs``.
        """
        return {
            "steps": {key: list(values) for key, values in self.steps.items()},
            "epochs": {key: list(values) for key, values in self.epochs.items()},
        }

    def to_dataframe(self, level: Literal["steps", "epochs"] = "epochs") -> "pd.DataFrame":
        """Return one level of the records as a table (needs pandas).

        Parameters
        ----------
        level : str
            Which records: ``"steps"`` (one row per step) or ``"epochs"`` (one row per
            epoch).

        Returns
        -------
        pandas.DataFrame
            One column per recorded quantity.
        """
        import pandas as pd

        return pd.DataFrame(self.as_dict()[level])


def _extend(records: dict[str, list[float]], new: dict[str, list[float]]) -> None:
    """Append the lists in ``new`` to the lists of the same names in ``records``."""
    for key, values in new.items():
        records.setdefault(key, []).extend(values)


def _is_classification(targets: torch.Tensor) -> bool:
    """Integer targets are class indices; floating-point targets are regression values."""
    return not torch.is_floating_point(targets)


def _default_loss(targets: torch.Tensor) -> LossFn:
    return nn.CrossEntropyLoss() if _is_classification(targets) else nn.MSELoss()


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: tuple[torch.Tensor, torch.Tensor],
    loss_fn: LossFn | None = None,
) -> dict[str, float]:
    """Compute a model's loss (and accuracy, for classification) on a whole data set.

    Parameters
    ----------
    model : torch.nn.Module
        The model; it is put in evaluation mode for the computation and back after.
    data : tuple of torch.Tensor
        Inputs and targets, moved to the model's device if they are elsewhere.
    loss_fn : callable, optional
        ``loss_fn(output, targets)``, a mean over the examples; defaults to cross-entropy
        for integer targets and mean squared error otherwise.

    Returns
    -------
    dict
        ``{"loss": ...}``, plus ``"accuracy"`` (a fraction) for integer targets.
    """
    device = next(model.parameters()).device
    x, y = (tensor.to(device) for tensor in data)
    loss_fn = _default_loss(y) if loss_fn is None else loss_fn
    was_training = model.training
    model.eval()
    output = model(x)
    model.train(was_training)
    metrics = {"loss": loss_fn(output, y).item()}
    if _is_classification(y):
        metrics["accuracy"] = (output.argmax(dim=1) == y).float().mean().item()
    return metrics


def batch_indices(
    n_examples: int, batch_size: int, *, device: torch.device | str
) -> tuple[torch.Tensor, ...]:
    """Draw one pass of shuffled mini-batches: the index batches of one epoch of :func:`fit`.

    A random permutation of ``0, ..., n_examples - 1`` is drawn on the CPU from torch's
    global generator (so a ``manual_seed`` before the first call fixes every later pass),
    moved to ``device`` and split into consecutive chunks of ``batch_size``.

    Parameters
    ----------
    n_examples : int
        Number of examples to index.
    batch_size : int
        Indices per batch; the last batch holds the remainder and may be smaller.
    device : torch.device or str
        Where the index tensors live (where the data are).

    Returns
    -------
    tuple of torch.Tensor
        ``ceil(n_examples / batch_size)`` index tensors that together hold every index
        exactly once.
    """
    return torch.randperm(n_examples).to(device).split(batch_size)


def fit(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_data: tuple[torch.Tensor, torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    loss_fn: LossFn | None = None,
    val_data: tuple[torch.Tensor, torch.Tensor] | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    scheduler_interval: Literal["epoch", "batch"] = "epoch",
    clip_grad_norm: float | None = None,
    device: torch.device | str | None = None,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Train a model with mini-batches and record every step.

    Training stops early if the loss becomes ``nan`` or infinite (see
    ``History.diverged``).

    Parameters
    ----------
    model : torch.nn.Module
        The model, moved to ``device`` (the optimizer's state follows it).
    optimizer : torch.optim.Optimizer
        Any optimizer over the model's parameters.
    train_data : tuple of torch.Tensor
        Inputs and targets, e.g. a ``Data`` from ``optnotes.lab.data``.
    epochs : int
        Number of passes over the training data.
    batch_size : int
        Examples per step; the last batch of an epoch may be smaller.
    loss_fn : callable, optional
        ``loss_fn(output, targets)``, a mean over the batch; defaults to cross-entropy
        for integer targets and mean squared error otherwise.
    val_data : tuple of torch.Tensor, optional
        Data evaluated after every epoch.
    scheduler : torch.optim.lr_scheduler.LRScheduler, optional
        A learning-rate scheduler of the optimizer. One whose ``step`` needs a metric
        (a ``ReduceLROnPlateau``) is stepped once per epoch with the validation loss (the
        training loss when there is no validation data); any other is stepped as
        ``scheduler_interval`` says.
    scheduler_interval : str
        Step the scheduler after every ``"epoch"`` or after every ``"batch"``.
    clip_grad_norm : float, optional
        If given, clip the global gradient norm to this value before each step.
    device : torch.device or str, optional
        Where to train; defaults to ``best_device()``.
    seed : int
        Seeds torch's random number generators (``OPTNOTES_SEED`` is added, see
        :mod:`optnotes.lab.seeding`): the batch order and any randomness in the model
        (dropout) repeat exactly.
    progress : bool
        Show a progress bar over the epochs.

    Returns
    -------
    History
        The per-step and per-epoch records.

    Raises
    ------
    ValueError
        If ``scheduler_interval`` is unknown, or is ``"batch"`` for a scheduler that
        needs a metric.
    """
    plateau = scheduler is not None and needs_metric(scheduler)
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(
            f"scheduler_interval must be 'epoch' or 'batch', not {scheduler_interval!r}"
        )
    if plateau and scheduler_interval == "batch":
        raise ValueError(
            "a scheduler stepped with a metric watches it per epoch: use scheduler_interval='epoch'"
        )

    device = best_device() if device is None else torch.device(device)
    _move(model, optimizer, device)
    x, y = (tensor.to(device) for tensor in train_data)
    loss_fn = _default_loss(y) if loss_fn is None else loss_fn
    classification = _is_classification(y)
    n_examples = len(x)
    manual_seed(seed)

    history = History()
    bar = _progress_bar(range(1, epochs + 1), desc=f"training on {device}", disable=not progress)
    step = 0
    for epoch in bar:
        model.train()
        losses, norms, lrs, sizes, correct = [], [], [], [], 0
        for batch in batch_indices(n_examples, batch_size, device=device):
            output = model(x[batch])
            loss = loss_fn(output, y[batch])
            optimizer.zero_grad()
            loss.backward()
            if clip_grad_norm is None:
                norm = grad_norm(model.parameters())
            else:
                norm = clip_grad_norm_(model.parameters(), clip_grad_norm)
            lrs.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.step()
            if scheduler is not None and scheduler_interval == "batch":
                scheduler.step()
            losses.append(loss.detach())
            norms.append(norm)
            sizes.append(len(batch))
            if classification:
                correct += (output.argmax(dim=1) == y[batch]).sum()

        # one transfer from the device per epoch, not one per step
        batch_losses = torch.stack(losses).tolist()
        _extend(
            history.steps,
            {
                "epoch": [epoch] * len(batch_losses),
                "step": list(range(step + 1, step + len(batch_losses) + 1)),
                "loss": batch_losses,
                "lr": lrs,
                "grad_norm": torch.stack(norms).tolist(),
            },
        )
        step += len(batch_losses)
        record = {
            "epoch": epoch,
            "step": step,
            "train_loss": sum(b * s for b, s in zip(batch_losses, sizes, strict=True)) / n_examples,
        }
        if classification:
            record["train_accuracy"] = float(correct) / n_examples
        if val_data is not None:
            record.update({f"val_{k}": v for k, v in evaluate(model, val_data, loss_fn).items()})
        _extend(history.epochs, {key: [value] for key, value in record.items()})
        bar.set_postfix({k: f"{v:.4g}" for k, v in record.items() if k not in ("epoch", "step")})

        if not math.isfinite(record["train_loss"]):
            break
        if plateau:
            scheduler.step(record.get("val_loss", record["train_loss"]))
        elif scheduler is not None and scheduler_interval == "epoch":
            scheduler.step()
    bar.close()
    return history


def _move(model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    """Move a model to ``device`` together with any state its optimizer already holds."""
    model.to(device)
    # load_state_dict casts every state tensor to its parameter's device (Adagrad, for
    # one, creates its state in __init__, before the model was moved).
    optimizer.load_state_dict(optimizer.state_dict())


def _progress_bar(iterable: Iterable[int], **kwargs: object) -> "tqdm_std.tqdm":
    """Wrap ``iterable`` in tqdm's notebook bar where widgets can be drawn, a text bar elsewhere.

    ``tqdm.auto`` would warn ("IProgress not found") in a notebook without ipywidgets.
    """
    if importlib.util.find_spec("ipywidgets") is None:
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(iterable, **kwargs)
