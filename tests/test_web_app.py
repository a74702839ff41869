"""The web app in-process: every page's JSON twin equals the CLI's --json, the stable API, errors as JSON
or friendly pages, and the protections (Host allow-list, cross-site refusal, form tokens, body limit,
headers, escaping), checked over the app's whole route table.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from pmdrill.adapters.cli.main import main
from pmdrill.adapters.web.app import create_app
from pmdrill.core.judgement import loader
from pmdrill.core.sqlcheck import bank

Q = "paying-learners-may-2026"
BASE = "http://127.0.0.1:8765"
VOLATILE = {"timings_ms", "elapsed_ms", "attempt_id", "recorded", "html", "shown_at"}


@pytest.fixture
def client(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("PMDRILL_WAREHOUSE", str(tiny_warehouse))
    app = create_app(hidden=False)
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as c:
        deadline = time.monotonic() + 120
        while c.get("/api/health").status_code != 200:
            assert time.monotonic() < deadline, c.get("/api/health").json()
            time.sleep(0.2)
        yield c


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    code = main([*args, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def stable(value: Any) -> Any:
    """The data without what differs between two calls (timings, ids of new attempts)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


TWINS: list[tuple[str, list[str]]] = [
    ("/sql", ["sql", "list"]),
    ("/sql?topic=joins&difficulty=easy", ["sql", "list", "--topic", "joins", "--difficulty", "easy"]),
    (f"/sql/{Q}", ["sql", "show", Q]),
    ("/cases", ["case", "list"]),
    ("/cases?kind=tradeoff", ["case", "list", "--kind", "tradeoff"]),
    ("/cases/rec-engine-success", ["case", "show", "rec-engine-success"]),
    ("/metrics", ["metrics", "list"]),
    ("/metrics/course_completion_rate", ["metrics", "show", "course_completion_rate"]),
    ("/metrics/tree", ["metrics", "tree"]),
    ("/experiments", ["experiment", "list"]),
    ("/experiments/streak_push", ["experiment", "analyze", "streak_push"]),
    ("/experiments/paywall?horizon_months=6", ["tradeoff", "paywall", "--horizon-months", "6"]),
    ("/progress", ["progress"]),
    ("/review", ["review"]),
    ("/plan", ["plan"]),
    ("/", ["today"]),
    ("/mock", ["mock", "history"]),
]


def test_every_page_has_a_json_twin_equal_to_the_cli(client: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    for path, args in TWINS:  # one app for all of them: starting one takes seconds
        base, _, query = path.partition("?")
        twin = ("/index.json" if base == "/" else f"{base}.json") + (f"?{query}" if query else "")
        by_suffix = client.get(twin)
        by_accept = client.get(path, headers={"Accept": "application/json"})
        assert by_suffix.status_code == 200 and by_accept.status_code == 200, (path, by_suffix.text[:300])
        assert by_suffix.headers["content-type"].startswith("application/json"), path
        expected = stable(cli_json(capsys, *args))
        assert stable(by_suffix.json()) == expected, path
        assert stable(by_accept.json()) == expected, path
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path


def test_the_api_grades_like_the_cli(client: TestClient, capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    q = bank.get_question(Q)
    right = client.post("/api/sql/check", json={"id": Q, "answer": q.reference})
    assert right.status_code == 200 and right.json()["correct"] is True and right.json()["recorded"] is True
    wrong_sql = "SELECT COUNT(*) AS n FROM payments"
    wrong = client.post("/api/sql/check", json={"id": Q, "answer": wrong_sql, "dialect": "postgres"}).json()
    f = tmp_path / "w.sql"
    f.write_text(wrong_sql)
    cli = cli_json(capsys, "sql", "check", Q, "--answer", str(f), "--dialect", "postgres")
    assert stable(wrong) == stable(cli) and wrong["correct"] is False and wrong["counterexample"] is not None
    ref = client.post("/api/sql/check", json={"reference": "SELECT COUNT(*) FROM courses",
                                              "answer": "SELECT COUNT(course_id) FROM courses"}).json()
    assert ref["correct"] is True and ref["item_id"].startswith("sql:adhoc-")
    case = client.post("/api/case/score", json={"id": "rec-engine-success",
                                                "answer": "CTR is up 15%, so the new model is a win."}).json()
    assert case["passed"] is False and {f["code"] for f in case["red_flags"]} >= {"ctr_as_success"}
    free = client.post("/api/case/score", json={"prompt": "How would you grow the app?",
                                                "answer": "Send more push notifications to drive logins."}).json()
    assert free["item_id"].startswith("case:adhoc-") and free["red_flags"]
    assert free["rubric"]["source"] in ("bank", "generic") and 0 < free["rubric"]["confidence"] <= 1
    ran = client.post("/api/sql/run", json={"sql": "SELECT level, COUNT(*) AS n FROM courses GROUP BY 1"}).json()
    assert set(ran) == {"columns", "rows", "truncated"} and ran["columns"] == ["level", "n"] and ran["rows"]
    schema = client.get("/api/schema").json()
    assert "learner_id" in schema["tables"]["learners"] and len(schema["tables"]) >= 20
    assert cli_json(capsys, "progress")["attempts"] == 6  # five through the API, one through the CLI


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "where"), [
    ("get", "/sql/no-such-question.json", None, 404, "not_found", None),
    ("post", "/api/sql/check", {"answer": "SELECT 1"}, 400, "usage", "id"),
    ("post", "/api/sql/check", {"id": Q}, 400, "usage", "answer"),
    ("post", "/api/sql/check", {"id": Q, "answer": "SELECT 1", "dialect": "oracle"}, 400, "usage", "--dialect"),
    ("post", "/api/case/score", {"id": "rec-engine-success", "answer": 5}, 400, "usage", "answer"),
    ("post", "/api/sql/run", {"sql": "DROP TABLE learners"}, 422, "sql_refused", None),
    ("get", "/no/such/page.json", None, 404, "not_found", "/no/such/page.json"),
])
def test_errors_are_json_with_code_message_and_where(client: TestClient, method: str, path: str,
                                                     body: dict[str, Any] | None, status: int, code: str,
                                                     where: str | None) -> None:
    r = client.request(method.upper(), path, json=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["message"]
    if where is not None:
        assert error["where"] == where
    assert "Traceback" not in r.text


def test_a_body_that_is_not_json_names_the_body(client: TestClient) -> None:
    r = client.post("/api/sql/check", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["where"] == "body"


def test_html_errors_are_friendly_pages(client: TestClient) -> None:
    r = client.get("/sql/no-such-question")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "no SQL question" in r.text and "Traceback" not in r.text and "<nav" in r.text


def test_a_body_over_the_limit_is_refused_clearly(client: TestClient) -> None:
    r = client.post("/api/case/score", json={"id": "rec-engine-success", "answer": "x " * 60_000})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large" and "100,000" in r.json()["error"]["message"]


def test_security_headers_on_every_page(client: TestClient) -> None:
    r = client.get("/")
    policy = r.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'content="{nonce.group(1)}"' in r.text
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in r.text and not re.search(r"<script(?![^>]*(src=|type=\"application/json\"))", r.text)
    assert client.get("/").headers["content-security-policy"] != policy  # a fresh nonce per response


def test_the_host_allow_list_stops_dns_rebinding(client: TestClient) -> None:
    assert client.get("/api/health", headers={"Host": "attacker.example:8765"}).status_code == 400
    assert client.get("/api/health", headers={"Host": "localhost:8765"}).status_code == 200


def test_scripts_may_post_json_but_other_sites_may_not(client: TestClient) -> None:
    q = bank.get_question(Q)
    ok = client.post("/api/sql/check", json={"id": Q, "answer": q.reference})
    assert ok.status_code == 200
    same = client.post("/api/sql/check", json={"id": Q, "answer": q.reference},
                       headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        r = client.post("/api/sql/check", json={"id": Q, "answer": q.reference}, headers=headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", headers


def test_a_form_post_needs_the_page_token(client: TestClient) -> None:
    form = {"answer": "SELECT 1 AS n", "dialect": "duckdb"}
    assert client.post(f"/sql/{Q}/check", data=form).status_code == 403
    assert client.post(f"/sql/{Q}/check", data={**form, "csrf": "forged"}).status_code == 403
    token = client.app.state.token  # type: ignore[attr-defined]
    assert client.post(f"/sql/{Q}/check", data={**form, "csrf": token}).status_code == 200
    assert client.post(f"/sql/{Q}/check", data=form, headers={"X-CSRF-Token": token,
                                                                "HX-Request": "true"}).status_code == 200
    page = client.get(f"/sql/{Q}").text
    assert f'value="{token}"' in page and f'"X-CSRF-Token": "{token}"' in page


def _paths(app: Any) -> list[tuple[str, str]]:
    """Every (method, concrete path) of the route table, path parameters filled with real ids."""
    fill = {"qid": Q, "cid": "rec-engine-success", "kid": "course_completion_rate", "name": "streak_push",
            "uid": "m-00000000"}
    out = []
    for route in app.routes:
        if not isinstance(route, Route):
            continue
        path = route.path
        for key, value in fill.items():
            path = path.replace("{" + key + "}", value)
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                out.append((method, path))
    return out


def test_no_route_accepts_a_cross_site_state_change(client: TestClient) -> None:
    changes = [(m, p) for m, p in _paths(client.app) if m in ("POST", "PUT", "PATCH", "DELETE")]
    assert len(changes) >= 15
    for method, path in changes:
        for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            r = client.request(method, path, data={"answer": "x"}, headers=headers)
            assert r.status_code == 403, (method, path, headers, r.status_code)
        r = client.request(method, path, data={"answer": "x"})  # a form without the token
        assert r.status_code in (403, 404), (method, path, r.status_code)


def test_no_route_answers_an_unknown_host(client: TestClient) -> None:
    for method, path in _paths(client.app):
        r = client.request(method, path, headers={"Host": "rebind.example"})
        assert r.status_code == 400, (method, path)


def test_every_get_page_renders_without_a_server_error(client: TestClient) -> None:
    for method, path in _paths(client.app):
        if method != "GET" or "m-00000000" in path:
            continue
        r = client.get(path)
        assert r.status_code < 500, (path, r.text[:500])


def test_an_answer_holding_a_script_is_shown_as_text(client: TestClient) -> None:
    evil = "<script>alert('x')</script> CTR is up 15%, so the new model is a win. <img src=x onerror=alert(1)>"
    token = client.app.state.token  # type: ignore[attr-defined]
    r = client.post("/cases/rec-engine-success/score", data={"answer": evil, "csrf": token},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "&lt;script&gt;alert" in r.text
    assert "<img src=x" not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text
    sql = client.post(f"/sql/{Q}/check", data={"answer": "SELECT '<script>x</script>' AS s", "csrf": token},
                      headers={"HX-Request": "true"})
    assert "<script>x</script>" not in sql.text


def test_health_says_what_grading_needs(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["ok"] is True and body["warehouse"] is True and body["scorer"] is True
    assert body["sandbox_workers_alive"] >= 2
    pool = client.app.state.ctx.grader.pool  # type: ignore[attr-defined]
    for w in pool.workers:
        w._kill()  # every worker dies: health still answers, the next grading gets a fresh worker
    q = bank.get_question(Q)
    assert client.post("/api/sql/check", json={"id": Q, "answer": q.reference}).json()["correct"] is True


JSON = {"Accept": "application/json"}


def test_feedback_in_levels_tell_me_more_gives_the_reference_clause(client: TestClient) -> None:
    token = client.app.state.token  # type: ignore[attr-defined]
    wrong = ("SELECT COUNT(*) FROM payments p WHERE p.status = 'succeeded' AND p.paid_at >= DATE '2026-05-01' "
             "AND p.paid_at < DATE '2026-06-01'")
    first = client.post("/api/sql/check", json={"id": Q, "answer": wrong}).json()
    assert first["correct"] is False and first["logic_diff"] and "logic_detail" not in first
    said = " ".join(first["feedback"]) + " ".join(d["message"] for d in first["logic_diff"])
    assert "is_internal_test" not in said and "COUNT(DISTINCT" not in said
    assert "not real learners" in said
    # the page offers "Tell me more"; the explanation names the reference's clauses and grades nothing
    page = client.post(f"/sql/{Q}/check", data={"answer": wrong, "csrf": token}, headers={"HX-Request": "true"})
    assert 'data-testid="tell-me-more"' in page.text
    more = client.post(f"/sql/{Q}/explain", data={"answer": wrong, "csrf": token}, headers={"HX-Request": "true"})
    assert more.status_code == 200 and "NOT learners.is_internal_test" in more.text
    as_json = client.post(f"/sql/{Q}/explain", json={"answer": wrong}, headers=JSON).json()
    assert any("COUNT(DISTINCT payments.learner_id)" in d["detail"] for d in as_json["differences"])
    revealed = client.post("/api/sql/check", json={"id": Q, "answer": wrong, "reveal": True}).json()
    assert any("is_internal_test" in d["detail"] for d in revealed["logic_detail"])
    # a plan: the open parts asked in the candidate's terms, the clause after "Tell me more"
    plan = client.post(f"/sql/{Q}/logic", json={"plan": "I'll look at who paid recently"}, headers=JSON).json()
    window = [p for p in plan["parts"] if p["part"] == "filter" and p["status"] == "questioned"]
    assert window and all("2026-05-01" not in p["message"] for p in plan["parts"])
    told = client.post(f"/sql/{Q}/logic", json={"plan": "I'll look at who paid recently", "reveal": "1"},
                       headers=JSON).json()
    assert any("2026-05-01" in p.get("detail", "") for p in told["parts"])


def test_a_pasted_prompt_page_says_which_rubric_judged_it(client: TestClient) -> None:
    token = client.app.state.token  # type: ignore[attr-defined]
    prompt = loader.get_case("rec-engine-success").prompt
    r = client.post("/cases/free/score", data={"prompt": prompt, "csrf": token,
                                               "answer": "CTR is up 15%, so the new model is a win."},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert 'data-testid="rubric-used" data-source="bank"' in r.text and "rec-engine-success" in r.text

