"""Token data, below the trainer: documents from a build's Parquet, JSONL or text (`sources`), the
SentencePiece tokenizer (`tokenizer`) and the packed token shards `train` reads (`shards`)."""
