"""The optional LLM judge: request building and reply parsing, against a local server on 127.0.0.1 only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from pmdrill.adapters.cli.main import main
from pmdrill.core.judgement import llm, loader


class _Judge(BaseHTTPRequestHandler):
    """A stand-in endpoint: records each request and answers like an OpenAI-compatible server."""

    requests: list[dict] = []
    reply: bytes = b""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers["Content-Length"])
        type(self).requests.append({"path": self.path, "body": json.loads(self.rfile.read(length)),
                                    "auth": self.headers.get("Authorization")})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).reply)

    def log_message(self, *args: object) -> None:
        pass


def completion(content: str, model: str = "local-judge") -> bytes:
    return json.dumps({"model": model, "choices": [{"message": {"role": "assistant", "content": content}}]}).encode()


@pytest.fixture
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Judge)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Judge.requests = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_request_carries_case_rubric_and_answer() -> None:
    case = loader.get_case("rec-engine-success")
    body = llm.build_request(case, "  I'd measure first-module completion.  ", "m1")
    assert body["model"] == "m1" and body["temperature"] == 0
    system, user = body["messages"]
    assert system["role"] == "system" and "JSON" in system["content"]
    assert case.prompt.strip() in user["content"] and user["content"].endswith("I'd measure first-module completion.")
    assert "first-module completion" in user["content"].split("Candidate's answer")[0]
    assert llm.endpoint("http://h/v1/") == "http://h/v1/chat/completions"
    assert llm.endpoint("http://h/v1/chat/completions") == "http://h/v1/chat/completions"


def test_reply_parsing_reads_fenced_json_and_rejects_garbage() -> None:
    verdict = llm.parse_response(completion('Here:\n```json\n{"score": 72, "verdict": "pass", "gaps": ["segments"]}\n```'))
    assert verdict.score == 72 and verdict.verdict == "pass" and verdict.gaps == ("segments",)
    for bad in (b"not json", completion("no verdict here"), completion('{"score": "high"}'),
                completion('{"score": 140}'), json.dumps({"choices": []}).encode()):
        with pytest.raises(llm.LlmResponseError):
            llm.parse_response(bad)


def test_cli_asks_the_configured_endpoint(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _Judge.reply = completion('{"score": 35, "verdict": "fail", "strengths": [], "gaps": ["counter-metric"]}')
    monkeypatch.setenv("PMDRILL_LLM_URL", server)
    monkeypatch.setenv("PMDRILL_LLM_MODEL", "local-judge")
    monkeypatch.setenv("PMDRILL_LLM_API_KEY", "k-123")
    answer = tmp_path / "a.txt"
    answer.write_text("CTR is up, so it is a win.", encoding="utf-8")
    code = main(["case", "score", "rec-engine-success", "--answer", str(answer), "--llm", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["llm"] == {"score": 35.0, "verdict": "fail", "strengths": [],
                                         "gaps": ["counter-metric"], "model": "local-judge"}
    (request,) = _Judge.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer k-123"
    assert request["body"]["model"] == "local-judge" and "CTR is up" in request["body"]["messages"][1]["content"]


def test_llm_is_off_unless_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PMDRILL_LLM_URL", raising=False)
    answer = tmp_path / "a.txt"
    answer.write_text("Some answer.", encoding="utf-8")
    assert main(["case", "score", "rec-engine-success", "--answer", str(answer), "--json"]) == 0
    assert "llm" not in json.loads(capsys.readouterr().out)
    assert main(["case", "score", "rec-engine-success", "--answer", str(answer), "--llm"]) == 2
    assert "PMDRILL_LLM_URL" in capsys.readouterr().err


def test_an_unreachable_endpoint_is_a_clean_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as s:  # a port on 127.0.0.1 that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PMDRILL_LLM_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("PMDRILL_LLM_MODEL", "m")
    answer = tmp_path / "a.txt"
    answer.write_text("Some answer.", encoding="utf-8")
    assert main(["case", "score", "rec-engine-success", "--answer", str(answer), "--llm"]) == 1
    assert "LLM judge" in capsys.readouterr().err
