"""Check students' optimizers, schedulers and clipping functions against the reference.

``check_optimizer``, ``check_scheduler`` and ``check_clip`` return a ``Report``: print
it in a notebook, call ``report.assert_ok()`` in a test, or use ``report.score`` for
partial credit. ``SkeletonOptimizer`` is a base class to hand out, and ``MUTANTS`` and
``SCHEDULER_MUTANTS`` hold hand-ins for "find the bug" exercises, under names that do not
give the bug away.

One module per job: ``optimizers``, ``schedulers`` and ``clipping`` each hold a check,
its default settings and how it runs the two sides; ``problem`` the random problem,
``runs`` one run of an optimizer with the traps that catch hidden bugs, ``roundoff``
the tolerance measured from the reference's own round-off, ``agreement`` the comparison
of two runs, ``diagnosis`` what a difference depends on, ``hints`` the advice,
``compare`` what the three checks share, ``report`` the result.
"""

from optnotes.grading.clipping import check_clip
from optnotes.grading.mutants import MUTANTS
from optnotes.grading.optimizers import check_optimizer
from optnotes.grading.report import CaseResult, Report
from optnotes.grading.scheduler_mutants import SCHEDULER_MUTANTS
from optnotes.grading.schedulers import check_scheduler
from optnotes.grading.skeleton import SkeletonOptimizer

__all__ = [
    "MUTANTS",
    "SCHEDULER_MUTANTS",
    "CaseResult",
    "Report",
    "SkeletonOptimizer",
    "check_clip",
    "check_optimizer",
    "check_scheduler",
]
