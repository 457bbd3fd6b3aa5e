"""The Evaluate tab's English / Korean text (see pages/i18n.py); kept beside pages/evaluate.py."""

from __future__ import annotations

STRINGS = {
    "tab": {"en": "Evaluate", "ko": "평가"},
    "intro": {
        "en": "### Evaluation\nScore a model on **MMLU chemistry**, **KMMLU chemistry** (Korean licence "
        "exams), the bundled sample exam or your own CSV/JSONL exam, then compare base models, tuned "
        "adapters and endpoints side by side in **F1 tables**.",
        "ko": "### 평가\n**MMLU 화학**, **KMMLU 화학**(국내 자격시험), 내장 예제 시험 또는 "
        "직접 올린 CSV/JSONL 시험으로 모델을 채점하고, 기본 모델·학습한 어댑터·엔드포인트를 "
        "**F1 표**로 나란히 비교합니다.",
    },
    "model": {"en": "Model", "ko": "모델"},
    "model_help": {"en": "A preset, a hub id, a local folder or a .gguf file.",
                   "ko": "프리셋, 허브 ID, 로컬 폴더 또는 .gguf 파일."},
    "adapter": {"en": "Adapter", "ko": "어댑터"},
    "adapter_help": {
        "en": "A finished training run, or an adapter folder path.",
        "ko": "완료된 학습 실행 또는 어댑터 폴더 경로.",
    },
    "label": {"en": "Row name", "ko": "행 이름"},
    "label_help": {
        "en": "How this model is named in comparison tables (default: model + adapter).",
        "ko": "비교 표에 표시할 이름 (기본값: 모델 + 어댑터).",
    },
    "benchmark": {"en": "Benchmark", "ko": "벤치마크"},
    "benchmark_help": {
        "en": "Hub datasets need internet once, or a local folder below.",
        "ko": "허브 데이터셋은 인터넷이 필요하며, 아래에 로컬 폴더를 지정할 수도 있습니다.",
    },
    "file_choice": {"en": "Uploaded exam file", "ko": "업로드한 시험 파일"},
    "data_dir": {"en": "Local data folder (optional)", "ko": "로컬 데이터 폴더 (선택)"},
    "data_dir_help": {
        "en": "MMLU: test/<subject>_test.csv …; KMMLU: <Subject>-test.csv …",
        "ko": "MMLU: test/<subject>_test.csv …; KMMLU: <Subject>-test.csv …",
    },
    "group_by": {"en": "KMMLU sub-categories", "ko": "KMMLU 세부 분류"},
    "exam_file": {
        "en": "Exam file (CSV or JSONL: question, A–D or A–E, answer, optional category/difficulty)",
        "ko": "시험 파일 (CSV 또는 JSONL: question, A–D 또는 A–E, answer, 선택 category/difficulty)",
    },
    "method": {"en": "Scoring", "ko": "채점 방식"},
    "method_help": {
        "en": "loglik: option-letter likelihood (fast); generate: greedy JSON answer; "
        "endpoint: an OpenAI-compatible API.",
        "ko": "loglik: 보기 알파벳 우도(빠름); generate: 그리디 JSON 답변; endpoint: OpenAI 호환 API.",
    },
    "prompt_style": {"en": "Prompt style", "ko": "프롬프트 형식"},
    "prompt_style_help": {
        "en": "chat: chemtune's prompts through the model's chat template (for tuned models); "
        "lm-evaluation-harness: its plain MMLU/KMMLU text and ' A'…' D' continuations, to set a base "
        "model's score beside published ones (loglik only).",
        "ko": "chat: 모델의 채팅 템플릿으로 만든 chemtune 프롬프트 (학습한 모델용); "
        "lm-evaluation-harness: 그 도구의 MMLU/KMMLU 평문과 ' A'…' D' 이어쓰기로, 기본 모델 점수를 "
        "공개된 점수와 나란히 비교 (loglik 전용).",
    },
    "trust": {"en": "Trust remote code (EXAONE needs it)", "ko": "원격 코드 신뢰 (EXAONE에 필요)"},
    "trust_info": {
        "en": "Runs the Python code the model's repository ships; only for models you trust.",
        "ko": "모델 저장소가 제공하는 Python 코드를 실행합니다. 신뢰하는 모델에만 켜세요.",
    },
    "shots": {"en": "Examples (k-shot)", "ko": "예시 수 (k-shot)"},
    "shots_help": {
        "en": "Solved examples from the dev split (other test questions when the exam has none); "
        "0 = zero-shot.",
        "ko": "dev 분할의 풀이 예시 (dev 분할이 없으면 다른 시험 문항); 0 = 제로샷.",
    },
    "limit": {"en": "Questions per sub-category", "ko": "세부 분류별 문항 수"},
    "limit_help": {
        "en": "0 = all; a small number for a quick look.",
        "ko": "0 = 전체; 빠른 확인용으로 작게.",
    },
    "endpoint": {"en": "Endpoint (for the endpoint method)", "ko": "엔드포인트 (endpoint 방식용)"},
    "base_url": {"en": "Base URL", "ko": "기본 URL"},
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
    "compare_title": {"en": "### Compare evaluations", "ko": "### 평가 비교"},
    "compare_pick": {"en": "Finished evaluations (one row each)", "ko": "완료된 평가 (각각 한 행)"},
    "metric": {"en": "Metric", "ko": "지표"},
    "average": {"en": "Average column", "ko": "평균 열"},
    "average_help": {
        "en": "pooled: over all questions; mean: over sub-categories.",
        "ko": "pooled: 전체 문항 기준; mean: 세부 분류 평균.",
    },
    "table_note": {
        "en": "Scores in %; the best of each column in bold.",
        "ko": "점수는 %; 열마다 최고값은 굵게 표시.",
    },
    "pick_evals": {"en": "Pick finished evaluations to compare.", "ko": "비교할 완료된 평가를 고르세요."},
    "inspect_title": {"en": "### Inspect one evaluation", "ko": "### 평가 자세히 보기"},
    "inspect_pick": {"en": "Evaluation", "ko": "평가"},
    "subset": {"en": "Sub-category", "ko": "세부 분류"},
    "which": {"en": "Questions", "ko": "문항"},
    "questions": {
        "en": "Questions (click one for its prompt and output)",
        "ko": "문항 (클릭하면 프롬프트와 출력을 봅니다)",
    },
    "prompt": {"en": "Exact prompt scored", "ko": "채점에 쓴 프롬프트 원문"},
    "raw": {"en": "Raw model output", "ko": "모델 원본 출력"},
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
    "contamination_title": {"en": "### Contamination check", "ko": "### 오염(유출) 검사"},
    "datasets": {"en": "Training datasets", "ko": "학습 데이터셋"},
    "ngram": {"en": "n-gram length (characters)", "ko": "n-gram 길이 (문자)"},
    "threshold": {"en": "Flag at overlap ≥", "ko": "겹침 비율 기준 ≥"},
    "contamination_run": {"en": "Check the benchmark above", "ko": "위 벤치마크 검사"},
    "flagged": {"en": "Flagged questions", "ko": "표시된 문항"},
    "contamination_summary": {
        "en": "**{flagged}** of {n} questions ({rate:.1%}) share ≥ {threshold:.0%} of their "
        "{ngram}-character n-grams with the training data ({records} records scanned).",
        "ko": "{n}문항 중 **{flagged}**문항({rate:.1%})이 {ngram}자 n-gram의 {threshold:.0%} 이상을 "
        "학습 데이터와 공유합니다 (레코드 {records}개 검사).",
    },
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
        "ko": "이 시험에는 dev 분할이 없어 문항마다 다른 시험 문항 {k}개를 예시로 썼습니다 "
        "(자기 자신은 제외).",
    },
    "endpoint_failed": {
        "en": "⚠️ {failed} of {n} questions got no answer from the endpoint and count as unparsed; "
        "*Inspect* shows each one's error.",
        "ko": "⚠️ {n}문항 중 {failed}문항은 엔드포인트 응답을 받지 못해 미해석으로 처리되었습니다. "
        "*Inspect*에서 문항별 오류를 볼 수 있습니다.",
    },
    "nothing_running": {"en": "No evaluation is running.", "ko": "실행 중인 평가가 없습니다."},
    "stopping": {"en": "Stopping **{run}**…", "ko": "**{run}** 중지 중…"},
}
