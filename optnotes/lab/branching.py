r"""Resumable training and branching runs: one stable run, several cool-downs.

A warmup–stable–decay schedule for a budget of :math:`T` steps agrees with the schedule
of every longer budget up to the step where its own cool-down starts. One run can
therefore serve several budgets: train the shared *trunk* once, save a checkpoint where
each budget's cool-down begins, and *branch* from it. This module holds what that needs:

* :func:`train_steps` trains steps ``start, ..., stop - 1`` of a run whose batches are a
  function of the seed and the step alone, so that a run stopped and resumed draws the
  same batches as one that never stopped;
* :class:`Checkpoint`, :func:`save_checkpoint` and :func:`restore` copy the
  ``state_dict`` of the model, the optimizer and the scheduler and load them back;
* :func:`train_branches` trains a trunk with branches and :func:`train_run` a single
  run from scratch, both on the same batches, and :class:`BranchedRun` reports what
  each budget reached and how many steps all of it cost.

Every random draw passes through :mod:`optnotes.lab.seeding`.
"""

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from optnotes.lab.seeding import generator
from optnotes.lab.training import evaluate

__all__ = [
    "BranchedRun",
    "Checkpoint",
    "batch_order",
    "restore",
    "save_checkpoint",
    "train_branches",
    "train_run",
    "train_steps",
]

Batch = tuple[torch.Tensor, torch.Tensor]
ModelFactory = Callable[[], nn.Module]
OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
#: ``(optimizer, budget, last_epoch) -> scheduler``: the schedule of a run of ``budget``
#: steps, positioned at step ``last_epoch + 1`` (``-1`` starts afresh, as in torch).
BudgetScheduler = Callable[[torch.optim.Optimizer, int, int], Any]


def batch_order(n_examples: int, epochs: int, *, seed: int = 0) -> torch.Tensor:
    """Return the shuffled example order of the first ``epochs`` passes over the data.

    Pass ``e`` is the ``e``-th permutation drawn from ``generator(seed)`` on the CPU, so
    the order of any pass depends on the seed alone, not on what ran before.

    Parameters
    ----------
    n_examples : int
        Number of training examples.
    epochs : int
        Number of passes.
    seed : int
        Seed of the order (``OPTNOTES_SEED`` is added).

    Returns
    -------
    torch.Tensor
        Shape ``(epochs, n_examples)``; row ``e`` is a permutation of ``0, ..., n - 1``.
    """
    draws = generator(seed)
    return torch.stack([torch.randperm(n_examples, generator=draws) for _ in range(epochs)])


def _batch(order: torch.Tensor, step: int, batch_size: int) -> torch.Tensor:
    """Return the indices of the batch of ``step``: batch ``step mod B`` of pass ``step // B``."""
    n_examples = order.shape[1]
    per_epoch = -(-n_examples // batch_size)  # ceil: the last batch may be smaller
    epoch, index = divmod(step, per_epoch)
    return order[epoch, index * batch_size : (index + 1) * batch_size]


def train_steps(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    data: Batch,
    *,
    start: int,
    stop: int,
    batch_size: int,
    seed: int = 0,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> tuple[list[float], list[float]]:
    r"""Train steps ``start, ..., stop - 1`` of a run, stepping the scheduler after each.

    Step :math:`t` uses batch :math:`t \bmod B` of pass :math:`\lfloor t / B \rfloor`
    of :func:`batch_order` (:math:`B` batches per pass), so training from ``0`` to
    ``stop`` in one call or in several consecutive calls, with the states saved and
    restored in between, computes the same thing.

    Parameters
    ----------
    model : torch.nn.Module
        The model, already on the device of ``data``.
    optimizer : torch.optim.Optimizer
        Its optimizer.
    scheduler : torch.optim.lr_scheduler.LRScheduler or None
        Stepped once after every optimizer step; ``None`` for none.
    data : tuple of torch.Tensor
        Training inputs and class indices.
    start, stop : int
        The first step and one past the last.
    batch_size : int
        Examples per step.
    seed : int
        Seed of the batch order.
    loss_fn : callable, optional
        ``loss_fn(output, targets)``; cross-entropy by default.

    Returns
    -------
    tuple of list of float
        The batch loss and the learning rate (of the first param group) of every step
        trained.
    """
    x, y = data
    loss_fn = nn.functional.cross_entropy if loss_fn is None else loss_fn
    per_epoch = -(-len(x) // batch_size)
    order = batch_order(len(x), max(stop - 1, 0) // per_epoch + 1, seed=seed).to(x.device)
    model.train()
    losses, lrs = [], []
    for step in range(start, stop):
        batch = _batch(order, step, batch_size)
        loss = loss_fn(model(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.detach())
    return (torch.stack(losses).tolist() if losses else []), lrs


@dataclass(frozen=True)
class Checkpoint:
    r"""Copies of the ``state_dict`` of a model, its optimizer and its scheduler.

    Parameters
    ----------
    step : int
        The number of steps trained: the next step to train.
    model, optimizer, scheduler : dict
        The three ``state_dict``\ s, deep copies (what ``torch.save`` would write).
    """

    step: int
    model: dict[str, Any]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None


def save_checkpoint(
    step: int, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any = None
) -> Checkpoint:
    """Copy the states of a run after ``step`` steps.

    Parameters
    ----------
    step : int
        Steps trained so far.
    model : torch.nn.Module
        The model.
    optimizer : torch.optim.Optimizer
        Its optimizer.
    scheduler : torch.optim.lr_scheduler.LRScheduler, optional
        Its scheduler.

    Returns
    -------
    Checkpoint
        Independent of the live objects: training on does not change it.
    """
    return Checkpoint(
        step,
        copy.deepcopy(model.state_dict()),
        copy.deepcopy(optimizer.state_dict()),
        None if scheduler is None else copy.deepcopy(scheduler.state_dict()),
    )


def restore(
    checkpoint: Checkpoint,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any = None,
) -> int:
    """Load a checkpoint into fresh objects of the same kinds.

    Parameters
    ----------
    checkpoint : Checkpoint
        What :func:`save_checkpoint` returned.
    model : torch.nn.Module
        A model of the same architecture, on the device to train on.
    optimizer : torch.optim.Optimizer
        An optimizer of the same kind over ``model.parameters()``.
    scheduler : torch.optim.lr_scheduler.LRScheduler, optional
        A scheduler of the same kind; its state is loaded when given.

    Returns
    -------
    int
        The step to resume from.
    """
    model.load_state_dict(checkpoint.model)
    optimizer.load_state_dict(copy.deepcopy(checkpoint.optimizer))
    if scheduler is not None:
        scheduler.load_state_dict(copy.deepcopy(checkpoint.scheduler))
    return checkpoint.step


@dataclass(frozen=True)
class BranchedRun:
    """What :func:`train_branches` (or :func:`train_run`, one budget) trained.

    Parameters
    ----------
    final : dict
        ``budget -> metrics`` after the last step of that budget's run: ``evaluate``'s
        dictionary (``loss``, ``accuracy``) on each evaluation set, keys prefixed with
        its name (``"train_loss"``, ``"test_accuracy"``, ...).
    at_branch : dict
        ``budget -> metrics`` of the trunk where that budget's cool-down branches off.
    lrs : dict
        ``budget -> list`` of the learning rate (first param group) of every step of
        that budget's run, trunk included.
    losses : dict
        ``budget -> list`` of the batch loss of every step of that budget's run.
    steps_trained : int
        Optimizer steps computed for all budgets together.
    models : dict
        ``budget -> model`` at the end of its run.
    """

    final: dict[int, dict[str, float]]
    at_branch: dict[int, dict[str, float]]
    lrs: dict[int, list[float]]
    losses: dict[int, list[float]]
    steps_trained: int
    models: dict[int, nn.Module]


def _metrics(model: nn.Module, sets: Mapping[str, Batch]) -> dict[str, float]:
    return {
        f"{name}_{key}": value
        for name, data in sets.items()
        for key, value in evaluate(model, data).items()
    }


def train_branches(
    make_model: ModelFactory,
    make_optimizer: OptimizerFactory,
    make_scheduler: BudgetScheduler,
    data: Batch,
    *,
    budgets: Iterable[int],
    branch_at: Mapping[int, int],
    batch_size: int,
    evaluate_on: Mapping[str, Batch] | None = None,
    seed: int = 0,
) -> BranchedRun:
    """Train one trunk and branch a cool-down off it for each budget.

    The trunk runs under the schedule of the longest budget. At ``branch_at[T]`` its
    model, optimizer and scheduler are saved; the branch of budget ``T`` restores model
    and optimizer into fresh objects, builds the schedule of budget ``T`` positioned at
    the checkpoint's step (``make_scheduler(optimizer, T, step - 1)``, torch's way of
    resuming a scheduler) and trains on to step ``T``. If the schedules of all budgets
    agree up to their branch points (as warmup–stable–decay schedules with a common
    warm-up and peak do), every branch computes exactly what a run of that budget from
    scratch computes.

    Parameters
    ----------
    make_model : callable
        ``make_model()`` returns a fresh model, on the device of ``data``.
    make_optimizer : callable
        ``make_optimizer(params)`` returns its optimizer.
    make_scheduler : callable
        ``make_scheduler(optimizer, budget, last_epoch)`` returns the scheduler of a run
        of ``budget`` steps; ``last_epoch = -1`` starts it afresh.
    data : tuple of torch.Tensor
        Training inputs and class indices.
    budgets : iterable of int
        The run lengths to serve.
    branch_at : dict
        ``budget -> step`` where that budget's schedule leaves the trunk's, between 0
        and the budget.
    batch_size : int
        Examples per step.
    evaluate_on : dict, optional
        ``name -> (inputs, targets)`` evaluated at each branch point and at the end of
        each budget; by default the training data, as ``"train"``.
    seed : int
        Seed of the batch order (the model's seed is ``make_model``'s business).

    Returns
    -------
    BranchedRun
        The metrics of every budget, at its branch point and at its end, its learning
        rates and losses, and the steps computed in all.

    Raises
    ------
    ValueError
        If a budget has no branch point or one outside ``[0, budget]``.
    """
    budgets = sorted(set(budgets))
    for budget in budgets:
        if budget not in branch_at or not 0 <= branch_at[budget] <= budget:
            raise ValueError(f"budget {budget} needs a branch point in [0, {budget}]")
    sets = {"train": data} if evaluate_on is None else dict(evaluate_on)
    longest = budgets[-1]
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer, longest, -1)
    trunk_losses: list[float] = []
    trunk_lrs: list[float] = []
    step, steps_trained = 0, 0
    checkpoints, at_branch = {}, {}
    for budget in sorted(budgets, key=lambda b: branch_at[b]):
        point = branch_at[budget]
        new_losses, new_lrs = train_steps(
            model, optimizer, scheduler, data, start=step, stop=point,
            batch_size=batch_size, seed=seed,
        )  # fmt: skip
        trunk_losses += new_losses
        trunk_lrs += new_lrs
        steps_trained += point - step
        step = point
        checkpoints[budget] = save_checkpoint(step, model, optimizer, scheduler)
        at_branch[budget] = _metrics(model, sets)

    final, lrs, losses, models = {}, {}, {}, {}
    for budget in budgets:
        checkpoint = checkpoints[budget]
        model = make_model()
        optimizer = make_optimizer(model.parameters())
        start = restore(checkpoint, model, optimizer)
        scheduler = make_scheduler(optimizer, budget, checkpoint.scheduler["last_epoch"] - 1)
        branch_losses, branch_lrs = train_steps(
            model, optimizer, scheduler, data, start=start, stop=budget,
            batch_size=batch_size, seed=seed,
        )  # fmt: skip
        steps_trained += budget - start
        final[budget] = _metrics(model, sets)
        lrs[budget] = trunk_lrs[:start] + branch_lrs
        losses[budget] = trunk_losses[:start] + branch_losses
        models[budget] = model
    return BranchedRun(final, at_branch, lrs, losses, steps_trained, models)


def train_run(
    make_model: ModelFactory,
    make_optimizer: OptimizerFactory,
    make_scheduler: BudgetScheduler,
    data: Batch,
    *,
    budget: int,
    batch_size: int,
    evaluate_on: Mapping[str, Batch] | None = None,
    seed: int = 0,
) -> BranchedRun:
    """Train one run of ``budget`` steps from scratch, on the batches of :func:`train_branches`.

    Parameters
    ----------
    make_model, make_optimizer, make_scheduler : callable
        As for :func:`train_branches`.
    data : tuple of torch.Tensor
        Training inputs and class indices.
    budget : int
        Steps to train.
    batch_size : int
        Examples per step.
    evaluate_on : dict, optional
        As for :func:`train_branches`.
    seed : int
        Seed of the batch order.

    Returns
    -------
    BranchedRun
        With the one budget, branched at step 0 (``at_branch`` is the untrained model).
    """
    sets = {"train": data} if evaluate_on is None else dict(evaluate_on)
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer, budget, -1)
    at_start = _metrics(model, sets)
    losses, lrs = train_steps(
        model, optimizer, scheduler, data, start=0, stop=budget, batch_size=batch_size, seed=seed
    )
    return BranchedRun(
        {budget: _metrics(model, sets)},
        {budget: at_start},
        {budget: lrs},
        {budget: losses},
        budget,
        {budget: model},
    )
