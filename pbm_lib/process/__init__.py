"""The whole-process stages (全过程): ex-ante assessment → targets → monitoring → evaluation → results.

One module per stage of the seed plan (rules.md §2), each a set of pure functions over the year's
validated tables (:class:`~pbm_lib.workbook.YearData`), DataFrame in → DataFrame out, with every
threshold and weight read from a scheme section (:mod:`pbm_lib.process.sections`):

=================  =====================================================  =========================
module             stage                                                  scheme section
=================  =====================================================  =========================
``ex_ante``        事前绩效评估: expert aggregation, dispersion, conclusion  ``ex_ante``
``targets``        绩效目标设置和审核: checks, grade, consequence           ``target_review``
``monitoring``     双监控: lights, projection, December rush, sanctions    ``monitoring``
``evaluation``     project scores: self, rule, finance, third party        ``results.score_priority``
``department``     部门整体 evaluation and the projects' roll-up            ``department``
``government``     政府收支预算: four budgets, coverage, managed shares     (none)
``results``        结果运用: next year's budget, savings, appraisal score   ``results``
``audit``          自评审计线索: inflation, copies, unspent, low targets     ``audit``
=================  =====================================================  =========================

Each stage module has a ``run(year, scheme)`` that returns its tables as a dict; :func:`run_all`
runs every stage in order. Importing this package is cheap: it loads only the section validators,
which :func:`pbm_lib.schemes.load_scheme` needs; the stage modules load on first use.
"""

from __future__ import annotations

from typing import Any

from . import sections  # noqa: F401  (registers the section validators)

STAGES = ("ex_ante", "targets", "monitoring", "evaluation", "department", "government", "results", "audit")


def run_all(year: Any, scheme: Any) -> dict[str, dict[str, Any]]:
    """Run every stage on one year: ``{stage: {table name: DataFrame}}``, in the order of :data:`STAGES`.

    Equivalent to calling each stage module's ``run(year, scheme)``, but the tables that several
    stages share (project scores, stage coverage, department scores) are computed once.

    Parameters
    ----------
    year : YearData
        The year's validated tables (:func:`pbm_lib.workbook.read_year`).
    scheme : Scheme
        A scheme carrying the stage sections (every shipped profile does).
    """
    from ..scoring import score_year
    from . import audit, department, evaluation, ex_ante, government, monitoring, results, targets
    from ._common import table

    out: dict[str, dict[str, Any]] = {
        "ex_ante": ex_ante.run(year, scheme),
        "targets": targets.run(year, scheme),
        "monitoring": monitoring.run(year, scheme),
    }
    scored = score_year(year, scheme)
    scores = evaluation.project_scores(year, scheme, scored)
    out["evaluation"] = {
        "projects": scores,
        "indicators": scored["indicators"],
        "comparison": scored["comparison"],
    }
    stages = government.stage_flags(
        table(year, "projects"),
        out["targets"]["projects"],
        out["monitoring"]["projects"],
        scores,
        out["ex_ante"]["projects"],
    )
    out["department"] = department.run(year, scheme, scores)
    out["government"] = government.run(year, scheme, scores, stages)
    out["results"] = results.run(year, scheme, scores, stages, out["department"]["departments"])
    out["audit"] = audit.run(year, scheme, scores, scored)
    return out
