"""The app icon in every format an installer needs, drawn from resources/icons/docent.svg (the one
source): PNG sizes for Linux, .ico for Windows, .icns for macOS. Written under build/, never committed.

    .venv/bin/python packaging/icons.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "docent.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(svg: Path, size: int, out: Path) -> Path:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out)):
        raise SystemExit(f"icons: cannot write {out}")
    return out


def make_icons(out_dir: Path) -> dict[str, Path]:
    """docent-256.png, docent.ico and docent.icns in out_dir (Pillow writes the multi-size files)."""
    from PIL import Image

    big = render_png(SVG, 1024, out_dir / "docent-1024.png")
    png256 = render_png(SVG, 256, out_dir / "docent-256.png")
    with Image.open(big) as image:
        image.save(out_dir / "docent.ico", sizes=[(s, s) for s in ICO_SIZES])
        image.save(out_dir / "docent.icns")
    return {"png": png256, "ico": out_dir / "docent.ico", "icns": out_dir / "docent.icns"}


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons"
    for kind, path in make_icons(out).items():
        print(f"{kind}: {path}")
