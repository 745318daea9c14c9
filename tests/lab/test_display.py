from optnotes.lab.display import show_source
from optnotes.optim import adam_step_


def test_show_source_is_the_functions_own_source():
    code = show_source(adam_step_)
    assert code.data.startswith("def adam_step_(")
    assert "exp_avg.lerp_(grad, 1 - beta1)" in code.data
    assert "highlight" in code._repr_html_()


def test_show_source_lines_wrap_instead_of_scrolling():
    rendered = show_source(adam_step_)._repr_html_()
    lines = show_source(adam_step_).data.splitlines()
    assert rendered.count('<span class="source-line">') == len(lines)
    assert "white-space: pre-wrap" in rendered
    assert "optnotes-source" in rendered
