"""Widgets made from an option declaration: labels, help and choices in both languages, values as ids."""

from __future__ import annotations

import gradio as gr

from chemtune.train.config import TrainConfig
from pages.i18n import Translator
from pages.widgets import option_strings, option_widget


def _page(lang: str):
    translator = Translator(lang)
    text = translator.page(option_strings(TrainConfig, "opt"), "test")
    return translator, text


def test_choice_widget_shows_labels_in_the_language_and_keeps_ids_as_values():
    translator, text = _page("ko")
    with gr.Blocks():
        scheduler = option_widget(text, TrainConfig, "scheduler", "opt")
    assert scheduler.label == "학습률 스케줄러"
    assert ("코사인", "cosine") in scheduler.choices
    assert scheduler.value == "cosine"
    update = translator.updates("en")[translator.components.index(scheduler)]
    assert update["label"] == "LR scheduler"
    assert ("constant with warmup", "constant_with_warmup") in update["choices"]


def test_number_widget_takes_the_declared_bounds_and_default():
    _, text = _page("en")
    with gr.Blocks():
        rank = option_widget(text, TrainConfig, "lora_rank", "opt")
        split = option_widget(text, TrainConfig, "val_split", "opt")
    assert (rank.minimum, rank.maximum, rank.precision, rank.value) == (1, 1024, 0, 16)
    assert (split.minimum, split.maximum, split.value) == (0.0, 0.5, 0.05)


def test_every_option_has_korean_strings():
    strings = option_strings(TrainConfig, "opt")
    assert strings["opt_overlong__drop"] == {"en": "drop", "ko": "버리기"}
    assert all(entry["ko"] for entry in strings.values())
