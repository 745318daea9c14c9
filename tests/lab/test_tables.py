import math

import numpy as np
import pandas as pd
import pytest

from optnotes.lab.tables import over_seeds, per_seed

RUNS = {
    ("no clipping", 0): {"loss": 2.0, "steps": 10, "diverged": True},
    ("no clipping", 1): {"loss": 4.0, "steps": 30, "diverged": False},
    ("no clipping", 2): {"loss": 9.0, "steps": 20, "diverged": True},
    ("clipped", 0): {"loss": 0.5, "steps": 12, "diverged": False},
    ("clipped", 1): {"loss": 0.25, "steps": 14, "diverged": False},
    ("clipped", 2): {"loss": 0.75, "steps": 13, "diverged": False},
}


def test_per_seed_has_a_row_per_run_in_order():
    table = per_seed(RUNS)
    assert list(table.index) == list(RUNS)
    assert table.index.names == ["setting", "seed"]
    assert list(table.columns) == ["loss", "steps", "diverged"]
    assert table.loc[("clipped", 1), "loss"] == 0.25
    assert table["diverged"].dtype == bool
    named = per_seed(RUNS, names=("clipping", "run"))
    assert named.index.names == ["clipping", "run"]


def test_per_seed_refuses_what_it_cannot_index():
    with pytest.raises(ValueError, match="empty"):
        per_seed({})
    with pytest.raises(ValueError, match="pairs"):
        per_seed({"a": {"x": 1.0}})
    with pytest.raises(ValueError, match="two index levels"):
        per_seed(RUNS, names=("setting",))


def test_over_seeds_shows_mean_and_standard_deviation():
    summary = over_seeds(per_seed(RUNS))
    assert list(summary.index) == ["no clipping", "clipped"]  # order of appearance
    assert summary.index.name == "setting"
    assert summary.columns.name == "mean ± s.d."
    sd = np.std([2.0, 4.0, 9.0], ddof=1)
    assert summary.loc["no clipping", "loss"] == f"5.00 ± {sd:.2f}"
    assert summary.loc["clipped", "loss"] == "0.500 ± 0.250"
    assert summary.loc["no clipping", "diverged"] == "2 of 3"
    assert summary.loc["clipped", "diverged"] == "0 of 3"
    assert summary.loc["clipped", "seeds"] == 3


def test_over_seeds_median_range_and_standard_error():
    table = per_seed(RUNS)
    ranged = over_seeds(table, centre="median", spread="range", digits=2)
    assert ranged.columns.name == "median (min to max)"
    assert ranged.loc["no clipping", "loss"] == "4.0 (2.0 to 9.0)"
    assert ranged.loc["no clipping", "steps"] == "20 (10 to 30)"  # whole numbers stay whole
    assert over_seeds(table, spread="range").loc["clipped", "steps"] == "13 (12 to 14)"
    assert over_seeds(table).loc["no clipping", "steps"] == "20 ± 10.0"  # a spread is not a count
    sem = over_seeds(table, spread="sem", digits={"loss": 2})
    assert sem.columns.name == "mean ± s.e."
    assert sem.loc["clipped", "loss"] == "0.50 ± 0.14"  # 0.25 / sqrt(3), two digits
    assert sem.loc["clipped", "steps"] == "13 ± 0.577"  # 1 / sqrt(3), three digits


def test_over_seeds_writes_large_and_small_numbers_with_an_exponent():
    table = per_seed({("a", 0): {"x": 7434.482}, ("a", 1): {"x": 36805.5}, ("b", 0): {"x": 1e-5}})
    summary = over_seeds(table, centre="median", spread="range")
    assert summary.loc["a", "x"] == "2.21e+04 (7434 to 3.68e+04)"
    assert summary.loc["b", "x"] == "1.00e-05"  # one seed: no spread
    assert summary.loc["b", "seeds"] == 1


def test_over_seeds_keeps_missing_and_non_finite_values_apart():
    table = per_seed({("a", 0): {"x": math.inf}, ("a", 1): {"x": 1.0}, ("b", 0): {"x": math.nan}})
    summary = over_seeds(table, spread="range")
    assert summary.loc["a", "x"] == "inf (1.00 to inf)"
    assert summary.loc["b", "x"] == "–"


def test_over_seeds_groups_a_missing_setting_of_its_own():
    table = per_seed({(None, 0): {"x": 1.0}, (None, 1): {"x": 3.0}, (0.25, 0): {"x": 5.0}})
    summary = over_seeds(table)
    assert list(summary["seeds"]) == [2, 1]
    assert summary["x"].iloc[0] == "2.00 ± 1.41"


def test_over_seeds_refuses_unknown_statistics_and_text_columns():
    table = per_seed(RUNS)
    with pytest.raises(ValueError, match="centre"):
        over_seeds(table, centre="mode")
    with pytest.raises(ValueError, match="spread"):
        over_seeds(table, spread="iqr")
    with pytest.raises(ValueError, match="at least 1"):
        over_seeds(table, digits=0)
    with pytest.raises(ValueError, match="neither numeric"):
        over_seeds(table.assign(name="x"))


def test_over_seeds_is_an_html_table():
    html = over_seeds(per_seed(RUNS))._repr_html_()
    assert "<table" in html
    assert "0.500 ± 0.250" in html
    assert isinstance(over_seeds(per_seed(RUNS)), pd.DataFrame)
