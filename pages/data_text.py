"""The Data tab's English and Korean text (kept apart from pages/data.py so the layout stays readable).

The generate and import options' labels, help and choices come from their declaration
(chemtune/datagen/config.py) under the ids `gen_<option>` and `imp_<option>`; table headers are ids too, so
a table is drawn with its headers in the page's language.
"""

from chemtune.datagen.config import GenerateConfig, ImportConfig
from pages.widgets import option_strings

# Table columns, in order: (string id, …) per table.
PREVIEW_COLUMNS = ("col_source", "col_instruction", "col_output", "col_valid", "col_reason")
ROW_COLUMNS = ("col_id", "col_task", "col_lang", "col_instruction", "col_input", "col_output", "col_source")
OVERVIEW_COLUMNS = ("col_name", "col_records", "col_by_task", "col_by_lang", "col_origin", "col_created")
FAILURE_COLUMNS = ("col_kind", "col_source", "col_reason", "col_raw", "col_input")
PRICE_COLUMNS = ("col_model", "col_price_in", "col_price_out")
MIX_COLUMNS = ("col_dataset", "col_langs", "col_tasks", "col_ratio")
SOURCE_KINDS = {"paste": "src_paste", "file": "src_file", "hf": "src_hf"}
EXPORT_FORMATS = {"alpaca": "fmt_alpaca", "sharegpt": "fmt_sharegpt", "messages": "fmt_messages",
                  "chemtune": "fmt_chemtune"}

STRINGS = {
    **option_strings(GenerateConfig, "gen"),
    **option_strings(ImportConfig, "imp"),
    "tab": {"en": "Data", "ko": "데이터"},
    "intro": {
        "en": "### Instruction data\nGenerate Korean and English chemistry instructions from your documents "
              "with any OpenAI-compatible LLM, import public sets, mix and export datasets.",
        "ko": "### 인스트럭션 데이터\nOpenAI 호환 LLM으로 화학 문서에서 한국어·영어 인스트럭션을 생성하고, "
              "공개 데이터셋을 가져오고, 데이터셋을 섞고 내보냅니다.",
    },
    "generate_tab": {"en": "Generate", "ko": "생성"},
    "import_tab": {"en": "Import", "ko": "가져오기"},
    "datasets_tab": {"en": "Datasets", "ko": "데이터셋"},
    # ---- generate: task
    "own_task": {"en": "Add your own task", "ko": "나만의 과제 추가"},
    "own_name": {"en": "Task name", "ko": "과제 이름"},
    "own_instruction": {"en": "Instruction text", "ko": "지시문"},
    "own_keys": {
        "en": "Expected JSON keys (comma-separated; empty = free text)",
        "ko": "기대하는 JSON 키 (쉼표로 구분, 비우면 자유 텍스트)",
    },
    "own_save": {"en": "Save task", "ko": "과제 저장"},
    "own_saved": {
        "en": "✅ Task **{name}** saved in the workspace.",
        "ko": "✅ 과제 **{name}**을(를) 저장했습니다.",
    },
    # ---- generate: source
    "src_paste": {"en": "Pasted text", "ko": "붙여넣은 텍스트"},
    "src_file": {"en": "File", "ko": "파일"},
    "src_hf": {"en": "Hugging Face dataset", "ko": "Hugging Face 데이터셋"},
    "source": {"en": "Documents from", "ko": "문서 출처"},
    "pasted": {
        "en": "Documents (separate several with a line holding only ---)",
        "ko": "문서 (여러 개는 --- 한 줄로 구분)",
    },
    "upload": {"en": "File (.txt .md .jsonl .csv .pdf)", "ko": "파일 (.txt .md .jsonl .csv .pdf)"},
    "hf_id": {"en": "Dataset id or local folder", "ko": "데이터셋 ID 또는 로컬 폴더"},
    # ---- generate: LLM
    "llm": {"en": "Teacher LLM", "ko": "교사 LLM"},
    "api_key": {
        "en": "API key (blank: $OPENAI_API_KEY; never saved)",
        "ko": "API 키 (비우면 $OPENAI_API_KEY, 저장되지 않음)",
    },
    # ---- generate: preview and run
    "preview_n": {"en": "Documents to preview", "ko": "미리 볼 문서 수"},
    "preview": {"en": "Preview", "ko": "미리 보기"},
    "previewed": {
        "en": "{n} previewed: {ok} valid, {bad} invalid.",
        "ko": "{n}개 미리 봄: 유효 {ok}, 무효 {bad}.",
    },
    "run": {"en": "Generate dataset", "ko": "데이터셋 생성"},
    "abort": {"en": "Stop", "ko": "중지"},
    "started": {"en": "⏳ Run `{run}` started.", "ko": "⏳ `{run}` 실행을 시작했습니다."},
    "running": {
        "en": "⏳ `{run}`: {status} — {done}/{total} documents · {ok} ok · {failed} failed · {cached} cached "
              "· {tokens} tokens · {cost}",
        "ko": "⏳ `{run}`: {status} — 문서 {done}/{total} · 성공 {ok} · 실패 {failed} · 캐시 {cached} · 토큰 "
              "{tokens} · {cost}",
    },
    "finished": {
        "en": "✅ Dataset **{name}** saved: {ok} records, {failed} failed, {dup} duplicates removed, "
              "{cached} answers from the cache; {tokens} tokens, {cost}.",
        "ko": "✅ 데이터셋 **{name}** 저장: 레코드 {ok}개, 실패 {failed}, 중복 제거 {dup}, 캐시 답변 "
              "{cached}; 토큰 {tokens}, {cost}.",
    },
    "failed_run": {"en": "❌ `{run}` {status}: {error}", "ko": "❌ `{run}` {status}: {error}"},
    "no_price": {
        "en": "cost unknown (no price for this model)",
        "ko": "비용 알 수 없음 (이 모델의 가격 없음)",
    },
    "retries": {"en": "Retries and Batch API", "ko": "재시도와 배치 API"},
    "more_options": {"en": "More options", "ko": "추가 옵션"},
    "state_queued": {"en": "queued", "ko": "대기 중"},
    "state_running": {"en": "running", "ko": "실행 중"},
    "state_failed": {"en": "failed", "ko": "실패"},
    "state_aborted": {"en": "stopped", "ko": "중지됨"},
    "state_interrupted": {"en": "interrupted", "ko": "중단됨"},
    "need_hf_id": {
        "en": "Enter a Hugging Face dataset id (or a local dataset folder).",
        "ko": "Hugging Face 데이터셋 ID(또는 로컬 데이터셋 폴더)를 입력하세요.",
    },
    "need_upload": {"en": "Upload a file with the documents first.", "ko": "먼저 문서 파일을 올리세요."},
    "bad_price": {
        "en": "Price table, model {model!r}: prices must be numbers.",
        "ko": "가격표, 모델 {model!r}: 가격은 숫자여야 합니다.",
    },
    # ---- import
    "import_file": {"en": "File (.jsonl .json .csv)", "ko": "파일 (.jsonl .json .csv)"},
    "import_hf": {"en": "…or a Hugging Face dataset id", "ko": "…또는 Hugging Face 데이터셋 ID"},
    "import_name": {"en": "Dataset name", "ko": "데이터셋 이름"},
    "import_go": {"en": "Import", "ko": "가져오기"},
    "import_help": {
        "en": "`hydra`: `HydraLM/chemistry_dataset_alpaca` · `camel`: `camel-ai/chemistry` (`message_1` → "
              "`message_2`) · `chemrxiv`: papers with abstract + keywords → keyword extraction · `auto`: "
              "Alpaca, ShareGPT or OpenAI messages files.",
        "ko": "`hydra`: `HydraLM/chemistry_dataset_alpaca` · `camel`: `camel-ai/chemistry` (`message_1` → "
              "`message_2`) · `chemrxiv`: 초록 + 키워드 논문 → 키워드 추출 · `auto`: Alpaca, ShareGPT, "
              "OpenAI 메시지 파일.",
    },
    "need_import_source": {
        "en": "Upload a file or enter a Hugging Face dataset id.",
        "ko": "파일을 올리거나 Hugging Face 데이터셋 ID를 입력하세요.",
    },
    "imported": {
        "en": "✅ Imported {n} records into **{name}** ({dup} duplicates removed).",
        "ko": "✅ **{name}**에 레코드 {n}개를 가져왔습니다 (중복 제거 {dup}).",
    },
    # ---- datasets
    "refresh": {"en": "Refresh", "ko": "새로 고침"},
    "all_datasets": {"en": "All datasets", "ko": "모든 데이터셋"},
    "dataset": {"en": "Dataset", "ko": "데이터셋"},
    "page": {"en": "Page", "ko": "페이지"},
    "rows": {"en": "Records", "ko": "레코드"},
    "counts_plot": {"en": "Records by task and language", "ko": "과제·언어별 레코드"},
    "lengths_plot": {"en": "Lengths by language", "ko": "언어별 길이"},
    "failures": {"en": "Failures and removed duplicates", "ko": "실패 및 제거된 중복"},
    "delete_confirm": {"en": "Yes, delete it", "ko": "삭제 확인"},
    "delete": {"en": "Delete dataset", "ko": "데이터셋 삭제"},
    "deleted": {"en": "🗑️ Deleted **{name}**.", "ko": "🗑️ **{name}**을(를) 삭제했습니다."},
    "confirm_first": {"en": "Tick the confirmation box first.", "ko": "먼저 확인란을 선택하세요."},
    "export": {"en": "Export", "ko": "내보내기"},
    "export_format": {"en": "Format", "ko": "형식"},
    "fmt_alpaca": {"en": "Alpaca", "ko": "Alpaca"},
    "fmt_sharegpt": {"en": "ShareGPT", "ko": "ShareGPT"},
    "fmt_messages": {"en": "OpenAI messages", "ko": "OpenAI 메시지"},
    "fmt_chemtune": {"en": "chemtune", "ko": "chemtune"},
    "disk_path": {"en": "Folder for save_to_disk (Hugging Face datasets)",
                  "ko": "Hugging Face 데이터셋 save_to_disk 폴더"},
    "need_folder": {"en": "Enter a folder to save into.", "ko": "저장할 폴더를 입력하세요."},
    "export_file": {"en": "Export JSONL", "ko": "JSONL 내보내기"},
    "download": {"en": "Exported file", "ko": "내보낸 파일"},
    "save_disk": {"en": "Save to disk", "ko": "디스크에 저장"},
    "hub_token": {
        "en": "Hub token (blank: $HF_TOKEN; never saved)",
        "ko": "허브 토큰 (비우면 $HF_TOKEN, 저장 안 됨)",
    },
    "hub_private": {"en": "Private", "ko": "비공개"},
    "hub_repo": {"en": "Hub repository (user/name)", "ko": "허브 저장소 (사용자/이름)"},
    "push": {"en": "Push to Hub", "ko": "허브에 올리기"},
    "done_to": {"en": "✅ {count} records → `{where}`", "ko": "✅ 레코드 {count}개 → `{where}`"},
    "mixture": {
        "en": "Mixture (like the paper's English / Korean / Total sets)",
        "ko": "혼합 (논문의 영어 / 한국어 / 전체 세트처럼)",
    },
    "mixture_parts": {
        "en": "Parts: dataset, languages (en, ko; blank = all), tasks (blank = all), ratio",
        "ko": "구성: 데이터셋, 언어(`ko`, `en`; 비우면 전체), 과제(비우면 전체), 비율",
    },
    "bad_ratio": {"en": "Mixture part {n}: the ratio must be a number.",
                  "ko": "혼합 구성 {n}: 비율은 숫자여야 합니다."},
    "mixture_name": {"en": "Mixture name", "ko": "혼합 데이터셋 이름"},
    "mixture_seed": {"en": "Seed", "ko": "시드"},
    "mixture_go": {"en": "Build mixture", "ko": "혼합 만들기"},
    "mixed": {"en": "✅ Mixture **{name}**: {count} records.", "ko": "✅ 혼합 **{name}**: 레코드 {count}개."},
    "summary": {
        "en": "**{name}** — {count} records · origin {origin} · {failed} failed · {dup} duplicates removed · "
              "tokens {tokens} · cost {cost}",
        "ko": "**{name}** — 레코드 {count}개 · 출처 {origin} · 실패 {failed} · 중복 제거 {dup} · 토큰 "
              "{tokens} · 비용 {cost}",
    },
    "origin_generate": {"en": "generated", "ko": "생성"},
    "origin_import": {"en": "imported", "ko": "가져옴"},
    "origin_mixture": {"en": "mixture", "ko": "혼합"},
    "origin_bundled": {"en": "bundled sample", "ko": "기본 예시"},
    "origin_saved": {"en": "saved", "ko": "저장됨"},
    # ---- table headers
    "col_source": {"en": "source", "ko": "원문"},
    "col_instruction": {"en": "instruction", "ko": "지시문"},
    "col_output": {"en": "output", "ko": "출력"},
    "col_valid": {"en": "valid?", "ko": "유효?"},
    "col_reason": {"en": "reason", "ko": "이유"},
    "col_id": {"en": "id", "ko": "ID"},
    "col_task": {"en": "task", "ko": "과제"},
    "col_lang": {"en": "lang", "ko": "언어"},
    "col_input": {"en": "input", "ko": "입력"},
    "col_name": {"en": "name", "ko": "이름"},
    "col_records": {"en": "records", "ko": "레코드 수"},
    "col_by_task": {"en": "by task", "ko": "과제별"},
    "col_by_lang": {"en": "by language", "ko": "언어별"},
    "col_origin": {"en": "origin", "ko": "출처"},
    "col_created": {"en": "created", "ko": "만든 시각"},
    "col_kind": {"en": "kind", "ko": "종류"},
    "col_raw": {"en": "raw answer", "ko": "원래 답변"},
    "col_model": {"en": "model", "ko": "모델"},
    "col_price_in": {"en": "input", "ko": "입력"},
    "col_price_out": {"en": "output", "ko": "출력"},
    "col_dataset": {"en": "dataset", "ko": "데이터셋"},
    "col_langs": {"en": "languages", "ko": "언어"},
    "col_tasks": {"en": "tasks", "ko": "과제"},
    "col_ratio": {"en": "ratio", "ko": "비율"},
    # ---- plots
    "fig_records": {"en": "records", "ko": "레코드 수"},
    "fig_language": {"en": "language", "ko": "언어"},
    "fig_chars": {"en": "{field} (characters)", "ko": "{field} (글자 수)"},
    "lang_en": {"en": "English", "ko": "영어"},
    "lang_ko": {"en": "Korean", "ko": "한국어"},
    # ---- refused options
    "gen_where": {"en": "generation options", "ko": "생성 옵션"},
    "imp_where": {"en": "import options", "ko": "가져오기 옵션"},
}
