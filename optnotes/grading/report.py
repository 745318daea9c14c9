"""The result of a check: readable in a notebook, usable as a test assertion."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one setting of the hyper-parameters.

    Parameters
    ----------
    setting : str
        The hyper-parameters, e.g. ``"lr=0.1, momentum=0.9"``.
    problem : str or None
        What went wrong (the first difference or the error raised); ``None`` if the
        student's code agrees with the reference.
    """

    setting: str
    problem: str | None = None

    @property
    def passed(self) -> bool:
        """Whether the student's code agrees with the reference in this setting."""
        return self.problem is None


@dataclass(frozen=True)
class Report:
    """What a check found: one result per setting, and advice when something differs.

    ``print(report)`` (or leaving it as the last line of a notebook cell) shows the
    text; ``report.assert_ok()`` turns a failure into an ``AssertionError``.

    Parameters
    ----------
    title : str
        What was compared with what.
    cases : list of CaseResult
        One result per setting.
    hints : list of str
        Advice about the causes of the differences, where the evidence singles one out.
    """

    title: str
    cases: list[CaseResult]
    hints: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every setting that was run agrees with the reference."""
        return bool(self.cases) and all(case.passed for case in self.cases)

    @property
    def score(self) -> float:
        """Share of the settings that agree, between 0 and 1, for partial credit."""
        return sum(case.passed for case in self.cases) / len(self.cases) if self.cases else 0.0

    def assert_ok(self) -> None:
        """Raise ``AssertionError`` with the report's text unless the check passed.

        Raises
        ------
        AssertionError
            If any setting differs from the reference, or none was run.
        """
        __tracebackhide__ = True  # pytest and IPython show the report, not this frame
        if not self.passed:
            raise AssertionError(str(self))

    def __str__(self) -> str:
        n_passed = sum(case.passed for case in self.cases)
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [f"{self.title}: {verdict} ({n_passed} of {len(self.cases)} settings agree)"]
        for case in self.cases:
            lines.append(f"  {'✓' if case.passed else '✗'} {case.setting}")
            if case.problem is not None:
                lines += [f"      {line}" for line in case.problem.splitlines()]
        if self.hints:
            lines.append("Hints:")
            lines += [f"  - {hint}" for hint in self.hints]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the text when a notebook cell ends with a report."""
        printer.text(str(self))
