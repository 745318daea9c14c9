"""PyTorch's own scheduler tests, run with torch's scheduler classes replaced by ours.

PyTorch tests its schedulers in ``test/optim/test_lrscheduler.py`` of its source tree,
which the wheel does not ship and this repository does not copy. To run it against
optnotes, fetch the file of the torch version installed and point
``OPTNOTES_TORCH_LRSCHEDULER_TESTS`` at it::

    curl https://raw.githubusercontent.com/pytorch/pytorch/v2.13.0/test/optim/test_lrscheduler.py \\
        -o /tmp/test_lrscheduler.py
    OPTNOTES_TORCH_LRSCHEDULER_TESTS=/tmp/test_lrscheduler.py \\
        .venv/bin/python -m pytest tests/lr_scheduler/test_torch_lrscheduler_suite.py -rA

Without the variable, or when the file it names does not exist, that test is skipped
and says why. The suite imports ``torch.testing._internal.common_utils`` (PyTorch's
``TestCase``, ``parametrize``, ...): the wheel ships ``torch/testing/_internal``, but
``common_utils`` needs the package ``expecttest``, which is not a dependency of torch
(``pip install expecttest``); without it the test is skipped too, saying so.

How it runs: in a fresh interpreter (``common_utils`` changes global torch settings at
import, so it never enters the pytest process), every class of
``torch.optim.lr_scheduler`` that ``optnotes.lr_scheduler`` re-implements, found by
name, so that the swap grows with the package, is replaced in torch's module by ours;
then the copy is imported, so that its ``from torch.optim.lr_scheduler import StepLR``
binds ours, and run with :mod:`unittest` (PyTorch's ``TestCase`` is a
``unittest.TestCase``) while the swap is in place, so that
``torch.optim.lr_scheduler.StepLR(...)`` inside a test is ours too. Torch's base
class and its own code stay torch's (with all fifteen schedulers ours, a test of
``SequentialLR`` runs ours over ours; a class we did not implement would stay torch's).
Every test's outcome is reported; any failure or
error fails the pytest test. The same runner is run here on a small fake suite, so it
is tested whether or not the copy is there.

The module is also a script: ``python tests/lr_scheduler/test_torch_lrscheduler_suite.py
SUITE RESULTS.json`` runs ``SUITE`` with ours swapped in and writes the outcomes.
"""

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import traceback
import unittest
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ENV_VAR = "OPTNOTES_TORCH_LRSCHEDULER_TESTS"
CURL = (
    "curl https://raw.githubusercontent.com/pytorch/pytorch/v2.13.0/test/optim/"
    "test_lrscheduler.py -o /tmp/test_lrscheduler.py"
)
REPO = Path(__file__).resolve().parents[2]
FAILING = ("failed", "error", "unexpected success")


# --- the runner (it runs in the subprocess) -----------------------------------------------


def ours_by_name() -> dict[str, type]:
    """Return our class for every class name of ``torch.optim.lr_scheduler`` we re-implement.

    A name counts when ``optnotes.lr_scheduler`` exports a class of that name that is
    not torch's own object (``LRScheduler``, which we re-export, is not swapped).
    """
    import torch.optim.lr_scheduler as torch_module

    import optnotes.lr_scheduler as ours

    swapped = {}
    for name in ours.__all__:
        theirs, mine = getattr(torch_module, name, None), getattr(ours, name)
        if isinstance(theirs, type) and isinstance(mine, type) and mine is not theirs:
            swapped[name] = mine
    return swapped


@contextlib.contextmanager
def swapped_in(classes: dict[str, type]) -> Iterator[None]:
    """Replace ``torch.optim.lr_scheduler.<name>`` by ``classes[name]``; restore on exit."""
    import torch.optim.lr_scheduler as torch_module

    originals = {name: getattr(torch_module, name) for name in classes}
    try:
        for name, cls in classes.items():
            setattr(torch_module, name, cls)
        yield
    finally:
        for name, cls in originals.items():
            setattr(torch_module, name, cls)


def load_with_ours(path: Path, classes: dict[str, type], name: str = "torch_lrscheduler_suite"):
    """Import the test file at ``path`` while ours are swapped in (call it inside the swap).

    Names the module bound to torch's classes some other way (before the swap) are
    rebound to ours as well.
    """
    import torch.optim.lr_scheduler as torch_module

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # unittest and PyTorch's TestCase look the file up here
    spec.loader.exec_module(module)
    theirs = {id(vars(torch_module).get(n)): cls for n, cls in classes.items()}
    for key, value in list(vars(module).items()):
        if isinstance(value, type) and id(value) in theirs and value is not theirs[id(value)]:
            setattr(module, key, theirs[id(value)])
    return module


class Recorder(unittest.TestResult):
    """A ``unittest`` result that keeps one record per test (and per failing subtest)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[dict[str, str]] = []

    def _record(self, test: Any, outcome: str, detail: str = "") -> None:
        self.records.append({"test": test.id(), "outcome": outcome, "detail": detail})

    def addSuccess(self, test):  # noqa: N802 (unittest's name)
        super().addSuccess(test)
        self._record(test, "passed")

    def addFailure(self, test, err):  # noqa: N802 (unittest's name)
        super().addFailure(test, err)
        self._record(test, "failed", self._exc_info_to_string(err, test))

    def addError(self, test, err):  # noqa: N802 (unittest's name)
        super().addError(test, err)
        self._record(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):  # noqa: N802 (unittest's name)
        super().addSkip(test, reason)
        self._record(test, "skipped", reason)

    def addExpectedFailure(self, test, err):  # noqa: N802 (unittest's name)
        super().addExpectedFailure(test, err)
        self._record(test, "expected failure")

    def addUnexpectedSuccess(self, test):  # noqa: N802 (unittest's name)
        super().addUnexpectedSuccess(test)
        self._record(test, "unexpected success")

    def addSubTest(self, test, subtest, err):  # noqa: N802 (unittest's name)
        super().addSubTest(test, subtest, err)
        if err is not None:
            outcome = "failed" if issubclass(err[0], test.failureException) else "error"
            self._record(subtest, outcome, self._exc_info_to_string(err, test))


def run_suite(path: Path) -> dict[str, Any]:
    """Run the test file at ``path`` with ours swapped in; return what happened.

    Returns
    -------
    dict
        ``swapped``: the names replaced; ``bound``: for each of them that the test
        module holds, whether it holds ours; ``records``: one outcome per test; or,
        when the file cannot be imported, ``load_error`` (a traceback) and ``missing``
        (the module that was not found, if that was the cause).
    """
    path = Path(path).resolve()
    sys.argv = [str(path)]  # as if run as a script: PyTorch's load_tests checks the file
    classes = ours_by_name()
    outcome: dict[str, Any] = {"swapped": sorted(classes)}
    with swapped_in(classes):
        try:
            module = load_with_ours(path, classes)
        except ModuleNotFoundError as error:
            return {**outcome, "load_error": traceback.format_exc(), "missing": error.name}
        except Exception:
            return {**outcome, "load_error": traceback.format_exc(), "missing": None}
        outcome["bound"] = {
            name: vars(module)[name] is cls for name, cls in classes.items() if name in vars(module)
        }
        suite = unittest.defaultTestLoader.loadTestsFromModule(module)
        result = Recorder()
        suite.run(result)
    return {**outcome, "records": result.records}


def main(argv: list[str]) -> int:
    """Run the suite ``argv[0]`` and write the outcome as JSON to ``argv[1]``."""
    suite, results = argv
    Path(results).write_text(json.dumps(run_suite(Path(suite))))
    return 0


# --- the tests (they run in the pytest process) -------------------------------------------


def run_in_subprocess(path: Path, runner: str = __file__, timeout: int = 900) -> dict[str, Any]:
    """Run the test file at ``path`` in a fresh interpreter; return ``run_suite``'s dict.

    ``runner`` is the script that runs it (this module, or another suite's runner that
    shares its records) and ``timeout`` the seconds it may take.
    """
    env = {key: value for key, value in os.environ.items() if key != "CI"}  # no CI mode
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder) / "results.json"
        process = subprocess.run(
            [sys.executable, runner, str(path), str(results)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert process.returncode == 0, f"the runner crashed:\n{process.stdout}\n{process.stderr}"
        return json.loads(results.read_text())


def summary(records: list[dict[str, str]]) -> str:
    counts: dict[str, int] = {}
    for record in records:
        counts[record["outcome"]] = counts.get(record["outcome"], 0) + 1
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))


def report(records: list[dict[str, str]]) -> None:
    """Print one line per test (pytest shows it with ``-rA``, and for a failing test)."""
    for record in records:
        print(f"{record['outcome'].upper():>18}  {record['test']}")
    print(summary(records))


def outcome_or_skip(
    env_var: str, curl: str, what: str, run: Callable[[Path], dict[str, Any]]
) -> dict[str, Any]:
    """Run the suite that ``env_var`` names with ``run``, or skip if it is not there.

    Skips (saying how to get it) when ``env_var`` is unset or names no file, or when the
    suite needs a module that is not installed; fails when it cannot be loaded otherwise.
    """
    location = os.environ.get(env_var)
    if not location:
        pytest.skip(f"{env_var} is not set; get PyTorch's {what} tests with `{curl}`")
    path = Path(location)
    if not path.is_file():
        pytest.skip(f"{env_var}={location} does not exist; get it with `{curl}`")
    outcome = run(path)
    missing = outcome.get("missing")
    if missing:
        why = " (torch.testing._internal.common_utils needs it)" if missing == "expecttest" else ""
        pytest.skip(f"{path} cannot be imported: no module {missing!r}{why}; pip install {missing}")
    assert "load_error" not in outcome, outcome["load_error"]
    return outcome


def assert_suite_passed(outcome: dict[str, Any]) -> None:
    """Report every test of the suite; fail, listing them, if any failed; and some passed."""
    records = outcome["records"]
    report(records)
    failing = [r for r in records if r["outcome"] in FAILING]
    if failing:
        details = "\n".join(f"--- {r['outcome']}: {r['test']}\n{r['detail']}" for r in failing)
        pytest.fail(
            f"{len(failing)} of PyTorch's tests fail with ours swapped in for "
            f"{', '.join(outcome['swapped'])} ({summary(records)}):\n{details}",
            pytrace=False,
        )
    assert sum(r["outcome"] == "passed" for r in records) > 0


def test_pytorch_lrscheduler_suite_passes_with_ours():
    outcome = outcome_or_skip(ENV_VAR, CURL, "scheduler", run_in_subprocess)
    assert outcome["bound"], "the suite imported none of the classes we re-implement"
    assert all(outcome["bound"].values()), f"torch's classes kept: {outcome['bound']}"
    assert_suite_passed(outcome)


FAKE_SUITE = """
import unittest

import torch
import torch.optim.lr_scheduler as lr_scheduler
from torch.optim.lr_scheduler import LRScheduler, StepLR


class TestSwapped(unittest.TestCase):
    def test_imported_class_is_ours(self):
        self.assertTrue(StepLR.__module__.startswith("optnotes.lr_scheduler"))

    def test_module_attribute_is_ours_while_the_tests_run(self):
        self.assertIs(torch.optim.lr_scheduler.StepLR, StepLR)
        self.assertTrue(lr_scheduler.MultiStepLR.__module__.startswith("optnotes."))

    def test_base_class_stays_torchs(self):
        self.assertEqual(LRScheduler.__module__, "torch.optim.lr_scheduler")
        self.assertTrue(issubclass(StepLR, LRScheduler))

    def test_it_schedules(self):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        sched = StepLR(opt, step_size=2, gamma=0.5)
        lrs = []
        for _ in range(5):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        self.assertEqual(lrs, [1.0, 1.0, 0.5, 0.5, 0.25])

    def test_subtests(self):
        for gamma in (0.5, 0.25):
            with self.subTest(gamma=gamma):
                self.assertLess(gamma, 0.4)

    @unittest.skip("on purpose")
    def test_skipped(self):
        pass

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1, 2)

    def test_fails(self):
        self.assertEqual(StepLR.__name__, "MultiStepLR")

    def test_errors(self):
        raise RuntimeError("boom")
"""


@pytest.fixture(scope="module")
def fake_outcome(tmp_path_factory):
    path = tmp_path_factory.mktemp("suite") / "test_fake_lrscheduler.py"
    path.write_text(textwrap.dedent(FAKE_SUITE))
    return run_in_subprocess(path)


def test_runner_swaps_in_every_class_we_implement(fake_outcome):
    from torch.optim import lr_scheduler as tl

    from optnotes import lr_scheduler as ol

    expected = {n for n in tl.__all__ if n in ol.__all__ and getattr(ol, n) is not getattr(tl, n)}
    assert set(fake_outcome["swapped"]) == expected
    assert expected >= {
        "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
        "CosineAnnealingLR", "LambdaLR", "MultiplicativeLR", "ReduceLROnPlateau", "CyclicLR",
    }  # fmt: skip
    assert "LRScheduler" not in expected
    assert fake_outcome["bound"] == {"StepLR": True}  # the one name the fake suite imports


def test_runner_reports_every_test(fake_outcome):
    prefix = "torch_lrscheduler_suite.TestSwapped."
    outcomes = {r["test"].removeprefix(prefix): r["outcome"] for r in fake_outcome["records"]}
    assert outcomes == {
        "test_imported_class_is_ours": "passed",
        "test_module_attribute_is_ours_while_the_tests_run": "passed",
        "test_base_class_stays_torchs": "passed",
        "test_it_schedules": "passed",
        "test_subtests (gamma=0.5)": "failed",  # a failing subtest, by its parameters
        "test_skipped": "skipped",
        "test_expected_failure": "expected failure",
        "test_fails": "failed",
        "test_errors": "error",
    }
    details = {r["test"].removeprefix(prefix): r["detail"] for r in fake_outcome["records"]}
    assert "RuntimeError: boom" in details["test_errors"]
    assert "'StepLR' != 'MultiStepLR'" in details["test_fails"]


def test_runner_reports_a_suite_it_cannot_import(tmp_path):
    path = tmp_path / "test_needs_a_package.py"
    path.write_text("import expecttest_is_not_installed_here  # noqa\n")
    outcome = run_in_subprocess(path)
    assert outcome["missing"] == "expecttest_is_not_installed_here"
    assert "ModuleNotFoundError" in outcome["load_error"]


def test_swap_is_undone_even_on_error():
    from torch.optim import lr_scheduler as tl

    from optnotes import lr_scheduler as ol

    original = tl.StepLR
    seen = []

    def fail_inside():
        with swapped_in(ours_by_name()):
            seen.append(tl.StepLR)
            raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        fail_inside()
    assert seen == [ol.StepLR]
    assert tl.StepLR is original


def test_the_wheel_ships_torchs_test_utilities():
    spec = importlib.util.find_spec("torch.testing._internal.common_utils")
    assert spec is not None
    assert Path(spec.origin).is_file()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
