"""The KPI library as content: size, required KPIs, references, and validation errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmdrill.core.metrics.library import (
    KINDS,
    UNITS,
    format_value,
    load_library,
    parse_file,
)
from pmdrill.core.metrics.tree import load_tree, parse_tree, render_lines
from pmdrill.errors import ContentError, NotFoundError

LIB = load_library()

REQUIRED = (
    "course_completion_rate", "time_to_first_milestone", "certification_velocity", "days_to_certificate",
    "first_module_completion_rate", "enrollment_to_certificate_rate", "paid_conversion_30d",
    "subscription_churn_monthly", "subscription_ltv", "free_learner_ltv", "enterprise_seat_activation",
    "enterprise_net_retention", "career_outcome_rate", "assessment_pass_rate",
    "learning_hours_per_certificate", "module2_retention_rate", "re_enrollment_rate", "review_rating",
    "refund_rate", "revenue_mix_consumer_share", "degree_revenue",
)
REQUIRED_VANITY = ("registrations", "daily_active_learners", "dau_wau_ratio", "time_in_app",
                   "recommendation_ctr", "notification_open_rate")

GOOD_KPI = """\
kpis:
  - id: my_rate
    name: My rate
    definition: A rate.
    unit: rate
    side: learner
    kind: input
    direction: up
    counter_metrics: [course_completion_rate]
    vanity_risk: none
    sql: SELECT 0.5 AS value
    trend_sql: SELECT DATE '2026-01-01' AS month, 0.5 AS value
    segments:
      - dimension: all
        sql: SELECT 'all' AS segment, 0.5 AS value, 1 AS n
    delta:
      up: better
      down: worse
      unit_label: things
      base_population: {label: one, assumption: 1}
      usd_per_unit: {label: none, assumption: 0}
"""


def test_library_has_at_least_30_kpis_with_unique_ids() -> None:
    assert len(LIB.kpis) >= 30
    assert len(set(LIB.ids)) == len(LIB.ids)


@pytest.mark.parametrize("kpi_id", REQUIRED + REQUIRED_VANITY)
def test_required_kpi_present(kpi_id: str) -> None:
    assert kpi_id in LIB.ids


@pytest.mark.parametrize("kpi_id", REQUIRED_VANITY)
def test_required_vanity_kpis_are_marked_vanity(kpi_id: str) -> None:
    assert LIB.get(kpi_id).kind == "vanity"


def test_every_kind_is_represented() -> None:
    assert {k.kind for k in LIB.kpis} == set(KINDS)
    assert {k.unit for k in LIB.kpis} <= set(UNITS)


@pytest.mark.parametrize("kpi", LIB.select(kind="vanity"), ids=lambda k: k.id)
def test_vanity_kpis_point_at_real_non_vanity_kpis(kpi) -> None:  # type: ignore[no-untyped-def]
    assert kpi.use_instead
    for ref in kpi.use_instead:
        assert LIB.get(ref).kind != "vanity", f"{kpi.id} says use {ref}, itself vanity"


@pytest.mark.parametrize("kpi", LIB.kpis, ids=lambda k: k.id)
def test_counter_metrics_point_at_real_other_kpis(kpi) -> None:  # type: ignore[no-untyped-def]
    assert kpi.counter_metrics, f"{kpi.id} has no counter-metric"
    for ref in kpi.counter_metrics:
        assert ref in LIB.ids and ref != kpi.id
    assert len(kpi.definition) > 40 and len(kpi.vanity_risk) > 40


def test_get_unknown_kpi_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        LIB.get("no_such_kpi")


def _write(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_user_kpi_file_in_home_is_loaded(_pmdrill_home: Path) -> None:
    (_pmdrill_home / "kpis").mkdir(parents=True)
    _write(_pmdrill_home / "kpis", GOOD_KPI)
    from pmdrill.context import Context

    lib = Context().kpi_library()  # the built-ins plus <home>/kpis, as every command sees them
    assert lib.get("my_rate").path.endswith("mine.yaml")
    assert len(lib.kpis) == len(LIB.kpis) + 1


@pytest.mark.parametrize(("bad", "good", "line", "words"), [
    ("    unit: rate\n", "    unit: percent\n", 5, "unit"),
    ("    kind: input\n", "    kind: metric\n", 7, "kind"),
    ("    sql: SELECT 0.5 AS value\n", "    sql: SELECT FROM WHERE (\n", 11, "does not parse"),
    ("    counter_metrics: [course_completion_rate]\n", "    counter_metrics: [nope]\n", 9, "nope"),
    ("    definition: A rate.\n", "", 2, "missing definition"),
    ("      base_population: {label: one, assumption: 1}\n", "      base_population: {label: one}\n", 20,
     "base_population"),
])
def test_validation_errors_name_file_and_line(tmp_path: Path, bad: str, good: str, line: int,
                                              words: str) -> None:
    assert bad in GOOD_KPI
    path = _write(tmp_path, GOOD_KPI.replace(bad, good))
    with pytest.raises(ContentError) as err:
        load_library([tmp_path])
    assert err.value.path == str(path)
    assert err.value.line == line
    assert words in err.value.message
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_parse_error_in_block_sql_points_at_the_failing_line(tmp_path: Path) -> None:
    text = GOOD_KPI.replace("    sql: SELECT 0.5 AS value\n",
                            "    sql: |\n      SELECT 0.5 AS value\n      FROM t\n      WHERE (\n")
    path = _write(tmp_path, text)
    with pytest.raises(ContentError, match="does not parse") as err:
        parse_file(path)
    assert err.value.line == 14  # the `WHERE (` line inside the block


def test_vanity_without_use_instead_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_KPI.replace("kind: input", "kind: vanity"))
    with pytest.raises(ContentError, match="use_instead") as err:
        parse_file(path)
    assert err.value.line == 7


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "kpis:\n  - id: x\n    name: [unclosed\n")
    with pytest.raises(ContentError) as err:
        parse_file(path)
    assert err.value.path == str(path) and err.value.line is not None and err.value.line >= 3


def test_duplicate_id_across_files_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path, GOOD_KPI.replace("my_rate", "course_completion_rate"))
    with pytest.raises(ContentError, match="duplicate KPI id 'course_completion_rate'"):
        load_library([tmp_path])


def test_tree_references_only_real_kpis_and_renders() -> None:
    tree = load_tree(LIB)
    ids = tree.root.kpi_ids()
    assert ids <= set(LIB.ids)
    assert tree.root.kpi == "north_star_skilled_learners"
    chain = ["north_star_skilled_learners", "certification_velocity", "enrollment_to_certificate_rate",
             "course_completion_rate", "time_to_first_milestone"]
    node = tree.root
    assert node.kpi == chain[0]
    for expected in chain[1:]:
        node = next(c for c in node.children if c.kpi == expected)
    inputs = {c.kpi for c in node.children}
    assert {"enrollment_start_rate", "first_module_completion_rate", "module2_retention_rate",
            "assessment_pass_rate", "module_completion_rate"} <= inputs
    guardrails = {g for _, n in tree.root.walk() for g in n.guardrails}
    assert "stuck_enrollment_rate" in guardrails and "average_assessment_score" in guardrails
    lines = render_lines(tree, lambda k: k)
    assert len(lines) == sum(1 for _ in tree.root.walk())
    assert lines[0].startswith("north_star_skilled_learners")
    assert any(line.lstrip("│ ").startswith("└── ") for line in lines)


def test_tree_with_unknown_kpi_names_its_line(tmp_path: Path) -> None:
    from pmdrill.core.metrics.library import read_yaml

    path = _write(tmp_path, "title: t\nroot:\n  kpi: course_completion_rate\n  children:\n"
                            "    - kpi: not_a_kpi\n", "tree.yaml")
    with pytest.raises(ContentError, match="not_a_kpi") as err:
        parse_tree(read_yaml(path), LIB, str(path))
    assert err.value.line == 5


@pytest.mark.parametrize(("value", "unit", "text"), [
    (0.4123, "rate", "41.2%"), (1234.0, "count", "1,234"), (56.784, "usd", "$56.78"),
    (1_226_933.0, "usd", "$1,226,933"), (20.46, "hours", "20.5 h"), (6.94, "days", "6.9 d"),
    (0.7193, "ratio", "0.719"), (None, "rate", "n/a"),
])
def test_format_value(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text
