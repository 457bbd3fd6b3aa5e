"""The instruction record: its fields, validation, JSONL files and named datasets in the workspace.

A record is one JSON object per line, an Alpaca-compatible superset:
`{"id", "task", "lang": "en"|"ko", "system"?, "instruction", "input", "output", "source"?, "meta"?}`.
Other shapes (Alpaca, ShareGPT, OpenAI messages, CSV) are converted in `chemtune.formats`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from chemtune import workspace
from chemtune.errors import ChemtuneError

SAMPLE_NAME = "sample"
SAMPLE_PATH = Path(__file__).parent / "samples" / "instructions.jsonl"
RECORDS_FILE = "records.jsonl"
FAILURES_FILE = "failures.jsonl"
META_FILE = "meta.json"
LANGS = ("en", "ko")

# Korean chemistry text is full of Latin formulas and names ("H2SO4의 몰질량은?"), so a modest
# share of Hangul among the letters already means the text is Korean.
HANGUL_SHARE_FOR_KO = 0.2


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def detect_lang(text: str) -> Literal["en", "ko"]:
    """'ko' when Hangul makes up at least a fifth of the letters in `text`, else 'en'."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "en"
    hangul = sum(1 for ch in letters if _is_hangul(ch))
    return "ko" if hangul / len(letters) >= HANGUL_SHARE_FOR_KO else "en"


def record_id(task: str, instruction: str, input: str, output: str) -> str:
    """A stable id from the record's content: the first 12 hex digits of a SHA-1."""
    joined = f"{task}\x1f{instruction}\x1f{input}\x1f{output}"
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:12]


class Record(BaseModel):
    """One instruction example, as stored in a dataset's records.jsonl."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field("", description="Stable id; derived from the content when not given.")
    task: str = Field("qa", description="Task kind from the catalogue, e.g. 'qa', 'calc', 'translate'.")
    lang: Literal["en", "ko"] | None = Field(None, description="'en' or 'ko'; detected when not given.")
    system: str | None = Field(None, description="Optional system prompt.")
    instruction: str = Field(description="What the user asks.")
    input: str = Field("", description="Optional context for the instruction.")
    output: str = Field(description="The answer; a JSON answer is stored as its JSON text.")
    source: str | None = Field(None, description="Where the example came from (document, dataset).")
    meta: dict[str, Any] | None = Field(None, description="Anything else, e.g. a whole conversation.")

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        if value is None:
            return ""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("task", mode="before")
    @classmethod
    def _default_task(cls, value: Any) -> Any:
        return "qa" if value is None or value == "" else value

    @field_validator("lang", mode="before")
    @classmethod
    def _known_lang(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.strip().lower() in LANGS:
            return value.strip().lower()
        raise PydanticCustomError("lang", "must be 'en' or 'ko', got {got}", {"got": repr(value)})

    @field_validator("system", "source", "meta", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("input", mode="before")
    @classmethod
    def _input_default(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("output", mode="before")
    @classmethod
    def _output_as_text(cls, value: Any) -> Any:
        # A structured answer is kept as its JSON text so every output is a string.
        if isinstance(value, (dict, list, int, float)):
            return json.dumps(value, ensure_ascii=False)
        return value

    @field_validator("instruction", "output")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("empty", "is empty")
        return value

    @model_validator(mode="after")
    def _fill_derived(self) -> Record:
        if self.lang is None:
            self.lang = detect_lang(f"{self.instruction}\n{self.input}\n{self.output}")
        if not self.id:
            self.id = record_id(self.task, self.instruction, self.input, self.output)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict in field order, leaving out absent optional fields."""
        return self.model_dump(exclude_none=True)


def _explain(error: dict[str, Any], lang: str = "en") -> str:
    """One pydantic error as a sentence a chemist can act on (in English or Korean)."""
    field = ".".join(str(part) for part in error["loc"]) or "record"
    kind, got = error["type"], error.get("input")
    shown = json.dumps(got, ensure_ascii=False)[:60]
    known = ", ".join(Record.model_fields)
    texts = {
        "missing": (f"field '{field}' is missing", f"'{field}' 필드가 없습니다"),
        "extra_forbidden": (f"field '{field}' is not a record field (record fields: {known})",
                            f"'{field}'은(는) 레코드 필드가 아닙니다(레코드 필드: {known})"),
        "string_type": (f"field '{field}' must be text, got {shown}",
                        f"'{field}' 필드는 텍스트여야 하는데 {shown}이(가) 왔습니다"),
        "dict_type": (f"field '{field}' must be a JSON object, got {shown}",
                      f"'{field}' 필드는 JSON 객체여야 하는데 {shown}이(가) 왔습니다"),
    }
    english, korean = texts.get(kind, (f"field '{field}' {error['msg']}",
                                       f"'{field}' 필드: {error['msg'].removeprefix('Value error, ')}"))
    return korean if lang == "ko" else english


def validate_record(obj: Any, where: str) -> Record:
    """Check one record dict; errors read like "data.jsonl, line 14: field 'output' is empty"."""
    if isinstance(obj, Record):
        return obj
    if not isinstance(obj, dict):
        shown = json.dumps(obj, ensure_ascii=False)[:60]
        raise ChemtuneError(f"{where}: expected a JSON object with 'instruction' and 'output', got {shown}",
                            ko=f"{where}: 'instruction'과 'output'이 있는 JSON 객체여야 하는데 {shown}이(가) "
                               "왔습니다")
    try:
        return Record.model_validate(obj)
    except ValidationError as exc:
        reasons = "; ".join(_explain(error) for error in exc.errors())
        reasons_ko = "; ".join(_explain(error, "ko") for error in exc.errors())
        raise ChemtuneError(f"{where}: {reasons}", ko=f"{where}: {reasons_ko}") from None


def read_text(path: Path | str) -> str:
    """A user's text file as a string (a leading BOM dropped), with clear errors."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ChemtuneError(f"{path}: file not found.",
                            ko=f"{path}: 파일이 없습니다.") from None
    except IsADirectoryError:
        raise ChemtuneError(f"{path}: is a folder, not a file.",
                            ko=f"{path}: 파일이 아니라 폴더입니다.") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ChemtuneError(f"{path.name}, line {line}: not UTF-8 text; save the file as UTF-8.",
                            ko=f"{path.name}, {line}번째 줄: UTF-8 텍스트가 아닙니다; 파일을 UTF-8로 "
                               "저장하세요.") from None


def parse_jsonl(path: Path | str) -> list[tuple[str, Any]]:
    """The JSON values of a JSONL file, each with its place ("data.jsonl, line 3"); blank lines skipped."""
    path = Path(path)
    rows = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}, line {number}"
        try:
            rows.append((where, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ChemtuneError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}).",
                                ko=f"{where}: 올바른 JSON이 아닙니다({exc.colno}번째 열: "
                                   f"{exc.msg}).") from None
    return rows


def parse_csv(path: Path | str, header: bool = True, pad_short: bool = False) -> list[tuple[str, Any]]:
    """The rows of a CSV file, each with its place ("data.csv, line 3", the header being line 1): a dict
    by column name, or the list of cells when there is no header. Blank lines are skipped; broken quoting
    and rows with more cells than the header are errors; shorter rows are an error too unless `pad_short`
    fills them with empty cells."""
    path = Path(path)
    reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    names: list[str] | None = None
    rows: list[tuple[str, Any]] = []
    while True:
        start = reader.line_num + 1  # the line a row starts on (a quoted cell may span lines)
        try:
            cells = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise ChemtuneError(f"{path.name}, line {start}: broken CSV quoting ({exc}); a quoted field must "
                                'end with a quote, and quotes inside it are doubled ("").',
                                ko=f"{path.name}, {start}번째 줄: CSV 따옴표가 깨졌습니다({exc}); 따옴표로 "
                                   "감싼 필드는 "
                                   '따옴표로 끝나야 하고, 그 안의 따옴표는 두 번("") 씁니다.') from None
        if not any(cell.strip() for cell in cells):
            continue
        where = f"{path.name}, line {start}"
        if not header:
            rows.append((where, cells))
        elif names is None:
            names = [cell.strip() for cell in cells]
            repeated = next((name for i, name in enumerate(names) if name and name in names[:i]), None)
            if repeated is not None:
                raise ChemtuneError(f"{where}: column {repeated!r} appears twice",
                                    ko=f"{where}: 열 {repeated!r}이(가) 두 번 나옵니다")
        elif len(cells) > len(names) or (len(cells) < len(names) and not pad_short):
            raise ChemtuneError(f"{where}: {len(cells)} fields but the header names {len(names)} columns "
                                "(an unquoted comma or a broken quote?).",
                                ko=f"{where}: 필드가 {len(cells)}개인데 머리글에는 열이 {len(names)}개 "
                                   "있습니다 (따옴표 없는 쉼표나 깨진 따옴표?).")
        else:
            cells += [""] * (len(names) - len(cells))
            rows.append((where, dict(zip(names, cells, strict=True))))


def read_jsonl(path: Path | str) -> list[Record]:
    """Read a native records JSONL file, validating every line."""
    return [validate_record(obj, where) for where, obj in parse_jsonl(path)]


def write_jsonl(path: Path | str, records: Iterable[Record]) -> None:
    """Atomically write records as UTF-8 JSONL, Korean kept readable."""
    lines = [json.dumps(record.to_dict(), ensure_ascii=False) + "\n" for record in records]
    workspace.write_text_atomic(path, "".join(lines))


# ---- named datasets in $CHEMTUNE_HOME/datasets/<name>/ ----------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def summarize(records: Iterable[Record]) -> dict[str, Any]:
    """Record count and counts by task and by language."""
    records = list(records)
    return {
        "count": len(records),
        "tasks": dict(Counter(record.task for record in records).most_common()),
        "langs": dict(Counter(record.lang for record in records).most_common()),
    }


def _saved_names() -> list[str]:
    root = workspace.datasets_dir()
    return sorted(
        entry.name
        for entry in root.iterdir()
        if entry.is_dir() and not entry.name.startswith(".") and (entry / RECORDS_FILE).is_file()
    )


def _no_such_dataset(name: str) -> ChemtuneError:
    available = ", ".join([SAMPLE_NAME, *_saved_names()])
    return ChemtuneError(f"No dataset named {name!r}. Available: {available}",
                         ko=f"{name!r}라는 데이터셋이 없습니다. 있는 것: {available}")


def dataset_records_path(name: str) -> Path:
    """The records.jsonl behind a dataset name; 'sample' is the bundled sample set."""
    if name == SAMPLE_NAME:
        if not SAMPLE_PATH.is_file():
            raise ChemtuneError(f"The bundled sample dataset is missing from the package ({SAMPLE_PATH}).",
                                ko=f"패키지에 내장 예제 데이터셋이 없습니다({SAMPLE_PATH}).")
        return SAMPLE_PATH
    path = workspace.folder("datasets", name) / RECORDS_FILE
    if not path.is_file():
        raise _no_such_dataset(name)
    return path


def load_dataset_records(name: str) -> list[Record]:
    """All records of a named dataset."""
    return read_jsonl(dataset_records_path(name))


def save_dataset(
    name: str, records: Iterable[Record], meta: dict[str, Any] | None = None, overwrite: bool = False
) -> Path:
    """Save records as dataset `name` (records.jsonl + meta.json) and return its folder."""
    if name == SAMPLE_NAME:
        raise ChemtuneError(f"'{SAMPLE_NAME}' is the built-in sample dataset; choose another name.",
                            ko=f"'{SAMPLE_NAME}'은(는) 내장 예제 데이터셋입니다; 다른 이름을 고르세요.")
    target = workspace.folder("datasets", name)
    if (target / RECORDS_FILE).exists() and not overwrite:
        raise ChemtuneError(f"A dataset named {name!r} already exists; choose another name or overwrite it.",
                            ko=f"{name!r}라는 데이터셋이 이미 있습니다; 다른 이름을 고르거나 덮어쓰세요.")
    records = [
        validate_record(record, f"dataset {name!r}, record {number}")
        for number, record in enumerate(records, start=1)
    ]
    target.mkdir(parents=True, exist_ok=True)
    # An overwritten dataset's old failures belong to the records being replaced.
    (target / FAILURES_FILE).unlink(missing_ok=True)
    write_jsonl(target / RECORDS_FILE, records)
    info = {**(meta or {}), "name": name, **summarize(records), "created": _now()}
    workspace.write_json(target / META_FILE, info)
    return target


def _dataset_info(name: str, records_path: Path, meta: dict[str, Any], builtin: bool) -> dict[str, Any]:
    info: dict[str, Any] = {"name": name, "builtin": builtin, "path": str(records_path)}
    if "count" in meta and "tasks" in meta and "langs" in meta:
        info.update(count=meta["count"], tasks=meta["tasks"], langs=meta["langs"])
    else:
        try:
            info.update(summarize(read_jsonl(records_path)))
        except ChemtuneError as exc:  # one broken dataset must not hide the others
            info.update(count=None, tasks={}, langs={}, error=str(exc))
    created = meta.get("created")
    if not created:
        mtime = records_path.stat().st_mtime
        created = datetime.fromtimestamp(mtime, UTC).isoformat(timespec="seconds")
    info["created"] = created
    return info


def list_datasets() -> list[dict[str, Any]]:
    """Every dataset: name, count, counts by task and lang, created time; the sample first."""
    found = []
    if SAMPLE_PATH.is_file():
        found.append(_dataset_info(SAMPLE_NAME, SAMPLE_PATH, {}, builtin=True))
    for name in _saved_names():
        folder = workspace.datasets_dir() / name
        try:
            meta = workspace.read_json(folder / META_FILE, default={})
        except ChemtuneError as exc:  # one broken meta.json must not hide the other datasets
            info = _dataset_info(name, folder / RECORDS_FILE, {}, builtin=False)
            found.append({**info, "error": str(exc)})
            continue
        meta = meta if isinstance(meta, dict) else {}
        found.append(_dataset_info(name, folder / RECORDS_FILE, meta, builtin=False))
    return found


def delete_dataset(name: str) -> None:
    """Remove a saved dataset's folder; the built-in sample cannot be deleted."""
    if name == SAMPLE_NAME:
        raise ChemtuneError(f"'{SAMPLE_NAME}' is the built-in sample dataset and cannot be deleted.",
                            ko=f"'{SAMPLE_NAME}'은(는) 내장 예제 데이터셋이라 지울 수 없습니다.")
    target = workspace.folder("datasets", name)
    if not target.is_dir():
        raise _no_such_dataset(name)
    shutil.rmtree(target)
