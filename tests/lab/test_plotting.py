import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pytest
import torch

from optnotes.lab.plotting import (
    MIN_FONT_PT,
    STYLE,
    plot_heatmap,
    plot_history,
    plot_lr_schedules,
    plot_seeds,
    plot_trajectories,
    series_styles,
    style,
)
from optnotes.lab.problems import QUADRATIC, ROSENBROCK, run_trajectory
from optnotes.lab.training import History


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _history(accuracy=True, scale=1.0):
    steps = {
        "epoch": [1, 1, 2, 2],
        "step": [1, 2, 3, 4],
        "loss": [scale * v for v in (2.0, 1.5, 1.0, 0.8)],
        "lr": [0.1, 0.1, 0.05, 0.05],
        "grad_norm": [3.0, 2.0, 1.0, 0.5],
    }
    epochs = {"epoch": [1, 2], "step": [2, 4], "train_loss": [1.75, 0.9], "val_loss": [1.8, 1.0]}
    if accuracy:
        epochs |= {"train_accuracy": [0.5, 0.7], "val_accuracy": [0.45, 0.65]}
    return History(steps=steps, epochs=epochs)


def test_trajectories_drawn_over_log_spaced_contours():
    paths = {
        "SGD": run_trajectory(ROSENBROCK, torch.optim.SGD, 30, lr=1e-3),
        "Adam": run_trajectory(ROSENBROCK, torch.optim.Adam, 30, lr=0.05).points,  # an array
    }
    ax = plot_trajectories(ROSENBROCK, paths)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["SGD"].get_xydata(), paths["SGD"].points)
    np.testing.assert_array_equal(lines["Adam"].get_xydata(), paths["Adam"])
    np.testing.assert_array_equal(lines["minimum"].get_xydata(), [ROSENBROCK.minimum])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["SGD", "Adam", "minimum"]
    assert ax.get_xlim() == ROSENBROCK.xlim
    assert ax.get_ylim() == ROSENBROCK.ylim
    (contours,) = [c for c in ax.collections if hasattr(c, "levels")]
    ratios = contours.levels[1:] / contours.levels[:-1]
    np.testing.assert_allclose(ratios, ratios[0])
    assert ratios[0] > 1.2


def test_trajectories_into_given_axes():
    _, (left, right) = plt.subplots(1, 2)
    path = {"GD": run_trajectory(ROSENBROCK, torch.optim.SGD, 5, lr=1e-3)}
    assert plot_trajectories(ROSENBROCK, path, ax=right) is right
    assert not left.get_lines()


def test_style_applies_inside_and_leaves_global_settings_alone():
    before = dict(plt.rcParams)
    ax = plot_lr_schedules([0.1, 0.05])
    assert not ax.spines["top"].get_visible()
    assert ax.get_lines()[0].get_color() == STYLE["axes.prop_cycle"].by_key()["color"][0]
    assert dict(plt.rcParams) == before


def test_one_schedule_or_several():
    single = plot_lr_schedules([0.1, 0.1, 0.01])
    (line,) = single.get_lines()
    np.testing.assert_array_equal(line.get_xydata(), [[0, 0.1], [1, 0.1], [2, 0.01]])
    assert single.get_legend() is None
    assert single.get_xlabel() == "step"
    several = plot_lr_schedules({"step": [0.1, 0.01], "cosine": [0.1, 0.05]}, log=True)
    assert [t.get_text() for t in several.get_legend().get_texts()] == ["step", "cosine"]
    assert several.get_yscale() == "log"


def test_history_panels_follow_the_records():
    fig = plot_history(_history())
    assert [ax.get_title() for ax in fig.axes] == [
        "loss",
        "accuracy",
        "learning rate",
        "gradient norm (before clipping)",
    ]
    loss, accuracy, lr, norm = fig.axes
    assert loss.get_yscale() == "log"
    assert norm.get_yscale() == "log"
    assert lr.get_yscale() == "linear"
    np.testing.assert_array_equal(
        lr.get_lines()[0].get_xydata(), [[1, 0.1], [2, 0.1], [3, 0.05], [4, 0.05]]
    )
    assert len(loss.get_lines()) == 3  # per batch, epoch means, validation
    (legend,) = fig.legends  # above the panels, never over the curves
    assert [t.get_text() for t in legend.get_texts()] == [
        "batch",
        "train (epoch mean)",
        "validation",
    ]
    np.testing.assert_array_equal(accuracy.get_lines()[1].get_ydata(), [0.45, 0.65])
    # two panels per row, so each stays legible at the page's width
    assert {round(ax.get_position().x0, 2) for ax in fig.axes} == {
        round(loss.get_position().x0, 2),
        round(accuracy.get_position().x0, 2),
    }
    assert fig.get_figwidth() <= 7


def test_history_smooths_the_batch_loss_and_logs_learning_rates_spanning_decades():
    steps = np.arange(1, 101)
    history = History(
        steps={
            "step": steps.tolist(),
            "loss": np.where(steps % 2 == 0, 1.0, 3.0).tolist(),
            "lr": np.where(steps <= 50, 0.1, 0.001).tolist(),
        },
        epochs={},
    )
    fig = plot_history(history, metrics=["loss", "lr"], smooth=10)
    loss_ax, lr_ax = fig.axes
    smoothed = loss_ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(smoothed[9:], 2.0)  # alternating 1, 3: mean 2 over 10
    assert lr_ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="smooth"):
        plot_history(history, smooth=0)


def test_history_leaves_out_metrics_nobody_recorded():
    fig = plot_history(_history(accuracy=False), metrics=("loss", "accuracy"))
    assert [ax.get_title() for ax in fig.axes] == ["loss"]


def test_several_histories_share_panels_with_one_colour_each():
    fig = plot_history({"small lr": _history(), "large lr": _history(scale=2.0)}, metrics=["loss"])
    (ax,) = fig.axes
    colors = [line.get_color() for line in ax.get_lines()]
    assert len(set(colors[:3])) == 1
    assert len(set(colors[3:])) == 1
    assert colors[0] != colors[3]
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert labels == ["small lr", "large lr", "batch", "train (epoch mean)", "validation"]


def test_unknown_metric_is_refused():
    with pytest.raises(ValueError, match="unknown metrics"):
        plot_history(_history(), metrics=["loss", "perplexity"])


def test_heatmap_marks_diverged_cells_and_labels_the_rest():
    values = np.array([[0.5, np.nan], [0.01, np.inf]])
    ax = plot_heatmap(values, ["a", "b"], [0.1, 1.0], xlabel="lr", ylabel="beta")
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0.5", "diverged", "0.01", "diverged"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.1", "1.0"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert ax.get_xlabel() == "lr"
    (image,) = ax.get_images()
    assert isinstance(image.norm, matplotlib.colors.LogNorm)
    assert (image.norm.vmin, image.norm.vmax) == (0.01, 0.5)
    assert len(ax.figure.axes) == 2  # the heatmap and its colour bar


def test_compared_heatmaps_share_one_colour_scale():
    values = np.array([[0.5, 0.2], [0.1, 0.05]])
    ax = plot_heatmap(values, ["a", "b"], [1, 2], vmin=0.01, vmax=1.0)
    (image,) = ax.get_images()
    assert (image.norm.vmin, image.norm.vmax) == (0.01, 1.0)
    with pytest.raises(ValueError, match="vmin"):
        plot_heatmap(values, ["a", "b"], [1, 2], vmin=1.0, vmax=0.1)
    with pytest.raises(ValueError, match="vmin"):
        plot_heatmap(values, ["a", "b"], [1, 2], vmin=0.0, vmax=1.0)


def test_seeds_are_drawn_one_by_one_with_their_mean():
    ax = plot_seeds({"constant": [1.0, 2.0, 3.0], "cosine": [0.5, 0.7]}, ylabel="loss")
    points, mean_and_error = ax.get_lines()[0], ax.get_lines()[1]
    np.testing.assert_array_equal(points.get_ydata(), [1.0, 2.0, 3.0])
    assert mean_and_error.get_ydata()[0] == pytest.approx(2.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["constant", "cosine"]
    with pytest.raises(ValueError, match="cosine"):
        plot_seeds({"cosine": []})


def test_series_styles_differ_in_colour_line_style_and_marker():
    styles = series_styles(7)
    for first, second in itertools.combinations(styles, 2):
        assert sum(first[key] != second[key] for key in first) >= 2


def test_trajectories_differ_in_style_and_short_paths_are_on_top():
    problem = QUADRATIC
    long = np.array([[-1.5, 1.5], [0.0, 0.0]])
    short = np.array([[-1.5, 1.5], [-1.4, 1.4]])
    ax = plot_trajectories(problem, {"fast": long, "slow": short})
    fast, slow = (line for line in ax.get_lines() if line.get_label() in ("fast", "slow"))
    assert fast.get_linestyle() != slow.get_linestyle()
    assert fast.get_marker() != slow.get_marker()
    assert slow.get_zorder() > fast.get_zorder()


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_history(_history()).axes[0],
        lambda: plot_heatmap(np.array([[0.5, np.nan]]), ["a"], [1, 2]),
        lambda: plot_seeds({"a": [1.0, 2.0]}),
        lambda: plot_lr_schedules({"a": [0.1, 0.01]}),
        lambda: plot_trajectories(QUADRATIC, {"a": np.zeros((3, 2))}),
    ],
)
def test_no_text_is_smaller_than_the_books_minimum(draw):
    fig = draw().figure
    fig.canvas.draw()
    sizes = [text.get_fontsize() for text in fig.findobj(matplotlib.text.Text) if text.get_text()]
    assert min(sizes) >= MIN_FONT_PT


def test_heatmap_linear_colours_and_nonpositive_values():
    values = np.array([[-1.0, 0.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="positive"):
        plot_heatmap(values, [1, 2], [1, 2])
    ax = plot_heatmap(values, [1, 2], [1, 2], log=False)
    assert not isinstance(ax.get_images()[0].norm, matplotlib.colors.LogNorm)


def test_style_restores_only_its_own_settings():
    interactive = plt.rcParams["interactive"]
    with style():
        assert not plt.rcParams["axes.spines.top"]
        # a notebook backend switches interactive mode on when the first figure is drawn;
        # restoring it afterwards would stop later figures from being shown
        plt.rcParams["interactive"] = not interactive
    assert plt.rcParams["interactive"] is (not interactive)
    assert plt.rcParams["axes.spines.top"]
    plt.rcParams["interactive"] = interactive
