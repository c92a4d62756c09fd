"""`{% load i18n %}` is web/templatetags/translations.py: Django's tags, a
literal's `{% translate %}` kept per language and escaping."""

from django.template import Context, Engine, Template, engines
from django.templatetags import i18n
from django.utils import translation

from web.templatetags.translations import LiteralTranslateNode


def test_a_literal_follows_the_language_each_time():
    template = Template('{% load i18n %}{% translate "Leads" %}|{% trans "Log out" %}')
    for _ in range(2):
        with translation.override("ja"):
            assert template.render(Context()) == "リード|ログアウト"
        with translation.override("en"):
            assert template.render(Context()) == "Leads|Log out"


DJANGO = Engine(libraries={"i18n": "django.templatetags.i18n"})  # Django's own tags


def test_every_literal_reads_as_djangos_tag_gives_it():
    source = (
        '{% load i18n %}{% translate "A & B" %}|{% translate "<b>Leads</b>" %}|'
        '{% autoescape off %}{% translate "A & B" %}{% endautoescape %}|'
        '{% translate "100%% sure" %}|{% translate "May" context "month name" %}|'
        '{% translate "Leads" noop %}|{% translate _("Leads") %}'
    )
    ours, django = Template(source), DJANGO.from_string(source)
    for language in ("ja", "en", "ja"):
        with translation.override(language):
            for autoescape in (True, False):
                expected = django.render(Context(autoescape=autoescape))
                assert ours.render(Context(autoescape=autoescape)) == expected
                assert ours.render(Context(autoescape=autoescape)) == expected


def test_variables_filters_and_as_are_rendered_by_djangos_node_every_time():
    template = Template(
        "{% load i18n %}{% translate label %}|{% translate 'Leads'|upper %}|"
        "{% translate 'Leads' as leads %}[{{ leads }}]"
    )
    nodes = template.nodelist.get_nodes_by_type(i18n.TranslateNode)
    assert not any(isinstance(node, LiteralTranslateNode) for node in nodes)
    with translation.override("ja"):
        assert template.render(Context({"label": "Leads"})) == "リード|リード|[リード]"
        assert template.render(Context({"label": "Log out"})) == "ログアウト|リード|[リード]"


def test_every_template_gets_the_kept_literals_and_djangos_other_tags():
    template = engines["django"].from_string(
        '{% load i18n %}{% translate "Leads" %}{% get_current_language as code %}{{ code }}'
        "{% blocktranslate count n=2 %}{{ n }} lead{% plural %}{{ n }} leads{% endblocktranslate %}"
    )
    (node,) = template.template.nodelist.get_nodes_by_type(i18n.TranslateNode)
    assert isinstance(node, LiteralTranslateNode)
    with translation.override("en"):
        assert template.render({}) == "Leadsen2 leads"


def test_no_other_library_name_answers_to_two_modules():
    """What Django's templates.W003 checks, silenced for `i18n` alone."""
    from django.template.backends.django import get_template_tag_modules

    modules: dict[str, set[str]] = {}
    for name, path in get_template_tag_modules():
        modules.setdefault(name, set()).add(path)
    for name, path in engines["django"].engine.libraries.items():
        modules.setdefault(name, set()).add(path)
    shared = {name: paths for name, paths in modules.items() if len(paths) > 1}
    assert shared == {"i18n": {"django.templatetags.i18n", "web.templatetags.translations"}}
