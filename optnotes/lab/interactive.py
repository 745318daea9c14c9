"""Interactive figures that work on the static site, without a running kernel.

:func:`momentum_explorer` runs the package's own ``optnotes.optim.SGD`` for every point
of a grid of learning rates and momenta, and returns self-contained HTML: an SVG of the
loss surface, two sliders, and a small inline script that shows the precomputed path of
the chosen pair. Nothing is computed in the browser except where to draw; nothing is
downloaded. :func:`momentum_grid` returns the same data as arrays, for checks.
"""

import hashlib
import html
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import contourpy  # matplotlib's contouring library (a dependency of matplotlib)
import numpy as np
import torch
from IPython.display import HTML

import optnotes.optim
from optnotes.lab.problems import QUADRATIC, Problem, run_sweep

SIGNIFICANT_DIGITS = 4
"""Significant digits of the coordinates and losses embedded in the page."""

MAX_POINTS = 11_000
"""Most points (grid size times ``steps + 1``) one figure may embed: about 300 kB of page."""

_ESCAPE = 1e6
"""A path is cut where it gets this many view widths away from the view, or is not finite."""

_WIDTH, _HEIGHT_LOSS = 640, 190  # SVG user units of the two panels
_MARGIN = 64  # room for the loss axis labels
_PAD = 12  # room above the loss panel's top tick label
_COLORS = {"path": "#0072B2", "start": "#D55E00", "contour": "#7f7f9f", "grid": "#dddddd"}
_counter = itertools.count(1)


@dataclass(frozen=True)
class MomentumGrid:
    """Heavy-ball (or Nesterov) runs of ``optnotes.optim.SGD`` over a grid of settings.

    Parameters
    ----------
    problem : Problem
        The loss surface.
    lrs, momenta : numpy.ndarray
        The learning rates (columns) and momenta (rows) of the grid.
    nesterov : bool
        Whether the runs used Nesterov momentum.
    points : numpy.ndarray
        Shape ``(len(momenta), len(lrs), steps + 1, 2)``: the start and the point after
        each step, in float64; ``nan`` after a run has escaped (see ``escaped``).
    losses : numpy.ndarray
        Shape ``(len(momenta), len(lrs), steps + 1)``: the loss above the minimum's at each
        point, ``nan`` after an escape.
    escaped : numpy.ndarray
        Shape ``(len(momenta), len(lrs))``, int: the first step whose point is not finite or
        lies more than a million view widths away (the path is cut there), or ``steps + 1``.
    rates : numpy.ndarray
        Shape ``(len(momenta), len(lrs))``: the factor by which the distance to the minimum
        shrinks per step near the minimum, in theory: the largest root of the recursion
        over the curvatures (Hessian eigenvalues) at the minimum. Above 1: divergence.
    curvatures : numpy.ndarray
        The Hessian's eigenvalues at the minimum, ascending.
    """

    problem: Problem
    lrs: np.ndarray
    momenta: np.ndarray
    nesterov: bool
    points: np.ndarray
    losses: np.ndarray
    escaped: np.ndarray
    rates: np.ndarray
    curvatures: np.ndarray

    @property
    def steps(self) -> int:
        """Number of optimizer steps of each run."""
        return self.points.shape[2] - 1


def largest_root(
    lr: float | np.ndarray,
    momentum: float | np.ndarray,
    curvatures: Sequence[float] | np.ndarray,
    *,
    nesterov: bool = False,
) -> np.ndarray:
    r"""Per-step contraction factor of SGD with momentum on a quadratic, in theory.

    Along a curvature :math:`\lambda` (with :math:`a = \eta\lambda`) heavy ball follows
    :math:`z^2 - (1 + \mu - a) z + \mu` and Nesterov :math:`z^2 - (1+\mu)(1-a) z + \mu(1-a)`;
    the distance to the minimum shrinks per step by the largest root's modulus, maximised
    over the curvatures. Without momentum both reduce to :math:`|1 - a|`.

    Parameters
    ----------
    lr, momentum : float or numpy.ndarray
        Learning rate :math:`\eta` and momentum :math:`\mu`; arrays broadcast together.
    curvatures : sequence of float
        The Hessian's eigenvalues :math:`\lambda`.
    nesterov : bool
        Nesterov's recursion instead of heavy ball's.

    Returns
    -------
    numpy.ndarray
        The largest root modulus, of the broadcast shape of ``lr`` and ``momentum``.
    """
    lr = np.asarray(lr, dtype=float)[..., None]
    momentum = np.asarray(momentum, dtype=float)[..., None]
    a = lr * np.asarray(curvatures, dtype=float)
    if nesterov:
        b, c = (1 + momentum) * (1 - a), momentum * (1 - a)
    else:
        b, c = 1 + momentum - a, momentum + 0 * a
    discriminant = b * b - 4 * c
    real = (np.abs(b) + np.sqrt(np.maximum(discriminant, 0.0))) / 2
    return np.where(discriminant >= 0, real, np.sqrt(np.abs(c))).max(axis=-1)


def _grid_values(name: str, values: Sequence[float], low: float, high: float) -> np.ndarray:
    """Check one axis of the grid: finite, increasing, within ``[low, high)``."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a sequence of numbers") from error
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty sequence of numbers, got {values!r}")
    if not np.all(np.isfinite(array)) or array.min() < low or array.max() >= high:
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}), got {array.tolist()}")
    if np.any(np.diff(array) <= 0):
        raise ValueError(f"{name} must be strictly increasing (a slider), got {array.tolist()}")
    return array


def momentum_grid(
    problem: Problem = QUADRATIC,
    *,
    lrs: Sequence[float],
    momenta: Sequence[float],
    steps: int = 60,
    nesterov: bool = False,
) -> MomentumGrid:
    """Run ``optnotes.optim.SGD`` from the problem's start for every learning rate and momentum.

    The runs are in float64 and equal :func:`optnotes.lab.problems.run_trajectory` with
    the same settings, bit for bit (they go through :func:`~optnotes.lab.problems.run_sweep`).

    Parameters
    ----------
    problem : Problem
        The loss surface; its ``xlim`` and ``ylim`` are the view.
    lrs : sequence of float
        Learning rates, positive and increasing.
    momenta : sequence of float
        Momenta in ``[0, 1)``, increasing.
    steps : int
        Optimizer steps per run.
    nesterov : bool
        Use Nesterov momentum (runs with momentum 0 are plain gradient descent either way).

    Returns
    -------
    MomentumGrid
        The paths, losses and theoretical rates.

    Raises
    ------
    ValueError
        If an argument is out of range; the message names it.
    """
    lrs_array = _grid_values("lrs", lrs, 1e-12, math.inf)
    momenta_array = _grid_values("momenta", momenta, 0.0, 1.0)
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be an optnotes.lab.problems.Problem, got {problem!r}")
    total = lrs_array.size * momenta_array.size * (steps + 1)
    if total > MAX_POINTS:
        raise ValueError(
            f"lrs, momenta and steps ask for {total} points; at most {MAX_POINTS} keep the "
            "page small (fewer grid values or fewer steps)"
        )
    settings = [
        {"lr": float(lr), "momentum": float(mu), "nesterov": bool(nesterov and mu > 0)}
        for mu in momenta_array
        for lr in lrs_array
    ]
    runs = run_sweep(problem, optnotes.optim.SGD, steps, settings)
    shape = (momenta_array.size, lrs_array.size)
    points = np.stack([run.points for run in runs]).reshape(*shape, steps + 1, 2)
    losses = np.stack([run.losses for run in runs]).reshape(*shape, steps + 1)
    losses = losses - problem.min_value

    span = max(problem.xlim[1] - problem.xlim[0], problem.ylim[1] - problem.ylim[0])
    center = np.array([sum(problem.xlim) / 2, sum(problem.ylim) / 2])
    with np.errstate(invalid="ignore", over="ignore"):
        inside = np.all(np.abs(points - center) < _ESCAPE * span, axis=-1)
        inside &= np.isfinite(losses)
    escaped = np.where(inside.all(axis=-1), steps + 1, np.argmin(inside, axis=-1))
    after = np.arange(steps + 1) >= escaped[..., None]
    points = np.where(after[..., None], np.nan, points)
    losses = np.where(after, np.nan, losses)

    minimum = torch.tensor(problem.minimum, dtype=torch.float64)
    hessian = torch.autograd.functional.hessian(problem, minimum)
    curvatures = torch.linalg.eigvalsh(hessian).numpy()
    lr_mesh, momentum_mesh = np.meshgrid(lrs_array, momenta_array)
    rates = largest_root(lr_mesh, momentum_mesh, curvatures, nesterov=nesterov)
    return MomentumGrid(
        problem=problem,
        lrs=lrs_array,
        momenta=momenta_array,
        nesterov=bool(nesterov),
        points=points,
        losses=losses,
        escaped=escaped.astype(int),
        rates=rates,
        curvatures=curvatures,
    )


def _round(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``value`` to ``digits`` significant digits (a short number in JSON)."""
    return float(f"{value:.{digits - 1}e}")


def _contour_paths(problem: Problem, levels: int, to_svg) -> list[str]:
    """SVG path data of the problem's contour lines, log-spaced above the minimum."""
    x, y = np.meshgrid(np.linspace(*problem.xlim, 121), np.linspace(*problem.ylim, 121))
    with torch.no_grad():
        z = problem.fn(torch.from_numpy(x), torch.from_numpy(y)).numpy() - problem.min_value
    z = np.maximum(z, 0.0)
    lowest = max(float(np.quantile(z, 0.005)), 1e-12 * float(z.max()))
    generator = contourpy.contour_generator(x, y, z, line_type=contourpy.LineType.Separate)
    paths = []
    for level in np.geomspace(lowest, z.max(), levels + 2)[1:-1]:
        for line in generator.lines(level):
            u, v = to_svg(line[:, 0], line[:, 1])
            coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(u, v, strict=True))
            paths.append(f"M{coords}")
    return paths


def _format(value: float) -> str:
    return f"{value:g}"


def momentum_explorer(
    problem: Problem = QUADRATIC,
    *,
    lrs: Sequence[float] = (0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.09, 0.11, 0.13, 0.15, 0.17),
    momenta: Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    steps: int = 60,
    nesterov: bool = False,
    initial: tuple[float, float] | None = None,
    levels: int = 12,
) -> HTML:
    """Build an interactive figure: sliders for learning rate and momentum, and the path.

    Every path is computed here, with ``optnotes.optim.SGD`` in float64 (see
    :func:`momentum_grid`), and embedded in the page rounded to four significant digits;
    the inline script only picks the path of the sliders' values and draws it, with its
    loss against the step below. It needs no kernel and no library, so it works on the
    static site, and several figures on one page do not interfere (each call gets its
    own element ids).

    Parameters
    ----------
    problem : Problem
        The loss surface; its ``xlim`` and ``ylim`` are the view.
    lrs : sequence of float
        Learning rates of the grid, positive and increasing.
    momenta : sequence of float
        Momenta of the grid, in ``[0, 1)``, increasing.
    steps : int
        Optimizer steps per run.
    nesterov : bool
        Nesterov momentum instead of heavy ball.
    initial : tuple of float, optional
        ``(lr, momentum)`` the sliders start at (the nearest grid values); by default
        the middle of the grid.
    levels : int
        Number of contour lines.

    Returns
    -------
    IPython.display.HTML
        The figure; a notebook displays it, the book's build copies it into the page.

    Raises
    ------
    ValueError
        If an argument is out of range; the message names it.
    """
    if isinstance(levels, bool) or not isinstance(levels, int) or not 1 <= levels <= 40:
        raise ValueError(f"levels must be an integer from 1 to 40, got {levels!r}")
    grid = momentum_grid(problem, lrs=lrs, momenta=momenta, steps=steps, nesterov=nesterov)
    if initial is None:
        start_lr, start_momentum = grid.lrs.size // 2, grid.momenta.size // 2
    else:
        try:
            lr0, momentum0 = (float(value) for value in initial)
        except (TypeError, ValueError) as error:
            raise ValueError(f"initial must be a pair (lr, momentum), got {initial!r}") from error
        start_lr = int(np.argmin(np.abs(np.log(grid.lrs) - np.log(max(lr0, 1e-300)))))
        start_momentum = int(np.argmin(np.abs(grid.momenta - momentum0)))
    return HTML(_render(grid, start_lr, start_momentum, levels))


def explorer_data(figure: HTML | str) -> dict:
    """Read back the data a :func:`momentum_explorer` figure embeds (for tests and checks).

    Parameters
    ----------
    figure : IPython.display.HTML or str
        The figure, or its HTML.

    Returns
    -------
    dict
        ``lrs``, ``momenta``, ``steps``, ``paths`` (per momentum, per learning rate: the
        flat list ``x0, y0, x1, y1, ...`` up to the escape), ``losses`` (the same
        layout, one value per point), ``rates`` and the view.

    Raises
    ------
    ValueError
        If the HTML holds no explorer data.
    """
    text = figure.data if isinstance(figure, HTML) else str(figure)
    start = text.find(_DATA_START)
    end = text.find(_DATA_END, start)
    if start < 0 or end < 0:
        raise ValueError("figure holds no momentum explorer data")
    return json.loads(text[start + len(_DATA_START) : end].replace("<\\/", "</"))


_DATA_START = "const data = "
_DATA_END = ";\n  // end of data"


def _render(grid: MomentumGrid, start_lr: int, start_momentum: int, levels: int) -> str:
    problem = grid.problem
    (x0, x1), (y0, y1) = problem.xlim, problem.ylim
    height = round(_WIDTH * (y1 - y0) / (x1 - x0))

    def to_svg(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (x - x0) / (x1 - x0) * _WIDTH, (y1 - y) / (y1 - y0) * height

    paths, losses = [], []
    for row in range(grid.momenta.size):
        paths.append([])
        losses.append([])
        for col in range(grid.lrs.size):
            end = grid.escaped[row, col]
            paths[-1].append([_round(v) for v in grid.points[row, col, :end].ravel()])
            losses[-1].append([_round(v, 3) for v in grid.losses[row, col, :end]])
    finite = grid.losses[np.isfinite(grid.losses) & (grid.losses > 0)]
    start_loss = float(grid.losses[0, 0, 0])
    top = 10 ** math.ceil(math.log10(max(start_loss, 1e-300)) + 1)
    bottom = max(10 ** math.floor(math.log10(finite.min())), top * 1e-30) if finite.size else top
    bottom = min(bottom, top / 10)
    data = {
        "lrs": grid.lrs.tolist(),
        "momenta": grid.momenta.tolist(),
        "steps": grid.steps,
        "paths": paths,
        "losses": losses,
        "rates": [[_round(v) for v in row] for row in grid.rates],
        "view": [x0, x1, y0, y1],
        "size": [_WIDTH, height],
        "loss_range": [bottom, top],
        "start": [start_lr, start_momentum],
    }
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    digest = hashlib.sha1(payload.encode()).hexdigest()[:8]
    uid = f"optnotes-explorer-{digest}-{next(_counter)}"

    contours = "".join(
        f'<path d="{d}" fill="none" stroke="{_COLORS["contour"]}" stroke-width="0.8" '
        'stroke-opacity="0.55"/>'
        for d in _contour_paths(problem, levels, to_svg)
    )
    mx, my = to_svg(np.array(problem.minimum[0]), np.array(problem.minimum[1]))
    sx, sy = to_svg(np.array(problem.start[0]), np.array(problem.start[1]))
    method = "Nesterov momentum" if grid.nesterov else "heavy ball (momentum)"
    curvature_text = " and ".join(_format(_round(c, 3)) for c in grid.curvatures)
    loss_ticks = _loss_ticks(bottom, top)
    plot_w = _WIDTH - _MARGIN - 10
    tick_svg = "".join(
        f'<line x1="{_MARGIN}" x2="{_WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" '
        f'stroke="{_COLORS["grid"]}"/>'
        f'<text x="{_MARGIN - 4}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
        for y, label in ((_loss_y(v, bottom, top), _tick_label(v)) for v in loss_ticks)
    )
    step_ticks = "".join(
        f'<text x="{_MARGIN + plot_w * s / grid.steps:.1f}" y="{_PAD + _HEIGHT_LOSS + 16}" '
        f'text-anchor="middle">{s}</text>'
        for s in _step_ticks(grid.steps)
    )
    title = html.escape(f"{method} on {problem.name}, {grid.steps} steps")
    return f"""<div id="{uid}" class="optnotes-explorer tex2jax_ignore mathjax_ignore" \
style="background:#fff;color:#222;font:14px/1.4 system-ui,sans-serif;max-width:{_WIDTH}px;\
padding:8px;border:1px solid #ddd;border-radius:6px">
<div style="font-weight:600">{title}</div>
<div style="display:flex;flex-wrap:wrap;gap:4px 24px;margin:6px 0">
<label for="{uid}-lr" style="flex:1 1 260px">learning rate η =
 <output data-role="lr-value" for="{uid}-lr" style="font-weight:600"></output><br>
<input id="{uid}-lr" data-role="lr" type="range" min="0" max="{grid.lrs.size - 1}" step="1" \
value="{start_lr}" style="width:100%"></label>
<label for="{uid}-mu" style="flex:1 1 260px">momentum μ =
 <output data-role="mu-value" for="{uid}-mu" style="font-weight:600"></output><br>
<input id="{uid}-mu" data-role="mu" type="range" min="0" max="{grid.momenta.size - 1}" \
step="1" value="{start_momentum}" style="width:100%"></label>
</div>
<svg data-role="surface" viewBox="0 0 {_WIDTH} {height}" width="100%" role="img" \
aria-label="path of the optimizer over the contour lines of the loss" \
style="display:block;background:#fff">
<defs><marker id="{uid}-dot" viewBox="0 0 6 6" refX="3" refY="3" markerWidth="4" \
markerHeight="4" markerUnits="userSpaceOnUse"><circle cx="3" cy="3" r="3" \
fill="{_COLORS["path"]}"/></marker></defs>
{contours}
<polyline data-role="path" fill="none" stroke="{_COLORS["path"]}" stroke-width="2" \
stroke-linejoin="round" marker-mid="url(#{uid}-dot)" points=""/>
<circle cx="{float(sx):.1f}" cy="{float(sy):.1f}" r="6" fill="{_COLORS["start"]}" stroke="#000"/>
<text x="{float(sx) + 9:.1f}" y="{float(sy) - 8:.1f}" font-size="14">start</text>
<path d="M{float(mx):.1f},{float(my) - 9:.1f} l2.6,6.4 6.9,0.5 -5.3,4.4 1.7,6.7 -5.9,-3.7 \
-5.9,3.7 1.7,-6.7 -5.3,-4.4 6.9,-0.5 z" fill="#000"/>
</svg>
<div data-role="readout" aria-live="polite" style="margin:6px 0;min-height:2.8em"></div>
<svg data-role="loss" viewBox="0 0 {_WIDTH} {_PAD + _HEIGHT_LOSS + 34}" width="100%" role="img" \
aria-label="loss against the step, logarithmic" style="display:block;font-size:13px;fill:#222">
{tick_svg}{step_ticks}
<text x="{_MARGIN + plot_w / 2:.1f}" y="{_PAD + _HEIGHT_LOSS + 32}" text-anchor="middle">step</text>
<text x="12" y="{_PAD + _HEIGHT_LOSS / 2:.1f}" text-anchor="middle" \
transform="rotate(-90 12 {_PAD + _HEIGHT_LOSS / 2:.1f})">loss</text>
<polyline data-role="loss-line" fill="none" stroke="{_COLORS["path"]}" stroke-width="2" \
points=""/>
</svg>
<div style="font-size:12px;color:#555">Precomputed with optnotes.optim.SGD (float64) for \
{grid.lrs.size} × {grid.momenta.size} settings; theory from the curvatures \
{curvature_text} at the minimum.</div>
<script>
(function () {{
  "use strict";
  const root = document.getElementById("{uid}");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  {_DATA_START}{payload}{_DATA_END}
  const [x0, x1, y0, y1] = data.view, [width, height] = data.size;
  const [bottom, top] = data.loss_range, margin = {_MARGIN}, plotWidth = {plot_w};
  const lossHeight = {_HEIGHT_LOSS}, pad = {_PAD}, span = Math.log10(top) - Math.log10(bottom);
  const pick = (role) => root.querySelector('[data-role="' + role + '"]');
  const lr = pick("lr"), mu = pick("mu"), path = pick("path"), lossLine = pick("loss-line");
  const fmt = (v) => Number(v.toPrecision(3)).toString();
  const superscript = (s) => s.replace(/[-0-9]/g, (c) => "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"["-0123456789".indexOf(c)]);
  const sci = (v) => {{
    const [m, e] = v.toExponential(1).split("e");
    return m + " × 10" + superscript(String(Number(e)));
  }};
  function draw() {{
    const i = Number(mu.value), j = Number(lr.value);
    const xy = data.paths[i][j], losses = data.losses[i][j], rate = data.rates[i][j];
    const pts = [];
    for (let k = 0; k < xy.length; k += 2) {{
      const u = (xy[k] - x0) / (x1 - x0) * width, v = (y1 - xy[k + 1]) / (y1 - y0) * height;
      pts.push(Math.max(-1e4, Math.min(1e4, u)).toFixed(1) + "," +
               Math.max(-1e4, Math.min(1e4, v)).toFixed(1));
    }}
    path.setAttribute("points", pts.join(" "));
    const lpts = losses.map((value, k) => {{
      const clipped = Math.min(top, Math.max(bottom, value));
      const y = pad + (Math.log10(top) - Math.log10(clipped)) / span * lossHeight;
      return (margin + plotWidth * k / data.steps).toFixed(1) + "," + y.toFixed(1);
    }});
    lossLine.setAttribute("points", lpts.join(" "));
    pick("lr-value").textContent = fmt(data.lrs[j]);
    pick("mu-value").textContent = fmt(data.momenta[i]);
    const last = losses[losses.length - 1], start = losses[0];
    let text;
    if (losses.length < data.steps + 1) {{
      text = "diverged: the path left the plane at step " + losses.length + ".";
    }} else if (last > start) {{
      text = "diverged: loss after " + data.steps + " steps " + sci(last) +
             ", above the start (" + fmt(start) + ").";
    }} else {{
      text = "loss after " + data.steps + " steps: " + sci(last) + " (start " + fmt(start) +
             ").";
    }}
    text += rate < 1
      ? " Theory: the distance to the minimum shrinks by a factor " + fmt(rate) + " per step."
      : " Theory: largest root " + fmt(rate) + " ≥ 1, the iteration diverges.";
    pick("readout").textContent = text;
    root.dataset.lr = String(data.lrs[j]);
    root.dataset.momentum = String(data.momenta[i]);
  }}
  lr.addEventListener("input", draw);
  mu.addEventListener("input", draw);
  draw();
}})();
</script>
</div>"""


def _loss_y(value: float, bottom: float, top: float) -> float:
    span = math.log10(top) - math.log10(bottom)
    return _PAD + (math.log10(top) - math.log10(value)) / span * _HEIGHT_LOSS


def _loss_ticks(bottom: float, top: float) -> list[float]:
    """Powers of ten on the loss axis, about five of them."""
    low, high = round(math.log10(bottom)), round(math.log10(top))
    every = next(n for n in (1, 2, 5, 10, 20, 50, 100) if (high - low) / n <= 6)
    return [10.0**e for e in range(high, low - 1, -1) if e % every == 0]


def _tick_label(value: float) -> str:
    exponent = round(math.log10(value))
    return f"10<tspan dy='-6' font-size='10'>{exponent}</tspan>"


def _step_ticks(steps: int) -> list[int]:
    every = max(1, round(steps / 6 / 10) * 10) if steps >= 30 else max(1, steps // 6)
    return list(range(0, steps + 1, every))
