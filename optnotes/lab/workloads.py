"""The head-to-head's workloads, and one training loop that counts steps for all of them.

A :class:`Workload` bundles what one comparison of optimizers needs: training,
validation and test data, a seeded model, its loss, a budget of steps, and the best
achievable loss when it is known. :func:`digits_workload` is the book's digit
classifier (an MLP on the 8x8 digits, with part of the training split held out for
validation); :func:`markov_workload` is a small transformer language model on
sequences from a random Markov chain, whose entropy rate is the best achievable loss
(:mod:`optnotes.lab.markov`). :func:`train_run` trains one model with one optimizer
for the workload's steps, under a linear warm-up and a cosine decay to zero (or
warm-up only, for the Schedule-Free optimizers, which need no schedule), and records
the validation loss along the way: the loss curves and the time to a target of the
head-to-head (:mod:`optnotes.lab.tuning`).
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from optnotes.lab.data import Data, digits
from optnotes.lab.hybrid import split_hidden_matrices
from optnotes.lab.markov import MarkovChain, TinyTransformer, markov_splits, next_token_loss
from optnotes.lab.markov import random_chain as draw_chain
from optnotes.lab.models import mlp
from optnotes.lab.seeding import generator

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True, eq=False)
class Workload:
    """A task to train on, with its budget.

    Parameters
    ----------
    name : str
        Short name, used as a key in tables.
    train, validation, test : optnotes.lab.data.Data
        The splits: trained on, used to choose settings, and reported.
    model : callable
        ``model(seed)`` returns a freshly initialised model.
    loss : callable
        ``loss(output, targets)``, a mean over the batch.
    steps : int
        Optimizer steps per run.
    batch_size : int
        Examples per step.
    eval_every : int
        Steps between two evaluations of the validation loss.
    floor : float
        The best achievable expected loss (the entropy rate of a Markov chain), or 0
        where it is not known; excess losses are losses minus ``floor``.
    target : float
        The validation excess loss whose first crossing is the time to target.
    matrices : callable
        ``matrices(model)`` returns ``(hidden_matrices, rest)``, the split of the
        parameters between Muon and AdamW.
    description : str
        One line for tables and captions.
    classification : bool
        Whether the targets are classes (an accuracy is then reported).
    levels : tuple of float
        For a Markov chain of order ``k``, the best losses of predictors that see
        ``0, 1, ..., k`` tokens of context (its ``conditional_entropy``); the last is
        ``floor``. Empty otherwise.
    """

    name: str
    train: Data
    validation: Data
    test: Data
    model: Callable[[int], nn.Module]
    loss: LossFn
    steps: int
    batch_size: int
    eval_every: int
    floor: float
    target: float
    matrices: Callable[[nn.Module], tuple[list[nn.Parameter], list[nn.Parameter]]]
    description: str = ""
    classification: bool = False
    levels: tuple[float, ...] = ()


def digits_workload(
    *,
    steps: int = 300,
    batch_size: int = 32,
    hidden: int = 64,
    validation: int = 300,
    eval_every: int = 25,
    target: float = 0.15,
    device: torch.device | str = "cpu",
) -> Workload:
    """Build the digits MLP workload: two hidden layers of ``hidden`` ReLU units, cross-entropy.

    The book's split of the 1797 digits (:func:`optnotes.lab.data.digits`, seed 0) keeps
    its test part for the test; the last ``validation`` examples of its training part
    are held out for validation. The split is the same for every seed of a trial; the
    seeds change the initial weights and the batches.

    Parameters
    ----------
    steps, batch_size, eval_every : int
        The budget: steps per run, examples per step, steps between evaluations.
    hidden : int
        Width of the two hidden layers.
    validation : int
        Training examples held out for validation.
    target : float
        Validation loss of the time to target.
    device : torch.device or str
        Where the data and the models live.

    Returns
    -------
    Workload
        With ``floor = 0`` (the best achievable loss is not known).
    """
    train, test = digits(seed=0, device=device)
    n = len(train.x) - validation
    held_out = Data(train.x[n:], train.y[n:])
    train = Data(train.x[:n], train.y[:n])

    def model(seed: int) -> nn.Module:
        return mlp(64, hidden, 10, seed=seed).to(device)

    def matrices(net: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        return split_hidden_matrices(net.parameters())

    return Workload(
        name="digits",
        train=train,
        validation=held_out,
        test=test,
        model=model,
        loss=nn.functional.cross_entropy,
        steps=steps,
        batch_size=batch_size,
        eval_every=eval_every,
        floor=0.0,
        target=target,
        matrices=matrices,
        description=f"MLP 64-{hidden}-{hidden}-10 on the 8x8 digits, {steps} steps of {batch_size}",
        classification=True,
    )


def markov_workload(
    *,
    chain: MarkovChain | None = None,
    steps: int = 300,
    batch_size: int = 32,
    context: int = 16,
    width: int = 32,
    heads: int = 2,
    layers: int = 2,
    n_train: int = 4096,
    n_eval: int = 512,
    eval_every: int = 50,
    target: float = 0.1,
    device: torch.device | str = "cpu",
) -> Workload:
    """Build a small causal transformer trained on sequences of a random Markov chain.

    Parameters
    ----------
    chain : optnotes.lab.markov.MarkovChain, optional
        The source; defaults to ``random_chain(8, order=2, concentration=0.3, seed=0)``.
    steps, batch_size, eval_every : int
        The budget: steps per run, sequences per step, steps between evaluations.
    context, width, heads, layers : int
        Sequence length and the model's shape (:class:`optnotes.lab.markov.TinyTransformer`).
    n_train, n_eval : int
        Training sequences, and sequences in each of the validation and test splits.
    target : float
        Validation excess loss (over the entropy rate) of the time to target.
    device : torch.device or str
        Where the data and the models live.

    Returns
    -------
    Workload
        With ``floor`` the chain's entropy rate.
    """
    chain = draw_chain(8, order=2, concentration=0.3, seed=0) if chain is None else chain
    train, validation, test = markov_splits(
        chain, n_train=n_train, n_validation=n_eval, n_test=n_eval, context=context, device=device
    )

    def model(seed: int) -> nn.Module:
        return TinyTransformer(
            chain.vocab, context, width=width, heads=heads, layers=layers, seed=seed
        ).to(device)

    def loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return next_token_loss(logits, targets, order=chain.order)

    def matrices(net: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        return net.hidden_matrices()

    return Workload(
        name="markov",
        train=train,
        validation=validation,
        test=test,
        model=model,
        loss=loss,
        steps=steps,
        batch_size=batch_size,
        eval_every=eval_every,
        floor=chain.entropy_rate,
        target=target,
        matrices=matrices,
        description=(
            f"transformer ({layers} layers, width {width}, {heads} heads) on an "
            f"order-{chain.order} Markov chain over {chain.vocab} tokens, context {context}, "
            f"{steps} steps of {batch_size}"
        ),
        levels=tuple(chain.conditional_entropy(k) for k in range(chain.order + 1)),
    )


@dataclass
class TrainingRun:
    """One training run of :func:`train_run`.

    Parameters
    ----------
    steps : list of int
        The steps after which the validation loss was measured, from 0 (the initial
        model) to the last.
    val_loss : list of float
        The validation loss at those steps (``inf`` once the run diverged).
    test_loss : float
        The test loss after the last step (``inf`` if the run diverged).
    test_accuracy : float or None
        The test accuracy after the last step, for classification.
    diverged : bool
        Whether a training loss became ``nan`` or infinite (training then stops).
    seconds : float
        Wall-clock time of the run.
    """

    steps: list[int]
    val_loss: list[float]
    test_loss: float
    test_accuracy: float | None
    diverged: bool
    seconds: float

    @property
    def final_val_loss(self) -> float:
        """The validation loss after the last step."""
        return self.val_loss[-1]


def lr_factor(step: int, steps: int, *, warmup: int, decay: bool) -> float:
    """Return the schedule of every run: linear warm-up over ``warmup`` steps, then cosine to 0.

    Parameters
    ----------
    step : int
        The step about to be taken, from 0.
    steps : int
        Length of the run.
    warmup : int
        Warm-up steps: the factor rises linearly from ``1 / warmup`` to 1.
    decay : bool
        Decay to 0 along a half cosine after the warm-up (``False``: stay at 1).

    Returns
    -------
    float
        The factor multiplying each group's base learning rate.
    """
    if step < warmup:
        return (step + 1) / warmup
    if not decay:
        return 1.0
    progress = (step - warmup) / max(1, steps - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def _switch(optimizer: object, mode: str) -> None:
    """Call ``optimizer.train()`` or ``.eval()`` where it has them (Schedule-Free)."""
    method = getattr(optimizer, mode, None)
    if callable(method):
        method()


@torch.no_grad()
def evaluate_loss(
    workload: Workload, model: nn.Module, data: Data, *, batch: int = 1024
) -> tuple[float, float | None]:
    """Compute the mean loss (and accuracy, for classification) of ``model`` on ``data``.

    Parameters
    ----------
    workload : optnotes.lab.workloads.Workload
        Gives the loss.
    model : torch.nn.Module
        Evaluated in eval mode, then put back in train mode.
    data : optnotes.lab.data.Data
        Inputs and targets.
    batch : int
        Examples per forward pass (the mean is weighted by the batch sizes).

    Returns
    -------
    tuple
        ``(loss, accuracy)``; the accuracy is ``None`` unless the workload is a
        classification.
    """
    model.eval()
    total, correct, n = 0.0, 0.0, len(data.x)
    for start in range(0, n, batch):
        x, y = data.x[start : start + batch], data.y[start : start + batch]
        output = model(x)
        total += workload.loss(output, y).item() * len(x)
        if workload.classification:
            correct += (output.argmax(dim=1) == y).sum().item()
    model.train()
    return total / n, (correct / n if workload.classification else None)


def train_run(
    workload: Workload,
    make_optimizer: Callable[[nn.Module], torch.optim.Optimizer],
    *,
    seed: int = 0,
    schedule: Literal["cosine", "constant", "none"] = "cosine",
    warmup_fraction: float = 0.05,
    steps: int | None = None,
) -> TrainingRun:
    """Train one model of ``workload`` with one optimizer and record its validation loss.

    The model is ``workload.model(seed)``; the batches are drawn with replacement from
    the training split by a generator of ``seed`` (:func:`optnotes.lab.seeding.generator`).
    Before each step every param group's learning rate is set to its initial value
    times :func:`lr_factor` (unless ``schedule="none"``). An optimizer with ``train()``
    and ``eval()`` methods (the Schedule-Free ones) is switched to ``eval()`` around
    every evaluation, so it is evaluated at its averaged point.

    Parameters
    ----------
    workload : optnotes.lab.workloads.Workload
        Data, model, loss and budget.
    make_optimizer : callable
        ``make_optimizer(model)`` returns the optimizer (anything with ``param_groups``,
        ``zero_grad`` and ``step``, such as :class:`optnotes.lab.hybrid.Combined`).
    seed : int
        Seed of the initial weights and the batches.
    schedule : {"cosine", "constant", "none"}
        Linear warm-up then cosine decay to zero; warm-up then constant; or the
        optimizer's own learning rate throughout (Schedule-Free, which warms up itself).
    warmup_fraction : float
        Share of the steps spent warming up (at least one step).
    steps : int, optional
        Override the workload's number of steps (a shorter run).

    Returns
    -------
    TrainingRun
        The validation curve, the final test metrics and the wall-clock time.
    """
    start = time.perf_counter()
    steps = workload.steps if steps is None else steps
    if schedule not in ("cosine", "constant", "none"):
        raise ValueError(f"schedule must be 'cosine', 'constant' or 'none', not {schedule!r}")
    warmup = max(1, round(warmup_fraction * steps))
    model = workload.model(seed)
    optimizer = make_optimizer(model)
    base_lrs = [group["lr"] for group in optimizer.param_groups]
    draws = generator(seed, device="cpu")
    n = len(workload.train.x)
    x, y = workload.train

    def validate() -> float:
        _switch(optimizer, "eval")
        loss, _ = evaluate_loss(workload, model, workload.validation)
        _switch(optimizer, "train")
        return loss if math.isfinite(loss) else math.inf

    model.train()
    _switch(optimizer, "train")
    eval_steps, val_losses = [0], [validate()]
    diverged = False
    for step in range(steps):
        if schedule != "none":
            factor = lr_factor(step, steps, warmup=warmup, decay=schedule == "cosine")
            for group, base in zip(optimizer.param_groups, base_lrs, strict=True):
                group["lr"] = base * factor
        batch = torch.randint(n, (workload.batch_size,), generator=draws).to(x.device)
        loss = workload.loss(model(x[batch]), y[batch])
        if not torch.isfinite(loss):
            diverged = True
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (step + 1) % workload.eval_every == 0 or step + 1 == steps:
            eval_steps.append(step + 1)
            val_losses.append(validate())
    if diverged:
        done = eval_steps[-1]
        rest = list(range(done + workload.eval_every, steps, workload.eval_every))
        if not rest or rest[-1] != steps:
            rest.append(steps)
        eval_steps += rest
        val_losses += [math.inf] * len(rest)
        test_loss, test_accuracy = math.inf, (0.0 if workload.classification else None)
    else:
        _switch(optimizer, "eval")
        test_loss, test_accuracy = evaluate_loss(workload, model, workload.test)
        if not math.isfinite(test_loss):
            test_loss, diverged = math.inf, True
    return TrainingRun(
        steps=eval_steps,
        val_loss=val_losses,
        test_loss=test_loss,
        test_accuracy=test_accuracy,
        diverged=diverged,
        seconds=time.perf_counter() - start,
    )


def steps_to_target(run: TrainingRun, target: float) -> int | None:
    """Return the first evaluated step whose validation loss is at most ``target``.

    Parameters
    ----------
    run : optnotes.lab.workloads.TrainingRun
        A run of :func:`train_run`.
    target : float
        The loss to reach (the workload's ``floor`` plus its ``target`` excess).

    Returns
    -------
    int or None
        The step, or ``None`` if the run never reached the target.
    """
    for step, loss in zip(run.steps, run.val_loss, strict=True):
        if loss <= target:
            return step
    return None
