import math
import warnings

import pytest
import torch

import optnotes.lr_scheduler
import optnotes.optim
from optnotes.clip import grad_norm
from optnotes.lab.data import adding_problem, digits, regression
from optnotes.lab.models import RNNRegressor, mlp
from optnotes.lab.training import History, evaluate, fit
from optnotes.lr_scheduler import needs_metric


@pytest.fixture(scope="module")
def digit_data():
    return digits(device="cpu")


@pytest.fixture(scope="module")
def regression_data():
    return regression(n_train=96, n_test=32, n_features=3, device="cpu")


def _fit_digits(digit_data, optimizer_cls=torch.optim.Adam, seed=0, **kwargs):
    train, test = digit_data
    model = mlp(64, 32, 10, depth=1)
    optimizer = optimizer_cls(model.parameters(), lr=1e-2)
    options = {"epochs": 3, "batch_size": 128, "val_data": test, "device": "cpu"}
    return fit(model, optimizer, train, seed=seed, progress=False, **(options | kwargs))


def test_fit_learns_digits_and_records_every_step_and_epoch(digit_data):
    history = _fit_digits(digit_data)
    steps_per_epoch = math.ceil(1347 / 128)
    assert set(history.steps) == {"epoch", "step", "loss", "lr", "grad_norm"}
    assert history.steps["step"] == list(range(1, 3 * steps_per_epoch + 1))
    assert history.steps["epoch"] == [1] * steps_per_epoch + [2] * steps_per_epoch + [3] * 11
    assert history.steps["lr"] == [1e-2] * (3 * steps_per_epoch)
    assert history.epochs["epoch"] == [1, 2, 3]
    assert history.epochs["step"] == [11, 22, 33]
    assert set(history.epochs) == {
        "epoch",
        "step",
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
    }
    assert history.epochs["train_loss"][-1] < history.epochs["train_loss"][0]
    assert history.epochs["val_accuracy"][-1] > 0.9
    assert not history.diverged


def test_epoch_train_loss_is_the_mean_of_its_batch_losses(digit_data):
    history = _fit_digits(digit_data, epochs=1)
    sizes = [128] * 10 + [1347 - 1280]
    mean = sum(loss * n for loss, n in zip(history.steps["loss"], sizes, strict=True)) / 1347
    assert history.epochs["train_loss"][0] == pytest.approx(mean)


def test_fit_is_seeded(digit_data):
    first, second = _fit_digits(digit_data, epochs=1), _fit_digits(digit_data, epochs=1)
    other = _fit_digits(digit_data, epochs=1, seed=1)
    assert first.as_dict() == second.as_dict()
    assert first.steps["loss"] != other.steps["loss"]


def test_fit_works_with_our_optimizers(digit_data):
    ours = _fit_digits(digit_data, optimizer_cls=optnotes.optim.Adam, epochs=1)
    theirs = _fit_digits(digit_data, optimizer_cls=torch.optim.Adam, epochs=1)
    assert ours.steps["loss"] == pytest.approx(theirs.steps["loss"], rel=1e-5)


def test_grad_norm_is_recorded_before_clipping(regression_data):
    train, _ = regression_data
    model = mlp(3, 8, 1, depth=1)
    before = [p.detach().clone() for p in model.parameters()]
    lr, max_norm = 0.1, 1e-3
    history = fit(
        model,
        torch.optim.SGD(model.parameters(), lr=lr),
        train,
        epochs=1,
        batch_size=96,
        clip_grad_norm=max_norm,
        device="cpu",
        progress=False,
    )
    # the recorded norm is the true one, far above max_norm ...
    reference = mlp(3, 8, 1, depth=1)
    loss = torch.nn.functional.mse_loss(reference(train.x), train.y)
    loss.backward()
    assert history.steps["grad_norm"] == [pytest.approx(grad_norm(reference.parameters()).item())]
    assert history.steps["grad_norm"][0] > 100 * max_norm
    # ... but the step taken is that of the clipped gradient: ‖Δθ‖ = η·max_norm
    step = torch.cat(
        [(p.detach() - b).flatten() for p, b in zip(model.parameters(), before, strict=True)]
    )
    assert step.norm().item() == pytest.approx(lr * max_norm, rel=1e-3)


def test_regression_records_loss_but_no_accuracy(regression_data):
    train, test = regression_data
    model = mlp(3, 8, 1)
    history = fit(
        model,
        torch.optim.SGD(model.parameters(), lr=0.01),
        train,
        val_data=test,
        epochs=2,
        batch_size=32,
        device="cpu",
        progress=False,
    )
    assert set(history.epochs) == {"epoch", "step", "train_loss", "val_loss"}
    assert history.epochs["val_loss"][-1] == pytest.approx(evaluate(model, test)["loss"])


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("batch", [0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125]),
        ("epoch", [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]),
    ],
)
def test_scheduler_steps_per_batch_or_per_epoch(regression_data, interval, expected):
    train, _ = regression_data
    model = mlp(3, 8, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = fit(
        model,
        optimizer,
        train,
        epochs=2,
        batch_size=32,
        scheduler=scheduler,
        scheduler_interval=interval,
        device="cpu",
        progress=False,
    )
    assert history.steps["lr"] == pytest.approx(expected)


class RecordingPlateau(torch.optim.lr_scheduler.ReduceLROnPlateau):
    def __init__(self, optimizer):
        super().__init__(optimizer)
        self.seen = []

    def step(self, metrics, epoch=None):
        self.seen.append(metrics)
        super().step(metrics)


@pytest.mark.parametrize("with_validation", [True, False])
def test_plateau_scheduler_watches_validation_or_training_loss(regression_data, with_validation):
    train, test = regression_data
    model = mlp(3, 8, 1)
    scheduler = RecordingPlateau(torch.optim.SGD(model.parameters(), lr=0.01))
    history = fit(
        model,
        scheduler.optimizer,
        train,
        epochs=3,
        batch_size=32,
        val_data=test if with_validation else None,
        scheduler=scheduler,
        device="cpu",
        progress=False,
    )
    watched = "val_loss" if with_validation else "train_loss"
    assert scheduler.seen == history.epochs[watched]


def test_our_plateau_scheduler_cuts_the_learning_rate(regression_data):
    train, _ = regression_data
    model = mlp(3, 8, 1)
    optimizer = optnotes.optim.SGD(model.parameters(), lr=0.01)
    # a threshold no loss can beat: every epoch is bad, so with patience 0 every epoch cuts
    scheduler = optnotes.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, threshold=10.0)
    history = fit(
        model,
        optimizer,
        train,
        epochs=3,
        batch_size=96,
        scheduler=scheduler,
        device="cpu",
        progress=False,
    )
    assert history.steps["lr"] == pytest.approx([0.01, 0.001, 0.0001])


def test_needs_metric_tells_plateau_schedulers_apart():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    assert needs_metric(torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer))
    assert needs_metric(optnotes.lr_scheduler.ReduceLROnPlateau(optimizer))
    assert not needs_metric(torch.optim.lr_scheduler.StepLR(optimizer, step_size=1))
    assert not needs_metric(optnotes.lr_scheduler.StepLR(optimizer, step_size=1))
    plateau = optnotes.lr_scheduler.ReduceLROnPlateau(optimizer)
    assert needs_metric(optnotes.lr_scheduler.LinearWarmup(optimizer, 2, after=plateau))
    step = optnotes.lr_scheduler.StepLR(optimizer, step_size=1)
    assert not needs_metric(optnotes.lr_scheduler.LinearWarmup(optimizer, 2, after=step))


def test_fit_feeds_the_validation_loss_through_a_warmup_to_the_plateau(regression_data):
    train, test = regression_data
    model = mlp(3, 8, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    plateau = optnotes.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    warmup = optnotes.lr_scheduler.LinearWarmup(optimizer, 2, after=plateau)
    history = fit(
        model, optimizer, train, val_data=test, epochs=5, batch_size=32,
        scheduler=warmup, device="cpu", progress=False,
    )  # fmt: skip
    assert plateau.last_epoch == 5 - 2  # every epoch after the warm-up reached the plateau
    assert plateau.best == pytest.approx(min(history.epochs["val_loss"][2:]))


def test_bad_scheduler_interval_is_refused(regression_data):
    train, _ = regression_data
    model = mlp(3, 8, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(ValueError, match="'epoch' or 'batch'"):
        fit(model, optimizer, train, epochs=1, batch_size=32, scheduler_interval="step")
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    with pytest.raises(ValueError, match="per epoch"):
        fit(
            model,
            optimizer,
            train,
            epochs=1,
            batch_size=32,
            scheduler=plateau,
            scheduler_interval="batch",
        )


def test_divergence_stops_training(regression_data):
    train, _ = regression_data
    model = mlp(3, 8, 1)
    history = fit(
        model,
        torch.optim.SGD(model.parameters(), lr=10.0),
        train,
        epochs=50,
        batch_size=32,
        device="cpu",
        progress=False,
    )
    assert history.diverged
    assert len(history.epochs["epoch"]) < 50
    assert not math.isfinite(history.epochs["train_loss"][-1])


def test_clipping_tames_the_exploding_rnn():
    train, _ = adding_problem(n_train=256, n_test=1, seq_len=40, device="cpu")
    runs = {}
    for max_norm in (None, 1.0):
        model = RNNRegressor()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        runs[max_norm] = fit(
            model,
            optimizer,
            train,
            epochs=3,
            batch_size=32,
            clip_grad_norm=max_norm,
            device="cpu",
            progress=False,
        )
    assert not all(loss < 1e3 for loss in runs[None].steps["loss"])  # huge, inf or nan
    assert all(loss < 10 for loss in runs[1.0].steps["loss"])
    assert max(runs[1.0].steps["grad_norm"]) > 1e3  # the gradient explodes, clipped or not


def test_history_exports_copies_and_tables(digit_data):
    history = _fit_digits(digit_data, epochs=2)
    exported = history.as_dict()
    exported["steps"]["loss"].clear()
    assert len(history.steps["loss"]) == 22
    epochs = history.to_dataframe()
    assert list(epochs["epoch"]) == [1, 2]
    assert list(epochs.columns) == list(history.epochs)
    steps = history.to_dataframe("steps")
    assert len(steps) == 22
    assert list(steps["loss"]) == history.steps["loss"]


def test_empty_history_has_not_diverged():
    assert not History().diverged


def test_evaluate_counts_correct_predictions_and_restores_the_mode():
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))
        model.bias.zero_()
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 1, 1, 1])
    metrics = evaluate(model, (x, y))
    assert metrics["accuracy"] == 0.75
    assert metrics["loss"] == pytest.approx(torch.nn.functional.cross_entropy(x, y).item())
    assert model.training
    model.eval()
    evaluate(model, (x, y))
    assert not model.training


def test_progress_bar_prints_no_widget_warning(regression_data, capsys):
    train, _ = regression_data
    model = mlp(3, 8, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(
            model,
            torch.optim.SGD(model.parameters(), lr=0.01),
            train,
            epochs=2,
            batch_size=32,
            device="cpu",
            progress=True,
        )
    err = capsys.readouterr().err
    assert "training on cpu" in err
    assert "2/2" in err
    assert "IProgress" not in err


def test_optimizer_state_follows_the_model_to_the_device():
    model = mlp(3, 8, 1).double()
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.01)  # state made in __init__
    train, _ = regression(n_train=32, n_test=1, n_features=3, device="cpu")
    train = (train.x.double(), train.y.double())
    history = fit(model, optimizer, train, epochs=1, batch_size=32, device="cpu", progress=False)
    assert not history.diverged
    state = optimizer.state[next(model.parameters())]
    assert state["sum"].device == next(model.parameters()).device
