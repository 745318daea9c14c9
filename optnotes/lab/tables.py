"""Tables of an experiment's results over seeds, for the chapters to display.

A chapter's experiment measures a few numbers per run, for each setting (clipping or
not, warm-up or not) and each seed. :func:`per_seed` collects them into one table, a
row per run; :func:`over_seeds` condenses that table into a row per setting whose
cells show a centre and the spread of the seeds around it, so that a reader sees at a
glance whether two settings differ by more than their seeds do. The bookkeeping lives
here, and the chapter shows only the experiment and its result::

    runs = {(setting, seed): {"final loss": ..., "diverged": ...}, ...}
    table = per_seed(runs)  # numbers, for the hidden checks
    over_seeds(table)  # text, for the reader
"""

from collections.abc import Hashable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

Centre = Literal["mean", "median"]
Spread = Literal["std", "sem", "range"]

_HEADERS = {
    ("mean", "std"): "mean ± s.d.",
    ("mean", "sem"): "mean ± s.e.",
    ("mean", "range"): "mean (min to max)",
    ("median", "std"): "median ± s.d.",
    ("median", "sem"): "median ± s.e.",
    ("median", "range"): "median (min to max)",
}


def per_seed(
    results: Mapping[tuple[Hashable, Hashable], Mapping[str, object]],
    *,
    names: Sequence[str] = ("setting", "seed"),
) -> pd.DataFrame:
    """Collect the measurements of every run into one table, a row per run.

    Parameters
    ----------
    results : dict
        ``(setting, seed)`` to the run's measurements, a dict of column name to value.
        Every run should measure the same quantities; a missing one is ``NaN``.
    names : tuple of str
        Names of the two index levels.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(setting, seed)`` in the order of ``results``, one column per
        measured quantity in the order they first appear.

    Raises
    ------
    ValueError
        If ``results`` is empty, a key is not a pair, or ``names`` is not two names.
    """
    if len(names) != 2:
        raise ValueError(f"names must name two index levels, got {list(names)}")
    if not results:
        raise ValueError("results is empty")
    bad = [key for key in results if not (isinstance(key, tuple) and len(key) == 2)]
    if bad:
        raise ValueError(f"keys must be (setting, seed) pairs, got {bad[0]!r}")
    index = pd.MultiIndex.from_tuples(list(results), names=list(names))
    return pd.DataFrame([dict(record) for record in results.values()], index=index)


def _number(value: float, digits: int, integral: bool = False) -> str:
    """``value`` to ``digits`` significant digits; with an exponent if very large or small.

    Up to one digit more than ``digits`` is written out (``7434`` rather than
    ``7.43e+03``), so counts of steps stay whole numbers.
    """
    if not np.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if integral and value == round(value) and abs(value) < 10 ** (digits + 1):
        return str(round(value))  # a count, such as a step number
    magnitude = int(np.floor(np.log10(abs(value))))
    if -3 <= magnitude <= digits:
        decimals = max(0, digits - 1 - magnitude)
        return f"{value:.{decimals}f}"
    return f"{value:.{max(0, digits - 1)}e}"


def _cell(values: np.ndarray, centre: Centre, spread: Spread, digits: int, integral: bool) -> str:
    middle = float(np.mean(values) if centre == "mean" else np.median(values))
    text = _number(middle, digits, integral)
    if values.size < 2:
        return text
    if spread == "range":
        low, high = (
            _number(float(bound), digits, integral) for bound in (values.min(), values.max())
        )
        return f"{text} ({low} to {high})"
    deviation = float(np.std(values, ddof=1))
    if spread == "sem":
        deviation /= np.sqrt(values.size)
    return f"{text} ± {_number(deviation, digits)}"


def over_seeds(
    table: pd.DataFrame,
    *,
    centre: Centre = "mean",
    spread: Spread = "std",
    digits: int | Mapping[str, int] = 3,
    level: int | str = 0,
) -> pd.DataFrame:
    """Condense a table of runs into one row per setting: centre and spread of the seeds.

    Numeric columns become text such as ``"0.551 ± 0.034"`` or ``"0.551 (0.509 to 0.593)"``
    (whole numbers of an integer column, such as step numbers, without decimals);
    boolean columns (did the run diverge?) become counts such as ``"4 of 5"``. The table
    is meant to be read, not computed with: checks use the numbers of :func:`per_seed`.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per run, as from :func:`per_seed`, with the setting in index level
        ``level``.
    centre : {'mean', 'median'}
        What each cell shows first.
    spread : {'std', 'sem', 'range'}
        The spread of the seeds: sample standard deviation, standard error of the mean,
        or the smallest and largest value.
    digits : int or dict
        Significant digits of every number, or column name to digits (3 for the others).
    level : int or str
        The index level that holds the setting.

    Returns
    -------
    pandas.DataFrame
        One row per setting, in the order of first appearance, and a column ``seeds``
        with the number of runs; the column axis is named after the statistic shown.

    Raises
    ------
    ValueError
        If ``centre`` or ``spread`` is unknown, ``digits`` is below 1, or a column is
        neither numeric nor boolean.
    """
    if (centre, spread) not in _HEADERS:
        raise ValueError(
            f"centre must be 'mean' or 'median' and spread 'std', 'sem' or 'range'; "
            f"got {centre!r}, {spread!r}"
        )
    per_column = dict(digits) if isinstance(digits, Mapping) else {}
    default = 3 if isinstance(digits, Mapping) else digits
    if min([default, *per_column.values()]) < 1:
        raise ValueError("digits must be at least 1")
    codes, settings = pd.factorize(table.index.get_level_values(level), use_na_sentinel=False)
    rows = {}
    for code, setting in enumerate(settings):
        runs = table[codes == code]
        row = {}
        for column in table.columns:
            values = runs[column].to_numpy()
            if pd.api.types.is_bool_dtype(runs[column]):
                row[column] = f"{int(values.sum())} of {values.size}"
            elif pd.api.types.is_numeric_dtype(runs[column]):
                integral = pd.api.types.is_integer_dtype(runs[column])  # counts stay whole
                values = values.astype(float)
                values = values[~np.isnan(values)]
                row[column] = (
                    _cell(values, centre, spread, per_column.get(column, default), integral)
                    if values.size
                    else "–"
                )
            else:
                raise ValueError(f"column {column!r} is neither numeric nor boolean")
        row["seeds"] = len(runs)
        rows[setting] = row
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary.index.name = table.index.names[level] if isinstance(level, int) else level
    summary.columns.name = _HEADERS[(centre, spread)]
    return summary
