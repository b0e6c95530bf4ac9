"""Render SongCal's application icon from its SVG source into the sizes each system uses.

    python scripts/make_icons.py [--out resources/icons]

Reads ``resources/icons/songcal.svg`` and writes ``songcal-{16..1024}.png`` (the window's
icon and the Linux desktop's), ``songcal.ico`` (Windows: 16-256 px) and ``songcal.icns``
(macOS: 16-1024 px).  Qt's SVG renderer draws the PNGs (PySide6 is already a dependency);
Pillow, a build-time tool only (``pip install '.[icons]'``), packs the ICO and ICNS files.
The outputs are committed, so neither a build nor a run needs this script.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["SIZES", "render_pngs", "pack_ico", "pack_icns", "main"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: PNG sizes (px): the freedesktop icon theme sizes and the ICNS ones.
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_pngs(svg: str, out_dir: str, *, sizes=SIZES) -> dict[int, str]:
    """Draw ``svg`` at each size into ``out_dir/songcal-N.png``.

    Parameters
    ----------
    svg : str
        The SVG source.
    out_dir : str
        Output folder.
    sizes : sequence of int
        Edge lengths (px).

    Returns
    -------
    dict
        Size -> written path.

    Raises
    ------
    ValueError
        When Qt cannot read the SVG.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(svg)
    if not renderer.isValid():
        raise ValueError(f"Qt cannot read the SVG {svg}")
    written = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = os.path.join(out_dir, f"songcal-{size}.png")
        if not image.save(path, "PNG"):
            raise OSError(f"cannot write {path}")
        written[size] = path
    return written


def pack_ico(pngs: dict[int, str], path: str) -> None:
    """Write a Windows ICO holding the :data:`ICO_SIZES` images of ``pngs``."""
    from PIL import Image

    biggest = Image.open(pngs[max(ICO_SIZES)])
    biggest.save(path, format="ICO", sizes=[(s, s) for s in ICO_SIZES])


def pack_icns(pngs: dict[int, str], path: str) -> None:
    """Write a macOS ICNS from the 1024 px image of ``pngs`` (Pillow adds the smaller ones)."""
    from PIL import Image

    Image.open(pngs[1024]).save(path, format="ICNS")


def main(argv=None) -> int:
    """Render every icon file; returns the exit code."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join(ROOT, "resources", "icons"),
                   help="output folder (default: resources/icons)")
    p.add_argument("--svg", default=os.path.join(ROOT, "resources", "icons", "songcal.svg"),
                   help="SVG source")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    pngs = render_pngs(args.svg, args.out)
    pack_ico(pngs, os.path.join(args.out, "songcal.ico"))
    pack_icns(pngs, os.path.join(args.out, "songcal.icns"))
    for name in sorted(os.listdir(args.out)):
        print(f"{os.path.getsize(os.path.join(args.out, name)):>9,d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
