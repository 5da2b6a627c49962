"""A real IMAP server for the tests: Debian's dovecot on a loopback port, with a throwaway
configuration, one user and a real Maildir. Started and stopped by the `imap` fixture."""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)

CONFIG = """\
# Throwaway test server: plaintext login on loopback only.
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
{login_users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    def __init__(self, user: str = "lichhop", password: str = "mat-khau-thu") -> None:  # noqa: S107 - throwaway test server
        self.user, self.password = user, password
        self.port = free_port()
        # Not under pytest's 0700 tmp: dovecot's unprivileged processes must reach it.
        self.base = Path(tempfile.mkdtemp(prefix="quorum-dovecot-"))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Dovecot:
        assert DOVECOT, "dovecot is not installed"
        base = self.base
        base.chmod(0o755)
        for sub in ("run", "state", f"home/{self.user}"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # Root: mail is stored as nobody (dovecot refuses uid 0); its own users run the rest.
            owner = pwd.getpwnam("nobody")
            login_users = ""
            for path in (base / "home", base / "home" / self.user):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        else:
            owner = pwd.getpwuid(os.geteuid())
            login_users = f"default_login_user = {owner.pw_name}\ndefault_internal_user = {owner.pw_name}"
        (base / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (base / "dovecot.conf").write_text(CONFIG.format(
            base=base, port=self.port, uid=owner.pw_uid, gid=owner.pw_gid, login_users=login_users))
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(base / "dovecot.conf")],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.proc.stdout.read().decode() if self.proc.stdout else ''} {self.log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return self
            time.sleep(0.05)  # polling while dovecot binds
        raise TimeoutError(f"dovecot did not listen: {self.log()}")

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.user, self.password)
        return client

    def deliver(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Put a message in the mailbox, unseen, as a mail server's delivery would."""
        client = self.client()
        try:
            typ, _ = client.append(mailbox, "", imaplib.Time2Internaldate(time.time()), raw)
            assert typ == "OK"
        finally:
            client.logout()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.base, ignore_errors=True)
