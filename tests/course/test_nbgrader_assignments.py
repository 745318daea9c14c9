"""The graded assignments of course/ go through nbgrader's whole loop, offline.

In a copy of course/ (never in the repository), for each assignment: nbgrader makes the
student version, three students hand in (the teacher's solution, a realistic bug, the
untouched student version), nbgrader grades them with the notebooks' own test cells and
writes feedback. The gradebook must then hold full marks, partial marks lost exactly in
the test cell of the bug, and zero; the feedback must show the checker's explanation.
"""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (requirements.txt pins it)")

import nbformat
from nbgrader.api import Gradebook
from traitlets.config.loader import PyFileConfigLoader

REPOSITORY = Path(__file__).resolve().parents[2]
COURSE = REPOSITORY / "course"
# the venv's nbgrader: it starts the notebooks' python3 kernel with this interpreter
NBGRADER = Path(sys.executable).parent / "nbgrader"
COURSE_ID = "optnotes"
STUDENTS = ("correct", "buggy", "empty")
STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]  # nbgrader's code stub
SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def _replace(old: str, new: str) -> Callable[[str], str]:
    def edit(source: str) -> str:
        assert old in source, f"the solution changed: {old!r} is gone; update the planted bug"
        return source.replace(old, new)

    return edit


@dataclass(frozen=True)
class Bug:
    """A realistic mistake planted in one answer cell, and the test cell that must catch it."""

    answer: str  # grade_id of the answer cell
    edits: tuple[Callable[[str], str], ...]
    failing: str  # grade_id of the one test cell that must score 0
    feedback: str  # what the checker's report says about it


BUGS = {
    # AdamW with Adam's L2 penalty instead of decoupled weight decay
    "adam": Bug(
        answer="adamw",
        edits=(
            _replace('        param.mul_(1 - group["lr"] * group["weight_decay"])\n', ""),
            _replace('{**group, "weight_decay": 0.0}', "group"),
        ),
        failing="test_adamw_decoupled_decay",
        feedback="AdamW decouples weight decay",
    ),
    # off by one: the cosine counts its steps from the last warm-up step
    "scheduler": Bug(
        answer="warmup_cosine",
        edits=(_replace("(t - W) / self.T_max", "(t - W + 1) / self.T_max"),),
        failing="test_warmup_then_cosine",
        feedback="first difference at step 10, param group 0",
    ),
}
ASSIGNMENTS = sorted(BUGS)


def _nbgrader_cells(nb: nbformat.NotebookNode, kind: str) -> dict[str, nbformat.NotebookNode]:
    """The answer ("solution") or test ("grade") cells, by grade_id."""
    return {
        cell.metadata.nbgrader.grade_id: cell
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get(kind)
    }


def _region(source: str, markers: tuple[str, str]) -> tuple[list[str], list[str], list[str]]:
    """Lines before, inside and after the one region between ``markers``."""
    lines = source.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == markers[0]]
    ends = [i for i, line in enumerate(lines) if line.strip() == markers[1]]
    assert len(starts) == len(ends) == 1, f"one {markers[0]!r} region expected:\n{source}"
    (start,), (end,) = starts, ends
    return lines[:start], lines[start + 1 : end], lines[end + 1 :]


def _answer(source: str) -> str:
    """An answer cell as a student hands it in: the solution without nbgrader's markers."""
    before, inside, after = _region(source, SOLUTION)
    return "\n".join(before + inside + after)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(NBGRADER), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    output = f"$ nbgrader {' '.join(args)}\n{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, output
    return output


def _environment(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        # the kernel and every jupyter tool come from this venv ...
        "PATH": f"{NBGRADER.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        # ... with this checkout's optnotes (as pytest's pythonpath gives it to the tests) ...
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])
        ),
        # ... and no nbgrader_config.py, python3 kernelspec or IPython start-up script of
        # the user's home interferes
        "JUPYTER_CONFIG_DIR": str(work / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(work / "jupyter-data"),
        "IPYTHONDIR": str(work / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "OMP_NUM_THREADS": "1",  # the checks are tiny: one thread per kernel is fastest
    }


def _hand_in(root: Path, name: str) -> None:
    """Three submissions: the teacher's solution, one with the bug, the untouched release."""
    source = nbformat.read(root / "source" / name / f"{name}.ipynb", as_version=4)
    release = nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4)
    answers = {
        grade_id: _answer(cell.source)
        for grade_id, cell in _nbgrader_cells(source, "solution").items()
    }
    bug = BUGS[name]
    buggy = dict(answers)
    for edit in bug.edits:
        buggy[bug.answer] = edit(buggy[bug.answer])
    for student, filled in (("correct", answers), ("buggy", buggy), ("empty", {})):
        submission = nbformat.from_dict(release)  # a copy, filled in as a student would
        for grade_id, cell in _nbgrader_cells(submission, "solution").items():
            cell.source = filled.get(grade_id, cell.source)
        path = root / "submitted" / student / name / f"{name}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(submission, path)


def _check_student_version(root: Path, name: str) -> None:
    source = nbformat.read(root / "source" / name / f"{name}.ipynb", as_version=4)
    release = nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in release.cells if cell.cell_type == "code")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in code, f"{marker!r} left in the student version"
    answers = _nbgrader_cells(release, "solution")
    assert code.count("raise NotImplementedError()") == len(answers) >= 2
    # each answer cell: the solution region replaced by nbgrader's stub, the rest kept
    for grade_id, cell in _nbgrader_cells(source, "solution").items():
        before, solution, after = _region(cell.source, SOLUTION)
        indent = re.match(r"\s*", solution[0]).group(0)
        stub = [indent + line for line in STUB]
        assert answers[grade_id].source == "\n".join(before + stub + after), grade_id
    # each test cell: a visible check, and the hidden ones gone
    tests = _nbgrader_cells(release, "grade")
    for grade_id, cell in _nbgrader_cells(source, "grade").items():
        visible, hidden, after = _region(cell.source, HIDDEN)
        assert "check_" in "\n".join(visible), grade_id
        assert "check_" in "\n".join(hidden), grade_id
        assert tests[grade_id].source == "\n".join(visible + after), grade_id


def _grades(root: Path, name: str) -> dict[str, dict[str, float]]:
    """Points by student and test cell, as autograde wrote them into the gradebook."""
    grades = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gradebook:
        for student in STUDENTS:
            notebook = gradebook.find_submission_notebook(name, name, student)
            grades[student] = {grade.name: grade.score for grade in notebook.grades}
            assert notebook.score == sum(grades[student].values())
            assert notebook.max_score == 10
    return grades


def _errors(root: Path, name: str, student: str) -> str:
    """The errors the cells of a graded notebook raised, to explain a wrong score."""
    graded = nbformat.read(root / "autograded" / student / name / f"{name}.ipynb", as_version=4)
    return "\n".join(
        f"{cell.get('id')}: {output.ename}: {output.evalue}"
        for cell in graded.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    )


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_nbgrader_releases_grades_and_gives_feedback(name, tmp_path):
    root = tmp_path / "course"  # a working copy: nbgrader writes nothing into the repository
    shutil.copytree(COURSE, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    env = _environment(tmp_path)
    (root / "students.csv").write_text(
        "id,first_name,last_name\n" + "".join(f"{s},{s.title()},Student\n" for s in STUDENTS)
    )
    _run(["db", "student", "import", "students.csv"], root, env)

    # 1. the student version: stubs instead of solutions, no hidden tests
    _run(["generate_assignment", name, "--force"], root, env)
    _check_student_version(root, name)

    # 2. three submissions, 3. graded by the notebook's own test cells
    _hand_in(root, name)
    _run(["autograde", name, "--force"], root, env)
    grades = _grades(root, name)
    source = nbformat.read(root / "source" / name / f"{name}.ipynb", as_version=4)
    full = {
        grade_id: float(cell.metadata.nbgrader.points)
        for grade_id, cell in _nbgrader_cells(source, "grade").items()
    }
    assert grades["correct"] == full, _errors(root, name, "correct")
    # the bug costs the points of its test cell, and only those
    assert grades["buggy"] == {**full, BUGS[name].failing: 0.0}, _errors(root, name, "buggy")
    assert 0 < sum(grades["buggy"].values()) < sum(full.values())
    assert set(grades["empty"].values()) == {0.0}

    # 4. feedback: the checker's report, with what differs
    _run(["generate_feedback", name, "--force"], root, env)
    feedback = {
        student: (root / "feedback" / student / name / f"{name}.html").read_text()
        for student in STUDENTS
    }
    assert BUGS[name].feedback in feedback["buggy"]
    assert "FAILED" in feedback["buggy"]
    assert "FAILED" not in feedback["correct"]
    assert "NotImplementedError" in feedback["empty"]


# --- the configuration ------------------------------------------------------------------


def _load_config(folder: Path):
    return PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()


def test_config_roots_the_course_in_its_own_folder(tmp_path):
    shutil.copy(COURSE / "nbgrader_config.py", tmp_path)
    config = _load_config(tmp_path)
    assert config.CourseDirectory.course_id == COURSE_ID
    assert config.CourseDirectory.root == str(tmp_path.resolve())
    assert config.CourseDirectory.db_url == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"


def test_config_refuses_to_run_inside_the_repository():
    with pytest.raises(SystemExit, match="cp -r"):
        _load_config(COURSE)


def test_course_notebooks_are_stored_without_outputs():
    notebooks = sorted(COURSE.glob("source/*/*.ipynb"))
    assert [p.parent.name for p in notebooks] == ASSIGNMENTS
    for path in notebooks:
        cells = nbformat.read(path, as_version=4).cells
        assert not [c for c in cells if c.cell_type == "code" and (c.outputs or c.execution_count)]
