"""Scores for the task benchmark: JSON validity, schema validity, field-level P/R/F1, chrF, ROUGE-L, judge.

How each task is scored is declared in its catalogue entry (`chemtune.datagen.tasks`): a JSON task's
answer must parse and follow the schema built from its keys; keys scored as fields are compared value by
value, normalised (unicode NFKC, case, whitespace, units written alike, lists as sets, nested objects by
their paths, "N/A" / "-" as absent); keys scored as text, and a free-text task's whole answer, by chrF.

chrF (sacrebleu) compares character n-grams, so Korean is scored per syllable without a word tokenizer.
rouge-score's tokenizer keeps only ASCII letters and digits: a Korean text becomes empty and scores 0
whatever it says, so ROUGE-L is computed for English references only.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from chemtune.datagen.tasks import NA, Key, Task, parse_json_answer
from chemtune.records import detect_lang

ABSENT = {value.casefold() for value in NA} | {"na", "none", "null", "—", "없음", "해당 없음"}
# Denominator units written as "/unit" become " unit-1", so mS/cm, mS cm-1 and mS·cm⁻¹ read alike.
_UNITS = "cm|mm|nm|m|kg|mg|g|ml|l|s|h|min|mol|mmol|k"
_PER_UNIT = re.compile(rf"\s*/\s*({_UNITS})(\d?)(?![a-z])")
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2010": "-", "\u2011": "-", "·": " ", "⋅": " ",
                         "∙": " "})


def normalize_value(value: Any) -> str | None:
    """A value as compared field by field; None when it says "absent" (N/A, -, empty)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = unicodedata.normalize("NFKC", str(value)).translate(_DASHES).casefold()
    text = text.replace("^", "")  # cm^-1 → cm-1, m^2 → m2
    text = _PER_UNIT.sub(lambda m: f" {m.group(1)}{m.group(2)}-1", text)
    text = re.sub(r"(?<=\d)\s+(?=[^\W\d_]|%|°)", "", text)  # 45 % → 45%, 2.8 nm → 2.8nm, 3 시간 → 3시간
    text = re.sub(r"°\s+c\b", "°c", text)
    text = re.sub(r"\s+%", "%", text)  # wt % → wt%
    text = re.sub(r"\s*/\s*", "/", text)  # Pt / C → Pt/C
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 10,000 → 10000
    text = re.sub(r"(\d\.\d*?)0+(?!\d)", r"\1", text)  # 45.50 → 45.5, 45.0 → 45.
    text = re.sub(r"(?<=\d)\.(?!\d)", "", text)  # 45. → 45
    text = re.sub(r"(?<![a-z])meq\b", "mmol", text)  # meq g-1 = mmol g-1 for monovalent ions (IEC)
    text = " ".join(text.split()).strip(" .;,")
    return None if text in ABSENT else text


def _pairs(path: tuple[str, ...], value: Any) -> list[tuple[tuple[str, ...], str]]:
    """(field path, normalised value) for every value under `value`: lists as sets, objects by path."""
    if isinstance(value, dict):
        pairs = []
        for name, inner in value.items():
            pairs += _pairs(path + (normalize_value(name) or str(name),), inner)
        return pairs
    if isinstance(value, list):
        return [pair for item in value for pair in _pairs(path, item)]
    normal = normalize_value(value)
    return [] if normal is None else [(path, normal)]


@dataclass
class FieldMatch:
    """Field-level counts of one answer against its reference, and a verdict per field."""

    matched: int = 0
    answered: int = 0  # values in the answer (precision's denominator)
    expected: int = 0  # values in the reference (recall's denominator)
    verdicts: list[dict] = field(default_factory=list)


def match_fields(keys: tuple[Key, ...], reference: dict, answer: dict | None) -> FieldMatch:
    """Compare the values under `keys` of an answer with the reference's; None as answer: nothing found.

    Per field path: "match" (same values), "partial" (some shared), "wrong" (values, none shared),
    "missed" (answered absent where the reference has a value), "extra" (a value where the reference
    says absent), "absent" (both say absent)."""
    result = FieldMatch()
    answer = answer if isinstance(answer, dict) else {}
    for key in keys:
        ref_pairs = _pairs((key.name,), reference.get(key.name))
        ans_pairs = _pairs((key.name,), answer.get(key.name))
        paths = list(dict.fromkeys([p for p, _ in ref_pairs] + [p for p, _ in ans_pairs]))
        if not paths:
            result.verdicts.append({"field": key.name, "reference": [], "answer": [], "verdict": "absent"})
        for path in paths:
            ref = {v for p, v in ref_pairs if p == path}
            ans = {v for p, v in ans_pairs if p == path}
            shared = ref & ans
            result.matched += len(shared)
            result.answered += len(ans)
            result.expected += len(ref)
            verdict = ("match" if ref == ans else "missed" if not ans else "extra" if not ref
                       else "partial" if shared else "wrong")
            result.verdicts.append({"field": " › ".join(path), "reference": sorted(ref),
                                    "answer": sorted(ans), "verdict": verdict})
    return result


def prf(matched: int, answered: int, expected: int) -> dict[str, float]:
    """Precision, recall and F1 of pooled counts; with nothing answered nor expected all three are 1."""
    if answered == 0 and expected == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    precision = matched / answered if answered else 0.0
    recall = matched / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


# ---- JSON and schema ------------------------------------------------------------------------------


def key_schema(key: Key) -> dict:
    """The JSON schema of one key's value, from its declared kind."""
    text = {"anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}]}
    if key.kind == "list":
        return {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
    if key.kind == "object":  # named things, each with its properties' values (materials → values)
        return {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": text}}
    if key.kind == "any":
        return {"not": {"enum": [None, "", [], {}]}}
    return text


def task_schema(task: Task) -> dict:
    """The JSON schema a JSON task's answer follows: an object with every key, each of its kind."""
    return {"type": "object", "required": [key.name for key in task.keys],
            "properties": {key.name: key_schema(key) for key in task.keys}}


def read_json(task: Task, text: str) -> tuple[Any, bool, str | None]:
    """(parsed answer or None, valid JSON, why it does not follow the schema or None when it does)."""
    import jsonschema

    try:
        value = parse_json_answer(text)
    except json.JSONDecodeError as exc:
        return None, False, f"not JSON ({exc.msg})"
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(task_schema(task))
                                             .iter_errors(value))
    if error is None:
        return value, True, None
    where = "/".join(str(part) for part in error.absolute_path)
    return value, True, (f"{where}: " if where else "") + error.message


# ---- text metrics ---------------------------------------------------------------------------------


def as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def chrf(answers: list[str], references: list[str]) -> float:
    """Corpus chrF (0-100) as sacrebleu reports it."""
    from sacrebleu.metrics import CHRF

    return float(CHRF().corpus_score(answers, [references]).score)


def rouge_l(answers: list[str], references: list[str]) -> float:
    """Mean ROUGE-L F-measure (0-1); meant for English texts only (see the module's docstring)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"])
    scores = [scorer.score(ref, ans)["rougeL"].fmeasure for ans, ref in zip(answers, references, strict=True)]
    return sum(scores) / len(scores) if scores else 0.0


# ---- one record, one task -------------------------------------------------------------------------


def score_answer(task: Task, reference: str, answer: str) -> dict[str, Any]:
    """The per-record scores of one answer: JSON/schema checks, field verdicts and counts, text pairs."""
    row: dict[str, Any] = {}
    texts: list[dict] = []
    if task.json_answer:
        value, valid, schema_error = read_json(task, answer)
        row.update(valid_json=valid, schema_valid=valid and schema_error is None)
        if schema_error:
            row["schema_error"] = schema_error
        try:
            ref_value = parse_json_answer(reference)
        except json.JSONDecodeError:
            ref_value = {}
        ref_value = ref_value if isinstance(ref_value, dict) else {}
        value = value if isinstance(value, dict) else None
        if task.field_keys:
            match = match_fields(task.field_keys, ref_value, value)
            row.update(fields=match.verdicts, field_counts=[match.matched, match.answered, match.expected])
        for key in task.text_keys:
            texts.append({"field": key.name, "reference": as_text(ref_value.get(key.name)),
                          "answer": as_text((value or {}).get(key.name))})
    else:
        texts.append({"field": "", "reference": reference.strip(), "answer": (answer or "").strip()})
    if texts:
        row["texts"] = texts
    return row


def summarize_task(task: Task, rows: list[dict]) -> dict[str, Any]:
    """A task's metrics over its scored rows; a metric that does not apply to the task is absent."""
    n = len(rows)
    summary: dict[str, Any] = {"n": n}
    if not n:
        return summary
    if task.json_answer:
        summary["valid_json"] = sum(bool(r.get("valid_json")) for r in rows) / n
        summary["schema_valid"] = sum(bool(r.get("schema_valid")) for r in rows) / n
    if task.field_keys:
        counts = [sum(r["field_counts"][i] for r in rows) for i in range(3)]
        scores = prf(*counts)
        summary.update(field_precision=scores["precision"], field_recall=scores["recall"],
                       field_f1=scores["f1"])
    pairs = [pair for r in rows for pair in r.get("texts", [])]
    if pairs:
        summary["chrf"] = chrf([p["answer"] for p in pairs], [p["reference"] for p in pairs])
        english = [p for p in pairs if p["reference"] and detect_lang(p["reference"]) == "en"]
        if english:
            summary["rouge_l"] = rouge_l([p["answer"] for p in english], [p["reference"] for p in english])
    judged = [r["judge"]["score"] for r in rows if isinstance(r.get("judge"), dict)
              and isinstance(r["judge"].get("score"), int)]
    if judged:
        summary["judge"] = sum(judged) / len(judged)
        summary["judged"] = len(judged)
    return summary


# ---- LLM judge ------------------------------------------------------------------------------------

GENERAL_RUBRIC = "A correct, complete and faithful answer to the instruction, in the language asked for."
JUDGE_SYSTEM = ("You grade answers of a chemistry assistant against a reference answer. Reply only with a "
                'JSON object {"score": <1-5>, "reason": "<one or two sentences>"}.')


def judge_messages(task: Task, prompt_text: str, reference: str, answer: str) -> list[dict]:
    """The judge's conversation for one answer: the task's rubric, the question, reference and answer."""
    user = (
        f"Rubric: {task.rubric or GENERAL_RUBRIC}\n"
        "Score 5: fully meets the rubric; 4: minor slips; 3: partly right; 2: mostly wrong; 1: wrong, "
        "empty or off-task.\n\n"
        f"## Question\n{prompt_text}\n\n## Reference answer\n{reference}\n\n## Answer to grade\n"
        f"{answer or '(no answer)'}"
    )
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]


def read_verdict(reply: str) -> dict[str, Any]:
    """{"score": 1-5 or None, "reason": ...} from the judge's reply."""
    try:
        value = parse_json_answer(reply)
    except json.JSONDecodeError:
        value = None
    if isinstance(value, dict):
        score = value.get("score")
        if isinstance(score, str) and score.strip().isdigit():
            score = int(score.strip())
        if isinstance(score, (int, float)) and not isinstance(score, bool) and 1 <= score <= 5:
            return {"score": int(round(score)), "reason": str(value.get("reason", ""))}
    return {"score": None, "reason": "the judge's reply is not a JSON object with a score from 1 to 5"}


# ---- a metric as a sum of per-record statistics ---------------------------------------------------
# Every task metric is a function of statistics summed over records (counts, chrF's n-gram matches, score
# sums), so a paired interval can resample records and recompute exactly the figure the table shows.

def record_statistics(metric: str, row: dict) -> list[float] | None:
    """One scored record's statistics for `metric`, or None where the metric does not apply to it."""
    if metric in ("valid_json", "schema_valid"):
        return [float(bool(row[metric])), 1.0] if metric in row else None
    if metric == "field_f1":
        return [float(c) for c in row["field_counts"]] if row.get("field_counts") else None
    pairs = row.get("texts") or []
    if metric == "chrf":
        if not pairs:
            return None
        from sacrebleu.metrics import CHRF

        per_pair = CHRF()._extract_corpus_statistics([p["answer"] for p in pairs],
                                                     [[p["reference"] for p in pairs]])
        return [float(sum(column)) for column in zip(*per_pair, strict=True)]
    if metric == "rouge_l":
        english = [p for p in pairs if p["reference"] and detect_lang(p["reference"]) == "en"]
        if not english:
            return None
        return [rouge_l([p["answer"] for p in english], [p["reference"] for p in english]) * len(english),
                float(len(english))]
    if metric == "judge":
        verdict = row.get("judge")
        score = verdict.get("score") if isinstance(verdict, dict) else None
        return [float(score), 1.0] if isinstance(score, int) else None
    raise ValueError(f"unknown task metric {metric!r}")


def metric_from_statistics(metric: str, total: list[float]) -> float | None:
    """The metric of records whose statistics sum to `total` (as `summarize_task` computes it)."""
    if metric == "field_f1":
        return prf(*total)["f1"]
    if metric == "chrf":
        from sacrebleu.metrics import CHRF

        return float(CHRF()._compute_score_from_stats(list(total)).score)
    return total[0] / total[1] if total[1] else None
