"""Algorithm 1's training phase (placeholder until implemented)."""


def add_search_command(sub, data_args, codec_args, datasets, log) -> None:
    pass
