"""Every web page speaks both languages: no visible text outside translate tags, and every
string of a template has an English translation in its app's catalogue.

Generic over every project app's templates/web/ (pages and notification emails), so the
pages of every role are covered as they are added.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.catalogues import (
    CATALOGUE,
    project_apps,
    read_catalogue,
    template_msgids,
    untranslated_words,
    web_templates,
)

TEMPLATES = web_templates()


def _id(item) -> str:
    config, path = item
    return f"{config.label}:{path.relative_to(config.path)}"


def test_the_web_templates_are_found():
    assert any(path.name == "base.html" for _, path in TEMPLATES)


@pytest.mark.parametrize("item", TEMPLATES, ids=_id)
def test_template_shows_no_untranslated_text(item):
    # given a web template
    _, path = item
    # when its visible text (text nodes, title/alt/placeholder/aria-label) is read outside
    # {% translate %} and {% blocktranslate %}
    words = untranslated_words(path.read_text(encoding="utf-8"))
    # then nothing is left for a reader of the other language
    assert words == [], f"{path}: wrap in {{% translate %}}: {words}"


@pytest.mark.parametrize("item", TEMPLATES, ids=_id)
def test_template_strings_have_english_in_their_apps_catalogue(item):
    # given a web template and its app's English catalogue
    config, path = item
    msgids = template_msgids(path.read_text(encoding="utf-8"), str(path))
    if not msgids:
        return
    catalogue = Path(config.path) / CATALOGUE
    assert catalogue.exists(), f"{config.label} has no {CATALOGUE}: run makemessages -l en"
    translated = {(e.context, e.msgid) for e in read_catalogue(catalogue) if e.translated}
    # then every string of the template is translated there (not missing, empty or fuzzy)
    missing = sorted(m for c, m in msgids - translated)
    assert missing == [], f"{path}: not translated in {catalogue}: {missing}"


CATALOGUES = [
    (config.label, Path(config.path) / CATALOGUE)
    for config in project_apps()
    if (Path(config.path) / CATALOGUE).exists()
]


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=[label for label, _ in CATALOGUES])
def test_every_catalogue_entry_is_translated(catalogue):
    # given an app's English catalogue
    _, path = catalogue
    # then no entry is empty or fuzzy
    untranslated = [e.msgid for e in read_catalogue(path) if not e.translated]
    assert untranslated == [], f"{path}: untranslated or fuzzy: {untranslated}"


def test_the_checker_finds_untranslated_text():
    # given text outside translate tags, in a node and a visible attribute
    source = (
        "{% load i18n %}<p>{% translate '好' %} 未翻译</p>"
        '<input placeholder="Search"><button>{{ x }}</button>'
        "{% blocktranslate %}共 {{ n }} 件{% endblocktranslate %}<script>var a = 1;</script>"
    )
    # then exactly those words are reported
    assert sorted(untranslated_words(source)) == ["Search", "未翻译"]
