"""The Evaluate tab's English / Korean text (see pages/i18n.py); kept beside pages/evaluate.py.

The options' labels, help and choice names come from their declaration (`chemtune.evaluate.config`):
`eval_<option>`, `eval_<option>_help`, `eval_<option>__<value>` for EvalConfig, `contam_…` for
ContaminationConfig. Table headers are keyed by the library's column ids (`col_<id>`).
"""

from __future__ import annotations

from chemtune.evaluate import browse
from chemtune.evaluate.benchmarks import CATALOGUE
from chemtune.evaluate.config import ContaminationConfig, EvalConfig
from pages.widgets import BENCHMARK_STRINGS, option_strings

BENCHMARK_NAMES_KO = {"mmlu-chemistry": "MMLU 화학", "kmmlu-chemistry": "KMMLU 화학 (국내 자격시험)",
                      "sample": "내장 예제 화학 시험"}
CONTAMINATION_COLUMNS = ["overlap", "id", "sub-category", "question", "dataset", "record"]
HEADERS_KO = {
    "sub-category": "세부 분류", "n": "문항 수", "accuracy": "정확도", "macro-F1": "macro-F1",
    "micro-F1": "micro-F1", "unparsed": "미해석", "unparsed %": "미해석 %", "#": "#", "id": "ID",
    "gold": "정답", "predicted": "예측", "correct": "정오", "read by": "판독", "overlap": "겹침",
    "question": "문항", "dataset": "데이터셋", "record": "레코드",
}

STRINGS: dict[str, dict[str, str]] = {
    "tab": {"en": "Evaluate", "ko": "평가"},
    "intro": {
        "en": "### Evaluation\nScore a model on **MMLU chemistry**, **KMMLU chemistry** (Korean licence "
        "exams), the bundled sample exam or your own CSV/JSONL exam, then compare base models, tuned "
        "adapters and endpoints side by side in **F1 tables**. The same evaluation from the command line: "
        "`python -m chemtune eval --config EVAL/config.yaml`.",
        "ko": "### 평가\n**MMLU 화학**, **KMMLU 화학**(국내 자격시험), 내장 예제 시험 또는 "
        "직접 올린 CSV/JSONL 시험으로 모델을 채점하고, 기본 모델·학습한 어댑터·엔드포인트를 "
        "**F1 표**로 나란히 비교합니다. 명령줄에서 같은 평가: "
        "`python -m chemtune eval --config EVAL/config.yaml`.",
    },
    # -- run
    "file_choice": {"en": "Uploaded exam file", "ko": "업로드한 시험 파일"},
    "exam_file": {
        "en": "Exam file (CSV or JSONL: question, A–D or A–E, answer, optional category/difficulty)",
        "ko": "시험 파일 (CSV 또는 JSONL: `question`, A–D 또는 A–E, `answer`, 선택 "
        "`category`/`difficulty` 열)",
    },
    "no_adapter": {"en": "—", "ko": "—"},
    "adapter_choice": {"en": "{run_id} (base {model})", "ko": "{run_id} (기본 모델 {model})"},
    "group_endpoint": {"en": "Endpoint (for the endpoint method)", "ko": "엔드포인트 (엔드포인트 방식용)"},
    "group_advanced": {"en": "Batching and device", "ko": "배치와 장치"},
    "base_url_hint": {
        "en": "https://api.openai.com/v1 or http://localhost:8000/v1",
        "ko": "https://api.openai.com/v1 또는 http://localhost:8000/v1",
    },
    "endpoint_model": {"en": "Endpoint model", "ko": "엔드포인트 모델"},
    "endpoint_model_hint": {"en": "gpt-4o-mini", "ko": "gpt-4o-mini"},
    "api_key": {"en": "API key", "ko": "API 키"},
    "api_key_help": {
        "en": "Passed to this one evaluation through its environment and never written to disk; "
        "enter it again for the next run.",
        "ko": "이번 평가 작업에만 환경 변수로 전달되며 디스크에 기록되지 않습니다. "
        "다음 실행 때 다시 입력하세요.",
    },
    "run": {"en": "Run evaluation", "ko": "평가 실행"},
    "stop": {"en": "Stop", "ko": "중지"},
    "refresh": {"en": "Refresh lists", "ko": "목록 새로고침"},
    "results": {"en": "Results (%)", "ko": "결과 (%)"},
    "pooled_row": {"en": "average (all questions)", "ko": "평균 (전체 문항)"},
    "mean_row": {"en": "mean of sub-categories", "ko": "세부 분류 평균"},
    # -- compare
    "compare_title": {"en": "### Compare evaluations", "ko": "### 평가 비교"},
    "compare_pick": {"en": "Finished evaluations (one row each)", "ko": "완료된 평가 (각각 한 행)"},
    "eval_choice": {"en": browse.EVAL_CHOICE,
                    "ko": "{label} · {benchmark} · {method} {shots}-샷 · 정확도 {accuracy} · {eval_id}"},
    "metric": {"en": "Metric", "ko": "지표"},
    "metric_macro_f1": {"en": "macro-F1", "ko": "macro-F1"},
    "metric_accuracy": {"en": "accuracy", "ko": "정확도"},
    "average": {"en": "Average column", "ko": "평균 열"},
    "average_help": {
        "en": "pooled: over all questions; mean: over sub-categories.",
        "ko": "전체 문항: 모든 문항 기준; 세부 분류 평균: 세부 분류별 점수의 평균.",
    },
    "average_average": {"en": "pooled", "ko": "전체 문항"},
    "average_mean": {"en": "mean", "ko": "세부 분류 평균"},
    "download_csv": {"en": "CSV", "ko": "CSV"},
    "download_markdown": {"en": "Markdown", "ko": "마크다운"},
    "download_latex": {"en": "LaTeX", "ko": "레이텍"},
    "download_json": {"en": "JSON", "ko": "JSON"},
    "table_note": {
        "en": "Scores in %; the best of each column in bold.",
        "ko": "점수는 %; 열마다 최고값은 굵게 표시.",
    },
    "pick_evals": {"en": "Pick finished evaluations to compare.", "ko": "비교할 완료된 평가를 고르세요."},
    "mixed_kinds": {"en": "Compare task evaluations with task evaluations and exams with exams.",
                    "ko": "작업 평가는 작업 평가끼리, 시험은 시험끼리 비교하세요."},
    # words of the comparison table and the heatmap (chemtune.evaluate.report.Words)
    "word_model": {"en": "Model", "ko": "모델"},
    "word_average": {"en": "Average", "ko": "평균"},
    "word_mean": {"en": "Mean of sub-categories", "ko": "세부 분류 평균"},
    "word_unparsed_column": {"en": "Unparsed", "ko": "미해석"},
    "word_shots": {"en": "{k}-shot", "ko": "{k}-샷"},
    "word_prompts": {"en": "{style} prompts", "ko": "{style} 프롬프트"},
    "word_confusion": {"en": "Confusion matrix", "ko": "혼동 행렬"},
    "word_gold": {"en": "gold", "ko": "정답"},
    "word_predicted": {"en": "predicted", "ko": "예측"},
    "word_unparsed": {"en": "unparsed", "ko": "미해석"},
    "word_failed": {"en": "failed", "ko": "실패"},
    "word_share": {"en": "share of row", "ko": "행 비율"},
    "word_hover": {"en": "gold %{y}, predicted %{x}: %{text} questions (%{z:.0%} of gold %{y})",
                   "ko": "정답 %{y}, 예측 %{x}: %{text}문항 (정답 %{y}의 %{z:.0%})"},
    # -- inspect
    "inspect_title": {"en": "### Inspect one evaluation", "ko": "### 평가 자세히 보기"},
    "inspect_pick": {"en": "Evaluation", "ko": "평가"},
    "subset": {"en": "Sub-category", "ko": "세부 분류"},
    "subset_all": {"en": "all", "ko": "전체"},
    "which": {"en": "Questions", "ko": "문항"},
    "which_all": {"en": "all", "ko": "전체"},
    "which_wrong": {"en": "wrong", "ko": "오답"},
    "which_unparsed": {"en": "unparsed", "ko": "미해석"},
    "which_correct": {"en": "correct", "ko": "정답"},
    "questions": {
        "en": "Questions (click one for its prompt and output)",
        "ko": "문항 (클릭하면 프롬프트와 출력을 봅니다)",
    },
    "prompt": {"en": "Exact prompt scored", "ko": "채점에 쓴 프롬프트 원문"},
    "raw": {"en": "Raw model output", "ko": "모델 원본 출력"},
    "detail": {"en": "**{id}** · {subset} · gold **{gold}** · predicted **{pred}** {mark}",
               "ko": "**{id}** · {subset} · 정답 **{gold}** · 예측 **{pred}** {mark}"},
    "log_p": {"en": "log p", "ko": "로그 확률"},
    "task_words": {"en": "prompt|reference|answer|error|valid JSON|schema|yes|no|field|verdict|judge",
                   "ko": "프롬프트|정답|답변|오류|유효한 JSON|스키마|예|아니오|필드|판정|평가 모델"},
    "no_answer": {"en": "⚠️ no answer: {error}", "ko": "⚠️ 답 없음: {error}"},
    "read_by": {"en": "read by", "ko": "판독"},
    # How a generated answer was read (chemtune.evaluate.extract rules), or why it names no option.
    "read_json": {"en": "JSON answer", "ko": "JSON 답"},
    "read_letter": {"en": "option letter only", "ko": "보기 기호만"},
    "read_option_text": {"en": "option's text only", "ko": "보기 내용만"},
    "read_statement": {"en": "stated answer", "ko": "답을 밝힘"},
    "read_leading_marker": {"en": "option opening the reply", "ko": "답변 첫머리의 보기"},
    "read_mentioned_text": {"en": "one option's text named", "ko": "보기 하나의 내용을 언급"},
    "read_lone_letter": {"en": "one option letter alone", "ko": "홀로 쓰인 보기 기호 하나"},
    "read_contradictory": {"en": "unparsed: contradictory choices", "ko": "미해석: 서로 다른 답"},
    "read_option_list": {"en": "unparsed: lists options, chooses none", "ko": "미해석: 보기를 나열만 함"},
    "read_no_answer": {"en": "unparsed: no option named", "ko": "미해석: 고른 보기 없음"},
    "read_empty": {"en": "unparsed: empty reply", "ko": "미해석: 빈 답변"},
    # -- contamination
    "contamination_title": {"en": "### Contamination check", "ko": "### 오염(유출) 검사"},
    "contamination_run": {"en": "Check the benchmark above", "ko": "위 벤치마크 검사"},
    "flagged": {"en": "Flagged questions", "ko": "표시된 문항"},
    "contamination_summary": {
        "en": "**{flagged}** of {n} questions ({rate:.1%}) share ≥ {threshold:.0%} of their "
        "{ngram}-character n-grams with the training data ({records} records scanned).",
        "ko": "{n}문항 중 **{flagged}**문항({rate:.1%})이 {ngram}글자 n-그램의 {threshold:.0%} 이상을 "
        "학습 데이터와 공유합니다 (레코드 {records}개 검사).",
    },
    # -- status
    "need_file": {"en": "Upload an exam file first.", "ko": "먼저 시험 파일을 올리세요."},
    "started": {"en": "Evaluation **{run}** started.", "ko": "평가 **{run}**를 시작했습니다."},
    "running": {"en": "Evaluation **{run}** is {status}…", "ko": "평가 **{run}** {status}…"},
    "failed": {"en": "⚠️ Evaluation **{run}** {status}: {error}", "ko": "⚠️ 평가 **{run}** {status}: {error}"},
    "finished": {
        "en": "✅ Evaluation **{run}** ({label}) finished in {secs:.1f} s.",
        "ko": "✅ 평가 **{run}** ({label}) 완료, {secs:.1f}초.",
    },
    "shots_from_test": {
        "en": "This exam has no dev split, so each question's {k} examples were other test questions "
        "(never the question itself).",
        "ko": "이 시험에는 예시용 분할이 없어 문항마다 다른 시험 문항 {k}개를 예시로 썼습니다 "
        "(자기 자신은 제외).",
    },
    "endpoint_failed": {
        "en": "⚠️ {failed} of {n} questions got no answer from the endpoint and count as unparsed; "
        "*Inspect* shows each one's error.",
        "ko": "⚠️ {n}문항 중 {failed}문항은 엔드포인트 응답을 받지 못해 미해석으로 처리되었습니다. "
        "*평가 자세히 보기*에서 문항별 오류를 볼 수 있습니다.",
    },
    "nothing_running": {"en": "No evaluation is running.", "ko": "실행 중인 평가가 없습니다."},
    "stopping": {"en": "Stopping **{run}**…", "ko": "**{run}** 중지 중…"},
    "state_queued": {"en": "queued", "ko": "대기 중"},
    "state_running": {"en": "running", "ko": "실행 중"},
    "state_failed": {"en": "failed", "ko": "실패"},
    "state_aborted": {"en": "aborted", "ko": "중단됨"},
    "state_interrupted": {"en": "interrupted", "ko": "끊김"},
    "phase_loading model": {"en": "loading model", "ko": "모델 불러오는 중"},
    "phase_scoring": {"en": "scoring", "ko": "채점 중"},
}
STRINGS.update(BENCHMARK_STRINGS)
STRINGS.update(option_strings(EvalConfig, "eval"))
STRINGS.update(option_strings(ContaminationConfig, "contam"))
for _name, _bench in CATALOGUE.items():
    STRINGS[f"bench_{_name}"] = {"en": f"{_bench.title} ({_name})",
                                 "ko": BENCHMARK_NAMES_KO.get(_name, f"{_bench.title} ({_name})")}
for _column in dict.fromkeys([*browse.RESULT_COLUMNS, *browse.QUESTION_COLUMNS, *CONTAMINATION_COLUMNS]):
    STRINGS[f"col_{_column}"] = {"en": _column, "ko": HEADERS_KO.get(_column, _column)}
