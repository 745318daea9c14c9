"""The built book as a reader at a 1280-pixel-wide window meets it: legible figures, code
that does not scroll sideways, exercises whose solutions wait to be revealed, a licence."""

import struct
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from test_site import NOTEBOOK_PAGES, PAGES

from optnotes.lab.plotting import MIN_FONT_PT

WINDOW = {"width": 1280, "height": 900}
MIN_TEXT_PX = 9


def png_dpi(path: Path) -> float:
    """The resolution a PNG records (matplotlib writes its dpi in the pHYs chunk)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    position = 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"pHYs":
            per_metre, _, unit = struct.unpack(">IIB", data[position + 8 : position + 17])
            assert unit == 1, "pHYs in metres"
            return per_metre * 0.0254
        position += 12 + length
    raise AssertionError(f"{path} records no resolution")


def open_page(browser, base_url, page):
    tab = browser.new_page(viewport=WINDOW)
    tab.goto(f"{base_url}/{page}", wait_until="networkidle")
    return tab


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_text_in_figures_is_at_least_9px_tall(page, site, base_url, browser):
    """Every figure's smallest text, scaled to the width the page shows it at, is >= 9 px.

    A figure's text is at least ``MIN_FONT_PT`` points (the package's style; the source
    tests forbid smaller fonts in notebooks), which is ``MIN_FONT_PT * dpi / 72`` pixels
    in the PNG; the browser shrinks a figure wider than the text column by the ratio of
    its displayed to its natural width.
    """
    tab = open_page(browser, base_url, page)
    images = tab.eval_on_selector_all(
        "div.cell_output img",
        "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth,"
        " i.getBoundingClientRect().width])",
    )
    tab.close()
    small = []
    for src, natural, shown in images:
        path = site / Path(page).parent / unquote(urlparse(src).path)
        if path.suffix.lower() != ".png":
            continue
        text_px = MIN_FONT_PT * png_dpi(path) / 72 * shown / natural
        if text_px < MIN_TEXT_PX:
            small.append(f"{src}: {natural} px shown at {shown:.0f} px, text {text_px:.1f} px")
    assert not small, "figures too wide for their text to be read:\n" + "\n".join(small)


@pytest.mark.parametrize("page", PAGES)
def test_no_code_scrolls_sideways(page, base_url, browser):
    """Code listings and printed outputs fit the text column at 1280 px."""
    tab = open_page(browser, base_url, page)
    wide = tab.evaluate(
        """() => [...document.querySelectorAll('article pre, article div.cell_output > *')]
            .filter(e => e.scrollWidth > e.clientWidth + 1
                         && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
            .map(e => e.textContent.trim().split('\\n')[0].slice(0, 80)
                      + ` (${e.scrollWidth} px in ${e.clientWidth} px)`)"""
    )
    tab.close()
    assert not wide, "scrolls sideways:\n" + "\n".join(wide)


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_solutions_are_hidden_until_revealed(page, base_url, browser, screenshots):
    """Every exercise has a solution, folded away; one click shows it."""
    tab = open_page(browser, base_url, page)
    exercises = tab.locator("div.exercise")
    solutions = tab.locator("div.solution")
    assert exercises.count() == solutions.count()
    for i in range(solutions.count()):
        solution = solutions.nth(i)
        body = solution.locator(":scope > :not(.admonition-title)").first
        assert not body.is_visible(), "a solution shows before the reader asks for it"
        solution.locator("button.toggle-button").first.click()
        body.wait_for(state="visible", timeout=5_000)
    if solutions.count():
        name = page.replace("/", "__").replace(".html", "") + "__solutions.png"
        solutions.first.screenshot(path=str(screenshots / name))
    tab.close()


def test_every_page_states_the_licences(site):
    for page in PAGES:
        html = (site / page).read_text()
        assert "creativecommons.org/licenses/by/4.0" in html, page
        assert "MIT" in html, page


def test_launch_buttons_find_an_environment(site):
    """Binder installs the package on a CPU torch, and none of the build or test tools."""
    root = Path(__file__).resolve().parents[2]
    binder = (root / "binder" / "requirements.txt").read_text()
    lines = [line.split("#")[0].strip() for line in binder.splitlines()]
    assert "-e .[lab]" in lines
    assert any(line.startswith("torch==") and "+cpu" in line for line in lines)
    for tool in ("jupyter-book", "pytest", "playwright", "ruff", "nbmake"):
        assert not any(line.startswith(tool) for line in lines), tool
