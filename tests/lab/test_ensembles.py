import itertools
import math

import pytest
import torch

from optnotes.lab.data import digits
from optnotes.lab.ensembles import (
    SnapshotRun,
    disagreement,
    ensemble_scores,
    member_log_probs,
    train_snapshots,
)
from optnotes.lab.experiments import sgd_momentum
from optnotes.lab.models import mlp
from optnotes.lab.training import evaluate, fit
from optnotes.lr_scheduler import CosineAnnealingWarmRestarts


@pytest.fixture(scope="module")
def digit_data():
    train, test = digits(device="cpu")
    return train, test


def _restarts(optimizer):
    return CosineAnnealingWarmRestarts(optimizer, T_0=8)


@pytest.fixture(scope="module")
def run(digit_data):
    return train_snapshots(
        sgd_momentum(0.05),
        make_scheduler=_restarts,
        snapshot_epochs=[1, 3],
        data=digit_data,
        batch_size=256,
        hidden=16,
        device="cpu",
    )


def test_train_snapshots_keeps_one_copy_per_segment_and_joins_the_history(run):
    assert isinstance(run, SnapshotRun)
    assert run.snapshot_epochs == (1, 3)
    assert len(run.snapshots) == 2
    steps_per_epoch = math.ceil(1347 / 256)
    assert run.history.steps["step"] == list(range(1, 3 * steps_per_epoch + 1))
    assert run.history.epochs["epoch"] == [1, 2, 3]
    assert run.history.epochs["step"] == [steps_per_epoch * e for e in (1, 2, 3)]
    # the copies are frozen: the first differs from the final weights, the last equals them
    final = run.model.state_dict()
    assert not all(torch.equal(run.snapshots[0][k], final[k]) for k in final)
    assert all(torch.equal(run.snapshots[1][k], final[k]) for k in final)


def test_the_scheduler_carries_on_across_segments(run):
    # stepped per batch across the fit calls: 6 steps in the first segment, a restart after
    # 8 steps, in the second
    lrs = run.history.steps["lr"]
    assert lrs[0] == lrs[8] == lrs[16] == 0.05
    assert all(b < a for a, b in itertools.pairwise(lrs[:8]))


def test_train_snapshots_equals_one_fit_when_there_is_one_segment(digit_data):
    train, test = digit_data
    one = train_snapshots(
        sgd_momentum(0.05),
        make_scheduler=_restarts,
        snapshot_epochs=[2],
        data=digit_data,
        batch_size=256,
        hidden=16,
        seed=3,
        device="cpu",
    )
    model = mlp(64, 16, 10, seed=3)
    optimizer = sgd_momentum(0.05)(model.parameters())
    history = fit(
        model,
        optimizer,
        train,
        val_data=test,
        epochs=2,
        batch_size=256,
        scheduler=_restarts(optimizer),
        scheduler_interval="batch",
        device="cpu",
        seed=3000,
        progress=False,
    )
    assert one.history.steps["loss"] == history.steps["loss"]
    assert all(torch.equal(one.snapshots[0][k], v) for k, v in model.state_dict().items())


def test_train_snapshots_rejects_bad_epochs(digit_data):
    for bad in ([], [0, 2], [2, 2], [3, 1]):
        with pytest.raises(ValueError, match="snapshot_epochs"):
            train_snapshots(
                sgd_momentum(0.05),
                make_scheduler=_restarts,
                snapshot_epochs=bad,
                data=digit_data,
                device="cpu",
            )


def test_member_log_probs_evaluates_each_snapshot_and_leaves_the_model(run, digit_data):
    _, test = digit_data
    before = {k: v.clone() for k, v in run.model.state_dict().items()}
    members = member_log_probs(run.model, run.snapshots, test.x)
    assert members.shape == (2, len(test.y), 10)
    assert members.dtype == torch.float64
    assert torch.allclose(members.exp().sum(dim=2), torch.ones(2, len(test.y), dtype=torch.float64))
    assert all(torch.equal(before[k], v) for k, v in run.model.state_dict().items())
    # one member scores like the model itself
    alone = ensemble_scores(members[-1:], test.y)
    direct = evaluate(run.model, test)
    assert alone["nll"] == pytest.approx(direct["loss"], rel=1e-5)
    assert alone["accuracy"] == pytest.approx(direct["accuracy"])


def test_ensemble_scores_average_the_probabilities():
    p = torch.tensor(
        [
            [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]],
            [[0.3, 0.6, 0.1], [0.2, 0.1, 0.7]],
        ],
        dtype=torch.float64,
    )
    y = torch.tensor([0, 2])
    scores = ensemble_scores(p.log(), y)
    # averages: example 0 (0.5, 0.4, 0.1) -> class 0 right; example 1 (0.15, 0.1, 0.75)
    assert scores["nll"] == pytest.approx(-(math.log(0.5) + math.log(0.75)) / 2)
    assert scores["accuracy"] == 1.0
    # Jensen: never above the mean of the members' NLLs
    members = [ensemble_scores(p[m : m + 1].log(), y)["nll"] for m in range(2)]
    assert scores["nll"] <= sum(members) / 2
    # a member certain of a wrong class gives no log(0)
    certain = torch.tensor([[[0.0, 1.0]], [[1.0, 0.0]]], dtype=torch.float64).log()
    assert ensemble_scores(certain, torch.tensor([0]))["nll"] == pytest.approx(math.log(2))


def test_disagreement_counts_differing_predictions_over_pairs():
    predictions = torch.tensor([[0, 1, 2, 3], [0, 1, 2, 0], [1, 1, 2, 0]])
    log_probs = torch.nn.functional.one_hot(predictions, 4).double()
    # pairs: (0,1) differ on 1 of 4, (0,2) on 2, (1,2) on 1
    assert disagreement(log_probs) == pytest.approx((1 + 2 + 1) / 12)
    assert disagreement(log_probs[:1].expand(3, -1, -1)) == 0.0
    with pytest.raises(ValueError, match="two members"):
        disagreement(log_probs[:1])
