"""Topic and format labels, document embedders and semantic clusters (stage-independent logic)."""
