"""`{% extends %}` is web/templatetags/inheritance.py: Django's tag, the root
template's blocks found once per compiled root."""

import pytest
from django.template import Context, Engine, TemplateSyntaxError, engines

from web.templatetags.inheritance import KeptBlocksExtendsNode, _root_blocks

TEMPLATES = {
    "root.html": (
        "<title>{% block title %}Root{% endblock %}</title>"
        "{% if show %}{% block nav %}<nav>{{ who }}</nav>{% endblock %}{% endif %}"
        "{% block content %}[{% block inner %}root inner{% endblock %}]{% endblock %}"
        "{% block scripts %}{% endblock %}"
    ),
    "middle.html": (
        '{% extends "root.html" %}'
        "{% block title %}Middle · {{ block.super }}{% endblock %}"
        "{% block inner %}middle inner, then {{ block.super }}{% endblock %}"
    ),
    "page.html": (
        '{% extends "middle.html" %}'
        "{% block title %}Page · {{ block.super }}{% endblock %}"
        "{% block nav %}{{ block.super }}<a>{{ who }}</a>{% endblock %}"
        "{% block scripts %}<script>{{ who }}</script>{% endblock %}"
    ),
    "plain.html": '{% extends "root.html" %}{% block content %}plain {{ who }}{% endblock %}',
    "chosen.html": "{% extends parent %}{% block title %}Chosen{% endblock %}",
}


def engine(*, ours: bool) -> Engine:
    loaders = [("django.template.loaders.locmem.Loader", TEMPLATES)]
    return Engine(
        loaders=[("django.template.loaders.cached.Loader", loaders)],
        builtins=["web.templatetags.inheritance"] if ours else [],
    )


def test_every_page_renders_as_with_djangos_extends():
    ours, django = engine(ours=True), engine(ours=False)
    contexts = [{"show": True, "who": "<Aoba & co>"}, {"show": False, "who": "Kato"}]
    for _ in range(2):  # the second time from the kept blocks
        for name in ("root.html", "middle.html", "page.html", "plain.html"):
            for values in contexts:
                expected = django.get_template(name).render(Context(values))
                assert ours.get_template(name).render(Context(values)) == expected
    # A parent given as a Template (a variable) rather than a name.
    for parent in ("root.html", "middle.html"):
        values = {"parent": ours.get_template(parent), "show": True, "who": "x"}
        got = ours.get_template("chosen.html").render(Context(values))
        values["parent"] = django.get_template(parent)
        assert got == django.get_template("chosen.html").render(Context(values))


def test_the_roots_blocks_are_found_once_and_a_middle_template_has_none():
    ours = engine(ours=True)
    page = ours.get_template("page.html")
    assert isinstance(page.nodelist[0], KeptBlocksExtendsNode)
    page.render(Context({"show": True}))
    root, middle = ours.get_template("root.html"), ours.get_template("middle.html")
    assert set(_root_blocks[root] or {}) == {"title", "nav", "content", "inner", "scripts"}
    assert _root_blocks[middle] is None


def test_every_template_of_the_site_uses_it_and_keeps_djangos_checks():
    template = engines["django"].from_string('{% extends "base.html" %}')
    assert isinstance(template.template.nodelist[0], KeptBlocksExtendsNode)
    with pytest.raises(TemplateSyntaxError, match="cannot appear more than once"):
        engines["django"].from_string('{% extends "base.html" %}{% extends "base.html" %}')
    with pytest.raises(TemplateSyntaxError, match="takes one argument"):
        engines["django"].from_string("{% extends %}")
