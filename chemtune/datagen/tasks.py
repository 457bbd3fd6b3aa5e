"""The generation task catalogue: one declarative entry per task, as in the paper's pseudo-labelling.

A task says what the teacher LLM is asked (an instruction in English and Korean, an optional system
prompt) and what a valid answer looks like (the JSON keys and the kind of value under each, or free
text). The same instruction becomes the record's `instruction`, the document its `input` and the
validated answer its `output`. Adding a task is adding an entry to TASKS; users add their own in the UI
(instruction + expected keys), kept in `$CHEMTUNE_HOME/tasks.json`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from chemtune import workspace
from chemtune.errors import ChemtuneError
from chemtune.records import detect_lang

ValueKind = Literal["text", "list", "object", "any"]
# How the task benchmark scores a key's value against the reference: "field" compares normalised values
# (lists as sets, nested objects by their paths) by precision / recall / F1; "text" scores prose by chrF
# (and ROUGE-L when the reference is English).
ScoredAs = Literal["field", "text"]
NA = ("N/A", "n/a", "-", "")


@dataclass(frozen=True)
class Key:
    """One expected key of a JSON answer and what its value must be."""

    name: str
    kind: ValueKind = "text"
    max_words: int | None = None  # e.g. "purpose in at most 20 words"
    sentences: int | None = None  # e.g. "a 3-sentence summary" (checked loosely: ±1)
    choices: tuple[str, ...] = ()  # allowed values (case-insensitive), e.g. answer options
    scored_as: ScoredAs = "field"


@dataclass(frozen=True)
class Task:
    """A generation task: what the teacher is asked and how its answer is checked."""

    name: str
    title: dict[str, str]
    instruction: dict[str, str]  # {"en": ..., "ko": ...}; may hold {blanks} filled from `params`
    keys: tuple[Key, ...] = ()  # empty: a free-text answer
    system: dict[str, str] = field(default_factory=dict)
    document_as: Literal["input", "instruction"] = "input"  # qa: the document *is* the question
    default_lang: str = "en"
    output_lang: str | None = None  # the record's language when it differs from the instruction's
    params: dict[str, Any] = field(default_factory=dict)
    custom: bool = False
    # What an LLM judge is told a good answer is (it scores 1-5 with a reason); empty: the general rubric.
    rubric: str = ""

    @property
    def json_answer(self) -> bool:
        return bool(self.keys)

    @property
    def field_keys(self) -> tuple[Key, ...]:
        """Keys scored field by field (precision / recall / F1)."""
        return tuple(key for key in self.keys if key.scored_as == "field")

    @property
    def text_keys(self) -> tuple[Key, ...]:
        """Keys whose prose is scored by chrF; a free-text task scores its whole answer instead."""
        return tuple(key for key in self.keys if key.scored_as == "text")

    def instruction_text(self, lang: str, params: dict[str, Any] | None = None) -> str:
        text = self.instruction.get(lang) or self.instruction["en"]
        values = {**self.params, **(params or {})}
        return text.format(**values) if values else text

    def system_text(self, lang: str) -> str | None:
        return self.system.get(lang) or self.system.get("en") or None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["keys"] = [asdict(key) for key in self.keys]
        return data


def _json_hint(keys: list[str]) -> str:
    return ", ".join(f'"{key}"' for key in keys)


# The property extraction task of the paper, for anion-exchange membranes: the property, its
# synonyms (what authors write) and a stop-list (look-alikes that must not be reported).
PROPERTIES: dict[str, dict[str, str]] = {
    "water_uptake": {
        "code": "WU", "name": "water uptake",
        "synonyms": "water uptake, WU, water absorption, water sorption, hydration degree",
        "stoplist": "swelling ratio, dimensional swelling, IEC, ion conductivity",
    },
    "ion_exchange_capacity": {
        "code": "IEC", "name": "ion-exchange capacity",
        "synonyms": "ion-exchange capacity, ion exchange capacity, IEC, titrated IEC, theoretical IEC",
        "stoplist": "water uptake, swelling ratio, ion conductivity, degree of functionalization",
    },
    "ion_conductivity": {
        "code": "IC", "name": "ion conductivity",
        "synonyms": "ion conductivity, ionic conductivity, hydroxide conductivity, OH- conductivity, "
                    "chloride conductivity, σ",
        "stoplist": "electrical conductivity of electrodes, IEC, water uptake, thermal conductivity",
    },
}


def property_params(prop: str) -> dict[str, str]:
    """The blanks of extract_property for one property name (a key of PROPERTIES)."""
    if prop not in PROPERTIES:
        raise ChemtuneError(f"Unknown property {prop!r}; choose one of {', '.join(PROPERTIES)}.",
                            ko=f"알 수 없는 속성 {prop!r}; {', '.join(PROPERTIES)} 중 하나를 고르세요.")
    info = PROPERTIES[prop]
    return {"property": info["name"], "code": info["code"], "synonyms": info["synonyms"],
            "stoplist": info["stoplist"]}


TASKS: dict[str, Task] = {}


def _add(task: Task) -> Task:
    TASKS[task.name] = task
    return task


_add(Task(
    name="summarize_extract",
    title={"en": "Summarize + extract chemicals", "ko": "요약 + 화학물질 추출"},
    instruction={
        "en": "Summarize the following chemistry paper abstract in 2-3 sentences and list every chemical "
              "compound or material it mentions. Answer only with a JSON object with the keys "
              '"summary" (text) and "chemicals" (a list of names).',
        "ko": "다음 화학 논문 초록을 2~3문장으로 요약하고 언급된 모든 화합물과 소재를 나열하세요. "
              '"summary"(텍스트)와 "chemicals"(이름 목록) 키를 가진 JSON 객체로만 답하세요.',
    },
    keys=(Key("summary", scored_as="text"), Key("chemicals", "list")),
    rubric="A faithful 2-3 sentence summary (no facts the text does not state) and every chemical or "
    "material the text mentions, none it does not.",
    system={"en": "You are an expert chemist who writes precise, factual summaries.",
            "ko": "당신은 정확하고 사실에 근거한 요약을 작성하는 화학 전문가입니다."},
))
_add(
    Task(
        name="summarize_translate",
        title={"en": "Summarize in Korean (Q1–Q3)", "ko": "한국어 요약 (Q1–Q3)"},
        instruction={
            "en": "Read the following English chemistry text and answer in Korean. "
            "Answer only with a JSON object: "
            '"Q1": a three-sentence summary, "Q2": the purpose of the work in at most 20 words, '
            '"Q3": the main result in at most 20 words.',
            "ko": "다음 영어 화학 글을 읽고 한국어로 답하세요. JSON 객체로만 답하세요: "
            '"Q1": 세 문장 요약, "Q2": 연구 목적(20단어 이내), "Q3": 주요 결과(20단어 이내).',
        },
        keys=(Key("Q1", sentences=3, scored_as="text"), Key("Q2", max_words=20, scored_as="text"),
              Key("Q3", max_words=20, scored_as="text")),
        rubric="A faithful Korean summary (Q1), purpose (Q2) and main result (Q3) of the English text: no "
        "facts the text does not state, numbers and compound names kept exactly, fluent Korean.",
        default_lang="ko",
        output_lang="ko",
    )
)
_add(
    Task(
        name="extract_catalyst",
        title={"en": "Extract catalyst details (Q1–Q4)", "ko": "촉매 정보 추출 (Q1–Q4)"},
        instruction={
            "en": "From the following text extract: Q1 the catalyst, Q2 the support material, Q3 the support "
            'processing method, Q4 the purpose of the treatment. Write "N/A" for anything the text does '
            'not say. Answer only with a JSON object with the keys "Q1", "Q2", "Q3", "Q4".',
            "ko": "다음 글에서 Q1 촉매, Q2 지지체 소재, Q3 지지체 처리 방법, Q4 처리 목적을 추출하세요. "
            '글에 없는 내용은 "N/A"로 쓰세요. "Q1", "Q2", "Q3", "Q4" 키를 가진 JSON 객체로만 답하세요.',
        },
        keys=(Key("Q1"), Key("Q2"), Key("Q3"), Key("Q4")),
        rubric="Each of Q1-Q4 names exactly what the text says (catalyst, support, processing, purpose), "
        "and N/A only where the text says nothing.",
    )
)
_add(
    Task(
        name="extract_property",
        title={"en": "Extract a membrane property", "ko": "막 물성 추출"},
        instruction={
            "en": "From the following text about anion-exchange membranes, extract the {property} of every "
            "membrane material. Synonyms to look for: {synonyms}. Do not report: {stoplist}. Answer only "
            'with a JSON object {{"AEM_MAT": {{"<material>": {{"{code}": "<value with unit>"}}}}}}; '
            'write "-" as the value when the text gives none.',
            "ko": "다음 음이온 교환막에 관한 글에서 각 막 소재의 {property} 값을 추출하세요. "
            "찾을 동의어: {synonyms}. "
            "보고하지 말 것: {stoplist}. "
            'JSON 객체 {{"AEM_MAT": {{"<소재>": {{"{code}": "<단위를 포함한 값>"}}}}}}로만 답하고, '
            '값이 없으면 "-"를 쓰세요.',
        },
        keys=(Key("AEM_MAT", "object"),),
        params=property_params("water_uptake"),
        rubric="Every membrane material of the text with its value and unit as written; no look-alike "
        "property reported; '-' only where the text gives no value.",
    )
)
_add(
    Task(
        name="exam_explain",
        title={"en": "Explain an exam answer (Korean)", "ko": "시험 문제 해설 (한국어)"},
        instruction={
            "en": "Solve the following multiple-choice chemistry question. "
            "Answer only with a JSON object with the "
            'keys "Answer" (the correct option) and "Explanation" (why, in Korean).',
            "ko": "다음 화학 객관식 문제를 풀고 정답과 풀이를 쓰세요. "
            '"Answer"(정답 보기)와 "Explanation"(풀이) 키를 가진 JSON 객체로만 답하세요.',
        },
        keys=(Key("Answer"), Key("Explanation", scored_as="text")),
        rubric="The right option, and a correct, complete explanation of why, in Korean.",
        default_lang="ko",
        output_lang="ko",
    )
)
_add(
    Task(
        name="keywords",
        title={"en": "Keywords", "ko": "키워드"},
        instruction={
            "en": "List the 3-8 most important keywords of the following chemistry paper. "
            "Answer only with a JSON "
            'object with the key "keywords" (a list of strings).',
            "ko": '다음 화학 논문의 핵심 키워드 3~8개를 나열하세요. '
            '"keywords"(문자열 목록) 키를 가진 JSON 객체로만 '
            "답하세요.",
        },
        keys=(Key("keywords", "list"),),
        rubric="The keywords a chemist would index the paper under: specific, from the text, no filler.",
    )
)
_add(
    Task(
        name="qa",
        title={"en": "Question → answer", "ko": "질문 → 답변"},
        instruction={"en": "Answer the chemistry question.", "ko": "화학 질문에 답하세요."},
        system={
            "en": "You are a helpful chemistry expert. Answer accurately and concisely.",
            "ko": "당신은 친절한 화학 전문가입니다. 정확하고 간결하게 답하세요.",
        },
        document_as="instruction",
        rubric="A correct, concise answer to the question, as a chemistry textbook would give it.",
    )
)

BUILTIN = tuple(TASKS)


# ---- checking answers ---------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def parse_json_answer(text: str) -> Any:
    """The JSON value in an answer; a ```json fence around it (common without JSON mode) is allowed."""
    match = _FENCE.match(text or "")
    body = match.group(1) if match else (text or "").strip()
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        # Some models add a sentence before the object; take the outermost {...} once.
        start, end = body.find("{"), body.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(body[start : end + 1])
            except json.JSONDecodeError:
                pass
        raise


def _count_sentences(text: str) -> int:
    parts = [part for part in re.split(r"(?<=[.!?。])\s+", text.strip()) if part.strip()]
    return len(parts)


def check_value(key: Key, value: Any) -> str | None:
    """Why `value` is not acceptable under `key`, or None when it is."""
    if key.kind == "list":
        if not isinstance(value, list) or not value:
            return f"'{key.name}' must be a non-empty list"
        if not all(isinstance(item, str) and item.strip() for item in value):
            return f"'{key.name}' must list non-empty strings"
        return None
    if key.kind == "object":
        if not isinstance(value, dict):
            return f"'{key.name}' must be a JSON object"
        return None
    if key.kind == "any":
        return None if value not in (None, "", [], {}) else f"'{key.name}' is empty"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return f"'{key.name}' must be non-empty text"
    if value.strip() in NA:
        return None
    if key.max_words and len(value.split()) > key.max_words:
        return f"'{key.name}' has {len(value.split())} words; at most {key.max_words} allowed"
    if key.sentences and abs(_count_sentences(value) - key.sentences) > 1:
        return f"'{key.name}' should be {key.sentences} sentences, has {_count_sentences(value)}"
    if key.choices and value.strip().lower() not in {c.lower() for c in key.choices}:
        return f"'{key.name}' is {value!r}; expected one of {', '.join(key.choices)}"
    return None


def validate_answer(task: Task, text: str) -> tuple[str | None, str | None]:
    """(output text to store, None) for a valid answer, or (None, reason) for an invalid one."""
    if not (text or "").strip():
        return None, "empty answer"
    if not task.json_answer:
        return text.strip(), None
    try:
        value = parse_json_answer(text)
    except json.JSONDecodeError as exc:
        return None, f"answer is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
    if not isinstance(value, dict):
        return None, f"answer is JSON but not an object (got {type(value).__name__})"
    missing = [key.name for key in task.keys if key.name not in value]
    if missing:
        return None, f"answer lacks the key(s) {_json_hint(missing)}; got {_json_hint(list(value)) or 'none'}"
    problems = [problem for key in task.keys if (problem := check_value(key, value[key.name]))]
    if task.name == "extract_property" and isinstance(value["AEM_MAT"], dict):
        problems += _check_property(value["AEM_MAT"], task.params.get("code", "WU"))
    if task.output_lang == "ko":
        written = " ".join(str(value[key.name]) for key in task.keys if isinstance(value[key.name], str))
        if detect_lang(written) != "ko":
            problems.append("the answer should be in Korean but is not")
    if problems:
        return None, "; ".join(problems)
    return json.dumps(value, ensure_ascii=False), None


def _check_property(materials: dict, code: str) -> list[str]:
    problems = []
    for material, props in materials.items():
        if not isinstance(props, dict) or code not in props:
            problems.append(f"'AEM_MAT' → {material!r} must be an object with the key '{code}'")
        elif not isinstance(props[code], (str, int, float)):
            problems.append(f"'AEM_MAT' → {material!r} → '{code}' must be a value with its unit, or '-'")
    return problems


# ---- the catalogue including the user's own tasks ------------------------------------------------


def _custom_file():
    return workspace.home() / "tasks.json"


def _custom_task(name: str, entry: Any) -> Task:
    if not isinstance(entry, dict):
        raise ValueError("must be an object with 'instruction' and 'keys'")
    instruction = entry.get("instruction")
    if isinstance(instruction, str):
        instruction = {"en": instruction, "ko": instruction}
    if not isinstance(instruction, dict) or not isinstance(instruction.get("en"), str):
        raise ValueError("'instruction' must be a text or an object with an 'en' text")
    keys = tuple(
        Key(**key) if isinstance(key, dict) else Key(str(key), "any") for key in entry.get("keys") or []
    )
    return Task(
        name=name,
        title={"en": name, "ko": name},
        instruction=instruction,
        keys=keys,
        system=entry.get("system") or {},
        custom=True,
        default_lang=entry.get("default_lang", "en"),
    )


def read_custom_tasks() -> tuple[dict[str, Task], list[str]]:
    """The user's own tasks kept in the workspace, and one message per entry that could not be read."""
    try:
        raw = workspace.read_json(_custom_file(), {}) or {}
    except ChemtuneError as exc:
        return {}, [f"tasks.json: {exc}"]
    if not isinstance(raw, dict):
        return {}, ["tasks.json: must be a JSON object of task name → task"]
    tasks, problems = {}, []
    for name, entry in raw.items():
        # One hand-edited entry must not take the built-in tasks and the other entries down with it.
        try:
            tasks[name] = _custom_task(name, entry)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            problems.append(f"tasks.json, task {name!r}: skipped ({exc})")
    return tasks, problems


def custom_tasks() -> dict[str, Task]:
    """The user's own tasks kept in the workspace (unreadable entries are logged and skipped)."""
    tasks, problems = read_custom_tasks()
    for problem in problems:
        logging.getLogger(__name__).warning(problem)
    return tasks


def all_tasks() -> dict[str, Task]:
    return {**TASKS, **custom_tasks()}


def get_task(name: str) -> Task:
    custom, problems = read_custom_tasks()
    tasks = {**TASKS, **custom}
    if name not in tasks:
        broken = next((p for p in problems if p.startswith(f"tasks.json, task {name!r}")), None)
        raise ChemtuneError(broken or f"Unknown task {name!r}; known tasks: {', '.join(tasks)}.",
                            ko=broken or f"알 수 없는 작업 {name!r}; 알려진 작업: {', '.join(tasks)}.")
    return tasks[name]


def save_custom_task(name: str, instruction: str, keys: list[str] | str, system: str = "") -> Task:
    """Add or replace a user task: instruction text (used for both languages) and expected JSON keys."""
    workspace.check_name(name, "task name")
    if name in TASKS:
        raise ChemtuneError(f"{name!r} is a built-in task; choose another name for your task.",
                            ko=f"{name!r}은(는) 내장 작업입니다; 작업에 다른 이름을 붙이세요.")
    if not re.fullmatch(r"[A-Za-z0-9_\-가-힣]+", name):
        raise ChemtuneError(f"Task name {name!r}: use letters, digits, '_' or '-'.",
                            ko=f"작업 이름 {name!r}: 영문자, 숫자, '_' 또는 '-'만 쓰세요.")
    if not instruction.strip():
        raise ChemtuneError("The task's instruction is empty.",
                            ko="작업의 지시문(instruction)이 비어 있습니다.")
    if isinstance(keys, str):
        keys = [key.strip() for key in re.split(r"[,\n]", keys) if key.strip()]
    if len(set(keys)) != len(keys):
        raise ChemtuneError(f"Expected keys repeat a name: {', '.join(keys)}.",
                            ko=f"기대 키(expected keys)에 같은 이름이 반복됩니다: {', '.join(keys)}.")
    text = instruction.strip()
    if keys and "json" not in text.lower():
        # JSON mode needs the word JSON in the prompt, and the teacher needs to know the keys.
        text += f"\nAnswer only with a JSON object with the keys {_json_hint(keys)}."
    raw = workspace.read_json(_custom_file(), {}) or {}
    raw[name] = {
        "instruction": {"en": text, "ko": text},
        "keys": [{"name": key, "kind": "any"} for key in keys],
        "system": {"en": system, "ko": system} if system.strip() else {},
    }
    workspace.write_json(_custom_file(), raw)
    return custom_tasks()[name]


def delete_custom_task(name: str) -> None:
    raw = workspace.read_json(_custom_file(), {}) or {}
    if name not in raw:
        raise ChemtuneError(f"No task of yours named {name!r}.",
                            ko=f"{name!r}라는 사용자 작업이 없습니다.")
    del raw[name]
    workspace.write_json(_custom_file(), raw)
