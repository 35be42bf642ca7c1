"""The search section both search test files use: a proxy small enough for seconds per run."""


def tiny_search(runs: int, final_seeds: int, max_steps: int, **extra) -> dict:
    return {
        "runs": runs,
        "final_seeds": final_seeds,
        "folds": 2,
        "candidates": 2000,
        "top_k": 20,
        "proxy": {
            "model": {"preset": "tiny", "d_model": 32, "n_layers": 1, "n_heads": 2, "n_kv_heads": 1, "max_seq_len": 32},
            "seq_len": 32,
            "batch_size": 4,
            "max_steps": max_steps,
            "optim": {"warmup_steps": 1},
        },
        **extra,
    }
