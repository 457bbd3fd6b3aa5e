"""Instruction data in other shapes: Alpaca, ShareGPT, OpenAI messages and native records,
as JSON, JSONL or CSV files, converted to and from `Record`s; and out to a `datasets.Dataset`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chemtune import workspace
from chemtune.errors import ChemtuneError
from chemtune.prompting import user_content
from chemtune.records import Record, parse_csv, parse_jsonl, read_text, validate_record

if TYPE_CHECKING:
    import datasets

FORMATS = ("alpaca", "sharegpt", "messages", "chemtune")
FILE_TYPES = (".jsonl", ".json", ".csv")
RECORD_FIELDS = tuple(Record.model_fields)
# Columns that hold JSON text when the data comes from a CSV file.
JSON_COLUMNS = ("conversations", "messages", "meta")
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "system": "system"}
MESSAGES_ROLES = {"user": "user", "assistant": "assistant", "system": "system"}
TO_SHAREGPT = {"user": "human", "assistant": "gpt", "system": "system"}


# ---- reading rows with their place in the file -----------------------------------------------


def _file_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".ndjson":
        return ".jsonl"
    if suffix not in FILE_TYPES:
        raise ChemtuneError(f"{path.name}: unknown file type '{suffix}'; use .jsonl, .json or .csv.",
                            ko=f"{path.name}: 알 수 없는 파일 형식 '{suffix}'; .jsonl, .json 또는 .csv를 "
                               "쓰세요.")
    return suffix


def _parse_json_list(path: Path) -> list[tuple[str, Any]]:
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # Many published ".json" datasets are really JSON Lines.
        if exc.msg == "Extra data" and exc.lineno > 1:
            return parse_jsonl(path)
        raise ChemtuneError(f"{path.name}, line {exc.lineno}: not valid JSON ({exc.msg}).",
                            ko=f"{path.name}, {exc.lineno}번째 줄: 올바른 JSON이 "
                               f"아닙니다({exc.msg}).") from None
    if not isinstance(data, list):
        raise ChemtuneError(f"{path.name}: expected a JSON list of records at the top level.",
                            ko=f"{path.name}: 최상위에 레코드의 JSON 목록이 있어야 합니다.")
    return [(f"{path.name}, item {index}", item) for index, item in enumerate(data, start=1)]


def _parse_csv(path: Path) -> list[tuple[str, Any]]:
    # Spreadsheets often leave out empty trailing cells: short rows are filled in.
    return [(where, _decode_json_cells(row, where)) for where, row in parse_csv(path, pad_short=True)]


def _decode_json_cells(row: dict[str, str], where: str) -> dict[str, Any]:
    """In CSV, conversation and meta columns hold JSON text."""
    row = {key: value for key, value in row.items() if key}
    for key in JSON_COLUMNS:
        text = row.get(key)
        if isinstance(text, str) and text.strip():
            try:
                row[key] = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ChemtuneError(f"{where}: field '{key}' is not valid JSON ({exc.msg}).",
                                    ko=f"{where}: '{key}' 필드가 올바른 JSON이 "
                                       f"아닙니다({exc.msg}).") from None
    return row


def read_rows(path: Path | str) -> list[tuple[str, Any]]:
    """Every raw row of a JSON, JSONL or CSV file with its place, e.g. ("data.csv, line 3", {...})."""
    path = Path(path)
    kind = _file_type(path)
    if kind == ".jsonl":
        return parse_jsonl(path)
    if kind == ".json":
        return _parse_json_list(path)
    return _parse_csv(path)


# ---- importers: one raw row → Record ----------------------------------------------------------


def _split_known(row: dict[str, Any], used: Iterable[str]) -> dict[str, Any]:
    """Native record fields kept; every other non-empty field moved into meta."""
    used = set(used)
    record = {key: row[key] for key in RECORD_FIELDS if key in row and key not in used}
    extras = {key: value for key, value in row.items()
              if key not in RECORD_FIELDS and key not in used and value not in ("", None)}
    if extras:
        meta = record.get("meta")
        record["meta"] = {**(meta if isinstance(meta, dict) else {}), **extras}
    return record


def _from_alpaca(row: dict[str, Any], where: str) -> Record:
    return validate_record(_split_known(row, ()), where)


def _from_native(row: dict[str, Any], where: str) -> Record:
    return validate_record(row, where)


def _conversation(turns: Any, field: str, roles: dict[str, str], keys: tuple[str, str], where: str
                  ) -> list[dict[str, str]]:
    """A ShareGPT or messages list as [{role, content}] with user/assistant/system roles."""
    role_key, text_key = keys
    if not isinstance(turns, list) or not turns:
        raise ChemtuneError(f"{where}: field '{field}' must be a non-empty list of turns.",
                            ko=f"{where}: '{field}' 필드는 대화 턴의 비어 있지 않은 목록이어야 합니다.")
    result = []
    for number, turn in enumerate(turns, start=1):
        at = f"{where}: field '{field}', turn {number}"
        if not isinstance(turn, dict):
            raise ChemtuneError(f"{at}: expected an object with '{role_key}' and '{text_key}'.",
                                ko=f"{at}: '{role_key}'와 '{text_key}'가 있는 객체여야 합니다.")
        if role_key not in turn:
            raise ChemtuneError(f"{at}: '{role_key}' is missing.",
                                ko=f"{at}: '{role_key}'가 없습니다.")
        role = roles.get(str(turn[role_key]).lower())
        if role is None:
            expected = ", ".join(dict.fromkeys(roles))
            raise ChemtuneError(f"{at}: '{role_key}' is {turn[role_key]!r}; expected one of {expected}.",
                                ko=f"{at}: '{role_key}'가 {turn[role_key]!r}입니다; {expected} 중 하나여야 "
                                   "합니다.")
        text = turn.get(text_key)
        if isinstance(text, list):  # OpenAI content parts: [{"type": "text", "text": ...}]
            text = "".join(part.get("text", "") for part in text if isinstance(part, dict))
        if not isinstance(text, str):
            raise ChemtuneError(f"{at}: '{text_key}' must be text.",
                                ko=f"{at}: '{text_key}'는 텍스트여야 합니다.")
        result.append({"role": role, "content": text})
    return result


def _record_from_conversation(row: dict[str, Any], field: str, turns: list[dict[str, str]], where: str
                              ) -> Record:
    """System turns + first user turn → system/instruction; the next assistant turn → output."""
    first_user = next((i for i, turn in enumerate(turns) if turn["role"] == "user"), None)
    if first_user is None:
        raise ChemtuneError(f"{where}: field '{field}' has no user turn.",
                            ko=f"{where}: '{field}' 필드에 사용자 턴이 없습니다.")
    answer = next((i for i in range(first_user + 1, len(turns)) if turns[i]["role"] == "assistant"), None)
    if answer is None:
        raise ChemtuneError(f"{where}: field '{field}' has no answer after the first user turn.",
                            ko=f"{where}: '{field}' 필드에 첫 사용자 턴 뒤의 답이 없습니다.")
    for i in (first_user, answer):
        if not turns[i]["content"].strip():
            raise ChemtuneError(f"{where}: field '{field}', turn {i + 1}: the message is empty.",
                                ko=f"{where}: '{field}' 필드, {i + 1}번째 턴: 메시지가 비어 있습니다.")
    record = _split_known(row, (field,))
    systems = [turn["content"] for turn in turns[:first_user] if turn["role"] == "system"]
    if systems and not record.get("system"):
        record["system"] = "\n\n".join(systems)
    record.update(instruction=turns[first_user]["content"], input="", output=turns[answer]["content"])
    if sum(turn["role"] == "assistant" for turn in turns) > 1:
        meta = record.get("meta")
        record["meta"] = {**(meta if isinstance(meta, dict) else {}), "conversation": turns}
    return validate_record(record, where)


def _from_sharegpt(row: dict[str, Any], where: str) -> Record:
    if "conversations" not in row:
        raise ChemtuneError(f"{where}: field 'conversations' is missing.",
                            ko=f"{where}: 'conversations' 필드가 없습니다.")
    turns = _conversation(row["conversations"], "conversations", SHAREGPT_ROLES, ("from", "value"), where)
    return _record_from_conversation(row, "conversations", turns, where)


def _from_messages(row: dict[str, Any], where: str) -> Record:
    if "messages" not in row:
        raise ChemtuneError(f"{where}: field 'messages' is missing.",
                            ko=f"{where}: 'messages' 필드가 없습니다.")
    turns = _conversation(row["messages"], "messages", MESSAGES_ROLES, ("role", "content"), where)
    return _record_from_conversation(row, "messages", turns, where)


IMPORTERS: dict[str, Callable[[dict[str, Any], str], Record]] = {
    "alpaca": _from_alpaca,
    "sharegpt": _from_sharegpt,
    "messages": _from_messages,
    "chemtune": _from_native,
}


def sniff_format(row: Any, where: str) -> str:
    """The format a raw row is in, judged from its keys."""
    keys = set(row) if isinstance(row, dict) else set()
    if "conversations" in keys:
        return "sharegpt"
    if "messages" in keys:
        return "messages"
    if "instruction" in keys:
        return "chemtune" if keys <= set(RECORD_FIELDS) else "alpaca"
    shown = ", ".join(sorted(keys)) or "none"
    raise ChemtuneError(
        f"{where}: cannot tell the format from the fields ({shown}); expected 'instruction' and "
        "'output' (Alpaca), 'conversations' (ShareGPT) or 'messages' (OpenAI).",
        ko=f"{where}: 필드({shown})로 형식을 알 수 없습니다; 'instruction'과 "
           "'output'(Alpaca), 'conversations'(ShareGPT) 또는 'messages'(OpenAI)가 있어야 합니다."
    )


def records_from_rows(rows: Iterable[tuple[str, Any]], fmt: str = "auto") -> list[Record]:
    """Convert (place, raw row) pairs to records; `fmt` is one of FORMATS or 'auto'."""
    if fmt != "auto" and fmt not in FORMATS:
        raise ChemtuneError(f"Unknown format {fmt!r}; use auto, {', '.join(FORMATS)}.",
                            ko=f"알 수 없는 형식 {fmt!r}; auto, {', '.join(FORMATS)} 중 하나를 쓰세요.")
    records = []
    for where, row in rows:
        if not isinstance(row, dict):
            shown = json.dumps(row, ensure_ascii=False)[:60]
            raise ChemtuneError(f"{where}: expected a JSON object with the record's fields, got {shown}",
                                ko=f"{where}: 레코드의 필드가 있는 JSON 객체여야 하는데 {shown}이(가) "
                                   "왔습니다")
        # Judged row by row: a native row and an Alpaca row with an extra column can share a file.
        row_fmt = sniff_format(row, where) if fmt == "auto" else fmt
        records.append(IMPORTERS[row_fmt](row, where))
    return records


def load_records(path: Path | str, fmt: str = "auto") -> list[Record]:
    """Import a JSON, JSONL or CSV file in Alpaca, ShareGPT, messages or native format."""
    rows = read_rows(path)
    if not rows:
        raise ChemtuneError(f"{Path(path).name}: contains no records.",
                            ko=f"{Path(path).name}: 레코드가 없습니다.")
    return records_from_rows(rows, fmt)


# ---- exporters ----------------------------------------------------------------------------------


def conversation_of(record: Record) -> list[dict[str, str]]:
    """The record as [{role, content}] turns; a stored multi-turn conversation when it still matches."""
    turns = [{"role": "system", "content": record.system}] if record.system else []
    turns += [{"role": "user", "content": user_content(record.instruction, record.input)},
              {"role": "assistant", "content": record.output}]
    stored = (record.meta or {}).get("conversation")
    if not isinstance(stored, list) or not all(
        isinstance(t, dict) and t.get("role") in TO_SHAREGPT and isinstance(t.get("content"), str)
        for t in stored
    ):
        return turns
    # Use the whole conversation only while its first exchange is still this record's.
    user = next((t["content"] for t in stored if t["role"] == "user"), None)
    answer = next((t["content"] for t in stored if t["role"] == "assistant"), None)
    matches = (user or "").strip() == user_content(record.instruction, record.input)
    return stored if matches and answer == record.output else turns


def _to_alpaca(record: Record) -> dict[str, Any]:
    row = {"instruction": record.instruction, "input": record.input, "output": record.output}
    return {**row, "system": record.system} if record.system else row


def _to_sharegpt(record: Record) -> dict[str, Any]:
    turns = [{"from": TO_SHAREGPT[t["role"]], "value": t["content"]} for t in conversation_of(record)]
    return {"id": record.id, "conversations": turns}


def _to_messages(record: Record) -> dict[str, Any]:
    return {"messages": conversation_of(record)}


EXPORTERS: dict[str, Callable[[Record], dict[str, Any]]] = {
    "alpaca": _to_alpaca,
    "sharegpt": _to_sharegpt,
    "messages": _to_messages,
    "chemtune": Record.to_dict,
}
CSV_COLUMNS = {
    "alpaca": ("instruction", "input", "output", "system"),
    "sharegpt": ("id", "conversations"),
    "messages": ("messages",),
    "chemtune": RECORD_FIELDS,
}


def _csv_text(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        cells = [row.get(column) for column in columns]
        writer.writerow(["" if cell is None else cell if isinstance(cell, str)
                         else json.dumps(cell, ensure_ascii=False) for cell in cells])
    # The BOM lets Excel open Korean text correctly; our reader drops it.
    return "\ufeff" + buffer.getvalue()


def export_records(records: Iterable[Record], path: Path | str, fmt: str = "chemtune") -> Path:
    """Write records in `fmt` as JSONL, a JSON list (.json) or CSV (.csv), chosen by the file name."""
    if fmt not in EXPORTERS:
        raise ChemtuneError(f"Unknown format {fmt!r}; use {', '.join(FORMATS)}.",
                            ko=f"알 수 없는 형식 {fmt!r}; {', '.join(FORMATS)} 중 하나를 쓰세요.")
    path = Path(path)
    rows = [EXPORTERS[fmt](record) for record in records]
    kind = _file_type(path)
    if kind == ".json":
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    elif kind == ".csv":
        text = _csv_text(rows, CSV_COLUMNS[fmt])
    else:
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    workspace.write_text_atomic(path, text)
    return path


def to_hf_dataset(records: Iterable[Record]) -> datasets.Dataset:
    """Records as a `datasets.Dataset` with one string column per field (meta as JSON text)."""
    import datasets  # heavy; only loaded when asked for

    records = list(records)
    columns: dict[str, list[Any]] = {field: [] for field in RECORD_FIELDS}
    for record in records:
        for field in RECORD_FIELDS:
            value = getattr(record, field)
            if field == "meta" and value:
                value = json.dumps(value, ensure_ascii=False)
            columns[field].append(value)
    features = datasets.Features({field: datasets.Value("string") for field in RECORD_FIELDS})
    return datasets.Dataset.from_dict(columns, features=features)
