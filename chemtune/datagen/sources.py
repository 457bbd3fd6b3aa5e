"""Source documents for generation: pasted text, .txt/.md, a column of .jsonl/.csv, .pdf, or a column of a
Hugging Face dataset (through `datasets.load_dataset`, the real path; a local folder or file works too).

Pasted text and .txt/.md files hold one document, or several separated by a line holding only `---`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chemtune import workspace
from chemtune.errors import ChemtuneError
from chemtune.formats import read_rows
from chemtune.records import read_text

TEXT_COLUMNS = ("text", "abstract", "document", "content", "question", "passage", "body")
HF_PREFIX = "hf:"
_SEPARATOR = re.compile(r"^\s*---+\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Document:
    """One source document: a stable id, its text and where it came from ("papers.csv, line 4")."""

    id: str
    text: str
    source: str = ""


def document_id(text: str, where: str) -> str:
    return hashlib.sha1(f"{where}\x1f{text}".encode()).hexdigest()[:12]


def _doc(text: str, where: str) -> Document:
    return Document(document_id(text, where), text.strip(), where)


def documents_from_text(text: str, name: str = "pasted text") -> list[Document]:
    """Split pasted text on `---` lines; each part is one document."""
    parts = [part for part in _SEPARATOR.split(text or "") if part.strip()]
    if not parts:
        raise ChemtuneError(f"{name}: there is no text.",
                            ko=f"{name}: 텍스트가 없습니다.")
    if len(parts) == 1:
        return [_doc(parts[0], name)]
    return [_doc(part, f"{name}, part {i}") for i, part in enumerate(parts, start=1)]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value)


def pick_column(columns: list[str], column: str | None, where: str) -> str:
    """The text column: the one asked for, else the first of TEXT_COLUMNS present."""
    if column:
        if column not in columns:
            raise ChemtuneError(f"{where}: there is no column {column!r}; columns: {', '.join(columns)}.",
                                ko=f"{where}: {column!r} 열이 없습니다; 열: {', '.join(columns)}.")
        return column
    for name in TEXT_COLUMNS:
        if name in columns:
            return name
    raise ChemtuneError(f"{where}: which column holds the text? Columns: {', '.join(columns)} "
                        "(choose one with the text-column option).",
                        ko=f"{where}: 어느 열에 텍스트가 있나요? 열: {', '.join(columns)} "
                           "(text-column 옵션으로 하나를 고르세요).")


def table_columns(path: Path | str) -> list[str]:
    """The column names of a .jsonl/.json/.csv file (from its first rows), for the UI's column picker."""
    rows = read_rows(path)
    names: dict[str, None] = {}
    for _, row in rows[:50]:
        if isinstance(row, dict):
            names.update(dict.fromkeys(row))
    return list(names)


def _documents_from_table(path: Path, column: str | None) -> list[Document]:
    rows = read_rows(path)
    if not rows:
        raise ChemtuneError(f"{path.name}: contains no rows.",
                            ko=f"{path.name}: 행이 없습니다.")
    first_where, first = rows[0]
    if not isinstance(first, dict):
        raise ChemtuneError(f"{first_where}: expected an object with a text field.",
                            ko=f"{first_where}: 텍스트 필드가 있는 객체여야 합니다.")
    column = pick_column(list(first), column, path.name)
    docs = []
    for where, row in rows:
        if not isinstance(row, dict):
            raise ChemtuneError(f"{where}: expected an object with a {column!r} field.",
                                ko=f"{where}: {column!r} 필드가 있는 객체여야 합니다.")
        if column not in row:
            raise ChemtuneError(f"{where}: field {column!r} is missing.",
                                ko=f"{where}: {column!r} 필드가 없습니다.")
        # An empty text is kept: the pipeline records it as a failure, so no row disappears unnoticed.
        docs.append(
            Document(document_id(_cell_text(row[column]), where), _cell_text(row[column]).strip(), where)
        )
    return docs


def _documents_from_pdf(path: Path) -> list[Document]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as exc:
        raise ChemtuneError(f"{path.name}: cannot read this PDF ({exc}).",
                            ko=f"{path.name}: 이 PDF를 읽을 수 없습니다({exc}).") from None
    text = "\n".join(pages).strip()
    if not text:
        raise ChemtuneError(f"{path.name}: no text could be extracted (a scanned PDF needs OCR first).",
                            ko=f"{path.name}: 텍스트를 추출할 수 없습니다(스캔한 PDF는 먼저 OCR이 "
                               "필요합니다).")
    return [_doc(text, path.name)]


def load_hf(dataset_id: str, split: str = "train", config_name: str | None = None) -> Any:
    """`datasets.load_dataset` for a hub id, a local dataset folder or a single data file."""
    import datasets

    try:
        if Path(dataset_id).is_file():
            builder = {".csv": "csv", ".jsonl": "json", ".json": "json", ".parquet": "parquet"}.get(
                Path(dataset_id).suffix.lower(), "text"
            )
            return datasets.load_dataset(builder, data_files=dataset_id, split=split)
        return datasets.load_dataset(dataset_id, config_name, split=split)
    except Exception as exc:  # offline, unknown id, bad split: say which
        raise ChemtuneError(
            f"Cannot load the dataset {dataset_id!r} (split {split!r}): "
            f"{type(exc).__name__}: {str(exc)[:300]}",
            ko=f"데이터셋 {dataset_id!r}(split {split!r})을(를) 불러올 수 없습니다: "
               f"{type(exc).__name__}: {str(exc)[:300]}"
        ) from None


def load_hf_documents(
    dataset_id: str, column: str | None = None, split: str = "train", config_name: str | None = None
) -> list[Document]:
    """A column of a Hugging Face dataset (hub id, local folder, or a data file) as documents."""
    data = load_hf(dataset_id, split, config_name)
    column = pick_column(list(data.column_names), column, dataset_id)
    return [
        Document(
            document_id(_cell_text(value), f"{dataset_id}[{split}] row {i}"),
            _cell_text(value).strip(),
            f"{dataset_id}[{split}] row {i}",
        )
        for i, value in enumerate(data[column], start=1)
    ]


def load_documents(
    source: str | Path, text_column: str | None = None, limit: int | None = None, split: str = "train"
) -> list[Document]:
    """Documents from a file (.txt .md .jsonl .json .csv .pdf) or `hf:<dataset id>`; first `limit` only."""
    source_text = str(source)
    if source_text.startswith(HF_PREFIX):
        docs = load_hf_documents(source_text[len(HF_PREFIX) :], text_column, split)
    else:
        path = Path(source_text).expanduser()
        if not path.exists():
            raise ChemtuneError(f"{path}: file not found.",
                                ko=f"{path}: 파일이 없습니다.")
        suffix = path.suffix.lower()
        if suffix in (".txt", ".md", ".markdown"):
            docs = documents_from_text(read_text(path), path.name)
        elif suffix in (".jsonl", ".ndjson", ".json", ".csv"):
            docs = _documents_from_table(path, text_column)
        elif suffix == ".pdf":
            docs = _documents_from_pdf(path)
        else:
            raise ChemtuneError(
                f"{path.name}: unknown file type {suffix!r}; use .txt, .md, .jsonl, .csv, .pdf "
                f"or {HF_PREFIX}<dataset id>.",
                ko=f"{path.name}: 알 수 없는 파일 형식 {suffix!r}; .txt, .md, .jsonl, .csv, .pdf "
                   f"또는 {HF_PREFIX}<dataset id>를 쓰세요."
            )
    if limit is not None and limit > 0:
        docs = docs[:limit]
    if not docs:
        raise ChemtuneError(f"{source_text}: no documents found.",
                            ko=f"{source_text}: 문서가 없습니다.")
    return docs


def save_pasted_text(text: str) -> Path:
    """Keep pasted text as a file in the workspace, so the job's config can name it and be repeated."""
    documents_from_text(text)  # fails early on empty text
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    path = workspace.home() / "uploads" / f"pasted-{digest}.txt"
    workspace.write_text_atomic(path, text)
    return path


