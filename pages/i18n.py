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
  `text.text(id, lang=lang)`. To redraw such output on a switch, `text.on_language(fn, inputs, outputs)`.
* Components made inside `@gr.render` are not registered (the registry is fixed when the app is built);
  make such a render function take `text.language` as an input and use `text.text(id, lang=lang)`.
* With format_args, literal braces in a text are written `{{` and `}}`; blanks cannot be named
  `key` or `lang`.
* Every entry must have every language in LANGUAGES; a missing one fails when the app is built.
* Choices of a Radio, Dropdown or CheckboxGroup are shown translated and stored as their ids:
  `text.add(gr.Radio, choices=text.choices({"loglik": "m_loglik", …}), …)` builds (label, id) pairs, and
  `choices={id: string id}` given to `add` or `register` re-translates them on every switch. Handlers
  receive the id, whatever the language. A label with blanks is `(string id, format_args)`.
* Output a handler writes in the page's language is redrawn on a switch with
  `text.on_language(fn, inputs, outputs)`, never `text.language.change(...)`: every redraw runs inside
  the switch's one event, since each event a switch fires costs the browser about a second once all
  tabs are drawn.

`Translator.connect()` (called by app.py after all pages are built) wires the language Radio to one
handler that returns a `gr.update` per registered component, tab titles included (`gr.Tab(label=...)`
is updatable since Gradio 4). The switch is per browser session; `CHEMTUNE_LANG=ko` picks the language a
fresh page opens in. Gradio's own `gr.I18n` is not used: it follows the browser's locale and offers no
switch inside the page, and it would split UI text between two mechanisms.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

import gradio as gr

from chemtune.errors import ChemtuneError

LOG = logging.getLogger(__name__)
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
        self._redraws: list[Redraw] = []

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

    def on_switch(self, fn: Callable, inputs: Any = None, outputs: Any = None, **_: Any) -> None:
        """Redraw `outputs` with `fn(inputs)` on every switch, as `switch.change(fn, inputs, outputs)` would,
        but inside the switch's one event. Inputs are a list (positional), a set (one {component: value}
        dict, as `pages.widgets.by_name` makes) or one component; a `request` parameter gets the request.
        Event options (show_progress …) are the switch's own and are ignored here."""
        self._redraws.append(Redraw(fn, inputs, outputs))

    def switched(self, data: dict, request: gr.Request) -> dict:
        """The switch's one event: every registered text in the new language, then every redraw."""
        lang = data[self.switch]
        found: dict[Any, Any] = dict(zip(self.components, self.updates(lang), strict=True))
        for redraw in self._redraws:
            try:
                answered = redraw.run(data, request)
            except Exception:  # one broken redraw must not leave the page half switched
                LOG.exception("redrawing %s on the language switch failed", redraw.name)
                continue
            for component, value in answered:
                found[component] = merge_update(found.get(component), value)
        return found

    def connect(self) -> None:
        """Wire the language switch to every registered component and redraw; call once, after all pages
        are built. One event, not one per page: each event a switch fires costs the browser about a second
        once every tab is drawn, whatever it outputs."""
        if self.switch is None:
            raise RuntimeError("create the switch with language_switch() before connect()")
        inputs = {self.switch} | {c for redraw in self._redraws for c in redraw.input_components}
        outputs = list(dict.fromkeys([*self.components,
                                      *(c for redraw in self._redraws for c in redraw.output_components)]))
        self.switch.change(
            self.switched,
            inputs,
            outputs,
            queue=False,
            show_progress="hidden",
            api_visibility="private",
        )


def _listed(components: Any) -> list:
    if components is None:
        return []
    return list(components) if isinstance(components, (list, tuple, set)) else [components]


def merge_update(earlier: Any, value: Any) -> Any:
    """One output's value from two answers: a later gr.update adds to an earlier one, a plain value
    becomes the update's value (gr.skip() changes nothing)."""
    def as_update(answer: Any) -> dict:
        if isinstance(answer, dict) and answer.get("__type__") == "update":
            return answer
        return {"__type__": "update", "value": answer}

    if earlier is None:
        return value
    return {**as_update(earlier), **as_update(value)}


class Redraw:
    """What a page redraws on a language switch: fn, its inputs and its outputs, as for an event."""

    def __init__(self, fn: Callable, inputs: Any, outputs: Any) -> None:
        self.fn, self.inputs, self.outputs = fn, inputs, outputs
        self.name = getattr(fn, "__qualname__", repr(fn))
        self.input_components = _listed(inputs)
        self.output_components = _listed(outputs)
        try:
            self.wants_request = "request" in inspect.signature(fn).parameters
        except (TypeError, ValueError):
            self.wants_request = False

    def run(self, data: dict, request: gr.Request) -> list[tuple[Any, Any]]:
        extra = {"request": request} if self.wants_request else {}
        if isinstance(self.inputs, set):
            result = self.fn({c: data[c] for c in self.inputs}, **extra)
        elif self.inputs is None:
            result = self.fn(**extra)
        else:
            result = self.fn(*(data[c] for c in self.input_components), **extra)
        outputs = self.output_components
        if isinstance(result, dict) and result.get("__type__") != "update":  # {component: value}
            return list(result.items())
        if not isinstance(self.outputs, (list, tuple, set)):
            return [(outputs[0], result)] if outputs else []
        return list(zip(outputs, result if len(outputs) > 1 else [result], strict=True))


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

    def on_language(self, fn: Callable, inputs: Any = None, outputs: Any = None, **kwargs: Any) -> None:
        """Redraw `outputs` on a language switch: `text.on_language(fn, inputs, outputs)` where
        `text.language.change(fn, inputs, outputs)` would be (see `Translator.on_switch`)."""
        self._translator.on_switch(fn, inputs, outputs, **kwargs)

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
