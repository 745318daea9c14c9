import json
import re

import numpy as np
import pytest
from IPython.display import HTML

import optnotes.optim
from optnotes.lab.interactive import (
    MAX_POINTS,
    explorer_data,
    largest_root,
    momentum_explorer,
    momentum_grid,
)
from optnotes.lab.problems import QUADRATIC, ROSENBROCK, quadratic, run_trajectory

LRS = (0.01, 0.03, 0.09, 0.16)
MOMENTA = (0.0, 0.5, 0.9)


@pytest.fixture(scope="module")
def figure():
    return momentum_explorer(lrs=LRS, momenta=MOMENTA, steps=40, initial=(0.03, 0.5))


def test_returns_html_with_two_labelled_sliders_and_no_external_resource(figure):
    assert isinstance(figure, HTML)
    text = figure.data
    sliders = re.findall(r'<input id="([^"]+)"[^>]*type="range"', text)
    assert len(sliders) == 2
    for slider in sliders:
        assert f'<label for="{slider}"' in text
    assert "<svg" in text
    assert "<script>" in text
    assert not re.search(r"<script[^>]*\bsrc=", text)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "$" not in text  # nothing for MathJax to typeset
    assert len(text.encode()) < 300_000


def test_embedded_data_describe_the_grid(figure):
    data = explorer_data(figure)
    assert data["lrs"] == list(LRS)
    assert data["momenta"] == list(MOMENTA)
    assert data["steps"] == 40
    assert data["start"] == [1, 1]  # the grid values nearest to initial=(0.03, 0.5)
    assert len(data["paths"]) == len(MOMENTA)
    assert all(len(row) == len(LRS) for row in data["paths"])
    for path_row, loss_row in zip(data["paths"], data["losses"], strict=True):
        for path, losses in zip(path_row, loss_row, strict=True):
            assert len(path) == 2 * len(losses)
            assert 1 <= len(losses) <= 41


@pytest.mark.parametrize(("row", "col"), [(1, 1), (2, 0), (0, 2)])
def test_embedded_path_equals_a_direct_run_of_the_package_sgd(figure, row, col):
    data = explorer_data(figure)
    lr, momentum = LRS[col], MOMENTA[row]
    direct = run_trajectory(QUADRATIC, optnotes.optim.SGD, 40, lr=lr, momentum=momentum)
    embedded = np.array(data["paths"][row][col]).reshape(-1, 2)
    assert embedded.shape == direct.points.shape
    # four significant digits: relative error at most 5e-4 of each coordinate
    np.testing.assert_allclose(embedded, direct.points, rtol=5.1e-4, atol=0)
    np.testing.assert_allclose(data["losses"][row][col], direct.losses, rtol=5.1e-3, atol=0)


@pytest.mark.parametrize("nesterov", [False, True])
def test_grid_equals_run_trajectory_bit_for_bit(nesterov):
    grid = momentum_grid(QUADRATIC, lrs=LRS, momenta=MOMENTA, steps=30, nesterov=nesterov)
    assert grid.points.shape == (len(MOMENTA), len(LRS), 31, 2)
    for row, momentum in enumerate(MOMENTA):
        for col, lr in enumerate(LRS):
            kwargs = {"lr": lr, "momentum": momentum, "nesterov": nesterov and momentum > 0}
            direct = run_trajectory(QUADRATIC, optnotes.optim.SGD, 30, **kwargs)
            kept = grid.escaped[row, col]  # the path is cut where it leaves the plane
            np.testing.assert_array_equal(grid.points[row, col, :kept], direct.points[:kept])
            np.testing.assert_array_equal(grid.losses[row, col, :kept], direct.losses[:kept])
            assert np.isnan(grid.points[row, col, kept:]).all()
            if kept < 31:  # cut at the first point a million view widths (10) away
                far = 1e6 * 10
                assert np.abs(direct.points[kept]).max() > far >= np.abs(direct.points[:kept]).max()
    assert grid.escaped[0, -1] < 31  # gradient descent with η = 0.16 > 2/L diverges
    assert (grid.escaped[grid.rates < 1] == 31).all()  # stable runs are kept whole


def test_rates_are_the_largest_roots_of_the_iteration_matrix():
    kappa = 20.0
    grid = momentum_grid(quadratic(kappa), lrs=LRS, momenta=MOMENTA, steps=5)
    np.testing.assert_allclose(grid.curvatures, [1.0, kappa])
    for nesterov in (False, True):
        for lr in LRS:
            for mu in MOMENTA:
                blocks = []
                for curvature in (1.0, kappa):
                    a = lr * curvature
                    if nesterov:  # state (θ, b): b ← μb + λθ, θ ← θ − η(λθ + μ(μb + λθ))
                        blocks.append([[1 - a * (1 + mu), -lr * mu**2], [curvature, mu]])
                    else:  # b ← μb + λθ, θ ← θ − η(μb + λθ)
                        blocks.append([[1 - a, -lr * mu], [curvature, mu]])
                radius = max(np.abs(np.linalg.eigvals(np.array(b))).max() for b in blocks)
                rate = largest_root(lr, mu, [1.0, kappa], nesterov=nesterov)
                np.testing.assert_allclose(rate, radius, rtol=1e-6)


def test_tuned_heavy_ball_rate():
    kappa = 100.0
    lr, mu = 4 / (1 + np.sqrt(kappa)) ** 2, ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    curvatures = np.linspace(1, kappa, 50)
    # a double root: round-off of order ε in the discriminant moves it by about √ε
    np.testing.assert_allclose(largest_root(lr, mu, curvatures), 9 / 11, rtol=1e-7)
    np.testing.assert_allclose(largest_root(2 / 101, 0.0, curvatures), 99 / 101, rtol=1e-12)


def test_diverging_and_escaping_runs_are_cut_and_the_data_stay_finite():
    grid = momentum_grid(ROSENBROCK, lrs=(1e-3, 0.05), momenta=(0.0, 0.9), steps=50)
    assert grid.escaped[0, 0] == 51  # a stable run is kept whole
    assert grid.escaped[1, 1] < 51  # a far too large step leaves the plane
    assert np.isnan(grid.points[1, 1, grid.escaped[1, 1] :]).all()
    assert np.isfinite(grid.points[1, 1, : grid.escaped[1, 1]]).all()
    figure = momentum_explorer(ROSENBROCK, lrs=(1e-3, 0.05), momenta=(0.0, 0.9), steps=50)
    data = explorer_data(figure)  # strict JSON: no NaN or Infinity
    assert len(data["losses"][1][1]) == grid.escaped[1, 1]
    json.dumps(data, allow_nan=False)


def test_every_call_gets_its_own_element_ids():
    first = momentum_explorer(lrs=LRS[:2], momenta=MOMENTA[:2], steps=5).data
    second = momentum_explorer(lrs=LRS[:2], momenta=MOMENTA[:2], steps=5).data
    ids = re.findall(r'\bid="([^"]+)"', first + second)
    assert len(ids) == len(set(ids)) >= 6
    assert set(re.findall(r'\bid="([^"]+)"', first)).isdisjoint(
        re.findall(r'\bid="([^"]+)"', second)
    )
    for text in (first, second):  # every reference points into its own figure
        own = set(re.findall(r'\bid="([^"]+)"', text))
        references = re.findall(r"url\(#([^)]+)\)", text) + re.findall(r'\bfor="([^"]+)"', text)
        assert references
        assert set(references) <= own
        assert set(re.findall(r'getElementById\("([^"]+)"\)', text)) <= own


def test_default_figure_stays_small():
    text = momentum_explorer().data
    assert len(text.encode()) < 300_000


def test_largest_allowed_figure_stays_near_300_kb():
    lrs = np.round(np.geomspace(0.005, 0.17, 15), 4)
    momenta = np.round(np.linspace(0.0, 0.9, 12), 3)
    steps = MAX_POINTS // (lrs.size * momenta.size) - 1
    text = momentum_explorer(lrs=lrs, momenta=momenta, steps=steps).data
    assert len(text.encode()) < 320_000
    with pytest.raises(ValueError, match="steps"):
        momentum_explorer(lrs=lrs, momenta=momenta, steps=steps + 1)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"lrs": []}, "lrs"),
        ({"lrs": [0.1, -0.1]}, "lrs"),
        ({"lrs": [0.1, 0.05]}, "lrs"),
        ({"lrs": [float("nan")]}, "lrs"),
        ({"lrs": "fast"}, "lrs"),
        ({"momenta": [0.5, 1.0]}, "momenta"),
        ({"momenta": [-0.1]}, "momenta"),
        ({"steps": 0}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"steps": True}, "steps"),
        ({"steps": MAX_POINTS}, "steps"),
        ({"initial": (0.1,)}, "initial"),
        ({"initial": "middle"}, "initial"),
        ({"levels": 0}, "levels"),
        ({"problem": "quadratic"}, "problem"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(kwargs, name):
    arguments = {"lrs": LRS, "momenta": MOMENTA, "steps": 5} | kwargs
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        momentum_explorer(**arguments)


def test_explorer_data_refuses_other_html():
    with pytest.raises(ValueError, match="no momentum explorer"):
        explorer_data(HTML("<p>hello</p>"))
