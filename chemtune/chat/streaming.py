"""Pieces of streamed generation: a token streamer that decodes incrementally, stopping on events, and
batching text for another thread (stop strings are `chemtune.generation`'s)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


def token_streamer(tokenizer: Any, on_token: Callable[[int], None], on_text: Callable[[str], None],
                   end_ids: frozenset[int] = frozenset()) -> Any:
    """A transformers streamer that reports every token and the text it adds; end tokens (`end_ids`) are
    counted but add no text, even one that is not a special token.

    Decoding is incremental (a few tokens of context per step, as TGI and vLLM do), so a long answer costs
    the same per token as a short one, and text goes out after every token rather than word by word. A
    trailing partial UTF-8 character (Korean!) waits for the tokens that complete it."""
    from transformers.generation.streamers import BaseStreamer

    class TokenStreamer(BaseStreamer):
        def __init__(self) -> None:
            self.ids: list[int] = []
            self.prefix = self.read = self.waiting = 0
            self.prompt_done = False

        def put(self, value: Any) -> None:
            if not self.prompt_done:  # generate() hands over the prompt first
                self.prompt_done = True
                return
            new = value.reshape(-1).tolist()
            on_token(len(new))
            self.ids.extend(token for token in new if token not in end_ids)
            self.waiting += 1
            piece = self.pending()
            # A UTF-8 character is at most 4 bytes, so after 4 tokens a replacement character is final
            # (the model really produced invalid bytes) and is shown rather than held back forever.
            if piece and (not piece.endswith("\ufffd") or self.waiting >= 4):
                on_text(piece)
                self.prefix, self.read, self.waiting = self.read, len(self.ids), 0

        def pending(self) -> str:
            # The text added by the tokens after `read`, decoded with the tokens since `prefix` as context
            # (SentencePiece drops a word's leading space when the word is decoded alone).
            before = tokenizer.decode(self.ids[self.prefix:self.read], skip_special_tokens=True)
            after = tokenizer.decode(self.ids[self.prefix:], skip_special_tokens=True)
            return after[len(before):] if after.startswith(before) else ""

        def end(self) -> None:
            piece = self.pending()
            if piece:
                on_text(piece)

    return TokenStreamer()


def stop_criteria(*events: threading.Event) -> Any:
    """Stopping criteria that end generation between two tokens once any of `events` is set."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class StopOnEvent(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            stop = any(event.is_set() for event in events)
            return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([StopOnEvent()])


class Batcher:
    """Hands text on at once for the first piece, then at most every `interval` seconds.

    Waking another thread per token costs more than a token of a small model on a CPU, so pieces that
    arrive closer together than `interval` travel together; a model slower than that (any 7B model)
    still streams token by token. Call `flush()` when the answer ends."""

    def __init__(self, send: Callable[[str], None], interval: float = 0.01) -> None:
        self.send, self.interval = send, interval
        self.buffer: list[str] = []
        self.last: float | None = None

    def __call__(self, piece: str, *_: Any) -> None:
        self.buffer.append(piece)
        now = time.perf_counter()
        if self.last is None or now - self.last >= self.interval:
            self.last = now
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            text, self.buffer = "".join(self.buffer), []
            self.send(text)
