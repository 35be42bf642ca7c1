"""Layout tables become paragraphs before trafilatura; data tables stay tables."""

import lxml.html
import pytest

from corpus.core.extract import Extractor
from corpus.core.layout import Layout
from corpus.core.tables import is_layout, unwrap_layout_tables

PARAS = [
    "今年的调查覆盖了十一个采样点，比去年多了两个，结果喜忧参半。河流上游的水质有所改善。" * 3,
    "研究人员表示，下游的情况仍然令人担忧，工业排放是主要原因。明年将继续扩大调查范围。" * 3,
    "当地政府承诺在三年内完成治理工程，并定期向公众公布监测数据。专家对此表示欢迎。" * 3,
]
EN_PARAS = [
    "The survey covered eleven sites along the river this year, two more than last year. " * 3,
    "Researchers said the lower reaches remain a concern, with industrial discharge the main cause. " * 3,
]
NAV = "".join(f"<td><a href='/c{i}'>栏目{i}</a></td>" for i in range(8))
# an old portal page: navigation row, then the article in a cell beside a sidebar, in nested tables
LAYOUT_PAGE = f"""<html><head><title>新闻</title></head><body>
<table width="760"><tr>{NAV}</tr></table>
<table width="760"><tr><td width="600">
  <table><tr><td><b>河流调查结果公布</b></td></tr>
  <tr><td>{"".join(f"<p>{p}</p>" for p in PARAS)}</td></tr></table>
</td><td width="160"><a href="/x">相关新闻</a><br><a href="/y">热点排行</a></td></tr></table>
</body></html>"""
ROWS = [
    ("Site", "pH", "Nitrate (mg/l)"),
    ("Upper weir", "7.2", "1.4"),
    ("Mill bridge", "7.0", "2.9"),
    ("Lower ford", "6.8", "4.1"),
]
DATA_TABLE = (
    "<table><tr>"
    + "".join(f"<th>{h}</th>" for h in ROWS[0])
    + "</tr>"
    + "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in ROWS[1:])
    + "</table>"
)
DATA_PAGE = f"""<html><head><title>Report</title></head><body><article>
<p>{EN_PARAS[0]}</p>{DATA_TABLE}<p>{EN_PARAS[1]}</p></article></body></html>"""


def tables(html: str) -> list:
    return list(lxml.html.fromstring(html).iter("table"))


@pytest.fixture
def extractor(tmp_path):
    return Extractor(Layout(str(tmp_path)))


@pytest.mark.parametrize(
    "html, layout",
    [
        (DATA_TABLE, False),
        ("<table><tr><td>one cell</td></tr></table>", True),  # one row
        ("<table><tr><td>a</td><td></td></tr><tr><td>b</td><td> </td></tr></table>", True),  # one column of text
        (f"<table><tr><td>Note</td><td>{EN_PARAS[0]}</td></tr><tr><td>x</td><td>y</td></tr></table>", True),  # prose
        (f"<table><tr>{NAV}</tr><tr>{NAV}</tr></table>", True),  # a grid of links: a menu
        (
            "<table><tr><td><a href='/a'>Smith</a></td><td>12</td></tr>"
            "<tr><td><a href='/b'>Jones</a></td><td>9</td></tr></table>",
            False,
        ),  # linked names beside values
    ],
)
def test_is_layout(html, layout):
    assert is_layout(tables(html)[0]) is layout


def test_frame_is_layout_and_nested_data_table_is_judged_alone():
    html = f"<table><tr><td>{DATA_TABLE}</td><td>side</td></tr></table>"
    outer, inner = tables(html)
    assert is_layout(outer) and not is_layout(inner)
    tree = lxml.html.fromstring(f"<html><body>{html}</body></html>")
    assert unwrap_layout_tables(tree) == 1
    (kept,) = tree.iter("table")  # the data table keeps its rows and header cells
    assert len(kept.findall(".//tr")) == 4 and len(kept.findall(".//th")) == 3
    assert not [e for e in tree.iter("td", "tr") if next(e.iterancestors("table"), None) is None]


@pytest.mark.parametrize("include_tables", [True, False])
def test_layout_table_page_comes_out_as_paragraphs(extractor, include_tables):
    extractor.include_tables = include_tables
    text = extractor.extract(LAYOUT_PAGE, "http://news.example/a.html")
    lines = [line for line in text.splitlines() if line.strip()]
    assert not any(line.lstrip().startswith("|") for line in lines)
    for para in PARAS:  # each paragraph whole, on its own line
        assert para.strip() in [line.strip() for line in lines]


def test_data_table_stays_a_table(extractor):
    text = extractor.extract(DATA_PAGE, "http://news.example/b.html")
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert [r.strip("| ").split(" | ") for r in rows if not set(r) <= set("|-")] == [list(r) for r in ROWS]
    assert EN_PARAS[0].strip() in text and EN_PARAS[1].strip() in text


def test_spacer_blocks_and_trailing_spaces_leave_nothing(extractor):
    # old CMS output: paragraphs as <div>s indented with &nbsp;, separated by <div>&nbsp;</div>
    body = "<div>&nbsp;</div>".join(f"<div>&nbsp;&nbsp; {p}&nbsp; </div>" for p in PARAS)
    html = f"<html><body><div class='bt_content'><p>{body}</p></div></body></html>"
    lines = extractor.extract(html, None).split("\n")
    assert [line.lstrip() for line in lines] == [p.strip() for p in PARAS]  # ends with its "。"


def test_content_after_an_early_html_end_tag_is_extracted(tmp_path):
    from corpus.core.extract import Extractor
    from corpus.core.layout import Layout

    body = "".join(
        f"<p>第{i}段：会议听取了财政部部长代表国务院作的说明，并对议案进行了审议和表决。</p>" for i in range(6)
    )
    nav = "<table><tr><td><a href='/'>首页</a></td><td><a href='/login'>登录</a></td></tr></table>"
    for head in ("<div>首页 | 登录</div>", nav):  # pages with a table take the parse-and-unwrap path
        page = f"<html><head><title>决议</title></head><body>{head}</body></html><div>{body}</div>"
        text = Extractor(Layout(str(tmp_path))).extract(page, None)
        assert "第5段" in text and "审议" in text, head
