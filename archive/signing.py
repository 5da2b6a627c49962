"""PAdES signatures on issued documents (pyHanko) and their verification.

A certificate is a PKCS#12 bundle registered per signer (the chair) or per unit; its password
is never stored: it comes from the environment variable the bundle names, or is typed at
signing. Signing happens in memory and the signed bytes replace the PDF in one statement,
so a refused signature (wrong password, expired certificate) leaves the document unchanged.

Verification trusts the CA certificates of registered bundles plus ARCHIVE_TRUST_ROOTS, and
is cached per SHA-256 of the stored bytes: bytes changed later are verified again (invalid).
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from archive.models import DocumentFile, IssuedDocument, SigningCertificate
from meetings.formatting import vn_date

if TYPE_CHECKING:
    from accounts.models import User
    from meetings.models import Unit


class SigningError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class Verdict:
    state: str  # DocumentFile.Signature value
    signer: str = ""
    detail: str = ""


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _open(data: bytes, password: str, label: str) -> tuple[object, x509.Certificate, list[x509.Certificate]]:
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
    except ValueError:
        raise SigningError(
            "bad_password",
            _("Mật khẩu của chứng thư số “%(label)s” không đúng (hoặc tệp PKCS#12 hỏng). Văn bản chưa được ký.")
            % {"label": label},
        ) from None
    if key is None or cert is None:
        raise SigningError("bad_bundle", _("Tệp PKCS#12 “%(label)s” không có khóa bí mật và chứng thư.") % {"label": label})
    return key, cert, list(extra)


def register(label: str, data: bytes, password: str, *, user: User | None = None, unit: Unit | None = None,
             password_env: str = "") -> SigningCertificate:
    """Check the bundle opens with `password`, then store it (never the password)."""
    _key, cert, chain = _open(data, password, label)
    return SigningCertificate.objects.create(
        label=label, pkcs12=data, user=user, unit=unit, password_env=password_env,
        subject=_common_name(cert), not_after=cert.not_valid_after_utc,
        chain_pem=chain_pem(chain),
    )


def chain_pem(chain: list[x509.Certificate]) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain)


def certificate_for(document: IssuedDocument) -> SigningCertificate | None:
    """The signer's own certificate, else the issuing unit's."""
    qs = SigningCertificate.objects.filter(is_active=True).order_by("-created_at")
    if document.chair_id:
        own = qs.filter(user_id=document.chair_id).first()
        if own:
            return own
    return qs.filter(unit_id=document.unit_id, user__isnull=True).first()


def _password(certificate: SigningCertificate, typed: str | None) -> str:
    if typed:
        return typed
    if certificate.password_env and os.environ.get(certificate.password_env):
        return os.environ[certificate.password_env]
    raise SigningError("password_required", _("Nhập mật khẩu của chứng thư số “%(label)s” để ký.") % {"label": certificate.label})


def sign_bytes(pdf: bytes, certificate: SigningCertificate, password: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key, cert, chain = _open(bytes(certificate.pkcs12), password, certificate.label)
    now = datetime.now(UTC)
    if cert.not_valid_after_utc < now:
        raise SigningError(
            "expired",
            _("Chứng thư số “%(label)s” đã hết hạn ngày %(day)s. Văn bản chưa được ký; hãy gia hạn hoặc đăng ký chứng thư mới.")
            % {"label": certificate.label, "day": vn_date(timezone.localtime(cert.not_valid_after_utc).date())},
        )
    if cert.not_valid_before_utc > now:
        raise SigningError("not_yet_valid", _("Chứng thư số “%(label)s” chưa có hiệu lực. Văn bản chưa được ký.") % {"label": certificate.label})
    # Built from the bundle opened above: decrypting PKCS#12 (PBKDF2) twice would double the cost.
    from asn1crypto import keys as asn1_keys
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c.public_bytes(der)) for c in chain]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name="ChuKySo", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        name=_common_name(cert), reason="Ký ban hành biên bản", location=settings.ARCHIVE_PLACE,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.sign_pdf(writer, meta, signer=signer)
    return out.getvalue()


def sign_document(actor: User, document: IssuedDocument, password: str | None = None) -> DocumentFile:
    """Sign the document's PDF with the configured certificate; all or nothing."""
    certificate = certificate_for(document)
    if certificate is None:
        raise SigningError(
            "no_certificate",
            _("Chưa đăng ký chứng thư số cho người ký hoặc đơn vị ban hành: quản trị viên thêm trong trang quản trị."))
    secret = _password(certificate, password)
    with transaction.atomic():
        file = DocumentFile.objects.select_for_update().filter(document=document, kind=DocumentFile.Kind.PDF).first()
        if file is None:
            raise SigningError("not_issued", _("Văn bản chưa ban hành nên chưa có tệp PDF để ký."), 409)
        if file.signature == DocumentFile.Signature.VALID and file.verified_sha256 == file.sha256:
            raise SigningError("already_signed", _("Văn bản đã được ký số."), 409)
        signed = sign_bytes(bytes(file.data), certificate, secret)
        digest = hashlib.sha256(signed).hexdigest()
        file.data, file.sha256 = signed, digest
        file.signature, file.verified_sha256 = DocumentFile.Signature.VALID, digest
        file.signature_detail = _("Chữ ký hợp lệ, nội dung nguyên vẹn.")
        file.save(update_fields=["data", "sha256", "signature", "verified_sha256", "signature_detail"])
        IssuedDocument.objects.filter(pk=document.pk).update(signed_at=timezone.now(), signer_name=certificate.subject)
        from meetings import audit

        audit.record(actor, "document.signed", document, None, {"certificate": certificate.label, "sha256": digest})
    return file


def trust_roots() -> list[asn1_x509.Certificate]:
    pems = [Path(p).read_bytes() for p in settings.ARCHIVE_TRUST_ROOTS]
    pems += [c.encode() for c in SigningCertificate.objects.exclude(chain_pem="").values_list("chain_pem", flat=True)]
    roots: dict[bytes, asn1_x509.Certificate] = {}
    for pem in pems:
        for cert in x509.load_pem_x509_certificates(pem):
            der = cert.public_bytes(serialization.Encoding.DER)
            roots[der] = asn1_x509.Certificate.load(der)
    return list(roots.values())


def verify_bytes(data: bytes, roots: list[asn1_x509.Certificate] | None = None) -> Verdict:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    Signature = DocumentFile.Signature
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:
        return Verdict(Signature.INVALID, detail=_("Tệp PDF hỏng hoặc đã bị sửa: không đọc được."))
    if not signatures:
        return Verdict(Signature.UNSIGNED, detail=_("Văn bản chưa được ký số."))
    context = ValidationContext(trust_roots=roots if roots is not None else trust_roots(), allow_fetching=False)
    signer = ""
    for sig in signatures:
        try:
            status = validate_pdf_signature(sig, context)
        except Exception:
            return Verdict(Signature.INVALID, detail=_("Chữ ký không đọc được: tệp đã bị sửa sau khi ký."))
        signer = status.signing_cert.subject.native.get("common_name", "") if status.signing_cert else ""
        if not status.intact:
            return Verdict(Signature.INVALID, signer, _("Nội dung đã bị thay đổi sau khi ký."))
        if not status.valid:
            return Verdict(Signature.INVALID, signer, _("Chữ ký không hợp lệ."))
        if not status.trusted:
            return Verdict(Signature.INVALID, signer, _("Chứng thư của người ký không do tổ chức tin cậy cấp."))
        if status.modification_level is not None and status.modification_level.name not in ("NONE", "LTA_UPDATES"):
            return Verdict(Signature.INVALID, signer, _("Tệp đã bị bổ sung nội dung sau khi ký."))
    return Verdict(Signature.VALID, signer, _("Chữ ký hợp lệ, nội dung nguyên vẹn."))


def verify_file(file: DocumentFile) -> Verdict:
    """The file's signature state; re-verified whenever its bytes changed since last time."""
    data = bytes(file.data)
    digest = hashlib.sha256(data).hexdigest()
    if file.verified_sha256 == digest and file.sha256 == digest:
        return Verdict(file.signature, file.document.signer_name if file.signature != "unsigned" else "", file.signature_detail)
    verdict = verify_bytes(data)
    DocumentFile.objects.filter(pk=file.pk).update(
        signature=verdict.state, verified_sha256=digest, signature_detail=verdict.detail[:500])
    file.signature, file.verified_sha256, file.signature_detail = verdict.state, digest, verdict.detail
    return verdict
