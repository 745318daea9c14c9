"""The book's interactive figures work on the static site: no kernel, no network."""

import re

PAGE = "book/optimizers/sgd.html"
EXPLORER = ".optnotes-explorer"

SET_SLIDER = """(slider, value) => {
    slider.value = value;
    slider.dispatchEvent(new Event("input", { bubbles: true }));
}"""


def _open(browser, base_url, problems):
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    tab.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    tab.goto(f"{base_url}/{PAGE}", wait_until="networkidle")
    return tab


def _state(figure):
    """What the figure shows now: the path, the loss curve, the two labels, the readout."""
    return {
        "path": figure.locator('[data-role="path"]').get_attribute("points"),
        "loss": figure.locator('[data-role="loss-line"]').get_attribute("points"),
        "lr": figure.locator('[data-role="lr-value"]').inner_text(),
        "mu": figure.locator('[data-role="mu-value"]').inner_text(),
        "readout": figure.locator('[data-role="readout"]').inner_text(),
    }


def _points(attribute: str) -> list[tuple[float, float]]:
    pairs = [pair.split(",") for pair in attribute.split()]
    return [(float(x), float(y)) for x, y in pairs]


def test_momentum_explorer_follows_its_sliders(site, base_url, browser, screenshots):
    assert (site / PAGE).is_file()
    problems = []
    tab = _open(browser, base_url, problems)
    figures = tab.locator(EXPLORER)
    assert figures.count() >= 1, "no momentum explorer on the page"
    figure = figures.first
    figure.scroll_into_view_if_needed()
    lr, mu = figure.locator('[data-role="lr"]'), figure.locator('[data-role="mu"]')

    start = _state(figure)
    assert start["lr"], "the slider labels were not filled in: did the script run?"
    assert start["mu"]
    assert len(_points(start["path"])) > 10
    assert len(_points(start["loss"])) > 10
    assert re.search(r"loss after \d+ steps", start["readout"]) or "diverged" in start["readout"]

    lr.evaluate(SET_SLIDER, "0")  # the smallest learning rate
    smallest_lr = _state(figure)
    assert smallest_lr["lr"] != start["lr"]
    assert smallest_lr["mu"] == start["mu"]
    assert smallest_lr["path"] != start["path"]
    assert smallest_lr["loss"] != start["loss"]
    assert smallest_lr["readout"] != start["readout"]

    mu.evaluate(SET_SLIDER, "0")  # no momentum: gradient descent
    no_momentum = _state(figure)
    assert no_momentum["mu"] == "0"
    assert no_momentum["lr"] == smallest_lr["lr"]
    assert no_momentum["path"] != smallest_lr["path"]

    top = lr.get_attribute("max")
    lr.evaluate(SET_SLIDER, top)  # the largest learning rate, without momentum, diverges
    assert "diverge" in _state(figure)["readout"]

    lr.evaluate(SET_SLIDER, "0")  # back to the same setting: the same drawing
    assert _state(figure)["path"] == no_momentum["path"]

    box = figure.bounding_box()
    assert box is not None
    assert box["width"] <= 720, f"wider than the content column: {box['width']} px"
    sizes = figure.evaluate(
        "root => [...root.querySelectorAll('text, tspan, label, output, div')]"
        ".filter(e => e.getBoundingClientRect().height > 0)"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)"
        " * (e.ownerSVGElement ? e.ownerSVGElement.getScreenCTM().a : 1))"
    )
    assert min(sizes) >= 9, f"text smaller than 9 px: {min(sizes):.1f}"

    lr.evaluate(SET_SLIDER, "3")
    mu.evaluate(SET_SLIDER, "8")
    figure.screenshot(path=str(screenshots / "book__optimizers__sgd.html__momentum_explorer.png"))
    tab.close()
    assert not problems, "\n".join(problems)


def test_explorer_ids_are_unique_and_scripts_ran_once(base_url, browser):
    problems = []
    tab = _open(browser, base_url, problems)
    ids = tab.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)")
    explorer_ids = [i for i in ids if i.startswith("optnotes-explorer-")]
    assert explorer_ids, "no explorer ids on the page"
    assert len(explorer_ids) == len(set(explorer_ids)), "element ids repeat"
    ready = tab.eval_on_selector_all(EXPLORER, "figures => figures.map(f => f.dataset.ready)")
    assert ready, "no explorer on the page"
    assert all(flag == "1" for flag in ready), "a figure's script did not run"
    tab.close()
    assert not problems, "\n".join(problems)
