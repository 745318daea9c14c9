"""Sphinx extension: drop repeated inline ``<script>`` blocks from every page.

sphinx-thebe and sphinx-togglebutton (both loaded by Jupyter Book) add their
inline configuration script on an event that runs more than once in a full
build, so each page declares ``const THEBE_JS_URL`` twice: a JavaScript error
on every page of the site. Keeping the first copy of each script fixes it.
"""


def _drop_repeats(app, pagename, templatename, context, doctree):
    seen = set()
    unique = []
    for script in context.get("script_files", []):
        # an inline script's filename is None in one copy and "" in the other
        key = (script.filename or "", tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_repeats, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
