"""Check students' optimizers, schedulers and clipping functions against the reference.

``check_optimizer``, ``check_scheduler`` and ``check_clip`` return a ``Report``: print
it in a notebook, or call ``report.assert_ok()`` in a test. ``SkeletonOptimizer`` is a
base class to hand out, and ``MUTANTS`` holds optimizers with typical bugs.

One module per job: ``optimizers``, ``schedulers`` and ``clipping`` each hold a check,
its default settings and how it runs the two sides; ``compare`` what they share (which
settings to run, tolerances, the first difference), ``problem`` the random problem,
``hints`` the advice, ``report`` the result.
"""

from optnotes.grading.clipping import check_clip
from optnotes.grading.mutants import MUTANTS
from optnotes.grading.optimizers import check_optimizer
from optnotes.grading.report import CaseResult, Report
from optnotes.grading.schedulers import check_scheduler
from optnotes.grading.skeleton import SkeletonOptimizer

__all__ = [
    "MUTANTS",
    "CaseResult",
    "Report",
    "SkeletonOptimizer",
    "check_clip",
    "check_optimizer",
    "check_scheduler",
]
