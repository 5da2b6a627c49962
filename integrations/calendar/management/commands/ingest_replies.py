"""Read iTIP REPLY e-mails (.eml files in a folder, or an IMAP mailbox) and apply the answers."""

from __future__ import annotations

import contextlib
import imaplib
import os
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.calendar import replies


class Command(BaseCommand):
    help = "Apply iTIP METHOD:REPLY messages from a folder of .eml files and/or an IMAP mailbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--folder", help="A folder of .eml files (read again safely: Message-IDs are remembered).")
        parser.add_argument("--imap", action="store_true", help="Read unseen mail from IMAP (INVITATIONS_IMAP_HOST, _PORT, _USER, _PASSWORD, _MAILBOX).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["folder"] and not options["imap"]:
            raise CommandError("Give --folder DIR and/or --imap.")
        outcomes: Counter[str] = Counter()
        if options["folder"]:
            folder = Path(options["folder"])
            if not folder.is_dir():
                raise CommandError(f"{folder} is not a folder.")
            for path in sorted(folder.glob("*.eml")):
                for row in replies.ingest_bytes(path.read_bytes()):
                    outcomes[row.outcome] += 1
        if options["imap"]:
            for raw in _imap_messages():
                for row in replies.ingest_bytes(raw):
                    outcomes[row.outcome] += 1
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())) or "no replies"
        self.stdout.write(summary)


def _imap_messages() -> list[bytes]:
    host = os.getenv("INVITATIONS_IMAP_HOST", "")
    if not host:
        raise CommandError("Set INVITATIONS_IMAP_HOST (and _USER, _PASSWORD) to read a mailbox.")
    port = int(os.getenv("INVITATIONS_IMAP_PORT", "993"))
    try:
        client = imaplib.IMAP4_SSL(host, port) if port == 993 else imaplib.IMAP4(host, port)
    except OSError as exc:
        raise CommandError(f"Cannot connect to the IMAP server {host}:{port}: {exc}") from None
    try:
        try:
            client.login(os.getenv("INVITATIONS_IMAP_USER", ""), os.getenv("INVITATIONS_IMAP_PASSWORD", ""))
        except imaplib.IMAP4.error as exc:
            raise CommandError(f"The IMAP server {host}:{port} refused the login (INVITATIONS_IMAP_USER/_PASSWORD): {exc}") from None
        client.select(os.getenv("INVITATIONS_IMAP_MAILBOX", "INBOX"))
        _typ, data = client.search(None, "UNSEEN")
        found = []
        for num in data[0].split():
            _typ, parts = client.fetch(num, "(RFC822)")
            for part in parts:
                if isinstance(part, tuple):
                    found.append(part[1])
            client.store(num, "+FLAGS", "\\Seen")
        return found
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
