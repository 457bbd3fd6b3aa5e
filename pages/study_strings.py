"""The Study tab's English / Korean text (see pages/i18n.py); kept beside pages/study.py."""

from __future__ import annotations

from chemtune.study.config import describe
from pages.widgets import BENCHMARK_STRINGS

_NAME, _MODELS, _SEEDS = describe("name"), describe("models"), describe("seeds")

STRINGS = {
    "tab": {"en": "Study", "ko": "연구"},
    "intro": {
        "en": "### Study\nThe paper's experiment as one job: base models × tuning conditions × benchmarks. "
              "Each cell is an ordinary training run or evaluation, found again by its config, so a rerun or "
              "a restart does only what has not finished. Tables give each tuned row's difference from the "
              "untuned model with a 95% paired bootstrap interval and McNemar's test.",
        "ko": "### 연구\n논문의 실험 전체를 한 작업으로: 기본 모델 × 학습 조건 × 벤치마크. 각 셀은 평범한 "
              "학습 실행 또는 평가이며 설정으로 다시 찾으므로, 다시 실행하거나 재시작해도 끝나지 않은 것만 "
              "합니다. 표는 학습한 각 행이 학습 전 모델과 얼마나 다른지 95% 쌍체 부트스트랩 구간과 "
              "맥니마 검정으로 보여 줍니다.",
    },
    "source": {"en": "Open a study", "ko": "연구 열기"},
    "template": {"en": "Template", "ko": "템플릿"},
    "template_help": {"en": "Studies shipped with chemtune.", "ko": "chemtune에 들어 있는 연구."},
    "template_paper": {"en": "The paper: Llama-2-13B base and chat (GPU, gated weights)",
                       "ko": "논문 전체: Llama-2-13B 기본·채팅 (GPU, 승인 필요 가중치)"},
    "template_paper_mini": {"en": "The paper in miniature: SmolLM2 and Gemma 3 on the sample data (CPU)",
                            "ko": "논문 축소판: 예제 데이터로 SmolLM2와 Gemma 3 (CPU)"},
    "open_template": {"en": "Open template", "ko": "템플릿 열기"},
    "upload": {"en": "Or upload a study YAML", "ko": "또는 연구 YAML 올리기"},
    "pickers": {"en": "Build from pickers", "ko": "선택해서 만들기"},
    "name": {"en": _NAME["label"], "ko": _NAME["ko"]},
    "name_help": {"en": _NAME["help"], "ko": _NAME["ko_help"]},
    "models": {"en": _MODELS["label"], "ko": _MODELS["ko"]},
    "models_help": {"en": _MODELS["help"], "ko": _MODELS["ko_help"]},
    "untuned": {"en": "Also evaluate each model untuned (the 'none' rows every difference is measured from)",
                "ko": "각 모델을 학습 없이도 평가 (모든 차이의 기준이 되는 행)"},
    "conditions": {"en": "Tuning conditions", "ko": "학습 조건"},
    "conditions_help": {"en": "One per line: a name, a colon, datasets separated by commas, e.g. "
                              "'Korean: chem-ko, chem-ko-extra:2'.",
                        "ko": "한 줄에 하나씩: 이름, 쌍점, 쉼표로 구분한 데이터셋. "
                              "예: `한국어: chem-ko, chem-ko-extra:2`"},
    "col_condition": {"en": "Condition", "ko": "조건"},
    "benchmarks": {"en": "Benchmarks", "ko": "벤치마크"},
    "benchmarks_help": {"en": "Each is evaluated with the default options; edit the YAML for others. "
                              "Type `tasks:DATASET` to score each cell per task on a test dataset.",
                        "ko": "기본 옵션으로 평가합니다. 다른 옵션은 YAML에서 고치세요. 시험 데이터셋으로 "
                              "셀마다 작업별 점수를 매기려면 `tasks:DATASET`을 입력하세요."},
    "bench_mmlu-chemistry": {"en": "MMLU chemistry", "ko": "MMLU 화학"},
    "bench_kmmlu-chemistry": {"en": "KMMLU chemistry", "ko": "KMMLU 화학"},
    "bench_sample": {"en": "Sample chemistry exam", "ko": "내장 예제 화학 시험"},
    "seeds": {"en": _SEEDS["label"], "ko": _SEEDS["ko"]},
    "seeds_help": {"en": "Comma-separated, e.g. 1, 2, 3; empty for one run per cell.",
                   "ko": "쉼표로 구분, 예: 1, 2, 3. 비우면 셀마다 한 번."},
    "compose": {"en": "Write the study", "ko": "연구 작성"},
    "yaml": {"en": "Study YAML", "ko": "연구 YAML"},
    "plan": {"en": "Show the plan", "ko": "계획 보기"},
    "start": {"en": "Start the study", "ko": "연구 시작"},
    "abort": {"en": "Abort", "ko": "중단"},
    "study": {"en": "Study", "ko": "연구"},
    "study_help": {"en": "The studies in this workspace; the page reopens the newest.",
                   "ko": "이 작업 폴더의 연구들. 새로 열면 가장 최근 연구를 보여 줍니다."},
    "refresh": {"en": "Refresh", "ko": "새로 고침"},
    "cells": {"en": "Cells", "ko": "셀"},
    "col_kind": {"en": "Job", "ko": "작업"},
    "col_model": {"en": "Model", "ko": "모델"},
    "col_seed": {"en": "Seed", "ko": "시드"},
    "col_benchmark": {"en": "Benchmark", "ko": "벤치마크"},
    "col_status": {"en": "Status", "ko": "상태"},
    "col_run": {"en": "Run or evaluation", "ko": "실행 또는 평가"},
    "col_error": {"en": "Error", "ko": "오류"},
    "cell_detail": {"en": "Select a cell to see its run folder and log.",
                    "ko": "셀을 고르면 실행 폴더와 로그를 보여 줍니다."},
    "tables": {"en": "Tables", "ko": "표"},
    "view": {"en": "View", "ko": "보기"},
    "view_all": {"en": "All rows", "ko": "모든 행"},
    "view_size": {"en": "Model size (paper Tables 7–8)", "ko": "모델 크기 (논문 표 7–8)"},
    "view_tuning": {"en": "Tuning data (paper Tables 9–10)", "ko": "학습 데이터 (논문 표 9–10)"},
    "view_chat": {"en": "Original vs chat (paper Tables 11–12)", "ko": "기본 대 채팅 (논문 표 11–12)"},
    "metric": {"en": "Figure", "ko": "지표"},
    "metric_f1": {"en": "macro-F1", "ko": "매크로 F1"},
    "metric_accuracy": {"en": "Accuracy", "ko": "정확도"},
    "format": {"en": "Export as", "ko": "내보내기 형식"},
    "export": {"en": "Export", "ko": "내보내기"},
    "export_file": {"en": "Exported table", "ko": "내보낸 표"},
    # handler messages
    "kind_train": {"en": "train", "ko": "학습"},
    "kind_eval": {"en": "evaluate", "ko": "평가"},
    "st_pending": {"en": "pending", "ko": "대기 전"},
    "st_queued": {"en": "queued", "ko": "대기 중"},
    "st_running": {"en": "running", "ko": "실행 중"},
    "st_done": {"en": "done", "ko": "완료"},
    "st_failed": {"en": "failed", "ko": "실패"},
    "st_aborted": {"en": "aborted", "ko": "중단됨"},
    "st_interrupted": {"en": "interrupted", "ko": "끊김"},
    "st_missing": {"en": "missing", "ko": "없음"},
    "st_planned": {"en": "planned", "ko": "계획됨"},
    "planned": {"en": "**{study}**: {cells} cells ({train} training runs, {evals} evaluations), {reused} "
                      "already done. Training ≈ {seconds} for about {tokens} tokens.",
                "ko": "**{study}**: 셀 {cells}개 (학습 {train}개, 평가 {evals}개), 이미 끝난 셀 {reused}개. "
                      "학습 약 {seconds}, 토큰 약 {tokens}개."},
    "started": {"en": "Study **{study}** started; cells run one after another as jobs.",
                "ko": "연구 **{study}**을(를) 시작했습니다. 셀은 작업으로 하나씩 실행됩니다."},
    "aborting": {"en": "Abort requested for **{study}**.", "ko": "**{study}** 중단을 요청했습니다."},
    "no_study": {"en": "No study selected yet.", "ko": "아직 고른 연구가 없습니다."},
    "error": {"en": "⚠️ The study cannot go on: {error}", "ko": "⚠️ 연구를 진행할 수 없습니다: {error}"},
    "study_state": {"en": "**{study}**: {status} · {counts}", "ko": "**{study}**: {status} · {counts}"},
    "run_dir": {"en": "Folder", "ko": "폴더"},
    "why_failed": {"en": "Some cells failed; the others finished. Each failed cell's error is in the grid.",
                   "ko": "일부 셀이 실패했고 나머지는 끝났습니다. 실패한 셀의 오류는 표에 있습니다."},
    "why_aborted": {"en": "Stopped at your request; start it again to go on.",
                    "ko": "요청에 따라 멈췄습니다. 다시 시작하면 이어서 합니다."},
    "why_interrupted": {"en": "The study's driver ended before the last cell (killed or restarted); start "
                              "it again to go on without redoing finished cells.",
                        "ko": "마지막 셀 전에 연구 실행 프로세스가 끝났습니다(강제 종료 또는 재시작). 다시 "
                              "시작하면 끝난 셀은 그대로 두고 이어서 합니다."},
}
STRINGS.update(BENCHMARK_STRINGS)
