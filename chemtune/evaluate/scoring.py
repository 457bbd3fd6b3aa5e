"""Scoring a model on exam prompts: log-likelihood of the option letters, greedy generation, or an endpoint.

Log-likelihood: one forward pass per question over the prompt; the next-token log-probabilities of the
option letters decide. Prompts are sorted by length and batched. With right padding (the default) each
row's own last position is read, and only those positions go through the output layer; with left padding
the position ids are shifted so every row sees the positions it would see alone. Either way the
predictions equal a one-question-at-a-time computation (tested).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chemtune.errors import ChemtuneError
from chemtune.prompting import Prompt, render_messages, tokenize_prompt

Progress = Callable[[int], None]  # called with the number of questions finished so far


def letter_token_ids(
    tokenizer: Any, messages: list[dict], prompt: Prompt, letters: str, cache: dict | None = None
) -> list[int]:
    """The token each option letter starts the response with, as the chat template renders it."""
    cache = {} if cache is None else cache
    key = (prompt.prompt[-32:], letters)
    if key in cache:
        return cache[key]
    context = tokenize_prompt(tokenizer, prompt)
    ids = []
    for letter in letters:
        full = render_messages(tokenizer, messages + [{"role": "assistant", "content": letter}])
        start = full.text.find(letter, full.response_start)
        answered = tokenizer(full.text[: start + len(letter)], add_special_tokens=False)["input_ids"]
        if (
            full.text[: full.response_start] == prompt.prompt
            and answered[: len(context)] == context
            and len(answered) > len(context)
        ):
            ids.append(int(answered[len(context)]))
        else:  # the template merges the letter with the text before it: fall back to the bare letter
            ids.append(int(tokenizer(letter, add_special_tokens=False)["input_ids"][0]))
    if len(set(ids)) != len(ids):
        raise ChemtuneError(
            f"The tokenizer gives two option letters the same first token ({ids}); "
            "log-likelihood scoring cannot tell them apart. Use --method generate.",
            ko=f"토크나이저가 두 선택지 글자에 같은 첫 토큰({ids})을 줍니다; "
               "로그 가능도(log-likelihood) 채점으로는 구별할 수 없습니다. --method generate를 쓰세요."
        )
    cache[key] = ids
    return ids


def _batches(order: list[int], batch_size: int) -> list[list[int]]:
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


MIN_SHARED_PREFIX = 8  # tokens; a shorter common beginning is scored as part of each row


@dataclass
class Part:
    """Prompts scored together: `shared` leading tokens common to all of them (computed once, its cache
    repeated per row; 0 for none), then batches of row indices, longest first."""

    shared: int
    batches: list[list[int]]


def plan_parts(
    token_ids: list[list[int]], keys: list[str], batch_size: int, share_prefix: bool
) -> list[Part]:
    """Each group whose members share a beginning of MIN_SHARED_PREFIX tokens or more is one part, its
    prefix computed once for the whole group; all other prompts, whatever their group, are one part sorted
    by length across groups, so the batches carry as little padding as the exam allows."""
    parts, rest = [], []
    for group in dict.fromkeys(keys):
        members = [i for i, key in enumerate(keys) if key == group]
        rows = [token_ids[i] for i in members]
        shared = min(_common_prefix(rows), min(len(row) for row in rows) - 1) if share_prefix else 0
        if len(members) > 1 and shared >= MIN_SHARED_PREFIX:
            members.sort(key=lambda i: -len(token_ids[i]))
            parts.append(Part(shared, _batches(members, batch_size)))
        else:
            rest += members
    if rest:
        rest.sort(key=lambda i: -len(token_ids[i]))  # longest first: a memory shortage shows early
        parts.append(Part(0, _batches(rest, batch_size)))
    return parts


def next_token_logprobs(
    model: Any,
    token_ids: list[list[int]],
    candidates: list[list[int]],
    batch_size: int = 16,
    padding_side: str = "right",
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    groups: list[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[list[float]]:
    """For each prompt, the log-probabilities of its candidate next tokens (one forward pass per prompt).

    `groups` names prompts that share a long beginning (same sub-category, same k-shot examples): with
    right padding that beginning is computed once per group and its cache repeated for every row of the
    group's batches; prompts without one are batched across groups by length. The first batch is checked
    against a plain forward pass of one of its prompts; if the shortcuts (shared-prefix cache, logits of
    the last positions only) disagree with it, the rest is scored with plain batched forward passes.
    """
    import torch

    if padding_side not in ("left", "right"):
        raise ValueError(f"padding_side must be 'left' or 'right', not {padding_side!r}")
    pad_id = getattr(model.config, "pad_token_id", None)
    pad_id = 0 if pad_id is None else int(pad_id)
    device = next(model.parameters()).device
    results: list[list[float]] = [[] for _ in token_ids]
    shortcuts = Shortcuts.of(model)
    keys = groups or [""] * len(token_ids)
    share = padding_side == "right" and shortcuts.prefix_cache
    parts = plan_parts(token_ids, keys, max(1, batch_size), share)
    done, checked = 0, False
    with torch.inference_mode():
        for part in parts:
            prefix = None  # (length, cache) of the part's shared beginning, computed at its first batch
            for batch in part.batches:
                if should_stop and should_stop():
                    return results
                rows = [token_ids[i] for i in batch]
                if part.shared and shortcuts.prefix_cache:
                    prefix = prefix or (part.shared, _prefix_cache(model, rows[0][: part.shared], shortcuts))
                    last = _last_logits_right_padded(model, rows, pad_id, device, shortcuts, prefix)
                else:
                    last = _last_logits(model, rows, pad_id, device, padding_side, shortcuts)
                if not checked and shortcuts.any():
                    checked = True
                    reference = _last_logits(model, rows[-1:], pad_id, device, "left", shortcuts.plain())
                    if not _agree(last[-1], reference[0], candidates[batch[-1]]):
                        if log:
                            log("the shared-prefix cache / last-position logits disagree with a plain "
                                "forward pass on this model; scoring with plain forward passes")
                        shortcuts = shortcuts.plain()
                        last = _last_logits(model, rows, pad_id, device, "left", shortcuts)
                logprobs = last.float().log_softmax(-1).cpu()
                for row, i in enumerate(batch):
                    results[i] = [float(logprobs[row, token]) for token in candidates[i]]
                done += len(batch)
                if progress:
                    progress(done)
    return results


@dataclass
class Shortcuts:
    """Which speed-ups a model's forward pass allows: `logits_to_keep` and a reusable, expandable cache."""

    logits_to_keep: bool = False
    prefix_cache: bool = False
    use_cache: bool = False  # whether the forward takes `use_cache` at all

    def plain(self) -> Shortcuts:
        return Shortcuts(use_cache=self.use_cache)

    def any(self) -> bool:
        return self.logits_to_keep or self.prefix_cache

    @classmethod
    def of(cls, model: Any) -> Shortcuts:
        import inspect

        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        parameters = inspect.signature(base.forward).parameters
        keep = "logits_to_keep" in parameters
        # Custom-code models may take no cache argument, or return a legacy tuple that cannot be expanded.
        takes_cache = "past_key_values" in parameters and "use_cache" in parameters
        return cls(keep, keep and takes_cache, "use_cache" in parameters)


def _agree(fast: Any, plain: Any, candidates: list[int]) -> bool:
    """Same candidate log-probabilities (to the precision of the model's dtype) and the same choice."""
    import torch

    # Batched and single-row kernels round differently; in 16-bit formats that is visible in the logits.
    tolerance = 1e-3 if plain.dtype == torch.float32 else 0.1
    a = fast.float().log_softmax(-1)[list(candidates)]
    b = plain.float().log_softmax(-1)[list(candidates)]
    return bool((a - b).abs().max() <= tolerance) and int(a.argmax()) == int(b.argmax())


def _last_logits(
    model: Any, rows: list[list[int]], pad_id: int, device: Any, padding_side: str, shortcuts: Shortcuts
) -> Any:
    if padding_side == "left":
        return _last_logits_left_padded(model, rows, pad_id, device, shortcuts)
    return _last_logits_right_padded(model, rows, pad_id, device, shortcuts)


def _common_prefix(rows: list[list[int]]) -> int:
    first = rows[0]
    n = min(len(row) for row in rows)
    for row in rows[1:]:
        i = 0
        while i < n and row[i] == first[i]:
            i += 1
        n = i
    return n


def _last_logits_left_padded(
    model: Any, rows: list[list[int]], pad_id: int, device: Any, shortcuts: Shortcuts | None = None
) -> Any:
    """Next-token logits after each row of a left-padded batch; position ids skip the pads."""
    import torch

    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for index, row in enumerate(rows):
        ids[index, width - len(row) :] = torch.tensor(row)
        mask[index, width - len(row) :] = 1
    ids, mask = ids.to(device), mask.to(device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    shortcuts = shortcuts or Shortcuts(True, True, True)
    extra: dict[str, Any] = {"logits_to_keep": 1} if shortcuts.logits_to_keep else {}
    if shortcuts.use_cache:
        extra["use_cache"] = False
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, **extra)
    return out.logits[:, -1, :]


def _prefix_cache(model: Any, prefix: list[int], shortcuts: Shortcuts) -> Any:
    """The key/value cache of a shared beginning, or None where it cannot be repeated per row (a legacy
    tuple cache): the rows are then run whole."""
    import torch

    device = next(model.parameters()).device
    keep_one = {"logits_to_keep": 1} if shortcuts.logits_to_keep else {}
    past = model(input_ids=torch.tensor([prefix], device=device), use_cache=True, **keep_one).past_key_values
    return past if hasattr(past, "batch_repeat_interleave") else None


def _last_logits_right_padded(
    model: Any,
    rows: list[list[int]],
    pad_id: int,
    device: Any,
    shortcuts: Shortcuts | None = None,
    prefix: tuple[int, Any] | None = None,
) -> Any:
    """Next-token logits after each row, for a batch right-padded after `prefix` (its length, its cache).

    The shared prefix (system prompt, instructions, k-shot examples) was run once; a copy of its
    key/value cache is repeated for every row. Attention is causal, so pads after a row's end never reach
    its real positions: no attention mask is needed, which keeps the fast attention kernels. Only each
    row's last position goes through the output layer (a 150k-token vocabulary would not fit otherwise).
    A model without `logits_to_keep` computes every position's logits. Without a prefix, or with one whose
    cache cannot be reused, the rows run whole.
    """
    import copy

    import torch

    shortcuts = shortcuts or Shortcuts(True, True, True)
    past = None
    if prefix is not None and prefix[1] is not None:
        shared, cache = prefix
        past = copy.deepcopy(cache)  # the forward below extends the cache it is given
        past.batch_repeat_interleave(len(rows))
        rows = [row[shared:] for row in rows]
    lengths = [len(row) for row in rows]
    ids = torch.full((len(rows), max(lengths)), pad_id, dtype=torch.long)
    for index, row in enumerate(rows):
        ids[index, : len(row)] = torch.tensor(row)
    last = torch.tensor(lengths) - 1
    if not shortcuts.logits_to_keep:
        cache = {"past_key_values": past, "use_cache": past is not None} if shortcuts.use_cache else {}
        out = model(input_ids=ids.to(device), **cache)
        return out.logits[torch.arange(len(rows), device=device), last.to(device)]
    keep, where = torch.unique(last, return_inverse=True)
    out = model(
        input_ids=ids.to(device),
        past_key_values=past,
        use_cache=past is not None,
        logits_to_keep=keep.to(device),
    )
    return out.logits[torch.arange(len(rows), device=device), where.to(device)]


def next_token_logprobs_one(model: Any, token_ids: list[int], candidates: list[int]) -> list[float]:
    """The plain computation for a single prompt, no batching and no padding (the reference)."""
    import torch

    device = next(model.parameters()).device
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([token_ids], device=device)).logits[0, -1]
    logprobs = logits.float().log_softmax(-1).cpu()
    return [float(logprobs[token]) for token in candidates]


def generate_greedy(
    model: Any,
    tokenizer: Any,
    token_ids: list[list[int]],
    max_new_tokens: int = 256,
    batch_size: int = 8,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[str]:
    """Greedy decoding (as in the paper) for each prompt, batched with left padding; returns the texts,
    each ending where the model's turn does (`chemtune.generation`)."""
    import torch

    from chemtune import generation

    turn = generation.turn_end(model, tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    device = next(model.parameters()).device
    texts: list[str] = ["" for _ in token_ids]
    order = sorted(range(len(token_ids)), key=lambda i: -len(token_ids[i]))
    done = 0
    with torch.inference_mode():
        for batch in _batches(order, max(1, batch_size)):
            if should_stop and should_stop():
                break
            width = max(len(token_ids[i]) for i in batch)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                ids[row, width - len(token_ids[i]) :] = torch.tensor(token_ids[i])
                mask[row, width - len(token_ids[i]) :] = 1
            output = model.generate(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                do_sample=False,
                max_new_tokens=max_new_tokens,
                pad_token_id=pad_id,
                temperature=None,
                top_p=None,
                top_k=None,
                **generation.generate_kwargs(turn, tokenizer, width),
            )
            for row, i in enumerate(batch):
                texts[i] = turn.answer(tokenizer, output[row, width:].tolist()).strip()
            done += len(batch)
            if progress:
                progress(done)
    return texts


def endpoint_client(base_url: str, api_key: str | None = None, timeout: float = 120.0) -> Any:
    """An `openai` client for any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, chemtune serve); it
    does not retry itself: `ask_endpoint` retries by the one rule (chemtune.retry)."""
    from openai import OpenAI

    if not base_url:
        raise ChemtuneError(
            "The endpoint method needs a base URL, e.g. https://api.openai.com/v1 or "
            "http://localhost:8000/v1.",
            ko="endpoint 방식에는 기본 URL이 필요합니다. 예: https://api.openai.com/v1 또는 "
               "http://localhost:8000/v1."
        )
    return OpenAI(base_url=base_url, api_key=api_key or "EMPTY", timeout=timeout, max_retries=0)


def ask_endpoint(
    client: Any,
    model: str,
    conversations: list[list[dict]],
    max_tokens: int = 256,
    concurrency: int = 4,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    retry: Any = None,
) -> list[tuple[str, str | None]]:
    """Greedy (temperature 0) chat completions for each conversation, a few requests in flight.

    Returns (reply, error) per conversation. Requests are retried by the one rule (chemtune.retry) with
    `retry`'s numbers (an evaluation's by default). A request that still fails (a
    refused prompt, a rate limit, a timeout) is that question's error and the others go on; a refused key,
    a forbidden or unknown model, or a server that never answered at all stops the whole run.
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor, as_completed

    import openai

    from chemtune.retry import EVALUATION

    policy = retry or EVALUATION
    answered = threading.Event()  # a connection error before any answer means the server is not there
    stopping = threading.Event()

    def ask(messages: list[dict]) -> tuple[str, str | None]:
        if stopping.is_set() or (should_stop and should_stop()):
            return "", None
        try:
            return ask_one(messages)
        except ChemtuneError:
            stopping.set()  # set here, not by the caller: a free worker would start the next question first
            raise

    def ask_one(messages: list[dict]) -> tuple[str, str | None]:
        try:
            reply = policy.call(lambda: client.chat.completions.create(
                model=model, messages=messages, temperature=0, max_tokens=max_tokens
            ))
        except openai.APITimeoutError:  # before APIConnectionError: it is a subclass
            return "", f"no answer within {client.timeout} s (after {policy.attempts} tries)"
        except openai.APIConnectionError as exc:
            if not answered.is_set():
                raise ChemtuneError(
                    f"Cannot reach the endpoint at {client.base_url}; is the server running?",
                    ko=f"{client.base_url}의 엔드포인트에 연결할 수 없습니다; 서버가 실행 중인가요?"
                ) from None
            return "", f"connection failed: {exc.message}"
        except openai.AuthenticationError:
            raise ChemtuneError(f"The endpoint at {client.base_url} refused the API key.",
                                ko=f"{client.base_url}의 엔드포인트가 API 키를 거부했습니다.") from None
        except openai.PermissionDeniedError as exc:
            raise ChemtuneError(
                f"The endpoint at {client.base_url} does not allow this key to use {model!r} "
                f"({exc.message}).",
                ko=f"{client.base_url}의 엔드포인트가 이 키로 {model!r}을(를) 쓰도록 허용하지 "
                   f"않습니다({exc.message})."
            ) from None
        except openai.NotFoundError as exc:
            raise ChemtuneError(f"The endpoint does not know model {model!r} ({exc.message}).",
                                ko=f"엔드포인트가 모델 {model!r}을(를) 모릅니다({exc.message}).") from None
        except openai.APIStatusError as exc:
            detail = re.sub(r"^Error code: \d+ - ", "", exc.message)  # the client's prefix repeats the status
            return "", f"HTTP {exc.status_code}: {detail}"
        answered.set()
        return ((reply.choices[0].message.content or "") if reply.choices else ""), None

    answers: list[tuple[str, str | None]] = [("", None)] * len(conversations)
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
    try:
        futures = {pool.submit(ask, messages): i for i, messages in enumerate(conversations)}
        for done, future in enumerate(as_completed(futures), start=1):
            answers[futures[future]] = future.result()
            if progress:
                progress(done)
    except BaseException:
        stopping.set()  # the questions not yet asked are not asked
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return answers
