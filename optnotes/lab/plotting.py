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

MIN_FONT_PT = 10
"""The smallest font size (points) of any text in the book's figures.

At the figures' 100 dpi that is 13.9 px in the image; a figure up to about 1.5 times the
content column's width is shrunk to fit and its text stays at least 9 px tall, the size the
site tests require.
"""

STYLE = {
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "figure.titlesize": 12,
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


_LINESTYLES = ["-", "--", "-.", ":"]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X"]


def series_styles(n: int) -> list[dict[str, str]]:
    """Colour, line style and marker for ``n`` lines that must stay apart.

    Colours follow the book's palette; line styles and markers cycle with other periods,
    so two lines differ in at least two of the three even in greyscale or where they
    overlap.

    Parameters
    ----------
    n : int
        Number of lines.

    Returns
    -------
    list of dict
        ``n`` dicts with keys ``color``, ``linestyle`` and ``marker``, to pass to
        ``ax.plot(..., **style)``.
    """
    colors = _colors()
    return [
        {
            "color": colors[i % len(colors)],
            "linestyle": _LINESTYLES[i % len(_LINESTYLES)],
            "marker": _MARKERS[i % len(_MARKERS)],
        }
        for i in range(n)
    ]


def _spans_decades(values: np.ndarray) -> bool:
    """Whether positive ``values`` span more than a factor of ten (a log axis shows them)."""
    values = np.asarray(values, dtype=float)
    positive = values[np.isfinite(values) & (values > 0)]
    return (
        positive.size > 0
        and positive.size == values[np.isfinite(values)].size
        and (positive.max() > 10 * positive.min())
    )


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
    paths = {
        label: path.points if isinstance(path, Trajectory) else np.asarray(path)
        for label, path in trajectories.items()
    }
    # the paths that travel least (slow runs) are drawn last, on top of the long ones
    length = {label: np.abs(np.diff(points, axis=0)).sum() for label, points in paths.items()}
    on_top = {label: rank for rank, label in enumerate(sorted(paths, key=length.get, reverse=True))}
    for (label, points), line in zip(paths.items(), series_styles(len(paths)), strict=True):
        every = max(1, len(points) // 30)  # markers show the step length without crowding
        zorder = 3 + on_top[label] / len(paths)
        ax.plot(*points.T, **line, markersize=4, markevery=every, label=label, zorder=zorder)
        ax.plot(
            *points[0],
            line["marker"],
            color=line["color"],
            markersize=7,
            markeredgecolor="black",
            zorder=zorder,
        )
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
    log: bool | None = None,
) -> Axes:
    """Draw learning rate against step for one schedule or several.

    Parameters
    ----------
    schedules : dict or list of float
        The learning rate at steps 0, 1, 2, ...; or label to such a sequence.
    ax : ``matplotlib.axes.Axes``, optional
        Where to draw; a new figure by default.
    log : bool, optional
        Use a logarithmic learning-rate axis; by default, when the rates span more than
        a factor of ten.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _new_axes(ax)
    labelled = isinstance(schedules, Mapping)
    curves = schedules if labelled else {"": schedules}
    if log is None:
        log = _spans_decades(np.concatenate([np.asarray(lrs, float) for lrs in curves.values()]))
    for (label, lrs), line in zip(curves.items(), series_styles(len(curves)), strict=True):
        every = max(1, len(lrs) // 12)
        ax.plot(np.arange(len(lrs)), lrs, label=label, markevery=every, markersize=4, **line)
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


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each point (fewer at the start)."""
    sums = np.cumsum(np.insert(np.asarray(values, dtype=float), 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    ends = np.arange(1, len(values) + 1)
    return (sums[ends] - sums[ends - counts]) / counts


@_styled
def plot_history(
    histories: History | Mapping[str, History],
    metrics: Sequence[str] = ("loss", "accuracy", "lr", "grad_norm"),
    *,
    smooth: int | None = None,
) -> Figure:
    """Draw training curves, one panel per metric, against the optimizer step.

    Panels are laid out two per row, so each stays legible at the page's width. The
    batch loss is drawn as a moving average (one batch's loss is mostly noise); the
    legend, above the panels, names the runs (colours) and the curves (line styles).
    A learning-rate panel is logarithmic when the rates span more than a factor of ten.

    Parameters
    ----------
    histories : History or dict
        One run, or label to run for several in one figure (one colour each).
    metrics : list of str
        Panels to draw, among ``"loss"`` (per batch, epoch means and validation),
        ``"accuracy"``, ``"lr"`` and ``"grad_norm"``. Metrics that no run recorded
        (accuracy of a regression) are left out.
    smooth : int, optional
        Number of batches the batch loss is averaged over; by default a fiftieth of
        the run (at least 1).

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes`` holds the panels.

    Raises
    ------
    ValueError
        If a metric is unknown, or ``smooth`` is not a positive integer.
    """
    unknown = set(metrics) - set(_PANELS)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; choose from {list(_PANELS)}")
    if smooth is not None and (not isinstance(smooth, int) or smooth < 1):
        raise ValueError(f"smooth must be a positive integer, got {smooth!r}")
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
    columns = min(2, len(panels))
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.4 * columns, 2.9 * rows), squeeze=False, sharex=True
    )
    colors = _colors()
    meanings = {}
    for panel, ax in zip(panels, axes.flat, strict=False):
        drawn = []
        for i, run in enumerate(runs.values()):
            for curve in panel.curves:
                records = getattr(run, curve.level)
                if curve.key not in records:
                    continue
                values = np.asarray(records[curve.key], dtype=float)
                style = curve.style
                if curve.key == "loss" and curve.level == "steps":
                    window = smooth or max(1, len(values) // 50)
                    values = _moving_average(values, window)
                    meaning = f"batch (mean of {window})" if window > 1 else curve.meaning
                    style = {"linestyle": "-", "alpha": 0.6, "linewidth": 1.0}
                else:
                    meaning = curve.meaning
                every = max(1, len(values) // 15)
                ax.plot(
                    records["step"], values, color=colors[i % len(colors)], markevery=every, **style
                )
                drawn.append(values)
                if meaning:
                    meanings[meaning] = style
        log = panel.log or (panel is _PANELS["lr"] and _spans_decades(np.concatenate(drawn)))
        ax.set(title=panel.title, yscale="log" if log else "linear")
    for ax in axes[-1]:
        ax.set(xlabel="step")
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], color=colors[i % len(colors)], label=label)
        for i, label in enumerate(runs)
        if label
    ]
    if len(meanings) > 1:
        handles += [
            Line2D([], [], color="grey", label=meaning, **style)
            for meaning, style in meanings.items()
        ]
    if handles:
        fig.legend(handles=handles, loc="outside upper center", ncols=min(3, len(handles)))
    return fig


@_styled
def plot_seeds(
    results: Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    ylabel: str = "",
    log: bool = False,
) -> Axes:
    """Draw a result over seeds: every seed as a point, the mean with its standard error.

    A table of means hides how far apart the seeds are; this shows whether two settings
    differ by more than their seeds do.

    Parameters
    ----------
    results : dict
        Label (one column each) to the per-seed values of that setting.
    ax : ``matplotlib.axes.Axes``, optional
        Where to draw; a new figure by default.
    ylabel : str
        What the values are.
    log : bool
        Logarithmic value axis.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        If a setting has no values.
    """
    ax = _new_axes(ax)
    colors = _colors()
    for i, (label, values) in enumerate(results.items()):
        values = np.asarray(values, dtype=float)
        if values.size == 0:
            raise ValueError(f"results[{label!r}] has no values")
        color = colors[i % len(colors)]
        offsets = np.linspace(-0.15, 0.15, values.size) if values.size > 1 else np.zeros(1)
        ax.plot(i + offsets, values, "o", color=color, alpha=0.6, markersize=5)
        error = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else 0.0
        ax.errorbar(
            i + 0.3, values.mean(), yerr=error, fmt="D", color="black", markersize=5, capsize=4
        )
    ax.set_xticks(range(len(results)), list(results))
    ax.set(ylabel=ylabel, yscale="log" if log else "linear", xlim=(-0.5, len(results) - 0.3))
    ax.grid(axis="x", visible=False)
    ax.legend(
        handles=[
            Line2D([], [], marker="o", linestyle="", color="grey", label="one seed"),
            Line2D([], [], marker="D", linestyle="-", color="black", label="mean ± s.e."),
        ],
        loc="best",
    )
    return ax


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
    vmin: float | None = None,
    vmax: float | None = None,
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
    vmin, vmax : float, optional
        The values at the ends of the colour scale; by default the smallest and largest
        finite values. Heat maps that are compared share one scale: pass both.

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
    low = low if vmin is None else vmin
    high = high if vmax is None else vmax
    if log and low <= 0:
        raise ValueError(f"log colours need vmin > 0, got {low}")
    if not low < high and not (vmin is None and vmax is None):
        raise ValueError(f"vmin must be smaller than vmax, got {low} and {high}")
    norm = LogNorm(low, high) if log else Normalize(low, high)
    cmap = plt.get_cmap(STYLE["image.cmap"]).with_extremes(bad="lightgrey")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    for (row, col), value in np.ndenumerate(values):
        if np.isfinite(value):
            color = "black" if norm(value) > 0.6 else "white"
            ax.text(
                col,
                row,
                f"{value:.2g}",
                ha="center",
                va="center",
                color=color,
                fontsize=MIN_FONT_PT,
            )
        else:
            ax.text(
                col, row, "diverged", ha="center", va="center", color="black", fontsize=MIN_FONT_PT
            )
    ax.set_xticks(range(len(col_labels)), [str(label) for label in col_labels])
    ax.set_yticks(range(len(row_labels)), [str(label) for label in row_labels])
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label=colorbar_label)
    return ax
