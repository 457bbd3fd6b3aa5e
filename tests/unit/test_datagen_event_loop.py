import asyncio

from chemtune.datagen.pipeline import run_coroutine


async def answer() -> str:
    await asyncio.sleep(0)
    return "촉매"


def test_pipeline_coroutines_run_with_or_without_a_running_event_loop():
    async def from_inside_a_loop() -> str:
        # e.g. a notebook cell or an async web handler calling the library
        return run_coroutine(answer())

    assert run_coroutine(answer()) == "촉매"
    assert run_coroutine(from_inside_a_loop()) == "촉매"
