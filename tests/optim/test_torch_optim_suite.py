"""PyTorch's optimizer tests (``TestOptimRenewed``), run with torch's optimizers replaced by ours.

PyTorch tests its optimizers in ``test/test_optim.py`` of its source tree, which the wheel
does not ship and this repository does not copy. To run it against optnotes, fetch a copy
recent enough for the torch installed (one that imports only what the wheel's
``torch.testing._internal`` has) and point ``OPTNOTES_TORCH_OPTIM_TESTS`` at it::

    curl https://raw.githubusercontent.com/pytorch/pytorch/v2.13.0/test/test_optim.py \\
        -o /tmp/test_optim.py
    OPTNOTES_TORCH_OPTIM_TESTS=/tmp/test_optim.py \\
        .venv/bin/python -m pytest tests/optim/test_torch_optim_suite.py -rA

Without the variable, or when the file it names does not exist, that test is skipped and
says why. As for the scheduler suite (``tests/lr_scheduler/test_torch_lrscheduler_suite.py``,
whose result records this runner shares), ``common_utils`` needs the package ``expecttest``;
without it the test is skipped too, saying so.

How it runs, in a fresh interpreter (``common_utils`` changes global torch settings):

- The optimizers: every class of ``torch.optim`` that ``optnotes.optim`` re-implements,
  found by name, so that the swap grows with the package. Torch's tests take their
  optimizer from ``torch.testing._internal.common_optimizers.optim_db`` (one
  ``OptimizerInfo`` per class, bound to torch's class when that module was imported), so
  the runner keeps, in that list, the entries of the classes we have, each pointing at
  ours, and also sets ``torch.optim.<Name>`` to ours (``from torch.optim import SGD`` in
  the suite, ``torch.optim.AdamW(...)`` inside a test). Entries of classes we lack are
  left out, so nothing of torch's is tested as if it were ours.
- The implementations: ours have ``foreach`` and none of ``fused``, ``capturable``,
  ``differentiable``, so each kept entry's ``supported_impls`` is cut to ``foreach``
  (``supports_fused_on`` emptied). Torch's tests then try only the options we have.
- The copy's first lines import three sibling files of PyTorch's ``test/optim`` folder
  (``from optim.test_lrscheduler import TestLRScheduler``: other suites, re-exported to
  run them from this file). When they cannot be imported, empty stand-ins are put in
  their place: this runner runs ``TestOptimRenewed`` only.

Then the copy is imported and run with :mod:`unittest` while the swap is in place; every
test's outcome is reported, and any failure or error fails the pytest test. The same runner
is run here on a small fake suite, so it is tested whether or not the copy is there.

The module is also a script: ``python tests/optim/test_torch_optim_suite.py SUITE
RESULTS.json`` runs ``SUITE`` with ours swapped in and writes the outcomes.
"""

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import traceback
import types
import unittest
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ENV_VAR = "OPTNOTES_TORCH_OPTIM_TESTS"
CURL = (
    "curl https://raw.githubusercontent.com/pytorch/pytorch/v2.13.0/test/test_optim.py "
    "-o /tmp/test_optim.py"
)
REPO = Path(__file__).resolve().parents[2]
#: The implementation flags of torch's optimizers that ours have.
OUR_IMPLS = ("foreach",)
#: The sibling modules PyTorch's test_optim.py imports from its ``test`` folder.
SIBLINGS = "optim"


def _scheduler_suite() -> types.ModuleType:
    """The scheduler suite's runner, whose result records and summaries are reused here."""
    path = Path(__file__).resolve().parents[1] / "lr_scheduler" / "test_torch_lrscheduler_suite.py"
    spec = importlib.util.spec_from_file_location("_optnotes_lrscheduler_suite_runner", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_shared = _scheduler_suite()
Recorder = _shared.Recorder


# --- the runner (it runs in the subprocess) -----------------------------------------------


def ours_by_name() -> dict[str, type]:
    """Return our class for every optimizer class name of ``torch.optim`` we re-implement."""
    import torch

    import optnotes.optim as ours

    swapped = {}
    for name in ours.__all__:
        theirs, mine = getattr(torch.optim, name, None), getattr(ours, name)
        if (
            isinstance(theirs, type)
            and isinstance(mine, type)
            and issubclass(mine, torch.optim.Optimizer)
            and mine is not theirs
        ):
            swapped[name] = mine
    return swapped


@contextlib.contextmanager
def swapped_in(classes: dict[str, type]) -> Iterator[None]:
    """Put ours in ``torch.optim`` and in ``optim_db`` (only our entries); restore on exit."""
    import torch
    from torch.testing._internal import common_optimizers

    db = common_optimizers.optim_db
    originals = {name: getattr(torch.optim, name) for name in classes}
    entries = list(db)
    fields = [(info, info.optim_cls, info.supported_impls, info.supports_fused_on) for info in db]
    try:
        for name, cls in classes.items():
            setattr(torch.optim, name, cls)
        kept = []
        for info in entries:
            name = info.optim_cls.__name__
            if name in classes:
                info.optim_cls = classes[name]
                info.supported_impls = tuple(i for i in info.supported_impls if i in OUR_IMPLS)
                info.supports_fused_on = ()
                kept.append(info)
        db[:] = kept  # in place: the suite's decorators read this very list at import
        yield
    finally:
        db[:] = entries
        for info, cls, impls, fused_on in fields:
            info.optim_cls, info.supported_impls, info.supports_fused_on = cls, impls, fused_on
        for name, cls in originals.items():
            setattr(torch.optim, name, cls)


class _StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Empty modules for PyTorch's ``test/optim/*`` files, when they are not importable.

    Any name imported from a stand-in is a plain class that is not a test.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != SIBLINGS and not fullname.startswith(SIBLINGS + "."):
            return None
        for finder in sys.meta_path:
            if finder is not self and finder.find_spec(fullname, path, target) is not None:
                return None  # the real one is there: use it
        return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname == SIBLINGS)

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda name: type(name, (), {"__module__": spec.name})
        return module

    def exec_module(self, module):
        pass


def load_suite(path: Path, name: str = "torch_optim_suite") -> types.ModuleType:
    """Import the test file at ``path`` (call it inside the swap)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # unittest and PyTorch's TestCase look the file up here
    stand_ins = _StandIns()
    sys.meta_path.append(stand_ins)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.meta_path.remove(stand_ins)
    return module


def run_suite(path: Path) -> dict[str, Any]:
    """Run the test file at ``path`` with ours swapped in; return what happened.

    Returns
    -------
    dict
        ``swapped``: the names replaced; ``tested``: the classes the suite's optimizer
        tests ran on; ``records``: one outcome per test; or, when the file cannot be
        imported, ``load_error`` (a traceback) and ``missing`` (the module that was not
        found, if that was the cause).
    """
    path = Path(path).resolve()
    sys.argv = [str(path)]  # as if run as a script: PyTorch's load_tests checks the file
    classes = ours_by_name()
    outcome: dict[str, Any] = {"swapped": sorted(classes)}
    try:
        from torch.testing._internal import common_optimizers
    except ModuleNotFoundError as error:
        return {**outcome, "load_error": traceback.format_exc(), "missing": error.name}
    with swapped_in(classes):
        outcome["tested"] = {
            info.optim_cls.__name__: info.optim_cls.__module__
            for info in common_optimizers.optim_db
        }
        try:
            module = load_suite(path)
        except ModuleNotFoundError as error:
            return {**outcome, "load_error": traceback.format_exc(), "missing": error.name}
        except Exception:
            return {**outcome, "load_error": traceback.format_exc(), "missing": None}
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


def run_in_subprocess(path: Path) -> dict[str, Any]:
    """Run the test file at ``path`` in a fresh interpreter with this module as the runner."""
    return _shared.run_in_subprocess(path, runner=__file__, timeout=3600)


def test_pytorch_optim_suite_passes_with_ours():
    outcome = _shared.outcome_or_skip(ENV_VAR, CURL, "optimizer", run_in_subprocess)
    assert set(outcome["tested"]) == set(outcome["swapped"]), outcome["tested"]
    assert all(m.startswith("optnotes.optim") for m in outcome["tested"].values())
    _shared.assert_suite_passed(outcome)


FAKE_SUITE = """
import unittest

import torch
from optim.test_lrscheduler import TestLRScheduler  # noqa: F401 (a stand-in)
from torch.optim import SGD, Optimizer
from torch.testing._internal.common_optimizers import optim_db


class TestSwapped(unittest.TestCase):
    def test_imported_class_is_ours(self):
        self.assertTrue(SGD.__module__.startswith("optnotes.optim"))

    def test_module_attribute_is_ours_while_the_tests_run(self):
        self.assertIs(torch.optim.SGD, SGD)
        self.assertTrue(torch.optim.Adam.__module__.startswith("optnotes."))

    def test_base_class_stays_torchs(self):
        self.assertEqual(Optimizer.__module__, "torch.optim.optimizer")
        self.assertTrue(issubclass(SGD, Optimizer))

    def test_optim_db_holds_only_ours_with_our_impls(self):
        names = {info.optim_cls.__name__ for info in optim_db}
        self.assertIn("Adam", names)
        for info in optim_db:
            self.assertTrue(info.optim_cls.__module__.startswith("optnotes."))
            self.assertEqual(set(info.supported_impls) - {"foreach"}, set())
            self.assertEqual(info.supports_fused_on, ())

    def test_the_sibling_suites_are_stand_ins(self):
        self.assertFalse(issubclass(TestLRScheduler, unittest.TestCase))

    def test_it_steps(self):
        p = torch.nn.Parameter(torch.ones(1))
        p.grad = torch.ones(1)
        SGD([p], lr=0.5).step()
        self.assertEqual(p.item(), 0.5)

    @unittest.skip("on purpose")
    def test_skipped(self):
        pass

    def test_fails(self):
        self.assertEqual(SGD.__name__, "Adam")

    def test_errors(self):
        raise RuntimeError("boom")
"""


@pytest.fixture(scope="module")
def fake_outcome(tmp_path_factory):
    path = tmp_path_factory.mktemp("suite") / "test_fake_optim.py"
    path.write_text(textwrap.dedent(FAKE_SUITE))
    return run_in_subprocess(path)


def test_runner_swaps_in_every_optimizer_we_implement(fake_outcome):
    import torch

    import optnotes.optim

    expected = {
        name
        for name in optnotes.optim.__all__
        if isinstance(getattr(torch.optim, name, None), type)
        and getattr(optnotes.optim, name) is not getattr(torch.optim, name)
    }
    assert set(fake_outcome["swapped"]) == expected
    assert expected >= {
        "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
    }  # fmt: skip
    assert set(fake_outcome["tested"]) == expected
    assert all(m.startswith("optnotes.optim") for m in fake_outcome["tested"].values())


def test_runner_reports_every_test(fake_outcome):
    prefix = "torch_optim_suite.TestSwapped."
    outcomes = {r["test"].removeprefix(prefix): r["outcome"] for r in fake_outcome["records"]}
    assert outcomes == {
        "test_imported_class_is_ours": "passed",
        "test_module_attribute_is_ours_while_the_tests_run": "passed",
        "test_base_class_stays_torchs": "passed",
        "test_optim_db_holds_only_ours_with_our_impls": "passed",
        "test_the_sibling_suites_are_stand_ins": "passed",
        "test_it_steps": "passed",
        "test_skipped": "skipped",
        "test_fails": "failed",
        "test_errors": "error",
    }
    details = {r["test"].removeprefix(prefix): r["detail"] for r in fake_outcome["records"]}
    assert "RuntimeError: boom" in details["test_errors"]


def test_runner_reports_a_suite_it_cannot_import(tmp_path):
    path = tmp_path / "test_needs_a_package.py"
    path.write_text("import expecttest_is_not_installed_here  # noqa\n")
    outcome = run_in_subprocess(path)
    assert outcome["missing"] == "expecttest_is_not_installed_here"
    assert "ModuleNotFoundError" in outcome["load_error"]


SWAP_CHECK = """
import sys
import torch
from torch.testing._internal import common_optimizers
import optnotes.optim
sys.path.insert(0, sys.argv[1])
from test_torch_optim_suite import ours_by_name, swapped_in

original, db = torch.optim.SGD, list(common_optimizers.optim_db)
fields = [(info.optim_cls, info.supported_impls, info.supports_fused_on) for info in db]
seen = []
try:
    with swapped_in(ours_by_name()):
        seen.append(torch.optim.SGD)
        raise RuntimeError("inside")
except RuntimeError:
    pass
assert seen == [optnotes.optim.SGD], seen
assert torch.optim.SGD is original
assert common_optimizers.optim_db == db
assert [(i.optim_cls, i.supported_impls, i.supports_fused_on) for i in db] == fields
print("restored")
"""


def test_swap_is_undone_even_on_error():
    # In a fresh interpreter: common_optimizers imports common_utils, which changes
    # global torch settings and so never enters the pytest process.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.run(
        [sys.executable, "-c", SWAP_CHECK, str(Path(__file__).parent)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == "restored"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
