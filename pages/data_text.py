"""The Data tab's English and Korean text (kept apart from pages/data.py so the layout stays readable)."""

STRINGS = {
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
    "task": {"en": "Task", "ko": "과제"},
    "task_help": {
        "en": "The answer format the teacher LLM must produce.",
        "ko": "교사 LLM이 만들 답변 형식.",
    },
    "lang": {"en": "Instruction language", "ko": "지시문 언어"},
    "property": {"en": "Property to extract", "ko": "추출할 물성"},
    "instruction": {"en": "Instruction (edit before running)", "ko": "지시문 (실행 전에 수정 가능)"},
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
    "source": {"en": "Documents from", "ko": "문서 출처"},
    "src_paste": {"en": "Pasted text", "ko": "붙여넣은 텍스트"},
    "src_file": {"en": "File", "ko": "파일"},
    "src_hf": {"en": "Hugging Face dataset", "ko": "Hugging Face 데이터셋"},
    "pasted": {
        "en": "Documents (separate several with a line holding only ---)",
        "ko": "문서 (여러 개는 --- 한 줄로 구분)",
    },
    "upload": {"en": "File (.txt .md .jsonl .csv .pdf)", "ko": "파일 (.txt .md .jsonl .csv .pdf)"},
    "column": {"en": "Text column (.jsonl / .csv / dataset)", "ko": "텍스트 열 (.jsonl / .csv / 데이터셋)"},
    "hf_id": {"en": "Dataset id or local folder", "ko": "데이터셋 ID 또는 로컬 폴더"},
    "hf_split": {"en": "Split", "ko": "분할"},
    # ---- generate: LLM
    "llm": {"en": "Teacher LLM", "ko": "교사 LLM"},
    "base_url": {"en": "Base URL (OpenAI, vLLM, Ollama …)", "ko": "Base URL (OpenAI, vLLM, Ollama …)"},
    "model": {"en": "Model", "ko": "모델"},
    "api_key": {
        "en": "API key (blank: $OPENAI_API_KEY; never saved)",
        "ko": "API 키 (비우면 $OPENAI_API_KEY, 저장되지 않음)",
    },
    "temperature": {"en": "Temperature", "ko": "온도"},
    "concurrency": {"en": "Requests at once", "ko": "동시 요청 수"},
    "max_tokens": {"en": "Longest answer (tokens)", "ko": "최대 답변 길이 (토큰)"},
    "dedup": {"en": "Remove duplicates", "ko": "중복 제거"},
    "threshold": {"en": "Duplicate similarity threshold", "ko": "중복 유사도 기준"},
    "batch_api": {"en": "Use the OpenAI Batch API", "ko": "OpenAI Batch API 사용"},
    "batch_api_help": {
        "en": "Half price, answers within 24 h; the preview always asks live.",
        "ko": "가격은 절반, 답변은 24시간 이내; 미리 보기는 항상 바로 요청합니다.",
    },
    "prices": {
        "en": "Prices (USD per 1M tokens; edit for your contract)",
        "ko": "가격 (100만 토큰당 USD, 계약에 맞게 수정)",
    },
    # ---- generate: preview and run
    "preview_n": {"en": "Documents to preview", "ko": "미리 볼 문서 수"},
    "preview": {"en": "Preview", "ko": "미리 보기"},
    "previewed": {
        "en": "{n} previewed: {ok} valid, {bad} invalid.",
        "ko": "{n}개 미리 봄: 유효 {ok}, 무효 {bad}.",
    },
    "name": {"en": "New dataset name", "ko": "새 데이터셋 이름"},
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
    # ---- import
    "import_file": {"en": "File (.jsonl .json .csv)", "ko": "파일 (.jsonl .json .csv)"},
    "import_hf": {"en": "…or a Hugging Face dataset id", "ko": "…또는 Hugging Face 데이터셋 ID"},
    "import_format": {"en": "Format", "ko": "형식"},
    "import_name": {"en": "Dataset name", "ko": "데이터셋 이름"},
    "import_dedup": {"en": "Remove duplicates", "ko": "중복 제거"},
    "import_go": {"en": "Import", "ko": "가져오기"},
    "imported": {
        "en": "✅ Imported {n} records into **{name}** ({dup} duplicates removed).",
        "ko": "✅ **{name}**에 레코드 {n}개를 가져왔습니다 (중복 제거 {dup}).",
    },
    "import_help": {
        "en": "`hydra`: HydraLM/chemistry_dataset_alpaca · `camel`: camel-ai/chemistry (message_1 → "
              "message_2) · `chemrxiv`: papers with abstract + keywords → keyword extraction · `auto`: "
              "Alpaca, ShareGPT or messages files.",
        "ko": "`hydra`: HydraLM/chemistry_dataset_alpaca · `camel`: camel-ai/chemistry (message_1 → "
              "message_2) · `chemrxiv`: 초록 + 키워드 논문 → 키워드 추출 · `auto`: Alpaca, ShareGPT, "
              "messages 파일.",
    },
    # ---- datasets
    "refresh": {"en": "Refresh", "ko": "새로 고침"},
    "all_datasets": {"en": "All datasets", "ko": "모든 데이터셋"},
    "dataset": {"en": "Dataset", "ko": "데이터셋"},
    "page": {"en": "Page", "ko": "페이지"},
    "rows": {"en": "Records", "ko": "레코드"},
    "failures": {"en": "Failures and removed duplicates", "ko": "실패 및 제거된 중복"},
    "delete_confirm": {"en": "Yes, delete it", "ko": "삭제 확인"},
    "delete": {"en": "Delete dataset", "ko": "데이터셋 삭제"},
    "deleted": {"en": "🗑️ Deleted **{name}**.", "ko": "🗑️ **{name}**을(를) 삭제했습니다."},
    "confirm_first": {"en": "Tick the confirmation box first.", "ko": "먼저 확인란을 선택하세요."},
    "export": {"en": "Export", "ko": "내보내기"},
    "export_format": {"en": "Format", "ko": "형식"},
    "export_file": {"en": "Export JSONL", "ko": "JSONL 내보내기"},
    "disk_path": {"en": "Folder for datasets.save_to_disk", "ko": "datasets.save_to_disk 폴더"},
    "save_disk": {"en": "Save to disk", "ko": "디스크에 저장"},
    "hub_repo": {"en": "Hub repository (user/name)", "ko": "허브 저장소 (user/name)"},
    "hub_token": {
        "en": "Hub token (blank: $HF_TOKEN; never saved)",
        "ko": "허브 토큰 (비우면 $HF_TOKEN, 저장 안 됨)",
    },
    "hub_private": {"en": "Private", "ko": "비공개"},
    "push": {"en": "Push to Hub", "ko": "허브에 올리기"},
    "done_to": {"en": "✅ {count} records → `{where}`", "ko": "✅ 레코드 {count}개 → `{where}`"},
    "mixture": {
        "en": "Mixture (like the paper's English / Korean / Total sets)",
        "ko": "혼합 (논문의 영어 / 한국어 / 전체 세트처럼)",
    },
    "mixture_parts": {
        "en": "Parts: dataset, languages (en, ko; blank = all), tasks (blank = all), ratio",
        "ko": "구성: 데이터셋, 언어 (en, ko; 비우면 전체), 과제 (비우면 전체), 비율",
    },
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
}
