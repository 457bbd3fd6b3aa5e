"""Evaluation: chemistry exams (MMLU, KMMLU, the sample, uploaded files) scored into F1 tables.

benchmarks  the catalogue of exams and their loaders      scoring   log-likelihood, generative, endpoint
prompts     English/Korean templates, k-shot examples       extract   answers from free text
metrics     accuracy, macro-F1 per sub-category             report    comparison tables, exports, heatmap
contamination  n-gram overlap with training data            job       the `eval` job worker
"""
