"""Learned scorers: annotate perplexity, quality, coherence and safety signals; never drop.

Each scorer holds only paths until a worker scores its first batch, then loads the model of
each language it meets (steps are pickled to the executors). A language without a model gets
no signal, which no threshold rule fires on.
"""

from __future__ import annotations

from collections import defaultdict

from datatrove.data import Document

from corpus.core import vocab
from corpus.core.steps import Scorer
from filters.models.registry import has_model, model_dir
from filters.safety_lists import SafetyLists

BUCKETS = ("head", "middle", "tail")


class ModelScorer(Scorer):
    kind = ""

    def __init__(self, models_root: str, batch_size: int = 64):
        super().__init__()
        self.models_root, self.batch_size = str(models_root), batch_size
        self._models: dict = {}

    def model(self, lang: str | None):
        if lang not in self._models:
            self._models[lang] = (
                self.load(str(model_dir(self.models_root, self.kind, lang)))
                if lang and has_model(self.models_root, self.kind, lang)
                else None
            )
        return self._models[lang]

    def load(self, path: str): ...

    def score_texts(self, model, docs: list[Document]) -> list[dict]: ...

    def score(self, doc: Document) -> dict:
        return self.score_batch([doc])[0]

    def score_batch(self, docs: list[Document]) -> list[dict]:
        by_lang = defaultdict(list)
        for i, d in enumerate(docs):
            by_lang[d.metadata.get(vocab.LANG)].append(i)
        out: list[dict] = [{} for _ in docs]
        for lang, idx in by_lang.items():
            m = self.model(lang)
            if m is not None:
                for i, signals in zip(idx, self.score_texts(m, [docs[i] for i in idx])):
                    out[i] = signals
        return out


class PerplexityScorer(ModelScorer):
    name = "KenLM perplexity"
    kind = "kenlm"

    def load(self, path: str):
        from filters.models.common import read_manifest
        from filters.models.lm import Perplexity

        cut = read_manifest(path)["bucket_cutoffs"]
        return Perplexity(path), (cut["head"], cut["middle"])

    def score_texts(self, model, docs: list[Document]) -> list[dict]:
        ppl, (head, middle) = model
        out = []
        for p in ppl([d.text for d in docs]):
            # no middle cutoff (the model's tail is off: no independent good set bounded it): no tail bucket
            bucket = None if p is None else BUCKETS[0 if p <= head else 1 if middle is None or p <= middle else 2]
            out.append({vocab.PPL_KENLM: p, vocab.PPL_BUCKET: bucket})
        return out


class QualityScorer(ModelScorer):
    name = "fastText quality"
    kind = "quality"

    def load(self, path: str):
        from filters.models.textclf import Classifier

        return Classifier.from_dir(path)

    def score_texts(self, model, docs: list[Document]) -> list[dict]:
        return [{vocab.QUALITY_SCORE: s} for s in model([d.text for d in docs])]


class CoherenceScorer(ModelScorer):
    name = "coherence"
    kind = "coherence"

    def load(self, path: str):
        from filters.models.coherence import CoherenceModel

        return CoherenceModel(path)

    def score_texts(self, model, docs: list[Document]) -> list[dict]:
        out = []
        for d in docs:
            score, boundary, sim = model(d.text)
            out.append(
                {
                    vocab.COHERENCE_SCORE: score,
                    vocab.COHERENCE_WEAKEST_BOUNDARY: boundary,
                    vocab.COHERENCE_BOUNDARY_SIM: sim,
                }
            )
        return out


class SafetyScorer(ModelScorer):
    """Classifier probability (when the language has a model) plus the word and URL lists (always)."""

    name = "safety"
    kind = "safety"

    def __init__(self, models_root: str, batch_size: int = 64, lists_file: str = ""):
        super().__init__(models_root, batch_size)
        self.lists_file = lists_file
        self._lists = None

    @property
    def lists(self) -> SafetyLists:
        if self._lists is None:
            self._lists = SafetyLists.load(self.lists_file)
        return self._lists

    def load(self, path: str):
        from filters.models.textclf import MODEL_FILE, Classifier

        return Classifier(f"{path}/{MODEL_FILE}")

    def score_texts(self, model, docs: list[Document]) -> list[dict]:
        return [{vocab.SAFETY_SCORE: s} for s in model([d.text for d in docs])]

    def score_batch(self, docs: list[Document]) -> list[dict]:
        out = super().score_batch(docs)
        for d, signals in zip(docs, out):
            # a page's link lists are what it shows too: extraction took them out of the text (extract.link_lists)
            links = d.metadata.get(vocab.LINK_LISTS)
            signals[vocab.SAFETY_TERM_HITS] = self.lists.term_hits(f"{d.text}\n{links}" if links else d.text)
            signals[vocab.SAFETY_URL_HIT] = int(self.lists.url_hit(d.metadata.get(vocab.URL) or ""))
            signals[vocab.SAFETY_AGE_GATE] = int(self.lists.age_gate(d.text))
        return out
