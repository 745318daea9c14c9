"""The chapters' plots: trajectories, learning-rate schedules, training curves, sweeps.

Every function draws in one style (:func:`style`), takes an optional ``ax`` to draw
into, returns what it drew on so a notebook can adjust titles or limits, and never calls
``plt.show()``.
"""

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from optnotes.lab.problems import Problem, Trajectory
from optnotes.lab.training import History

STYLE = {
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "image.cmap": "viridis",
    # Okabe & Ito's palette, distinguishable with every common colour-vision deficiency
    "axes.prop_cycle": plt.cycler(
        color=["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]
    ),
}
"""Matplotlib settings of every plot (see :func:`style`)."""

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Draw in the book's style inside a ``with style():`` block.

    Only the settings of :data:`STYLE` are restored afterwards. (``plt.rc_context``
    would restore every setting, including the interactive mode that a notebook's
    backend switches on when the first figure is drawn, and later figures would not
    be shown.)

    Yields
    ------
    None
        Nothing; the style applies until the block ends.
    """
    saved = {key: plt.rcParams[key] for key in STYLE}
    plt.rcParams.update(STYLE)
    try:
        yield
    finally:
        plt.rcParams.update(saved)


def _styled(plot: Callable[P, R]) -> Callable[P, R]:
    """Draw with :data:`STYLE` in effect."""

    @functools.wraps(plot)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with style():
            return plot(*args, **kwargs)

    return wrapper


def _colors() -> list[str]:
    return plt.rcParams["axes.prop_cycle"].by_key()["color"]


def _new_axes(ax: Axes | None) -> Axes:
    return plt.subplots()[1] if ax is None else ax


@_styled
def plot_trajectories(
    problem: Problem,
    trajectories: Mapping[str, Trajectory | np.ndarray],
    *,
    ax: Axes | None = None,
    levels: int = 25,
) -> Axes:
    """Draw optimizer paths over the contour lines of a test problem.

    Contour levels are spaced logarithmically in the loss above its minimum, so the
    valley floor is as visible as the walls.

    Parameters
    ----------
    problem : Problem
        The loss surface; its ``xlim`` and ``ylim`` set the view.
    trajectories : dict
        Label to a ``Trajectory`` or an array of points of shape ``(steps + 1, 2)``.
    ax : ``matplotlib.axes.Axes``, optional
        Where to draw; a new figure by default.
    levels : int
        Number of contour lines.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _new_axes(ax)
    x, y = np.meshgrid(np.linspace(*problem.xlim, 300), np.linspace(*problem.ylim, 300))
    with torch.no_grad():
        z = problem.fn(torch.from_numpy(x), torch.from_numpy(y)).numpy() - problem.min_value
    z = np.maximum(z, 0.0)
    lowest = max(np.quantile(z, 0.005), 1e-12 * z.max())
    contour_levels = np.geomspace(lowest, z.max(), levels)
    ax.contour(x, y, z, levels=contour_levels, norm=LogNorm(), linewidths=0.7, alpha=0.5)
    colors = _colors()
    for i, (label, path) in enumerate(trajectories.items()):
        points = path.points if isinstance(path, Trajectory) else np.asarray(path)
        color = colors[i % len(colors)]
        every = max(1, len(points) // 40)  # markers show the step length without crowding
        ax.plot(*points.T, "-o", color=color, markersize=3, markevery=every, label=label, zorder=3)
        ax.plot(*points[0], "o", color=color, markersize=6, markeredgecolor="black", zorder=3)
    ax.plot(*problem.minimum, "*", color="black", markersize=14, label="minimum", zorder=4)
    ax.set(xlim=problem.xlim, ylim=problem.ylim, xlabel="$x$", ylabel="$y$", title=problem.name)
    ax.grid(False)
    ax.legend(loc="best", frameon=True, framealpha=0.9)
    return ax


@_styled
def plot_lr_schedules(
    schedules: Mapping[str, Sequence[float]] | Sequence[float],
    *,
    ax: Axes | None = None,
    log: bool = False,
) -> Axes:
    """Draw learning rate against step for one schedule or several.

    Parameters
    ----------
    schedules : dict or list of float
        The learning rate at steps 0, 1, 2, ...; or label to such a sequence.
    ax : ``matplotlib.axes.Axes``, optional
        Where to draw; a new figure by default.
    log : bool
        Use a logarithmic learning-rate axis.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _new_axes(ax)
    labelled = isinstance(schedules, Mapping)
    for label, lrs in (schedules if labelled else {"": schedules}).items():
        ax.plot(np.arange(len(lrs)), lrs, label=label)
    ax.set(xlabel="step", ylabel="learning rate", yscale="log" if log else "linear")
    if labelled:
        ax.legend()
    return ax


@dataclass(frozen=True)
class _Curve:
    """One recorded quantity drawn against the step."""

    level: str  # "steps" or "epochs": which records of a History
    key: str
    meaning: str
    style: dict[str, object]


@dataclass(frozen=True)
class _Panel:
    title: str
    log: bool
    curves: tuple[_Curve, ...]


_BATCH = {"linestyle": "-", "alpha": 0.35}
_EPOCH = {"linestyle": "-", "marker": "o", "markersize": 3}
_VALIDATION = {"linestyle": "--", "marker": "s", "markersize": 3}
_PANELS = {
    "loss": _Panel(
        "loss",
        log=True,
        curves=(
            _Curve("steps", "loss", "batch", _BATCH),
            _Curve("epochs", "train_loss", "train (epoch mean)", _EPOCH),
            _Curve("epochs", "val_loss", "validation", _VALIDATION),
        ),
    ),
    "accuracy": _Panel(
        "accuracy",
        log=False,
        curves=(
            _Curve("epochs", "train_accuracy", "train (epoch mean)", _EPOCH),
            _Curve("epochs", "val_accuracy", "validation", _VALIDATION),
        ),
    ),
    "lr": _Panel("learning rate", log=False, curves=(_Curve("steps", "lr", "", {}),)),
    "grad_norm": _Panel(
        "gradient norm (before clipping)",
        log=True,
        curves=(_Curve("steps", "grad_norm", "", {}),),
    ),
}


@_styled
def plot_history(
    histories: History | Mapping[str, History],
    metrics: Sequence[str] = ("loss", "accuracy", "lr", "grad_norm"),
) -> Figure:
    """Draw training curves, one panel per metric, against the optimizer step.

    Parameters
    ----------
    histories : History or dict
        One run, or label to run for several in one figure (one colour each).
    metrics : list of str
        Panels to draw, among ``"loss"`` (per batch, epoch means and validation),
        ``"accuracy"``, ``"lr"`` and ``"grad_norm"``. Metrics that no run recorded
        (accuracy of a regression) are left out.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes`` holds the panels.

    Raises
    ------
    ValueError
        If a metric is unknown.
    """
    unknown = set(metrics) - set(_PANELS)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; choose from {list(_PANELS)}")
    runs = {"": histories} if isinstance(histories, History) else dict(histories)
    panels = [
        _PANELS[metric]
        for metric in metrics
        if any(
            curve.key in getattr(run, curve.level)
            for curve in _PANELS[metric].curves
            for run in runs.values()
        )
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels), 3.5), squeeze=False)
    colors = _colors()
    for panel, ax in zip(panels, axes[0], strict=True):
        drawn = {}
        for i, run in enumerate(runs.values()):
            for curve in panel.curves:
                records = getattr(run, curve.level)
                if curve.key in records:
                    color = colors[i % len(colors)]
                    ax.plot(records["step"], records[curve.key], color=color, **curve.style)
                    drawn[curve.meaning] = curve.style
        ax.set(xlabel="step", title=panel.title, yscale="log" if panel.log else "linear")
        if len(drawn) > 1:
            ax.legend(
                handles=[
                    Line2D([], [], color="grey", label=meaning, **style)
                    for meaning, style in drawn.items()
                ]
            )
    if len(runs) > 1:
        handles = [
            Line2D([], [], color=colors[i % len(colors)], label=label)
            for i, label in enumerate(runs)
        ]
        fig.legend(handles=handles, loc="outside right upper")
    return fig


@_styled
def plot_heatmap(
    values: np.ndarray,
    row_labels: Sequence[object],
    col_labels: Sequence[object],
    *,
    ax: Axes | None = None,
    xlabel: str = "",
    ylabel: str = "",
    colorbar_label: str = "final loss",
    log: bool = True,
) -> Axes:
    """Draw a grid of results, e.g. the final loss over two hyper-parameters.

    Each cell shows its value; cells that are ``nan`` or infinite (runs that diverged)
    are grey and marked "diverged".

    Parameters
    ----------
    values : numpy.ndarray
        Shape ``(len(row_labels), len(col_labels))``.
    row_labels, col_labels : list
        Tick labels of the rows (y axis) and columns (x axis).
    ax : ``matplotlib.axes.Axes``, optional
        Where to draw; a new figure by default.
    xlabel, ylabel : str
        Names of the column and row hyper-parameters.
    colorbar_label : str
        Label of the colour bar.
    log : bool
        Logarithmic colours, for values spanning orders of magnitude (all must be > 0).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _new_axes(ax)
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    if log and np.any(values[finite] <= 0):
        raise ValueError("log colours need positive values; pass log=False")
    low, high = (values[finite].min(), values[finite].max()) if finite.any() else (1.0, 10.0)
    norm = LogNorm(low, high) if log else Normalize(low, high)
    cmap = plt.get_cmap(STYLE["image.cmap"]).with_extremes(bad="lightgrey")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    for (row, col), value in np.ndenumerate(values):
        if np.isfinite(value):
            color = "black" if norm(value) > 0.6 else "white"
            ax.text(col, row, f"{value:.2g}", ha="center", va="center", color=color, fontsize=8)
        else:
            ax.text(col, row, "diverged", ha="center", va="center", color="black", fontsize=8)
    ax.set_xticks(range(len(col_labels)), [str(label) for label in col_labels])
    ax.set_yticks(range(len(row_labels)), [str(label) for label in row_labels])
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label=colorbar_label)
    return ax
