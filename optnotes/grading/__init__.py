"""Check students' optimizers, schedulers and clipping functions against the reference.

``check_optimizer``, ``check_scheduler`` and ``check_clip`` return a ``Report``: print
it in a notebook, or call ``report.assert_ok()`` in a test. ``SkeletonOptimizer`` is a
base class to hand out, and ``MUTANTS`` holds optimizers with typical bugs.
"""

from optnotes.grading.checker import check_clip, check_optimizer, check_scheduler
from optnotes.grading.mutants import MUTANTS
from optnotes.grading.report import CaseResult, Report
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
