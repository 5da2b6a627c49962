"""The issued document in the NĐ 30/2020 layout: PDF text (pypdf) and DOCX (python-docx)."""

from __future__ import annotations

import io

import docx
from pypdf import PdfReader

from archive import render
from archive.models import DocumentFile
from tests.archive.conftest import issue


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_has_number_signer_and_distribution_list_with_correct_diacritics(org, briefing):
    doc = issue(org, briefing.occurrence)
    pdf = doc.files.get(kind=DocumentFile.Kind.PDF)
    text = pdf_text(bytes(pdf.data))
    flat = " ".join(text.split())
    assert "Số: 1/BB-BVDK" in flat
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat and "Độc lập - Tự do - Hạnh phúc" in flat
    assert "BỆNH VIỆN ĐA KHOA TỈNH" in flat and "SỞ Y TẾ TỈNH" in flat
    assert "BIÊN BẢN" in flat and "Giao ban bệnh viện" in flat
    assert "CHỦ TRÌ CUỘC HỌP" in flat and "Lê Giám Đốc" in flat  # signer
    assert "Nơi nhận:" in flat and "Lưu: VT, BVĐK tỉnh." in flat
    assert "Trung tâm Kiểm soát bệnh tật;" in flat  # a participating unit receives it
    assert "Đẩy nhanh tiến độ bệnh án điện tử." in flat
    assert "Trần Thành Viên (có mặt)" in flat and "vắng có lý do (Trực chống dịch)" in flat
    # The Vietnamese font is embedded (not a standard-14 font without Vietnamese glyphs).
    fonts = {f["/BaseFont"] for p in PdfReader(io.BytesIO(bytes(pdf.data))).pages
             for f in p["/Resources"]["/Font"].get_object().values()}
    assert any("DejaVuSerif" in str(f) or "QuorumSerif" in str(f) for f in fonts), fonts


def test_docx_has_the_same_content(org, briefing):
    doc = issue(org, briefing.occurrence)
    word = docx.Document(io.BytesIO(bytes(doc.files.get(kind=DocumentFile.Kind.DOCX).data)))
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    text = "\n".join([p.text for p in word.paragraphs] + cells)
    for expected in ("Số: 1/BB-BVDK", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Nơi nhận:", "Lê Giám Đốc",
                     "Đẩy nhanh tiến độ bệnh án điện tử.", "- Lưu: VT, BVĐK tỉnh."):
        assert expected in text


def test_numbers_run_per_unit_and_per_year(org, briefing):
    from archive import numbering

    first = issue(org, briefing.occurrence)
    assert (first.number, first.year) == (1, first.content["year"])
    assert numbering.next_number(org.hospital, first.year) == 2
    assert numbering.next_number(org.cdc, first.year) == 1
    assert numbering.next_number(org.hospital, first.year + 1) == 1


def test_place_and_date_in_administrative_form():
    content = {"place": "Sơn La", "date": "2026-12-08"}
    assert render.place_and_date(content) == "Sơn La, ngày 08 tháng 12 năm 2026"


def test_document_page_offers_pdf_and_docx_to_the_leader(org, briefing):
    from tests.archive.conftest import client_for

    doc = issue(org, briefing.occurrence)
    page = client_for(org.leader).get(f"/archive/documents/{doc.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "1/BB-BVDK" in body and doc.content_sha256 in body and "Chưa ký số" in body
    pdf = client_for(org.leader).get(f"/archive/documents/{doc.pk}/file.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client_for(org.outsider).get(f"/archive/documents/{doc.pk}/file.pdf").status_code == 404
    assert client_for(org.leader).get(f"/archive/documents/{doc.pk}/file.exe").status_code == 404
