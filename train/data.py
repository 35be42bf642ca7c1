"""Batches from packed token shards.

Training windows are drawn at random, but from a generator seeded by (seed, step, micro-step, rank):
the batch of any step can be recomputed without loader state, which is what makes resume exact.
"""

from __future__ import annotations

import numpy as np
import torch

from tokens.shards import open_split


class TokenWindows:
    def __init__(self, shard_dir: str, split: str, seq_len: int):
        self.seq_len = seq_len
        self.shards = [s for s in open_split(shard_dir, split) if len(s) > seq_len + 1]
        if not self.shards:
            raise ValueError(f"{shard_dir}: no {split} shard holds more than seq_len+1 = {seq_len + 1} tokens")
        sizes = np.array([len(s) - seq_len - 1 for s in self.shards], dtype=np.float64)
        self.weights = sizes / sizes.sum()  # windows uniform over all tokens

    def _stack(self, picks: list[tuple[int, int]]) -> tuple[torch.Tensor, torch.Tensor]:
        rows = np.stack([self.shards[s][o : o + self.seq_len + 1].astype(np.int64) for s, o in picks])
        t = torch.from_numpy(rows)  # (B, T+1)
        return t[:, :-1], t[:, 1:]  # inputs, next-token targets: (B, T) each

    def random_batch(self, batch_size: int, seed: int, step: int, micro: int = 0, rank: int = 0):
        rng = np.random.default_rng([seed, step, micro, rank])
        shard_ids = rng.choice(len(self.shards), size=batch_size, p=self.weights)
        picks = [(int(s), int(rng.integers(0, len(self.shards[s]) - self.seq_len - 1))) for s in shard_ids]
        return self._stack(picks)

    def sequential_batches(self, batch_size: int, max_batches: int, rank: int = 0, world_size: int = 1):
        """Non-overlapping windows (validation), the same ones every time, spread evenly over the whole
        split: the split is ordered by input file, so its first windows would be one source only."""
        picks = [
            (s, o) for s, shard in enumerate(self.shards) for o in range(0, len(shard) - self.seq_len - 1, self.seq_len)
        ]
        wanted = batch_size * max_batches * world_size
        if len(picks) > wanted:
            picks = [picks[i] for i in np.linspace(0, len(picks) - 1, wanted).round().astype(int)]
        picks = picks[rank::world_size]
        for i in range(0, min(len(picks), batch_size * max_batches), batch_size):
            yield self._stack(picks[i : i + batch_size])
