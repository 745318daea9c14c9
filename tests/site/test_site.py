"""The built book, checked in a headless browser and by following its links."""

import os
import re
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup

TOC = Path(__file__).parents[2] / "_toc.yml"


def toc_pages() -> list[str]:
    """Every page listed in _toc.yml, as the path of its HTML file in the site."""
    toc = yaml.safe_load(TOC.read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return [f"{file}.html" for file in files]


PAGES = toc_pages()


def test_navigation_reaches_every_chapter(site):
    """The sidebar of the home page links to every page of the table of contents."""
    home = (site / "index.html").read_text()
    target = re.search(r'url=([^"]+)"', home)  # index.html redirects to the root page
    root = site / (target.group(1) if target else "index.html")
    soup = BeautifulSoup(root.read_text(), "html.parser")
    nav = soup.select_one("nav.bd-docs-nav") or soup
    linked = {
        (root.parent / unquote(urldefrag(a["href"])[0])).resolve().relative_to(site).as_posix()
        for a in nav.select("a[href]")
        if not urlparse(a["href"]).scheme and urldefrag(a["href"])[0]
    }
    linked.add(root.relative_to(site).as_posix())
    assert set(PAGES) <= linked, f"not in the navigation: {sorted(set(PAGES) - linked)}"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_cleanly(page, site, base_url, browser, screenshots):
    """No console error or failed request, every image drawn, every equation typeset."""
    html = (site / page).read_text()
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    tab.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    tab.goto(f"{base_url}/{page}", wait_until="networkidle")

    has_math = 'class="math' in html
    if has_math:
        tab.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000
        )
        tab.evaluate("() => MathJax.startup.promise")
    images = tab.eval_on_selector_all(
        "article img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
    )
    typeset = tab.locator("mjx-container").count()
    raw_tex = tab.evaluate(
        "() => [...document.querySelectorAll('.math')]"
        ".filter(e => !e.querySelector('mjx-container')).length"
    )
    # The first screen of every page; whole pages (seconds each) with OPTNOTES_FULL_SCREENSHOTS=1.
    full_page = os.environ.get("OPTNOTES_FULL_SCREENSHOTS") == "1"
    tab.screenshot(path=str(screenshots / (page.replace("/", "__") + ".png")), full_page=full_page)
    tab.close()

    assert not problems, "\n".join(problems)
    broken = [src for src, complete, width in images if not (complete and width > 0)]
    assert not broken, f"images that did not load: {broken}"
    if has_math:
        assert typeset > 0, "the page has math but MathJax typeset none of it"
        assert raw_tex == 0, f"{raw_tex} equations left as raw TeX"


def internal_links(site: Path):
    """(page, href, target file, anchor) for every link that stays inside the site."""
    for page in sorted(site.rglob("*.html")):
        if "_sources" in page.parts or "_static" in page.parts:
            continue
        soup = BeautifulSoup(page.read_text(), "html.parser")
        for a in soup.select("a[href]"):
            href = a["href"]
            parsed = urlparse(href)
            if parsed.scheme or href.startswith("//") or href.startswith("mailto:"):
                continue
            path, anchor = urldefrag(href)
            target = (page.parent / unquote(path)).resolve() if path else page
            yield page, href, target, anchor


def test_internal_links_and_anchors_resolve(site):
    ids: dict[Path, set[str]] = {}
    dead = []
    for page, href, target, anchor in internal_links(site):
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            dead.append(f"{page.relative_to(site)}: {href} (no such file)")
            continue
        if anchor and target.suffix == ".html":
            if target not in ids:
                soup = BeautifulSoup(target.read_text(), "html.parser")
                ids[target] = {tag["id"] for tag in soup.select("[id]")} | {
                    tag["name"] for tag in soup.select("a[name]")
                }
            if anchor not in ids[target]:
                dead.append(f"{page.relative_to(site)}: {href} (no anchor)")
    assert not dead, "dead internal links:\n" + "\n".join(sorted(set(dead)))


def test_search_finds_a_chapter(base_url, browser):
    tab = browser.new_page()
    tab.goto(f"{base_url}/search.html?q=momentum", wait_until="networkidle")
    tab.wait_for_selector("ul.search li", timeout=20_000)
    assert tab.locator("ul.search li").count() > 0
    tab.close()


NOTEBOOK_PAGES = [page for page in PAGES if (TOC.parent / page).with_suffix(".ipynb").is_file()]


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_notebook_pages_offer_launch_and_download(page, site):
    """Binder and Colab open this very notebook; the source can be downloaded."""
    config = yaml.safe_load((TOC.parent / "_config.yml").read_text())
    repo = urlparse(config["repository"]["url"]).path.strip("/")
    branch = config["repository"]["branch"]
    notebook = Path(page).with_suffix(".ipynb").as_posix()
    links = {a["href"] for a in BeautifulSoup((site / page).read_text(), "html.parser").select("a")}
    assert f"https://colab.research.google.com/github/{repo}/blob/{branch}/{notebook}" in links
    assert any(href.startswith(f"https://mybinder.org/v2/gh/{repo}/{branch}") for href in links)
    assert any(href.endswith(".ipynb") and "_sources" in href for href in links), "download"


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_notebook_pages_show_their_outputs(page, site):
    """A notebook page built without executing its notebook would show code and no results."""
    soup = BeautifulSoup((site / page).read_text(), "html.parser")
    if soup.select("div.cell"):
        assert soup.select("div.cell_output"), "code cells but no outputs: was it executed?"
