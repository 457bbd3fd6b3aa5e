"""A responder for the OpenAI stub that answers chemtune's generation tasks validly, from the document.

    OpenAIStub(responder=task_answers)  # a well-formed answer for every catalogue task, quoting the document
"""

from __future__ import annotations

import json
import re

from chemtune.datagen.tasks import TASKS, property_params


def _user_text(body: dict) -> str:
    return next((m["content"] for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")


def _document(text: str) -> str:
    return text.split("\n\n", 1)[1] if "\n\n" in text else text


def task_answers(body: dict) -> str:
    """A valid answer for whichever catalogue task the request's instruction belongs to."""
    text = _user_text(body)
    doc = " ".join(_document(text).split())
    for task in TASKS.values():
        if task.document_as == "instruction":
            continue
        params = {**task.params}
        for prop in ("water_uptake", "ion_exchange_capacity", "ion_conductivity"):
            candidate = {**params, **property_params(prop)}
            for lang in ("en", "ko"):
                if text.startswith(task.instruction_text(lang, candidate)):
                    return json.dumps(_answer(task.name, doc, candidate["code"]), ensure_ascii=False)
    instruction = text.split("\n\n", 1)[0] if "\n\n" in text else ""
    if "JSON" not in instruction:
        return f"An answer about: {doc[:300]}"
    # An edited or user-defined instruction: fill the quoted keys it names.
    keys = list(dict.fromkeys(re.findall(r'"([A-Za-z_][\w-]*)"', instruction))) or ["answer"]
    lists = ("keywords", "chemicals")
    return json.dumps(
        {key: doc.split()[:3] if key in lists else doc[:120] for key in keys}, ensure_ascii=False
    )


def _answer(task: str, doc: str, code: str = "WU") -> dict:
    head = doc[:120]
    if task == "summarize_extract":
        return {"summary": f"This work reports: {head}.", "chemicals": [doc.split()[0] if doc else "water"]}
    if task == "summarize_translate":
        summary = f"{head[:30]}에 관한 연구이다. 둘째 문장은 방법을 말한다. 셋째 문장은 결과를 말한다."
        return {"Q1": summary, "Q2": "연구 목적", "Q3": "주요 결과"}
    if task == "extract_catalyst":
        return {"Q1": head[:40] or "N/A", "Q2": "N/A", "Q3": "N/A", "Q4": "N/A"}
    if task == "extract_property":
        return {"AEM_MAT": {head[:30] or "membrane": {code: "-"}}}
    if task == "exam_explain":
        return {"Answer": "①", "Explanation": f"풀이: 정답은 ①이다. 근거는 다음과 같다: {head[:30]}"}
    if task == "keywords":
        return {"keywords": [word for word in doc.split()[:4]] or ["chemistry"]}
    return {"answer": head}
