"""PAdES signing with pyHanko: certificates generated here (a test CA), never committed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archive import pki, signing
from archive.models import DocumentFile, IssuedDocument
from tests.archive.conftest import client_for, issue

PASSWORD = "mat-khau-ky-so"


@pytest.fixture
def signed_setup(org, briefing, ca):
    doc = issue(org, briefing.occurrence)
    bundle = pki.issue_pkcs12(ca, "Lê Giám Đốc", PASSWORD, org="Bệnh viện Đa khoa tỉnh")
    cert = signing.register("Chữ ký số Giám đốc BVĐK", bundle, PASSWORD, user=org.leader)
    return doc, cert


def test_signature_is_valid_then_invalid_after_one_byte_changes(org, signed_setup):
    doc, _ = signed_setup
    before = bytes(doc.files.get(kind="pdf").data)
    assert signing.verify_bytes(before).state == "unsigned"
    pdf = signing.sign_document(org.leader, doc, PASSWORD)
    data = bytes(pdf.data)
    verdict = signing.verify_bytes(data)
    assert (verdict.state, verdict.signer) == ("valid", "Lê Giám Đốc")
    doc.refresh_from_db()
    assert doc.signer_name == "Lê Giám Đốc" and doc.signed_at is not None
    # One byte of the signed content changes (a digit of the document number in the text stream
    # is compressed, so flip a byte inside the first content stream instead).
    at = data.index(b"stream") + 20
    tampered = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
    assert signing.verify_bytes(tampered).state == "invalid"
    # Stored and altered later: the archive re-verifies because the bytes' hash changed.
    DocumentFile.objects.filter(pk=pdf.pk).update(data=tampered)
    page = client_for(org.leader).get(f"/archive/documents/{doc.pk}/")
    assert 'id="signature-state" class="sig-invalid"' in page.content.decode()


def test_valid_signature_is_shown_with_the_signer(org, signed_setup):
    doc, _ = signed_setup
    response = client_for(org.leader).post(f"/archive/documents/{doc.pk}/sign/", {"password": PASSWORD})
    assert response.status_code == 302
    body = client_for(org.dept_leader).get(f"/archive/documents/{doc.pk}/").content.decode()
    assert 'class="sig-valid"' in body and "valid" in body and "Lê Giám Đốc" in body


def test_wrong_password_is_refused_and_writes_nothing(org, signed_setup):
    doc, _ = signed_setup
    before = bytes(doc.files.get(kind="pdf").data)
    response = client_for(org.leader).post(f"/archive/documents/{doc.pk}/sign/", {"password": "sai"})
    assert response.status_code == 400
    assert "Mật khẩu của chứng thư số" in response.content.decode() and "không đúng" in response.content.decode()
    assert bytes(doc.files.get(kind="pdf").data) == before
    assert IssuedDocument.objects.get(pk=doc.pk).signed_at is None


def test_expired_certificate_is_refused_and_writes_nothing(org, briefing, ca):
    doc = issue(org, briefing.occurrence)
    now = datetime.now(UTC)
    bundle = pki.issue_pkcs12(ca, "Lê Giám Đốc", PASSWORD, not_before=now - timedelta(days=400),
                              not_after=now - timedelta(days=2))
    signing.register("Chứng thư cũ", bundle, PASSWORD, user=org.leader)
    before = bytes(doc.files.get(kind="pdf").data)
    with pytest.raises(signing.SigningError) as err:
        signing.sign_document(org.leader, doc, PASSWORD)
    assert err.value.code == "expired" and "đã hết hạn" in err.value.message
    assert bytes(doc.files.get(kind="pdf").data) == before


def test_unit_certificate_with_password_from_the_environment(org, briefing, ca, monkeypatch):
    doc = issue(org, briefing.occurrence)
    bundle = pki.issue_pkcs12(ca, "Bệnh viện Đa khoa tỉnh", PASSWORD)
    signing.register("Chứng thư đơn vị", bundle, PASSWORD, unit=org.hospital, password_env="QUORUM_TEST_P12_PASSWORD")
    with pytest.raises(signing.SigningError) as err:
        signing.sign_document(org.leader, doc)
    assert err.value.code == "password_required"
    monkeypatch.setenv("QUORUM_TEST_P12_PASSWORD", PASSWORD)
    signing.sign_document(org.leader, doc)
    assert signing.verify_file(doc.files.get(kind="pdf")).state == "valid"


def test_untrusted_signer_is_invalid(org, briefing):
    doc = issue(org, briefing.occurrence)
    stranger = pki.make_authority("Unknown CA")
    bundle = pki.issue_pkcs12(stranger, "Kẻ lạ", PASSWORD)
    cert = signing.register("Lạ", bundle, PASSWORD, user=org.leader)
    signed = signing.sign_bytes(bytes(doc.files.get(kind="pdf").data), cert, PASSWORD)
    assert signing.verify_bytes(signed, roots=[]).state == "invalid"


def test_only_the_signer_may_sign(org, signed_setup):
    doc, _ = signed_setup
    assert client_for(org.secretary).post(f"/archive/documents/{doc.pk}/sign/", {"password": PASSWORD}).status_code == 403
