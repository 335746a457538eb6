"""Fig. 7 and Table 4 analogues (placeholder until implemented)."""


def add_experiment_commands(sub, data_args, codec_args, datasets, log) -> None:
    pass
