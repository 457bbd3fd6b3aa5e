"""Options declared once, for every job kind (training, evaluation, generation, studies).

An option is one pydantic field: its default, bounds and type; `title` is the English label and
`description` the English help; `json_schema_extra` holds the Korean label and help ("ko", "ko_help"),
the UI group and, for a choice, each value's label in both languages ("labels": {value: (en, ko)}).
The YAML key is the field name, the CLI flag is `--field-name`, and the UI widget is read from the same
field, so nothing about an option is written twice. `chemtune/train/config.py` is the model to follow.
"""

from __future__ import annotations

import argparse
import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from chemtune.errors import ChemtuneError

Labels = dict[str, tuple[str, str]]


def option(default: Any, title: str, description: str, ko: str, ko_help: str, group: str | None = None,
           *, labels: Labels | None = None, **limits: Any) -> Any:
    """An option: default, English label and help, Korean label and help, UI group, choice labels."""
    extra: dict[str, Any] = {"ko": ko, "ko_help": ko_help, "group": group}
    if labels:
        extra["labels"] = {str(value): list(pair) for value, pair in labels.items()}
    return Field(default, title=title, description=description, json_schema_extra=extra, **limits)


def describe(config: type[BaseModel], name: str) -> dict[str, Any]:
    """What the UI and CLI need about one option: type, default, choices and their labels, English and
    Korean label and help, group, limits."""
    info = config.model_fields[name]
    extra = info.json_schema_extra or {}
    kind, choices = _kind(info.annotation)
    limits = {}
    for meta in info.metadata:
        for bound in ("ge", "gt", "le", "lt"):
            if getattr(meta, bound, None) is not None:
                limits[bound] = getattr(meta, bound)
    labels = None
    if choices is not None:
        given = extra.get("labels") or {}
        labels = {str(c): {"en": given.get(str(c), (str(c), str(c)))[0],
                           "ko": given.get(str(c), (str(c), str(c)))[1]} for c in choices}
    return {"name": name, "kind": kind, "choices": choices, "labels": labels, "default": info.default,
            "label": info.title, "help": info.description, "ko": extra.get("ko"),
            "ko_help": extra.get("ko_help"), "group": extra.get("group"), **limits}


def choice_label(config: type[BaseModel], name: str, value: Any, lang: str = "en") -> str:
    """How a choice's value is shown in `lang` (the stored value is always the id)."""
    labels = describe(config, name)["labels"] or {}
    return labels.get(str(value), {}).get(lang, str(value))


def _kind(annotation: Any) -> tuple[str, list | None]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # X | None: may be left unset
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _kind(args[0])
    if typing.get_origin(annotation) is Literal:
        return "choice", list(typing.get_args(annotation))
    if annotation is bool:
        return "bool", None
    if annotation is int:
        return "int", None
    if annotation is float:
        return "float", None
    if typing.get_origin(annotation) is list:
        return "list", None
    return "str", None


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_cli_options(parser: argparse.ArgumentParser, config: type[BaseModel], *,
                    skip: tuple[str, ...] = (), required: tuple[str, ...] = ()) -> None:
    """One `--flag` per option (default None: 'not given', so the declaration's default applies)."""
    for name in config.model_fields:
        if name in skip:
            continue
        spec = describe(config, name)
        shown = "" if spec["default"] is None else f" (default: {_shown(spec['default'])})"
        help_text = f"{spec['help']}{shown}"
        common: dict[str, Any] = {"dest": name, "default": None, "help": help_text}
        if name in required:
            common["required"] = True
        if spec["kind"] == "bool":
            parser.add_argument(flag(name), action=argparse.BooleanOptionalAction, **common)
        elif spec["kind"] == "choice":
            parser.add_argument(flag(name), choices=spec["choices"], **common)
        else:
            typ = {"int": int, "float": float}.get(spec["kind"], str)
            parser.add_argument(flag(name), type=typ, metavar=name.upper(), **common)


def from_args(config: type[BaseModel], args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line (flags left out are absent, not None)."""
    return {name: getattr(args, name) for name in config.model_fields
            if getattr(args, name, None) is not None}


def _shown(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def explain(config: type[BaseModel], error: ValidationError, where: str,
            noun: str = "option") -> ChemtuneError:
    """A pydantic error as one sentence naming each refused option by its label and key (the Korean
    sentence, `.ko`, by its Korean label)."""
    parts, parts_ko = [], []
    for item in error.errors():
        name = ".".join(str(p) for p in item["loc"]) or "options"
        if item["type"] == "extra_forbidden":
            known = ", ".join(config.model_fields)
            parts.append(f"'{name}' is not {_article(noun)} {noun} (options: {known})")
            parts_ko.append(f"'{name}'은(는) 알 수 없는 옵션입니다 (옵션: {known})")
            continue
        field = config.model_fields.get(item["loc"][0]) if item["loc"] else None
        label = field.title if field is not None and field.title else name
        ko_label = ((field.json_schema_extra or {}).get("ko") if field is not None else None) or label
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{label} ({name}): {message}")
        parts_ko.append(f"{ko_label} ({name}): {_korean_reason(item) or message}")
    return ChemtuneError(f"{where}: " + "; ".join(parts), ko="옵션 오류: " + "; ".join(parts_ko))


def _korean_reason(item: dict[str, Any]) -> str | None:
    """The common pydantic refusals in Korean (None: keep the English message)."""
    ctx = {key: str(value).replace(" or ", ", ") for key, value in (item.get("ctx") or {}).items()}
    reasons = {
        "greater_than_equal": "{ge} 이상이어야 합니다", "greater_than": "{gt}보다 커야 합니다",
        "less_than_equal": "{le} 이하여야 합니다", "less_than": "{lt}보다 작아야 합니다",
        "literal_error": "다음 중 하나여야 합니다: {expected}", "int_parsing": "정수여야 합니다",
        "int_from_float": "정수여야 합니다", "float_parsing": "숫자여야 합니다",
        "bool_parsing": "켜기/끄기 값이어야 합니다", "missing": "값이 필요합니다",
    }
    reason = reasons.get(item["type"])
    try:
        return reason.format(**ctx) if reason else None
    except (KeyError, IndexError):
        return None


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The options in a YAML file (a job's config.yaml works: its 'kind' key is dropped)."""
    from chemtune import workspace

    path = Path(path)
    if not path.is_file():
        raise ChemtuneError(f"{path}: config file not found.", ko=f"{path}: 설정 파일이 없습니다.")
    data = workspace.read_yaml(path, {}) or {}
    if not isinstance(data, dict):
        raise ChemtuneError(f"{path}: expected a mapping of option: value.",
                            ko=f"{path}: '옵션: 값' 형식의 매핑이어야 합니다.")
    data.pop("kind", None)
    return data


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def make(config: type[BaseModel], values: dict[str, Any] | None, where: str, noun: str = "option") -> Any:
    """Validate options (unset or None ones take their defaults); errors name the option."""
    values = {k: v for k, v in (values or {}).items() if v is not None}
    try:
        return config(**values)
    except ValidationError as exc:
        raise explain(config, exc, where, noun) from None
