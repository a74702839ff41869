"""A mock round in a real terminal (a pseudo-terminal): answered start to finish, and killed with
SIGKILL half-way then resumed, with nothing already submitted lost.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from pmdrill.core.items import split_id
from pmdrill.core.judgement import loader
from pmdrill.core.sqlcheck import bank
from terminal import PMDRILL, Terminal

SEED = 11


@pytest.fixture
def env(tiny_warehouse: Path, _pmdrill_home: Path) -> dict[str, str]:
    return {**os.environ, "PMDRILL_HOME": str(_pmdrill_home), "PMDRILL_WAREHOUSE": str(tiny_warehouse)}


def pmdrill_json(env: dict[str, str], *args: str) -> object:
    out = subprocess.run([str(PMDRILL), *args, "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def model_answer(question: dict[str, object]) -> tuple[str | None, str]:
    """(plan, answer) a strong candidate would give: the bank's logic and reference, or its model answer."""
    bare = split_id(str(question["id"]))[1]
    if question["kind"] == "sql":
        q = bank.get_question(bare)
        return q.logic, q.reference
    return None, loader.get_case(bare).model_answer


def answer_one(term: Terminal, question: dict[str, object]) -> None:
    plan, text = model_answer(question)
    if plan is not None:
        term.expect(r"your plan in words")
        term.expect(r"\d\d:\d\d left in the round")  # the live countdown in the toolbar
        term.submit(plan)
        term.expect(r"Now your SQL")
    else:
        term.expect(r"Your answer:")
        term.expect(r"\d\d:\d\d left in the round")
    term.submit(text)
    term.expect(r"Recorded \(\d\d:\d\d\)")


def test_a_round_runs_to_its_debrief_in_a_terminal(env: dict[str, str], _pmdrill_home: Path) -> None:
    plan = pmdrill_json(env, "mock", "show", "--seed", str(SEED), "--minutes", "30")
    questions = plan["questions"]  # type: ignore[index]
    assert len(questions) >= 2
    term = Terminal(["mock", "start", "--seed", str(SEED), "--minutes", "30"], env)
    try:
        term.expect(r"Mock m-[0-9a-f]{8} · mixed · 30 minutes")
        for n, q in enumerate(questions, 1):
            term.expect(rf"Question {n}/{len(questions)}")
            answer_one(term, q)
        term.expect(r"Debrief · mock m-", timeout=120)
        verdict = term.expect(r"(Strong hire|Hire|No hire|Strong no hire) · (\d+)/100")
        assert term.wait() == 0
    finally:
        term.close()
    history = pmdrill_json(env, "mock", "history")
    assert isinstance(history, list) and len(history) == 1
    assert history[0]["status"] == "finished"
    assert history[0]["score"] is not None and round(history[0]["score"]) == int(verdict.group(2))
    debrief = pmdrill_json(env, "mock", "debrief")
    assert [q["answered"] for q in debrief["questions"]] == [True] * len(questions)  # type: ignore[index]
    page = (_pmdrill_home / "mocks" / f"{history[0]['uid']}.html").read_text()
    assert "<script" not in page and debrief["verdict_title"] in page  # type: ignore[index]


def test_kill_9_mid_round_loses_nothing_and_resume_continues(env: dict[str, str]) -> None:
    plan = pmdrill_json(env, "mock", "show", "--seed", str(SEED), "--minutes", "30")
    questions = plan["questions"]  # type: ignore[index]
    term = Terminal(["mock", "start", "--seed", str(SEED), "--minutes", "30"], env)
    try:
        term.expect(r"Question 1/")
        answer_one(term, questions[0])
        term.expect(r"Question 2/")
        term.type("half an answer that was never submitted")
        term.kill9()
    finally:
        term.close()
    history = pmdrill_json(env, "mock", "history")
    assert history[0]["status"] == "running"  # type: ignore[index]
    attempts = [a for a in pmdrill_json(env, "progress")["recent"]]  # type: ignore[index]
    assert [a["item_id"] for a in attempts] == [questions[0]["id"]]
    again = Terminal(["mock", "resume"], env)
    try:
        again.expect(rf"Resuming mock m-[0-9a-f]{{8}}: 1 of {len(questions)} answered")
        for n, q in enumerate(questions[1:], 2):
            again.expect(rf"Question {n}/{len(questions)}")
            answer_one(again, q)
        again.expect(r"Debrief · mock m-", timeout=120)
        assert again.wait() == 0
    finally:
        again.close()
    debrief = pmdrill_json(env, "mock", "debrief")
    assert [q["answered"] for q in debrief["questions"]] == [True] * len(questions)  # type: ignore[index]
    assert debrief["questions"][0]["id"] == questions[0]["id"]  # type: ignore[index]


def test_ctrl_d_saves_and_leaves(env: dict[str, str]) -> None:
    plan = pmdrill_json(env, "mock", "show", "--seed", str(SEED), "--minutes", "30")
    questions = plan["questions"]  # type: ignore[index]
    term = Terminal(["mock", "start", "--seed", str(SEED), "--minutes", "30"], env)
    try:
        term.expect(r"Question 1/")
        answer_one(term, questions[0])
        term.expect(r"Question 2/")
        term.expect(r"left in the round")
        term.type("\x04")
        term.expect(r"Saved\. 1 of \d+ answered; continue with `pmdrill mock resume`")
        assert term.wait() == 0
    finally:
        term.close()
    assert pmdrill_json(env, "mock", "history")[0]["status"] == "running"  # type: ignore[index]
