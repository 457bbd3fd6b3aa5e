"""English / Korean UI text: each page owns its strings, one language switch re-labels every page.

Design
------
There is no app-wide dictionary of UI text. Each page file keeps a small table of its own strings
next to its layout, keyed by ids that say what the text is, with one entry per language:

    STRINGS = {
        "tab": {"en": "Train", "ko": "학습"},                   # the tab title; app.py reads "tab"
        "intro": {"en": "LoRA tuning with live loss curves.", "ko": "LoRA 학습과 실시간 손실 곡선."},
        "model": {"en": "Base model", "ko": "기본 모델"},
        "model_help": {"en": "A hub id or a local folder.", "ko": "허브 ID 또는 로컬 폴더."},
        "start": {"en": "Start training", "ko": "학습 시작"},
        "started": {"en": "Run {run} started.", "ko": "{run} 실행을 시작했습니다."},
    }

This module is the mechanism. `Translator` is a registry made once per app build; `Translator.page`
binds a page's table to it and hands the page a `PageText`, through which the page creates or registers
components whose text must follow the language:

    def build(text: PageText) -> None:
        text.markdown("intro")                                           # a translated Markdown
        model = text.add(gr.Dropdown, label="model", info="model_help", choices=presets())
        start = text.add(gr.Button, value="start", variant="primary")
        name = text.register(gr.Textbox(label=text.text("name"), value="chem-ko-v1"), label="name")
        start.click(start_run, [model, name, text.language], status)    # handler gets "en" or "ko"

Rules
-----
* `add(cls, **kwargs)`: a *str* given for label, info, placeholder or value is a string id; it is shown
  in the current language and re-translated on every switch. Other arguments pass through unchanged.
* `register(component, label="id", ...)`: the same for a component you built yourself, e.g. a Textbox
  whose value is a fixed default that must not be translated (build it with `text.text("id")` labels).
* Text with blanks (`"Run {run} started."`) takes `format_args={"run": ...}` (or `text.text(id, run=...)`).
* Register only static UI text. A component a handler writes to (a status line, a table) is not
  registered; pass `text.language` (the language Radio) as an event input and answer with
  `text.text(id, lang=lang)`. To redraw such output on a switch, listen to `text.language.change` too.
* Components made inside `@gr.render` are not registered (the registry is fixed when the app is built);
  make such a render function take `text.language` as an input and use `text.text(id, lang=lang)`.
* With format_args, literal braces in a text are written `{{` and `}}`; blanks cannot be named
  `key` or `lang`.
* Every entry must have every language in LANGUAGES; a missing one fails when the app is built.
* Choices of a Radio, Dropdown or CheckboxGroup are shown translated and stored as their ids:
  `text.add(gr.Radio, choices=text.choices({"loglik": "m_loglik", …}), …)` builds (label, id) pairs, and
  `choices={id: string id}` given to `add` or `register` re-translates them on every switch. Handlers
  receive the id, whatever the language. A label with blanks is `(string id, format_args)`.

`Translator.connect()` (called by app.py after all pages are built) wires the language Radio to one
handler that returns a `gr.update` per registered component, tab titles included (`gr.Tab(label=...)`
is updatable since Gradio 4). The switch is per browser session; `CHEMTUNE_LANG=ko` picks the language a
fresh page opens in. Gradio's own `gr.I18n` is not used: it follows the browser's locale and offers no
switch inside the page, and it would split UI text between two mechanisms.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import gradio as gr

from chemtune.errors import ChemtuneError

LANGUAGES = {"en": "English", "ko": "한국어"}
TRANSLATABLE = ("label", "info", "placeholder", "value")
# stored value -> string id of its label, or (string id, format args) for a label with blanks
ChoiceIds = Mapping[Any, "str | tuple[str, Mapping[str, Any]]"]

Strings = Mapping[str, Mapping[str, str]]


def initial_language(environ: Mapping[str, str] = os.environ) -> str:
    """The language a fresh page opens in: $CHEMTUNE_LANG ("en", "ko", "ko_KR.UTF-8" …), else English."""
    raw = (environ.get("CHEMTUNE_LANG") or "en").strip()
    lang = raw.replace("-", "_").split("_")[0].split(".")[0].lower()
    if lang not in LANGUAGES:
        choices = ", ".join(f"'{code}' ({name})" for code, name in LANGUAGES.items())
        raise ChemtuneError(f"CHEMTUNE_LANG={raw!r} is not a supported language; use one of {choices}.")
    return lang


def check_strings(strings: Strings, page: str) -> None:
    """Raise ValueError unless every entry of a page's STRINGS has non-empty text in every language."""
    for key, texts in strings.items():
        for lang in LANGUAGES:
            if not isinstance(texts.get(lang), str) or not texts[lang].strip():
                raise ValueError(f"{page}: STRINGS[{key!r}] has no {LANGUAGES[lang]} ({lang!r}) text.")


class Translator:
    """The registry of translated components for one app; one language switch updates them all."""

    def __init__(self, lang: str = "en") -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; expected one of {sorted(LANGUAGES)}")
        self.lang = lang
        self.switch: gr.Radio | None = None
        # component -> {attribute: (strings, id, format_args)}; dicts keep registration order.
        self._entries: dict[gr.blocks.Block, dict[str, tuple[Strings, str, Mapping[str, Any]]]] = {}

    def page(self, strings: Strings, name: str = "page") -> PageText:
        """Bind a page's STRINGS to this registry (checked now, so a missing translation fails early)."""
        check_strings(strings, name)
        return PageText(self, strings, name)

    def language_switch(self, **kwargs: Any) -> gr.Radio:
        """The "English / 한국어" Radio; create it once, where the layout wants it."""
        choices = [(name, code) for code, name in LANGUAGES.items()]
        options = {"label": "Language / 언어", "container": False, "elem_id": "language-switch"} | kwargs
        self.switch = gr.Radio(choices=choices, value=self.lang, **options)
        return self.switch

    def register(
        self,
        component: gr.blocks.Block,
        strings: Strings,
        ids: Mapping[str, str],
        format_args: Mapping[str, Any] | None = None,
    ) -> None:
        for attribute, key in ids.items():
            if attribute == "choices":
                self._entries.setdefault(component, {})[attribute] = (strings, key, format_args or {})
                continue
            if attribute not in TRANSLATABLE:
                raise ValueError(f"cannot translate {attribute!r}; translatable: {', '.join(TRANSLATABLE)}")
            self._entries.setdefault(component, {})[attribute] = (strings, key, format_args or {})

    @property
    def components(self) -> list[gr.blocks.Block]:
        return list(self._entries)

    def updates(self, lang: str) -> list[dict]:
        """One gr.update per registered component, carrying its text in `lang`."""
        if lang not in LANGUAGES:
            lang = "en"
        return [
            gr.update(
                **{
                    attribute: translate_choices(strings, key, lang) if attribute == "choices"
                    else lookup(strings, key, lang, args)
                    for attribute, (strings, key, args) in attributes.items()
                }
            )
            for attributes in self._entries.values()
        ]

    def connect(self) -> None:
        """Wire the language switch to every registered component; call once, after all pages are built."""
        if self.switch is None:
            raise RuntimeError("create the switch with language_switch() before connect()")
        self.switch.change(
            self.updates,
            self.switch,
            self.components,
            queue=False,
            show_progress="hidden",
            api_visibility="private",
        )


class PageText:
    """A page's view of the registry: its own STRINGS, the current language and the language Radio."""

    def __init__(self, translator: Translator, strings: Strings, name: str) -> None:
        self._translator = translator
        self.strings = strings
        self.name = name

    @property
    def lang(self) -> str:
        """The language the page is being built in (handlers should take `language` as an input instead)."""
        return self._translator.lang

    @property
    def language(self) -> gr.Radio | None:
        """The language Radio: pass it as an event input to get "en" or "ko" in a handler."""
        return self._translator.switch

    def text(self, key: str, lang: str | None = None, **format_args: Any) -> str:
        """The text of `key` in `lang` (default: the build language), blanks filled from format_args."""
        self._check(key)
        return lookup(self.strings, key, lang or self.lang, format_args)

    def register(
        self, component: gr.blocks.Block, *, format_args: Mapping[str, Any] | None = None,
        choices: ChoiceIds | None = None, **ids: str
    ) -> Any:
        """Re-translate the given attributes (label="id", info="id", …) of `component` on every switch;
        `choices={value: string id}` re-translates its choices' labels (the values stay)."""
        for key in ids.values():
            self._check(key)
        self._translator.register(component, self.strings, ids, format_args)
        if choices is not None:
            for key in choices.values():
                self._check(key if isinstance(key, str) else key[0])
            self._translator.register(component, self.strings, {"choices": dict(choices)})
        return component

    def add(self, cls: type, *, format_args: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """Create `cls(**kwargs)`, reading str label/info/placeholder/value as string ids and a mapping
        `choices={value: string id}` as translated choices; register it."""
        ids = {name: kwargs[name] for name in TRANSLATABLE if isinstance(kwargs.get(name), str)}
        texts = {name: self.text(key, **(format_args or {})) for name, key in ids.items()}
        choices = kwargs.get("choices")
        if isinstance(choices, Mapping):
            texts["choices"] = self.choices(choices)
        else:
            choices = None
        return self.register(cls(**(kwargs | texts)), format_args=format_args, choices=choices, **ids)

    def choices(self, ids: ChoiceIds, lang: str | None = None) -> list[tuple[str, Any]]:
        """(label, value) pairs for a choice component: each value's label in `lang`."""
        for key in ids.values():
            self._check(key if isinstance(key, str) else key[0])
        return translate_choices(self.strings, ids, lang or self.lang)

    def markdown(
        self, key: str, *, format_args: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> gr.Markdown:
        """A gr.Markdown showing `key`, translated on every switch."""
        return self.add(gr.Markdown, value=key, format_args=format_args, **kwargs)

    def _check(self, key: str) -> None:
        if key not in self.strings:
            raise KeyError(f"{self.name}: {key!r} is not an id in this page's STRINGS")


def translate_choices(strings: Strings, ids: ChoiceIds, lang: str) -> list[tuple[str, Any]]:
    return [(lookup(strings, key, lang) if isinstance(key, str) else lookup(strings, key[0], lang, key[1]),
             value) for value, key in ids.items()]


def lookup(strings: Strings, key: str, lang: str, format_args: Mapping[str, Any] | None = None) -> str:
    """The text of `key` in `lang`, with `{blanks}` filled from format_args when given."""
    text = strings[key][lang]
    return text.format(**format_args) if format_args else text
