"""Source documents from pasted text, text/markdown, JSONL/CSV columns, PDF and Hugging Face datasets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chemtune.datagen.sources import documents_from_text, load_documents, save_pasted_text, table_columns
from chemtune.errors import ChemtuneError


def _pdf(path: Path, text: str) -> Path:
    """A one-page PDF with `text` in Helvetica (written by hand: no PDF writer library needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def test_pasted_text_splits_on_dash_lines_into_documents() -> None:
    docs = documents_from_text("첫 번째 초록입니다.\n---\nSecond abstract.\n\n---\n")
    assert [d.text for d in docs] == ["첫 번째 초록입니다.", "Second abstract."]
    assert docs[0].id != docs[1].id
    with pytest.raises(ChemtuneError, match="no text"):
        documents_from_text("  \n---\n")


def test_pasted_text_is_kept_in_the_workspace(isolated_workspace: Path) -> None:
    path = save_pasted_text("Zeolite catalysts.")
    assert path.is_relative_to(isolated_workspace)
    assert load_documents(path)[0].text == "Zeolite catalysts."


def test_markdown_file_is_one_document(tmp_path: Path) -> None:
    path = tmp_path / "paper.md"
    path.write_text("# Title\n\nPlatinum on carbon.\n", encoding="utf-8")
    assert [d.text for d in load_documents(path)] == ["# Title\n\nPlatinum on carbon."]


def test_csv_column_is_picked_and_limit_applies(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text("title,abstract\nA,Alpha text\nB,Beta text\nC,Gamma text\n", encoding="utf-8")
    assert table_columns(path) == ["title", "abstract"]
    docs = load_documents(path, limit=2)  # 'abstract' is a known text column
    assert [d.text for d in docs] == ["Alpha text", "Beta text"]
    assert docs[1].source == "papers.csv, line 3"
    assert [d.text for d in load_documents(path, text_column="title")] == ["A", "B", "C"]


def test_bad_files_get_line_numbered_errors(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text('{"text": "ok"}\n{"text": "ok too"}\n{"text": broken}\n', encoding="utf-8")
    with pytest.raises(ChemtuneError, match=r"docs.jsonl, line 3: not valid JSON"):
        load_documents(path)
    path.write_text('{"text": "ok"}\n{"body": "no text field"}\n', encoding="utf-8")
    with pytest.raises(ChemtuneError, match=r"docs.jsonl, line 2: field 'text' is missing"):
        load_documents(path)
    with pytest.raises(ChemtuneError, match="no column 'abstract'; columns: text"):
        load_documents(tmp_path / "docs.jsonl", text_column="abstract")
    with pytest.raises(ChemtuneError, match="file not found"):
        load_documents(tmp_path / "missing.txt")


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    docs = load_documents(_pdf(tmp_path / "paper.pdf", "Nickel hydroxide electrodes"))
    assert "Nickel hydroxide electrodes" in docs[0].text
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    with pytest.raises(ChemtuneError, match="broken.pdf"):
        load_documents(broken)


def test_hugging_face_dataset_path_reads_a_local_dataset_folder(tmp_path: Path) -> None:
    folder = tmp_path / "chem_abstracts"
    folder.mkdir()
    rows = [{"abstract": f"Abstract {i} on perovskites.", "year": 2020 + i} for i in range(3)]
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    docs = load_documents(f"hf:{folder}", text_column="abstract")
    assert [d.text for d in docs] == [r["abstract"] for r in rows]
    with pytest.raises(ChemtuneError, match="Cannot load the dataset"):
        load_documents(f"hf:{folder}", split="validation")
