import pytest

from optnotes.grading import MUTANTS, Report, check_optimizer
from optnotes.grading.report import CaseResult


def test_assert_ok_raises_with_the_report_text():
    report = check_optimizer(MUTANTS["adam_1"].cls, "Adam", kwargs={})
    with pytest.raises(AssertionError) as error:
        report.assert_ok()
    assert str(error.value) == str(report)


def test_report_is_shown_as_text_in_a_notebook():
    report = Report("A vs B", [CaseResult("defaults"), CaseResult("lr=1", "boom")], ["look"])

    class Printer:
        def text(self, value):
            self.value = value

    printer = Printer()
    report._repr_pretty_(printer, cycle=False)
    assert printer.value == str(report)
    assert str(report).splitlines() == [
        "A vs B: FAILED (1 of 2 settings agree)",
        "  ✓ defaults",
        "  ✗ lr=1",
        "      boom",
        "Hints:",
        "  - look",
    ]
    assert report.score == 0.5


def test_empty_report_does_not_pass():
    assert not Report("nothing", []).passed
    assert Report("nothing", []).score == 0.0
