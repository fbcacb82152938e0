"""Light and dark, following the system: Docent's few custom styles are computed from the current
palette (resources/styles/docent.qss) and recomputed when the system's colour scheme changes."""

from __future__ import annotations

import html
import re
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from docent.core.text import CITE

STATUS_COLORS = {
    "indexed": ("#2e9d5b", "#4cc27c"),
    "indexing": ("#2f6fde", "#5b93f0"),
    "queued": ("#8a8f98", "#9aa0aa"),
    "skipped": ("#c98a12", "#e0a83a"),
    "failed": ("#d23c3c", "#ef6a6a"),
}
STATUS_TEXT = {
    "indexed": "Indexed",
    "indexing": "Indexing…",
    "queued": "Queued",
    "skipped": "Skipped",
    "failed": "Failed",
    "removing": "Removing…",
}


def is_dark(palette: QPalette | None = None) -> bool:
    pal = palette or QGuiApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() * (1 - t) + b.red() * t),
        round(a.green() * (1 - t) + b.green() * t),
        round(a.blue() * (1 - t) + b.blue() * t),
    )


def dark_palette() -> QPalette:
    """Used when the system asks for dark but the platform gives Qt no dark palette."""
    p = QPalette()
    window, base, text = QColor("#1f2126"), QColor("#17191d"), QColor("#e6e8eb")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#23262b"))
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, QColor("#2a2d33"))
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.Highlight, QColor("#3d6fe0"))
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        p.setColor(group, QPalette.ColorRole.ToolTipBase, QColor("#2a2d33"))
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor("#8a9099"))
        p.setColor(group, QPalette.ColorRole.Link, QColor("#7aa2ff"))
        p.setColor(group, QPalette.ColorRole.Mid, QColor("#3a3e45"))
        p.setColor(group, QPalette.ColorRole.Dark, QColor("#101114"))
        p.setColor(group, QPalette.ColorRole.Light, QColor("#3a3e45"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b7079"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6b7079"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#6b7079"))
    return p


def _values(pal: QPalette) -> dict[str, str]:
    dark = is_dark(pal)
    base = pal.color(QPalette.ColorRole.Base)
    window = pal.color(QPalette.ColorRole.Window)
    text = pal.color(QPalette.ColorRole.Text)
    accent = pal.color(QPalette.ColorRole.Highlight)
    return {
        "base": base.name(),
        "card": (_mix(base, window, 0.35) if dark else base).name(),
        "text": text.name(),
        "muted": _mix(text, base, 0.42).name(),
        "border": _mix(text, base, 0.82).name(),
        "accent": accent.name(),
        "accentText": pal.color(QPalette.ColorRole.HighlightedText).name(),
        "bubble": _mix(accent, base, 0.72 if dark else 0.86).name(),
        "bubbleText": text.name(),
        "sourceBg": _mix(window, base, 0.4).name(),
        "link": pal.color(QPalette.ColorRole.Link).name(),
        "error": "#ef6a6a" if dark else "#c73737",
        "errorBg": "#3a2224" if dark else "#fdecec",
        "infoBg": _mix(accent, base, 0.8 if dark else 0.9).name(),
    }


def stylesheet(resources: Path, pal: QPalette) -> str:
    try:
        template = (resources / "styles" / "docent.qss").read_text(encoding="utf-8")
    except OSError:
        return ""
    for key, value in _values(pal).items():
        template = template.replace(f"@{key}@", value)
    return template


class Theme(QObject):
    """Applies Fusion with the system's scheme and Docent's styles; follows scheme changes."""

    def __init__(self, app: QApplication, resources: Path, scheme: str | None = None) -> None:
        """`scheme` "dark" or "light" overrides the system's choice (DOCENT_THEME in app.main)."""
        super().__init__(app)
        self.app = app
        self.resources = resources
        self.scheme = scheme if scheme in ("dark", "light") else None
        self._forced = False
        app.setStyle("Fusion")
        self._apply()
        app.styleHints().colorSchemeChanged.connect(self._on_scheme)

    def _on_scheme(self, *_args: object) -> None:
        self._apply()

    def _apply(self) -> None:
        if self._forced:  # back to the platform's palette before deciding again
            self.app.setPalette(QPalette())
            self._forced = False
        palette = QGuiApplication.palette()
        want_dark = self.app.styleHints().colorScheme() == Qt.ColorScheme.Dark
        if self.scheme is not None:
            want_dark = self.scheme == "dark"
            if not want_dark and is_dark(palette):
                palette = self.app.style().standardPalette()
                self.app.setPalette(palette)
                self._forced = True
        if want_dark and not is_dark(palette):
            palette = dark_palette()  # the platform asks for dark but gives no dark palette
            self.app.setPalette(palette)
            self._forced = True
        self.app.setStyleSheet(stylesheet(self.resources, palette))
        _ICONS.clear()


def status_color(status: str) -> QColor:
    light, dark = STATUS_COLORS.get(status, STATUS_COLORS["queued"])
    return QColor(dark if is_dark() else light)


_ICONS: dict[tuple[str, bool], QIcon] = {}


def status_icon(status: str) -> QIcon:
    """A small coloured dot (a ring while indexing or queued)."""
    key = (status, is_dark())
    icon = _ICONS.get(key)
    if icon is None:
        pm = QPixmap(24, 24)
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = status_color(status)
        if status in ("indexing", "queued"):
            pen = painter.pen()
            pen.setColor(color)
            pen.setWidthF(3.0)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(12, 12), 6.5, 6.5)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawEllipse(QPointF(12, 12), 7, 7)
        painter.end()
        icon = QIcon(pm)
        _ICONS[key] = icon
    return icon


def app_icon(resources: Path) -> QIcon:
    path = resources / "icons" / "docent.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


# ---- answer text → rich text ---------------------------------------------------------------------
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def answer_html(text: str, linkable: set[int] | None = None) -> str:
    """Plain answer text → safe rich text; every [n] (or [1, 2]) with a known source becomes a link
    `cite:n`."""

    def cite(m: re.Match[str]) -> str:
        parts = [p.strip() for p in re.split(r"[,;]", m.group(1))]
        out = []
        for part in parts:
            n = int(part)
            if linkable is None or n in linkable:
                out.append(f'<a href="cite:{n}" style="text-decoration:none;"><b>[{n}]</b></a>')
            else:
                out.append(f"[{n}]")
        return "".join(out)

    escaped = html.escape(text, quote=False)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    escaped = CITE.sub(cite, escaped)
    return escaped.replace("\n", "<br>")
