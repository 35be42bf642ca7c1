"""The bottom layer of the build: vocabulary, step contracts, readers, writers, executors and the
output layout. Nothing here imports the orchestration above it (corpus.build, corpus.config, the CLI)."""
