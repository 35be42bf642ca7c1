"""The built-in demo input: a WARC the project writes itself, in English and Chinese.

Articles (with navigation, cookie banners and footers around them), near-duplicates, templated
and spam-like pages, a boilerplate-only page, a German page, a blocklisted domain, an empty
body, and non-HTML payloads: enough to exercise every stage of the funnel with no external data.
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

DEMO_DIR = Path(__file__).parent / "data" / "demo"
DATE = "2024-05-01T12:00:00Z"

NAV_EN = ["Home", "News", "Sport", "Weather", "Contact us", "Subscribe"]
NAV_ZH = ["首页", "新闻", "体育", "天气", "联系我们", "订阅"]
COOKIE_EN = "We use cookies to improve your experience. By using this site you accept our cookie policy."
COOKIE_ZH = "本网站使用cookie以改善您的浏览体验。继续浏览即表示您同意我们的隐私政策。"
SPAM_EN = (
    "cheap watches best price buy now free shipping replica bags discount casino bonus "
    "win big online slots jackpot click here limited offer "
)
SPAM_ZH = ["澳门新葡京娱乐城", "真人百家乐在线", "首存送百分百彩金", "北京赛车计划", "时时彩稳赚技巧", "点击进入官网"]
GERMAN = (
    "Der Gemeinschaftsgarten am Stadtrand hat in diesem Jahr eine neue Regenwassertonne bekommen. "
    "Die Mitglieder treffen sich jeden Samstag, um Beete anzulegen, Kompost umzusetzen und die Ernte "
    "zu teilen. Neue Gärtnerinnen und Gärtner sind jederzeit willkommen, Werkzeug wird gestellt."
)


def read_articles(path: Path) -> list[tuple[str, list[str]]]:
    """'# title' lines start an article; following lines are its paragraphs."""
    articles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            articles.append((line[2:].strip(), []))
        elif line.strip():
            articles[-1][1].append(line.strip())
    return articles


def demo_texts() -> list[tuple[str, str]]:
    """(lang, text) of the demo articles: also tiny reference text for demo-quality models."""
    out = []
    for lang in ("en", "zh"):
        for title, paras in read_articles(DEMO_DIR / f"{lang}_articles.txt"):
            out.append((lang, "\n".join([title] + paras)))
    return out


def page(
    title: str, paras: list[str], lang: str, charset: str | None, nav: list[str], extra_top: str = "", footer: str = ""
) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    links = "".join(f'<li><a href="/{i}">{n}</a></li>' for i, n in enumerate(nav))
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head>{meta}<title>{title}</title></head><body>'
        f'<header><ul class="nav">{links}</ul></header><div class="cookie">{extra_top}</div>'
        f"<main><article><h1>{title}</h1>{body}</article></main>"
        f"<footer><p>{footer}</p><ul>{links}</ul></footer></body></html>"
    )


def demo_pages() -> list[tuple[str, str, bytes]]:
    """(url, content type header, body bytes) for every demo response record."""
    en, zh = read_articles(DEMO_DIR / "en_articles.txt"), read_articles(DEMO_DIR / "zh_articles.txt")
    pages = []
    for i, (title, paras) in enumerate(en):
        html = page(title, paras, "en", "utf-8", NAV_EN, COOKIE_EN, "© 2024 The Riverside Gazette")
        pages.append((f"https://gazette.example.org/story/{i}", "text/html; charset=utf-8", html.encode("utf-8")))
    for i, (title, paras) in enumerate(zh):
        # legacy Chinese sites: GBK bytes, charset only in the page's meta tag
        html = page(title, paras, "zh", "gb2312", NAV_ZH, COOKIE_ZH, "版权所有 2024 城南日报")
        pages.append((f"http://news.example.cn/a/{i}.html", "text/html", html.encode("gbk")))
    # near-duplicates: a syndicated copy with one edited sentence and other boilerplate
    title, paras = en[0]
    edited = [paras[0].replace("twelve", "fourteen")] + paras[1:]
    html = page(title, edited, "en", "utf-8", ["Start", "Blog", "About"], "", "Reposted with permission")
    pages.append(("https://blog.example.net/2024/allotment", "text/html; charset=utf-8", html.encode("utf-8")))
    title, paras = zh[0]
    html = page(title, paras[:3], "zh", "utf-8", ["主页", "转载"], "", "本文转载自城南日报")
    pages.append(("https://mirror.example.cn/repost/1", "text/html; charset=utf-8", html.encode("utf-8")))
    # templated product pages and spam-like keyword lists
    for i, item in enumerate(["garden hose", "watering can", "straw mulch"]):
        html = page(
            f"Buy {item}", [f"Buy {item} now.", "Best price. Free shipping.", "Add to cart."], "en", "utf-8", NAV_EN
        )
        pages.append((f"https://shop.example.com/p/{i}", "text/html; charset=utf-8", html.encode("utf-8")))
    html = page("Best deals", [SPAM_EN * 6] + [f"{w} {w} {w}" for w in SPAM_EN.split()[:12]], "en", "utf-8", NAV_EN)
    pages.append(("https://deals.example.com/", "text/html; charset=utf-8", html.encode("utf-8")))
    html = page("娱乐城", [" ".join(SPAM_ZH)] * 8 + SPAM_ZH, "zh", "utf-8", NAV_ZH)
    pages.append(("http://www.example-casino.cn/", "text/html; charset=utf-8", html.encode("utf-8")))
    # boilerplate only, another language, a blocklisted domain
    html = page("Menu", ["Share this", "Home > News > Sport"], "en", "utf-8", NAV_EN * 4, COOKIE_EN)
    pages.append(("https://gazette.example.org/menu", "text/html; charset=utf-8", html.encode("utf-8")))
    html = page("Gemeinschaftsgarten", [GERMAN, GERMAN.replace("Samstag", "Sonntag")], "de", "utf-8", ["Start"])
    pages.append(("https://garten.example.de/", "text/html; charset=utf-8", html.encode("utf-8")))
    title, paras = en[1]
    html = page(title, paras, "en", "utf-8", NAV_EN)
    pages.append(("https://www.example-gambling.test/library", "text/html; charset=utf-8", html.encode("utf-8")))
    # non-HTML payloads and an empty body
    pages.append(("https://gazette.example.org/logo.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256))))
    pages.append(("https://gazette.example.org/report.pdf", "application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"))
    pages.append(("https://gazette.example.org/empty", "text/html", b""))
    return pages


def write_demo_warc(path: str) -> str:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i, (url, ctype, body) in enumerate(demo_pages()):
            # fixed ids and dates: the demo input, and so its build, is byte-for-byte reproducible
            rid = f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>"
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body)))], protocol="HTTP/1.1"
            )
            rec = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=http,
                warc_headers_dict={"WARC-Record-ID": rid, "WARC-Date": DATE},
            )
            writer.write_record(rec)
            if i == 0:  # one request record: not a document, counted as a skipped record type
                get = StatusAndHeaders(f"GET {url} HTTP/1.1", [("User-Agent", "corpus-demo")], is_http_request=True)
                req = writer.create_warc_record(
                    url,
                    "request",
                    payload=io.BytesIO(b""),
                    http_headers=get,
                    warc_headers_dict={
                        "WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_DNS, url)}>",
                        "WARC-Date": DATE,
                    },
                )
                writer.write_record(req)
    return path
