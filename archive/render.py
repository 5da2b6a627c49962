"""The issued document as PDF (reportlab) and DOCX (python-docx), in the NĐ 30/2020
administrative layout, rendered from the frozen content only.

Layout (NĐ 30/2020, Phụ lục I): issuing authority and unit top left with the number and
code; quốc hiệu and tiêu ngữ top right with place and date; the title centred; the body;
"Nơi nhận" bottom left; the signer's capacity, title and name bottom right.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.html import escape

from meetings.formatting import vn_date, vn_datetime

if TYPE_CHECKING:
    from archive.models import IssuedDocument

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
FONT = "QuorumSerif"
FONT_FILES = {
    FONT: "DejaVuSerif.ttf",
    f"{FONT}-Bold": "DejaVuSerif-Bold.ttf",
    f"{FONT}-Italic": "DejaVuSerif-Italic.ttf",
    f"{FONT}-BoldItalic": "DejaVuSerif-BoldItalic.ttf",
}


def place_and_date(content: dict[str, Any]) -> str:
    d = date.fromisoformat(content["date"])
    return f"{content['place']}, ngày {d:%d} tháng {d:%m} năm {d.year}"


def _when(content: dict[str, Any]) -> str:
    start = datetime.fromisoformat(content["meeting"]["start"])
    end = datetime.fromisoformat(content["meeting"]["end"])
    return f"{vn_datetime(start)} – {end:%H:%M}"


def _plain(text: str) -> list[str]:
    """Markdown-ish section text → paragraphs (list markers and emphasis kept as text)."""
    lines = [re.sub(r"^#+\s*", "", line).strip() for line in (text or "").splitlines()]
    return [line for line in lines if line]


def body_blocks(content: dict[str, Any]) -> list[tuple[str, str]]:
    """The body as (style, text) pairs shared by the PDF and the DOCX."""
    m = content["meeting"]
    out: list[tuple[str, str]] = [("h", "I. THỜI GIAN, ĐỊA ĐIỂM, HÌNH THỨC")]
    out.append(("p", f"Thời gian: {_when(content)}."))
    if m["rooms"]:
        out.append(("p", f"Địa điểm: {'; '.join(m['rooms'])}."))
    out.append(("p", f"Hình thức: {m['mode']}."))
    out.append(("h", "II. THÀNH PHẦN THAM DỰ"))
    out.append(("p", f"Chủ trì: {m['chair'] or '—'}."))
    for group in content["attendance"]:
        out.append(("b", f"{group['unit']}:"))
        for person in group["people"]:
            out.append(("li", f"{person['name']} ({person['note']})"))
    out.append(("h", "III. NỘI DUNG"))
    for i, section in enumerate(content["sections"], 1):
        out.append(("b", f"{i}. {section['title']}"))
        out.extend(("p", line) for line in _plain(section["text"]) or ["(Không ghi nội dung.)"])
    out.append(("h", "IV. KẾT LUẬN"))
    if not content["conclusions"]:
        out.append(("p", "(Không có kết luận.)"))
    for c in content["conclusions"]:
        out.append(("p", f"{c['number']}. {'[Quyết định] ' if c['is_decision'] else ''}{c['text']}"))
    if content["action_items"]:
        out.append(("h", "V. PHÂN CÔNG THỰC HIỆN"))
        for a in content["action_items"]:
            due = f"; hạn {vn_date(date.fromisoformat(a['due_date']))}" if a["due_date"] else ""
            out.append(("p", f"{a['number']}. {a['what']} — {a['owner']}{due}."))
    return out


# --- PDF ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(settings.ARCHIVE_FONT_DIR)
    regular = folder / FONT_FILES[FONT]
    if not regular.exists():
        raise ImproperlyConfigured(
            f"Không tìm thấy phông chữ {regular}: cài gói Debian fonts-dejavu-core fonts-dejavu-extra "
            "(make fonts) hoặc đặt ARCHIVE_FONT_DIR."
        )
    for name, filename in FONT_FILES.items():
        path = folder / filename
        # Without fonts-dejavu-extra the italics fall back to the upright faces.
        if not path.exists():
            path = folder / (FONT_FILES[f"{FONT}-Bold"] if "Bold" in name else FONT_FILES[FONT])
        pdfmetrics.registerFont(TTFont(name, str(path)))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, f"{FONT}-Bold")
    addMapping(FONT, 0, 1, f"{FONT}-Italic")
    addMapping(FONT, 1, 1, f"{FONT}-BoldItalic")


def pdf_bytes(content: dict[str, Any]) -> bytes:
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    _register_fonts()
    base = ParagraphStyle("base", fontName=FONT, fontSize=12, leading=16, alignment=TA_JUSTIFY)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    small_center = ParagraphStyle("sc", parent=center, fontSize=11.5, leading=15)
    styles = {
        "h": ParagraphStyle("h", parent=base, fontName=f"{FONT}-Bold", spaceBefore=8, spaceAfter=2),
        "b": ParagraphStyle("b", parent=base, fontName=f"{FONT}-Bold", spaceBefore=4),
        "p": ParagraphStyle("p", parent=base, firstLineIndent=10 * mm, spaceAfter=2),
        "li": ParagraphStyle("li", parent=base, leftIndent=10 * mm),
    }

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    authority = escape(content["authority"].upper())
    left = [
        Paragraph(authority, small_center) if authority else Spacer(1, 1),
        Paragraph(f"<b>{escape(content['unit'].upper())}</b>", small_center),
        Paragraph("_______", small_center),
        Paragraph(f"Số: {escape(content['code'])}", small_center),
    ]
    right = [
        Paragraph(f"<b>{QUOC_HIEU}</b>", small_center),
        Paragraph(f"<b><u>{TIEU_NGU}</u></b>", center),
        Spacer(1, 4),
        Paragraph(f"<i>{escape(place_and_date(content))}</i>", center),
    ]
    header = Table([[left, right]], colWidths=[70 * mm, 100 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story: list[Any] = [header, Spacer(1, 10 * mm)]
    story.append(Paragraph("<b>BIÊN BẢN</b>", ParagraphStyle("t", parent=center, fontSize=14, leading=18)))
    story.append(Paragraph(f"<b>{escape(content['title'])}</b>", center))
    if content.get("supersedes"):
        s = content["supersedes"]
        story.append(para(f"(Thay thế Biên bản số {s['code']} ngày {_dmy(s['date'])}; lý do: {s['reason'] or '—'})",
                          ParagraphStyle("i", parent=center, fontName=f"{FONT}-Italic")))
    story.append(Spacer(1, 6 * mm))
    for style, text in body_blocks(content):
        story.append(para(text, styles[style]))
    recipients = [Paragraph("<b><i>Nơi nhận:</i></b>", ParagraphStyle("nn", parent=base, fontSize=12))]
    recipients += [para(f"- {r}", ParagraphStyle("r", parent=base, fontSize=11, leading=13)) for r in content["recipients"]]
    signer = content["signer"]
    sign = [
        Paragraph(f"<b>{escape(signer['capacity'])}</b>", center),
        para(signer["title"], ParagraphStyle("st", parent=center, fontName=f"{FONT}-Italic")),
        Spacer(1, 22 * mm),
        Paragraph(f"<b>{escape(signer['name'])}</b>", center),
    ]
    footer = Table([[recipients, sign]], colWidths=[80 * mm, 90 * mm])
    footer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [Spacer(1, 8 * mm), KeepTogether([footer])]

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=30 * mm, rightMargin=15 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
        title=f"Biên bản {content['code']}", author=content["unit"], subject=content["title"],
        creator="Quorum",
    )
    doc.build(story)
    return out.getvalue()


def _dmy(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "—"


# --- DOCX --------------------------------------------------------------------------------


def docx_bytes(content: dict[str, Any]) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "Times New Roman", Pt(13)
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells

    def line(cell: Any, text: str, *, bold: bool = False, italic: bool = False, underline: bool = False) -> None:
        p = cell.add_paragraph() if cell.paragraphs[0].text else cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline

    if content["authority"]:
        line(left, content["authority"].upper())
    line(left, content["unit"].upper(), bold=True)
    line(left, f"Số: {content['code']}")
    line(right, QUOC_HIEU, bold=True)
    line(right, TIEU_NGU, bold=True, underline=True)
    line(right, place_and_date(content), italic=True)
    for text in ("BIÊN BẢN", content["title"]):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(text).bold = True
    if content.get("supersedes"):
        s = content["supersedes"]
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(f"(Thay thế Biên bản số {s['code']} ngày {_dmy(s['date'])}; lý do: {s['reason'] or '—'})").italic = True
    for style, text in body_blocks(content):
        p = doc.add_paragraph(("- " if style == "li" else "") + text)
        if style in ("h", "b"):
            for run in p.runs:
                run.bold = True
    footer = doc.add_table(rows=1, cols=2)
    recipients, sign = footer.rows[0].cells
    recipients.paragraphs[0].add_run("Nơi nhận:").bold = True
    for r in content["recipients"]:
        recipients.add_paragraph(f"- {r}")
    signer = content["signer"]
    line(sign, signer["capacity"], bold=True)
    line(sign, signer["title"], italic=True)
    line(sign, "\n\n\n")
    line(sign, signer["name"], bold=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- storing -----------------------------------------------------------------------------


def store_files(doc: IssuedDocument) -> None:
    """Render both files from the frozen content (inside the issuing transaction)."""
    from archive.models import DocumentFile

    for kind, data in ((DocumentFile.Kind.PDF, pdf_bytes(doc.content)), (DocumentFile.Kind.DOCX, docx_bytes(doc.content))):
        DocumentFile.objects.update_or_create(
            document=doc, kind=kind,
            defaults={"data": data, "sha256": hashlib.sha256(data).hexdigest(),
                      "signature": DocumentFile.Signature.UNSIGNED, "verified_sha256": "", "signature_detail": ""},
        )


def ensure_files(doc: IssuedDocument) -> None:
    """Render on first use (demo history renders only its newest documents up front)."""
    if doc.issued_at and not doc.files.exists():
        store_files(doc)
