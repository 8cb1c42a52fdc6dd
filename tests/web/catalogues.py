"""Read the project's web templates and gettext catalogues, for the i18n tests."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.utils.translation.template import templatize

# Templates people read: the web pages and the notification emails of every project app.
TEMPLATE_GLOBS = ("templates/web/**/*.html", "templates/web/**/*.txt")
CATALOGUE = Path("locale/en/LC_MESSAGES/django.po")


def project_apps():
    base = Path(settings.BASE_DIR).resolve()
    return [
        config
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base)
        and ".venv" not in Path(config.path).parts
    ]


def web_templates() -> list[tuple[object, Path]]:
    """(app config, path) of every web template of the project's apps."""
    found = []
    for config in project_apps():
        for pattern in TEMPLATE_GLOBS:
            found.extend((config, path) for path in sorted(Path(config.path).glob(pattern)))
    return found


# --- visible text outside translate tags ---------------------------------------------

_BLOCKS = re.compile(
    r"{%\s*(comment|blocktranslate|blocktrans)\b.*?%}.*?{%\s*end\1\s*%}", re.DOTALL
)
_TEMPLATE_SYNTAX = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.DOTALL)
_ENTITY = re.compile(r"&[#a-zA-Z0-9]+;")
# A word a person reads: any CJK character or Latin letter.
_WORDS = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+|[A-Za-z]+"
)
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            visible = name in VISIBLE_ATTRIBUTES or (
                name == "value" and dict(attrs).get("type") in {"submit", "button", "reset"}
            )
            if visible and value:
                self.found.extend(_WORDS.findall(_ENTITY.sub(" ", value)))

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.extend(_WORDS.findall(_ENTITY.sub(" ", data)))


def untranslated_words(source: str) -> list[str]:
    """Words a person would read that are not inside {% translate %} / {% blocktranslate %}."""
    text = _BLOCKS.sub(" ", source)
    text = _TEMPLATE_SYNTAX.sub(" ", text)
    collector = _TextCollector()
    collector.feed(text)
    collector.close()
    return collector.found


# --- msgids of templates ----------------------------------------------------------------

_CALL = re.compile(r"\b(gettext|pgettext|ngettext|npgettext)\(")


def template_msgids(source: str, origin: str) -> set[tuple[str, str]]:
    """(context, msgid) of every translatable string of a template, as makemessages sees it."""
    found: set[tuple[str, str]] = set()
    for line in templatize(source, origin).splitlines():
        for match in _CALL.finditer(line):
            rest = line[match.start() :]
            for end in (i + 1 for i, ch in enumerate(rest) if ch == ")"):
                try:
                    call = ast.parse(rest[:end], mode="eval").body
                except SyntaxError:
                    continue
                args = [a.value for a in call.args if isinstance(a, ast.Constant)]
                name = match.group(1)
                if name in {"pgettext", "npgettext"}:
                    found.add((args[0], args[1]))
                else:
                    found.add(("", args[0]))
                break
    return found


# --- catalogues ------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    context: str = ""
    plural: str = ""
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False

    @property
    def translated(self) -> bool:
        return not self.fuzzy and bool(self.msgstr) and all(self.msgstr.values())


def _unquote(text: str) -> str:
    return ast.literal_eval(text.strip())


def read_catalogue(path: Path) -> list[Entry]:
    """The entries of a .po file (without the header and obsolete #~ entries)."""
    entries: list[Entry] = []
    entry, target, flags = Entry(), None, False

    def finish():
        nonlocal entry, flags
        if target is not None and entry.msgid:
            entry.fuzzy = flags
            entries.append(entry)
        entry, flags = Entry(), False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#,"):
            flags = flags or "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = _unquote(line)
            if target == "msgid":
                entry.msgid += value
            elif target == "msgctxt":
                entry.context += value
            elif target == "msgid_plural":
                entry.plural += value
            elif isinstance(target, int):
                entry.msgstr[target] += value
            continue
        if keyword == "msgctxt":
            target, entry.context = "msgctxt", _unquote(rest)
        elif keyword == "msgid":
            target, entry.msgid = "msgid", _unquote(rest)
        elif keyword == "msgid_plural":
            target, entry.plural = "msgid_plural", _unquote(rest)
        elif keyword == "msgstr":
            target = 0
            entry.msgstr[0] = _unquote(rest)
        elif keyword.startswith("msgstr["):
            target = int(keyword[7:-1])
            entry.msgstr[target] = _unquote(rest)
    finish()
    return entries
