"""Studies: a grid of models × tuning conditions × benchmarks, declared once, planned into train and eval
jobs that are found again by their config, and reported as tables with paired intervals."""
