import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pytest
import torch

import optnotes.optim
from optnotes.lab.data import digits, regression
from optnotes.lab.lr_range import RangeTestResult, lr_range_test, plot_lr_range
from optnotes.lab.models import mlp
from optnotes.lab.plotting import MIN_FONT_PT
from optnotes.lab.seeding import manual_seed
from optnotes.lab.training import batch_indices, fit


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def regression_train():
    return regression(n_train=128, n_test=8, n_features=4, device="cpu")[0]


@pytest.fixture(scope="module")
def digits_train():
    return digits(n_train=200, device="cpu")[0]


def _run(model, optimizer, data, **kwargs):
    options = {"batch_size": 32, "device": "cpu"} | kwargs
    return lr_range_test(model, optimizer, None, data, **options)


def test_lrs_are_geometric_from_start_to_end(regression_train):
    model = mlp(4, 8, 1, depth=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    result = _run(model, optimizer, regression_train, start_lr=1e-5, end_lr=1e-2, num_steps=25)
    assert not result.stopped_early
    assert len(result.lrs) == len(result.losses) == len(result.smoothed) == 25
    assert result.lrs[0] == 1e-5
    assert result.lrs[-1] == 1e-2
    assert result.lrs == np.geomspace(1e-5, 1e-2, 25).tolist()
    ratios = np.asarray(result.lrs[1:]) / np.asarray(result.lrs[:-1])
    np.testing.assert_allclose(ratios, 1e3 ** (1 / 24), rtol=1e-12)


def _snapshot(model, optimizer):
    return {
        "params": [p.detach().clone() for p in model.parameters()],
        "grads": [p.grad.clone() for p in model.parameters()],
        "state": {
            key: {name: torch.as_tensor(value).clone() for name, value in state.items()}
            for key, state in optimizer.state_dict()["state"].items()
        },
        "groups": [
            {k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups
        ],
        "lrs": [group["lr"] for group in optimizer.param_groups],
    }


def _assert_same(before, after):
    for a, b in zip(before["params"], after["params"], strict=True):
        assert torch.equal(a, b)
    for a, b in zip(before["grads"], after["grads"], strict=True):
        assert torch.equal(a, b)
    assert before["state"].keys() == after["state"].keys()
    for key, state in before["state"].items():
        assert state.keys() == after["state"][key].keys()
        for name, value in state.items():
            assert torch.equal(value, after["state"][key][name])
    assert before["groups"] == after["groups"]
    assert before["lrs"] == after["lrs"]


@pytest.mark.parametrize(
    ("optimizer_cls", "options"),
    [
        (torch.optim.SGD, {"momentum": 0.9}),
        (optnotes.optim.Adam, {"amsgrad": True}),
    ],
)
def test_originals_are_untouched_bit_for_bit(digits_train, optimizer_cls, options):
    model = mlp(64, 16, 10, depth=1)
    head, body = list(model.parameters())[-2:], list(model.parameters())[:-2]
    optimizer = optimizer_cls([{"params": body}, {"params": head, "lr": 3e-3}], lr=1e-2, **options)
    x, y = digits_train
    for _ in range(2):  # some optimizer state and gradients to protect
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    before = _snapshot(model, optimizer)
    param_ids = [id(p) for p in model.parameters()]

    result = _run(model, optimizer, digits_train, start_lr=1e-4, end_lr=1.0, num_steps=30)

    assert len(result.lrs) >= 10
    assert min(result.smoothed) < result.smoothed[0]  # the copy did learn
    _assert_same(before, _snapshot(model, optimizer))
    assert [id(p) for p in model.parameters()] == param_ids
    assert [id(p) for group in optimizer.param_groups for p in group["params"]] == param_ids
    assert model.training


def test_batch_indices_partition_the_examples_and_repeat_with_the_seed():
    with torch.random.fork_rng(devices=[]):
        manual_seed(3)
        first = batch_indices(10, 4, device="cpu")
        second = batch_indices(10, 4, device="cpu")  # the next pass: another permutation
        manual_seed(3)
        again = batch_indices(10, 4, device="cpu") + batch_indices(10, 4, device="cpu")
    assert [len(batch) for batch in first] == [4, 4, 2]
    assert sorted(torch.cat(first).tolist()) == list(range(10))
    assert all(torch.equal(a, b) for a, b in zip(first + second, again, strict=True))
    assert not torch.equal(torch.cat(first), torch.cat(second))


def test_range_test_sees_the_batches_fit_sees(regression_train):
    """Both draw their batches with ``batch_indices``: at a tiny learning rate the first
    epoch's batch losses agree (the weights barely move, and identically)."""
    x, y = regression_train
    model = mlp(4, 8, 1, depth=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-12)
    result = _run(
        model, optimizer, regression_train, start_lr=1e-12, end_lr=2e-12, num_steps=4, seed=7
    )
    history = fit(
        model, optimizer, (x, y), epochs=1, batch_size=32, device="cpu", seed=7, progress=False
    )
    np.testing.assert_allclose(result.losses, history.steps["loss"], rtol=1e-6)


def test_smoothed_loss_is_fastai_bias_corrected_average(regression_train):
    model = mlp(4, 8, 1, depth=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    result = _run(
        model, optimizer, regression_train, start_lr=1e-4, end_lr=1e-1, num_steps=20, smoothing=0.9
    )
    average, expected = 0.0, []
    for t, loss in enumerate(result.losses, start=1):
        average = 0.9 * average + 0.1 * loss
        expected.append(average / (1 - 0.9**t))
    np.testing.assert_allclose(result.smoothed, expected, rtol=1e-12)
    assert result.smoothed[0] == pytest.approx(result.losses[0])

    raw = _run(
        model, optimizer, regression_train, start_lr=1e-4, end_lr=1e-1, num_steps=20, smoothing=0.0
    )
    assert raw.smoothed == raw.losses == result.losses


def test_stops_early_when_the_loss_diverges(regression_train):
    model = mlp(4, 8, 1, depth=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    result = _run(model, optimizer, regression_train, start_lr=1e-4, end_lr=1e3, num_steps=60)
    assert result.stopped_early
    assert len(result.lrs) < 60
    last, earlier = result.smoothed[-1], result.smoothed[:-1]
    assert not math.isfinite(last) or last > 4.0 * min(earlier)
    assert all(s <= 4.0 * min(earlier[: i + 1]) for i, s in enumerate(earlier))

    patient = _run(
        model,
        optimizer,
        regression_train,
        start_lr=1e-4,
        end_lr=1e3,
        num_steps=60,
        diverge_factor=1e30,
    )
    assert len(patient.lrs) > len(result.lrs)


def test_same_seed_same_curve_and_the_seed_offset_changes_it(regression_train, monkeypatch):
    def run():
        model = mlp(4, 8, 1, depth=1)
        return _run(model, torch.optim.SGD(model.parameters(), lr=0.1), regression_train, **kw)

    kw = {"start_lr": 1e-3, "end_lr": 1e-1, "num_steps": 10}
    first = run()
    torch.manual_seed(123)
    state = torch.get_rng_state()
    assert run().losses == first.losses
    assert torch.equal(torch.get_rng_state(), state)  # the global random state is kept
    monkeypatch.setenv("OPTNOTES_SEED", "5")
    assert run().losses != first.losses


def test_rejects_a_train_test_pair_and_bad_arguments(regression_train):
    model = mlp(4, 8, 1, depth=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="inputs, targets"):
        _run(model, optimizer, regression(n_train=8, n_test=8, n_features=4, device="cpu"))
    for bad in ({"start_lr": 1.0, "end_lr": 0.1}, {"num_steps": 1}, {"smoothing": 1.0}):
        with pytest.raises(ValueError):  # noqa: PT011
            _run(model, optimizer, regression_train, **bad)
    other = torch.optim.SGD(mlp(4, 8, 1).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="not the model's"):
        _run(model, other, regression_train)


def _synthetic() -> RangeTestResult:
    """A loss that falls fastest at lr = 1e-3 and is smallest at lr = 1e-1."""
    lrs = np.geomspace(1e-5, 1.0, 51)  # ten points a decade: 1e-3 and 1e-1 are on the grid
    u = np.log10(lrs)
    smoothed = -np.tanh(2 * (u + 3)) + 0.5 * np.maximum(u + 1, 0) ** 2
    return RangeTestResult(
        lrs=lrs.tolist(), losses=smoothed.tolist(), smoothed=smoothed.tolist(), stopped_early=True
    )


def test_suggestion_rules_on_a_known_curve():
    result = _synthetic()
    assert result.suggestion() == pytest.approx(1e-3, rel=1e-9)
    assert result.suggestion("steepest") == pytest.approx(1e-3, rel=1e-9)
    assert result.suggestion("min/10") == pytest.approx(1e-2, rel=1e-9)


def test_suggestion_skips_the_ends_and_ignores_non_finite_points():
    lrs = np.geomspace(1e-4, 1.0, 41)
    smoothed = np.linspace(2.0, 1.0, 41)
    smoothed[2] = -100.0  # a steep drop in the skipped start
    smoothed[-1] = np.inf  # the divergence
    result = RangeTestResult(lrs.tolist(), smoothed.tolist(), smoothed.tolist(), True)
    assert result.suggestion("min/10", skip_end=1) == pytest.approx(lrs[-2] / 10)
    assert result.suggestion("min/10", skip_start=0, skip_end=0) == pytest.approx(lrs[2] / 10)
    assert result.suggestion("steepest") > lrs[5]
    with pytest.raises(ValueError, match="unknown rule"):
        result.suggestion("valley")
    with pytest.raises(ValueError, match="finite points"):
        RangeTestResult(lrs[:10].tolist(), [1.0] * 10, [1.0] * 10).suggestion()


def _texts(fig):
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]


def test_plot_draws_log_axis_curves_and_marks():
    result = _synthetic()
    ax = plot_lr_range(result, mark=("steepest", "min/10"))
    ax.figure.canvas.draw()
    assert ax.get_xscale() == "log"
    labels = ax.get_legend_handles_labels()[1]
    assert labels[:2] == ["batch loss", "smoothed loss"]
    assert labels[2] == f"steepest: {result.suggestion('steepest'):.2g}"
    assert labels[3] == f"min/10: {result.suggestion('min/10'):.2g}"
    marks = [line.get_xdata()[0] for line in ax.get_lines()[2:]]
    assert marks == pytest.approx([1e-3, 1e-2])
    assert {"steepest", "min/10"} <= {t.get_text().strip() for t in _texts(ax.figure)}
    assert all(t.get_fontsize() >= MIN_FONT_PT for t in _texts(ax.figure))
    assert "stopped early" in ax.get_title()


def test_plot_into_given_axes_without_marks():
    _, ax = plt.subplots()
    result = _synthetic()
    assert plot_lr_range(result, ax, mark=()) is ax
    assert len(ax.get_lines()) == 2
