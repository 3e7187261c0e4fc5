"""Small Sphinx fixes for the book's toolchain (Jupyter Book 1.0.4, sphinx-thebe 0.3)."""

from __future__ import annotations


def drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """sphinx-thebe registers its inline config script twice (once per read of the
    environment), and the second ``const THEBE_JS_URL`` is a JavaScript error on every page."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = tuple(sorted(getattr(script, "attributes", {}).items()))
        # An inline script comes once with filename None and once with "": same script.
        key = (getattr(script, "filename", str(script)) or None, attributes)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", drop_duplicate_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
