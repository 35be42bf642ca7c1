"""URL / domain blocklist filter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from datatrove.data import Document

from corpus.core import vocab
from corpus.core.configlib import FilePath
from corpus.core.files import read_list
from corpus.core.steps import CorpusFilter, Stage, StageConfig, StageContext


@dataclass(frozen=True)
class UrlFilterConfig:
    domain_lists: tuple[FilePath, ...] = ()  # files, one domain per line; '#' comments
    url_lists: tuple[FilePath, ...] = ()  # files, one full URL per line
    use_default: bool = True  # also apply the small list shipped in corpus/data/


DEFAULT_DOMAIN_LIST = Path(__file__).resolve().parent.parent / "corpus" / "data" / "blocklist_domains.txt"


def host_of(url: str) -> str | None:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def parent_domains(host: str) -> list[str]:
    parts = host.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


class UrlBlocklistFilter(CorpusFilter):
    name = "UrlBlocklistFilter"
    """Documents without a URL (plain JSONL text, say) pass; a URL without a host is dropped."""

    stage = vocab.URL_FILTER

    def __init__(
        self,
        ctx: StageContext | None = None,
        domain_lists: tuple[str, ...] = (),
        url_lists: tuple[str, ...] = (),
        use_default: bool = True,
    ):
        super().__init__(ctx)
        lists = ((DEFAULT_DOMAIN_LIST,) if use_default else ()) + tuple(domain_lists)
        self.domains = set().union(*(map(read_list, lists))) if lists else set()
        self.urls = set().union(*(map(read_list, url_lists))) if url_lists else set()

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        url = doc.metadata.get(vocab.URL)
        if not url:
            return True
        if url.strip().lower() in self.urls:
            return False, vocab.R_BLOCKED_URL
        host = host_of(url)
        if host is None:
            return False, vocab.R_BAD_URL
        if any(d in self.domains for d in parent_domains(host)):
            return False, vocab.R_BLOCKED_DOMAIN
        return True


def url_filter(cfg: StageConfig[UrlFilterConfig], ctx: StageContext) -> list:
    u = cfg.section
    return [UrlBlocklistFilter(ctx, u.domain_lists, u.url_lists, u.use_default)]


STAGES = (Stage(vocab.URL_FILTER, url_filter, section=("url_filter", UrlFilterConfig)),)
