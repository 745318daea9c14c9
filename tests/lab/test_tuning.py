import math

import pytest

import optnotes.optim
from optnotes.lab.hybrid import Combined
from optnotes.lab.tuning import BUDGET, HIGH, LOW, Contender, contenders, trials, tune
from optnotes.lab.workloads import TrainingRun, digits_workload, markov_workload, train_run


def test_every_contender_gets_the_same_budget_over_the_same_span():
    for contender in contenders().values():
        grid = trials(contender)
        assert len(grid) == BUDGET
        lrs = sorted({t.lr for t in grid})
        assert lrs[0] == pytest.approx(contender.lr * 10**LOW)
        assert lrs[-1] == pytest.approx(contender.lr * 10**HIGH)
        assert {t.weight_decay for t in grid} == set(contender.weight_decays)
    with pytest.raises(ValueError, match="budget"):
        trials(contenders(["AdamW"])["AdamW"], budget=5)


def test_registry_covers_the_book_and_selects_by_name():
    names = list(contenders())
    for expected in [
        "SGD",
        "SGD momentum",
        "Adagrad",
        "RMSprop",
        "Adadelta",
        "Adam",
        "AdamW",
        "Adamax",
        "NAdam",
        "RAdam",
        "ASGD",
        "Adafactor",
        "Muon + AdamW",
        "Lion",
    ]:
        assert expected in names
    if hasattr(optnotes.optim, "AdamWScheduleFree"):
        assert "AdamW Schedule-Free" in names
        assert "SGD Schedule-Free" in names
    assert list(contenders(["Lion", "Adam"])) == ["Lion", "Adam"]
    with pytest.raises(KeyError, match="unknown"):
        contenders(["Nope"])


@pytest.mark.parametrize("workload", ["digits", "markov"])
def test_every_contender_trains_a_few_steps(workload):
    w = (
        digits_workload(steps=3, eval_every=3)
        if workload == "digits"
        else markov_workload(steps=2, n_train=16, n_eval=8, eval_every=2)
    )
    for contender in contenders().values():
        make = contender.factory(w, contender.lr, contender.weight_decays[0], warmup=1)
        run = train_run(w, make, schedule="none" if contender.schedule_free else "cosine")
        assert not run.diverged, contender.name
        if contender.hybrid:
            optimizer = make(w.model(0))
            assert isinstance(optimizer, Combined)
            muon, _adamw = optimizer.optimizers
            assert all(p.ndim == 2 for g in muon.param_groups for p in g["params"])


def test_tune_chooses_the_lowest_mean_validation_loss():
    w = digits_workload(steps=15, eval_every=5)
    sgd = Contender("SGD", optnotes.optim.SGD, 0.1)
    seen = []
    tuned = tune(
        w,
        sgd,
        budget=3,
        seeds=(0, 1),
        low=-2,
        high=0,
        on_run=lambda trial, seed, run: seen.append((trial.lr, seed)),
    )
    assert len(seen) == 6
    assert len(tuned.results) == 3
    scores = [r.score for r in tuned.results]
    assert tuned.best.score == min(scores)
    assert tuned.best.trial.lr == pytest.approx(0.1)  # the largest rate wins a short run
    assert tuned.at_edge
    assert len(tuned.test_excess()) == 2
    assert tuned.floor == 0
    assert all(0 <= a <= 1 for a in tuned.test_accuracy())
    assert len(tuned.steps_to_target()) == 2


def test_a_diverged_seed_disqualifies_a_trial():
    from optnotes.lab.tuning import Trial, TrialResult

    good = TrainingRun([0, 1], [2.0, 1.0], 1.0, None, False, 0.0)
    bad = TrainingRun([0, 1], [2.0, math.inf], math.inf, None, True, 0.0)
    assert TrialResult(Trial(1.0, 0.0), [good, good]).score == 1.0
    assert TrialResult(Trial(1.0, 0.0), [good, bad]).score == math.inf
