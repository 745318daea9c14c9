r"""Snapshot ensembles (Huang et al., 2017): copies of one run's weights, averaged in prediction.

A run with warm restarts ends each cycle at a small learning rate, near a minimum; a copy of
the weights taken there is a *snapshot*. An ensemble of :math:`M` snapshots predicts the
average of their class probabilities,

.. math::
    \bar p(y \mid x) = \frac{1}{M} \sum_{m=1}^{M} \operatorname{softmax}(f_{\theta_m}(x))_y,

computed here in log space, :math:`\log \bar p = \operatorname{logsumexp}_m \log p_m - \log M`,
so that probabilities too small for floating point (a member very sure of another class)
do not underflow to ``log(0)``.

* :func:`train_snapshots` trains the digit classifier with :func:`~optnotes.lab.training.fit`,
  one segment between consecutive snapshots at a time, and keeps a copy of the weights at
  the end of each segment (``fit`` has no callbacks; the optimizer, its state and the
  scheduler carry over from segment to segment);
* :func:`member_log_probs` evaluates the snapshots on a data set;
* :func:`ensemble_scores` scores the average of the members' probabilities (negative
  log-likelihood and accuracy), and :func:`disagreement` measures how different the members'
  predictions are.
"""

import copy
import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from optnotes.lab.data import Data, digits
from optnotes.lab.experiments import OptimizerFactory, SchedulerFactory
from optnotes.lab.models import mlp
from optnotes.lab.training import History, fit

__all__ = [
    "SnapshotRun",
    "disagreement",
    "ensemble_scores",
    "member_log_probs",
    "train_snapshots",
]


@dataclass(frozen=True)
class SnapshotRun:
    """One training run of :func:`train_snapshots`.

    Parameters
    ----------
    model : torch.nn.Module
        The trained model, with the weights of the last snapshot.
    snapshots : tuple of dict
        One ``state_dict`` (a copy) per snapshot, in the order they were taken.
    snapshot_epochs : tuple of int
        The epoch at whose end each snapshot was taken.
    history : History
        The records of all segments joined into one run: ``step`` and ``epoch`` count on
        across segments.
    """

    model: nn.Module
    snapshots: tuple[dict[str, torch.Tensor], ...]
    snapshot_epochs: tuple[int, ...]
    history: History


def _join(histories: Sequence[History]) -> History:
    """Join the histories of consecutive ``fit`` calls, counting steps and epochs on."""
    joined = History()
    steps_before = epochs_before = 0
    for part in histories:
        for level, records in (("steps", part.steps), ("epochs", part.epochs)):
            target = getattr(joined, level)
            for key, values in records.items():
                if key == "step":
                    values = [v + steps_before for v in values]
                elif key == "epoch":
                    values = [v + epochs_before for v in values]
                target.setdefault(key, []).extend(values)
        steps_before += len(part.steps.get("step", []))
        epochs_before += len(part.epochs.get("epoch", []))
    return joined


def train_snapshots(
    make_optimizer: OptimizerFactory,
    *,
    make_scheduler: SchedulerFactory,
    snapshot_epochs: Sequence[int],
    data: tuple[Data, Data] | None = None,
    batch_size: int = 32,
    hidden: int = 64,
    depth: int = 2,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> SnapshotRun:
    """Train the digit classifier, scheduler stepped per batch, and keep snapshots.

    The run is cut into segments that end at the ``snapshot_epochs``; each segment is one
    call of :func:`~optnotes.lab.training.fit` that continues with the same model,
    optimizer and scheduler. ``fit`` seeds the batch order at each call: segment
    :math:`k` (from 0) is seeded with ``1000 * seed + k``, so segments draw different
    batch orders and two schedules trained with the same ``seed`` see the same batches.

    Parameters
    ----------
    make_optimizer : callable
        ``make_optimizer(params)`` returns the optimizer, e.g. ``sgd_momentum(0.05)``.
    make_scheduler : callable
        ``make_scheduler(optimizer)`` returns a scheduler, stepped after every batch.
    snapshot_epochs : sequence of int
        Increasing epochs (counted from 1) at whose end a snapshot is taken; the last
        one is the length of the run.
    data : tuple of Data, optional
        ``(train, test)``; defaults to the digits split of ``seed``. The test split is
        evaluated after every epoch (in the history) and never trained on.
    batch_size : int
        Examples per step.
    hidden, depth : int
        Width and number of hidden layers of the MLP.
    seed : int
        Seed of the initial weights, the default split and (see above) the batch order.
    device : torch.device or str, optional
        Where to train; defaults to ``best_device()``.

    Returns
    -------
    SnapshotRun
        The model, the snapshots, their epochs and the joined history.

    Raises
    ------
    ValueError
        If ``snapshot_epochs`` is empty or not strictly increasing from at least 1.
    """
    ends = list(snapshot_epochs)
    if not ends or ends[0] < 1 or any(b <= a for a, b in itertools.pairwise(ends)):
        raise ValueError(f"snapshot_epochs must increase from at least 1, got {ends}")
    train, test = digits(seed=seed, device=device) if data is None else data
    model = mlp(train.x.shape[1], hidden, 10, depth=depth, seed=seed)
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer)
    histories, snapshots = [], []
    for k, (start, end) in enumerate(itertools.pairwise([0, *ends])):
        histories.append(
            fit(
                model,
                optimizer,
                train,
                val_data=test,
                epochs=end - start,
                batch_size=batch_size,
                scheduler=scheduler,
                scheduler_interval="batch",
                device=device,
                seed=1000 * seed + k,
                progress=False,
            )
        )
        snapshots.append(copy.deepcopy(model.state_dict()))
    return SnapshotRun(model, tuple(snapshots), tuple(ends), _join(histories))


@torch.no_grad()
def member_log_probs(
    model: nn.Module,
    snapshots: Sequence[dict[str, torch.Tensor]],
    x: torch.Tensor,
) -> torch.Tensor:
    """Evaluate each snapshot's log-probabilities of the classes.

    Parameters
    ----------
    model : torch.nn.Module
        A model of the snapshots' architecture; a copy is loaded with each snapshot, the
        model itself is left unchanged.
    snapshots : sequence of dict
        ``state_dict`` s of the members.
    x : torch.Tensor
        Inputs, one example per row (moved to the model's device).

    Returns
    -------
    torch.Tensor
        Shape ``(len(snapshots), len(x), n_classes)``: ``log_softmax`` of each member's
        output, on the CPU in float64.
    """
    member = copy.deepcopy(model).eval()
    x = x.to(next(member.parameters()).device)
    rows = []
    for state in snapshots:
        member.load_state_dict(state)
        rows.append(torch.log_softmax(member(x).double(), dim=1).cpu())
    return torch.stack(rows)


def ensemble_scores(log_probs: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    r"""Score the ensemble that averages the members' probabilities.

    Parameters
    ----------
    log_probs : torch.Tensor
        Shape ``(members, examples, classes)``, as from :func:`member_log_probs`; one
        member scores that model alone.
    y : torch.Tensor
        Class indices, shape ``(examples,)``.

    Returns
    -------
    dict
        ``"nll"``: the mean over examples of :math:`-\log \bar p(y \mid x)`;
        ``"accuracy"``: the fraction of examples whose most probable class under
        :math:`\bar p` is ``y``.
    """
    mean_log_p = torch.logsumexp(log_probs, dim=0) - math.log(log_probs.shape[0])
    y = y.to(mean_log_p.device)
    nll = -mean_log_p.gather(1, y[:, None]).mean()
    accuracy = (mean_log_p.argmax(dim=1) == y).double().mean()
    return {"nll": nll.item(), "accuracy": accuracy.item()}


def disagreement(log_probs: torch.Tensor) -> float:
    """Return how often two members predict different classes, averaged over all pairs.

    Parameters
    ----------
    log_probs : torch.Tensor
        Shape ``(members, examples, classes)``, at least two members.

    Returns
    -------
    float
        The mean over pairs of members of the fraction of examples on which their most
        probable classes differ: 0 for identical predictions.

    Raises
    ------
    ValueError
        If there are fewer than two members.
    """
    if log_probs.shape[0] < 2:
        raise ValueError("disagreement needs at least two members")
    predictions = log_probs.argmax(dim=2)
    pairs = itertools.combinations(range(len(predictions)), 2)
    return statistics.fmean(
        (predictions[i] != predictions[j]).double().mean().item() for i, j in pairs
    )
