"""The endpoint method against a local OpenAI-compatible server: answers extracted, unparsed reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from chemtune.errors import ChemtuneError
from chemtune.evaluate.job import evaluate
from tests.support.exams import FOUR_QUESTIONS, answering
from tests.support.openai_stub import Fail, OpenAIStub, Slow

EXAM = FOUR_QUESTIONS
# How the "model" answers each question: right, right (Korean), wrong, and no answer at all.
ANSWERS = {
    "formula of water": '{"Answer": "A", "Explanation": "Water is H2O."}',
    "몰 농도": "정답은 ②입니다. 몰 농도는 mol/L로 나타낸다.",
    "noble gas": "Answer: B",
    "strong base": "I cannot tell.",
}


responder = answering(ANSWERS)


def test_endpoint_answers_are_extracted_and_scored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exam = tmp_path / "exam.csv"
    exam.write_text(EXAM, encoding="utf-8")
    monkeypatch.setenv("STUB_KEY", "sk-local-test")
    with OpenAIStub(responder=responder) as stub:
        results, rows = evaluate(
            {
                "model": "stub-model",
                "method": "endpoint",
                "base_url": stub.base_url,
                "benchmark": str(exam),
                "api_key_env": "STUB_KEY",
            },
            log=lambda _: None,
        )
        assert stub.count("/v1/chat/completions") == 4
        body = stub.bodies()[0]
        assert body["temperature"] == 0 and body["model"] == "stub-model"
        assert body["messages"][0]["role"] == "system"
        assert stub.requests[-1].headers["authorization"] == "Bearer sk-local-test"
    assert [row["pred"] for row in rows] == ["A", "B", "B", None]
    assert [row["correct"] for row in rows] == [True, True, False, False]
    assert rows[3]["raw"] == "I cannot tell."
    assert rows[1]["prompt"].startswith("[system]\n") and "몰 농도의 단위는" in rows[1]["prompt"]
    assert "다음 JSON 형식으로 답하세요" in rows[1]["prompt"]  # the Korean question gets the Korean template
    assert results["label"] == "stub-model (endpoint)"
    assert results["subsets"]["general"]["n"] == 3 and results["subsets"]["general"]["unparsed"] == 1
    assert results["subsets"]["korean"]["accuracy"] == 1.0
    assert results["average"]["accuracy"] == 0.5 and results["average"]["unparsed_rate"] == 0.25


def test_endpoint_retries_a_passing_server_error(tmp_path: Path) -> None:
    exam = tmp_path / "exam.csv"
    exam.write_text(EXAM, encoding="utf-8")
    with OpenAIStub(responder=responder) as stub:
        stub.script(Fail(500))
        results, _ = evaluate(
            {
                "model": "stub-model",
                "method": "endpoint",
                "base_url": stub.base_url,
                "benchmark": str(exam),
                "concurrency": 1,
            },
            log=lambda _: None,
        )
    assert results["average"]["accuracy"] == 0.5


def test_unreachable_endpoint_is_a_clear_error(tmp_path: Path, free_port: int) -> None:
    exam = tmp_path / "exam.csv"
    exam.write_text(EXAM, encoding="utf-8")
    with pytest.raises(ChemtuneError, match="Cannot reach the endpoint"):
        evaluate(
            {
                "model": "m",
                "method": "endpoint",
                "base_url": f"http://127.0.0.1:{free_port}/v1",
                "benchmark": str(exam),
            },
            log=lambda _: None,
        )


def test_endpoint_without_base_url_is_refused() -> None:
    with pytest.raises(ChemtuneError, match=r"Base URL \(base_url\): the endpoint method needs a base URL"):
        evaluate({"model": "m", "method": "endpoint", "benchmark": "sample"})


def _endpoint_config(stub: OpenAIStub, exam: Path, **extra) -> dict:
    return {"model": "stub-model", "method": "endpoint", "base_url": stub.base_url, "benchmark": str(exam),
            **extra}


def test_a_question_the_endpoint_refuses_is_recorded_and_the_others_are_scored(tmp_path: Path) -> None:
    exam = tmp_path / "exam.csv"
    exam.write_text(EXAM, encoding="utf-8")
    logged: list[str] = []
    with OpenAIStub(responder=responder) as stub:
        stub.on("formula of water", Fail(400, message="content filter"))  # 400 is not retried
        stub.on("strong base", *[Fail(429, retry_after=0.01, message="slow down")] * 3)  # beyond the retries
        results, rows = evaluate(_endpoint_config(stub, exam, concurrency=1), log=logged.append)
    assert [row["raw"] for row in rows] == ["", ANSWERS["몰 농도"], "Answer: B", ""]
    assert "content filter" in rows[0]["error"] and "HTTP 400" in rows[0]["error"]
    assert "HTTP 429" in rows[3]["error"] and "error" not in rows[1]
    assert [row["pred"] for row in rows] == [None, "B", "B", None]
    assert results["failed"] == 2 and results["average"]["unparsed"] == 2
    assert results["subsets"]["korean"]["accuracy"] == 1.0
    summary = [line for line in logged if "2 of 4 questions got no answer" in line]
    assert summary and "q0001: HTTP 400: content filter" in summary[0], logged


def test_a_timed_out_question_is_recorded_as_a_timeout_not_as_an_unreachable_server(tmp_path: Path) -> None:
    from chemtune.evaluate.scoring import ask_endpoint, endpoint_client

    with OpenAIStub(responder=lambda body: "Answer: A") as stub:
        stub.on("slow question", *[Slow(4.0)] * 3)  # every try outlasts the client's 1.5 s timeout
        client = endpoint_client(stub.base_url, timeout=1.5)
        conversations = [[{"role": "user", "content": text}] for text in ("first", "slow question", "third")]
        answers = ask_endpoint(client, "stub-model", conversations, concurrency=1)
    assert answers[0] == ("Answer: A", None) and answers[2] == ("Answer: A", None)
    raw, error = answers[1]
    assert raw == "" and "no answer within 1.5 s" in error


@pytest.mark.parametrize(("status", "message"), [(401, "refused the API key"), (403, "does not allow"),
                                                 (404, "does not know model")])
def test_a_refused_key_or_model_still_stops_the_run_at_once(tmp_path: Path, status: int, message: str):
    exam = tmp_path / "exam.csv"
    exam.write_text(EXAM, encoding="utf-8")
    with OpenAIStub(responder=responder) as stub:
        stub.script(Fail(status))
        with pytest.raises(ChemtuneError, match=message):
            evaluate(_endpoint_config(stub, exam, concurrency=1), log=lambda _: None)
        assert stub.count("/v1/chat/completions") == 1  # the remaining questions were never asked


def test_results_say_where_k_shot_examples_came_from(tmp_path: Path) -> None:
    exam = tmp_path / "exam.csv"
    exam.write_text(EXAM, encoding="utf-8")
    logged: list[str] = []
    with OpenAIStub(responder=responder) as stub:
        from_test, rows = evaluate(_endpoint_config(stub, exam, shots=1), log=logged.append)
        # the example of the first "general" question is the next one, never the question itself
        assert rows[0]["prompt"].count("formula of water") == 1 and "noble gas" in rows[0]["prompt"]
        assert from_test["shots_from"] == "test"
        assert any("no dev split" in line and "other test questions" in line for line in logged), logged
        (tmp_path / "exam-dev.csv").write_text(
            "question,A,B,C,D,answer,category\nWhich element is a halogen?,Na,Cl,Fe,He,B,general\n",
            encoding="utf-8",
        )
        from_dev, rows = evaluate(_endpoint_config(stub, exam, shots=1), log=lambda _: None)
        zero, _ = evaluate(_endpoint_config(stub, exam), log=lambda _: None)
    assert from_dev["shots_from"] == "dev" and "halogen" in rows[0]["prompt"]
    assert zero["shots_from"] is None
