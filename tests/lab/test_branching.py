"""Resumable training and branching runs: exact resume, shared trunks, step counts."""

import pytest
import torch

from optnotes.lab import branching
from optnotes.lab.data import digits
from optnotes.lab.models import mlp
from optnotes.lr_scheduler import WSDLR, WarmupCosineLR
from optnotes.optim import SGD


@pytest.fixture(scope="module")
def data():
    x, y = digits(seed=0, device="cpu")[0]
    return x[:100], y[:100]


def make_model():
    return mlp(64, 8, 10, depth=1, seed=3)


def make_optimizer(params):
    return SGD(params, lr=0.05, momentum=0.9)


BUDGETS = (20, 40, 80)
BRANCH_AT = {b: b - b // 5 for b in BUDGETS}


def make_wsd(optimizer, budget, last_epoch):
    d = budget - BRANCH_AT[budget]
    return WSDLR(optimizer, 4, budget - d - 4, d, shape="1-sqrt", last_epoch=last_epoch)


def parameters(model):
    return [p.detach().clone() for p in model.parameters()]


def test_batch_order_depends_on_seed_only():
    a = branching.batch_order(10, 3, seed=1)
    assert torch.equal(a, branching.batch_order(10, 3, seed=1))
    assert torch.equal(a[:2], branching.batch_order(10, 2, seed=1))
    assert not torch.equal(a, branching.batch_order(10, 3, seed=2))
    for row in a:
        assert sorted(row.tolist()) == list(range(10))


def test_batches_cover_each_pass_once():
    order = branching.batch_order(10, 2, seed=0)
    batches = [branching._batch(order, t, 4) for t in range(6)]  # 3 batches per pass
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2]
    assert sorted(torch.cat(batches[:3]).tolist()) == list(range(10))


def test_train_steps_in_pieces_equals_one_call(data):
    model, optimizer = make_model(), None
    optimizer = make_optimizer(model.parameters())
    losses, lrs = branching.train_steps(
        model, optimizer, make_wsd(optimizer, 40, -1), data, start=0, stop=40, batch_size=16
    )
    assert len(losses) == len(lrs) == 40
    whole = parameters(model)

    model = make_model()
    optimizer = make_optimizer(model.parameters())
    scheduler = make_wsd(optimizer, 40, -1)
    first, _ = branching.train_steps(
        model, optimizer, scheduler, data, start=0, stop=13, batch_size=16
    )
    checkpoint = branching.save_checkpoint(13, model, optimizer, scheduler)
    branching.train_steps(model, optimizer, scheduler, data, start=13, stop=20, batch_size=16)
    # a fresh set of objects resumes from the checkpoint, unaffected by training on
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    scheduler = make_wsd(optimizer, 40, -1)
    start = branching.restore(checkpoint, model, optimizer, scheduler)
    assert start == 13
    rest, rest_lrs = branching.train_steps(
        model, optimizer, scheduler, data, start=13, stop=40, batch_size=16
    )
    assert first + rest == losses
    assert rest_lrs == lrs[13:]
    assert all(torch.equal(p, q) for p, q in zip(parameters(model), whole, strict=True))


def test_branches_equal_runs_from_scratch(data):
    run = branching.train_branches(
        make_model, make_optimizer, make_wsd, data,
        budgets=BUDGETS, branch_at=BRANCH_AT, batch_size=16,
    )  # fmt: skip
    assert run.steps_trained == BRANCH_AT[80] + sum(b - BRANCH_AT[b] for b in BUDGETS)
    for budget in BUDGETS:
        alone = branching.train_run(
            make_model, make_optimizer, make_wsd, data, budget=budget, batch_size=16
        )
        assert alone.steps_trained == budget
        assert alone.losses[budget] == run.losses[budget]
        assert alone.lrs[budget] == run.lrs[budget]
        assert len(run.lrs[budget]) == budget
        assert alone.final[budget] == run.final[budget]
        assert set(run.final[budget]) == {"train_loss", "train_accuracy"}
        assert all(
            torch.equal(p, q)
            for p, q in zip(
                alone.models[budget].parameters(), run.models[budget].parameters(), strict=True
            )
        )
    # the cool-down ends at zero learning rate, the trunk is at the peak at the branch point
    assert run.lrs[80][-1] < 0.05 * 0.1
    assert run.lrs[80][BRANCH_AT[20]] == 0.05


def test_schedules_that_disagree_before_the_branch_point_do_not_match(data):
    """Branching is only exact when the schedules share the trunk: cosines do not."""

    def make_cosine(optimizer, budget, last_epoch):
        return WarmupCosineLR(optimizer, 4, budget, last_epoch=last_epoch)

    run = branching.train_branches(
        make_model, make_optimizer, make_cosine, data,
        budgets=(20, 80), branch_at={20: 16, 80: 64}, batch_size=16,
    )  # fmt: skip
    alone = branching.train_run(make_model, make_optimizer, make_cosine, data, budget=20,
                                batch_size=16)  # fmt: skip
    assert alone.lrs[20] != run.lrs[20]


def test_evaluate_on_and_bad_branch_points(data):
    sets = {"a": data, "b": (data[0][:10], data[1][:10])}
    run = branching.train_run(
        make_model, make_optimizer, make_wsd, data, budget=20, batch_size=16, evaluate_on=sets
    )
    assert set(run.final[20]) == {"a_loss", "a_accuracy", "b_loss", "b_accuracy"}
    with pytest.raises(ValueError, match="branch point"):
        branching.train_branches(
            make_model, make_optimizer, make_wsd, data,
            budgets=(20,), branch_at={20: 21}, batch_size=16,
        )  # fmt: skip
    with pytest.raises(ValueError, match="branch point"):
        branching.train_branches(
            make_model, make_optimizer, make_wsd, data,
            budgets=(20, 40), branch_at={20: 16}, batch_size=16,
        )  # fmt: skip
