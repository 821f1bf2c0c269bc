"""Email intake against real protocol servers on loopback: IMAP for the mailbox, SMTP for sending.

``ImapServer`` speaks enough IMAP4rev1 for ``imaplib`` (greeting, CAPABILITY, LOGIN, SELECT,
UID SEARCH, UID FETCH with a literal, UID STORE, NOOP, LOGOUT; BAD for anything else), and
``SmtpServer`` accepts mail over SMTP and files it into the IMAP mailbox of its recipient, so a
customer's message travels the same road as in production: SMTP in, IMAP out.
"""

from __future__ import annotations

import quopri
import re
import smtplib
import socket
import socketserver
import threading
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from mehvar.core.models import EventKind, TimelineEvent
from mehvar.customers.models import Customer
from mehvar.service import mail_intake, notify, tickets
from mehvar.service.mail_intake import (
    MailboxError,
    html_to_text,
    poll_mailbox,
    strip_quoted,
    ticket_from_email,
)
from mehvar.service.models import Ticket, TicketMessage

SUPPORT = "support@mehvar.test"
PASSWORD = "imap-secret"
BODY = "سلام، سفارش ۱۲۳۴ من هنوز نرسیده است. لطفاً پیگیری کنید."

# --- a mailbox on loopback that speaks IMAP4rev1 -------------------------------------------


@dataclass
class Stored:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class Mailbox:
    user: str
    password: str
    folder: str = "INBOX"
    messages: list[Stored] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_uid: int = 1

    def add(self, raw: bytes) -> int:
        with self.lock:
            uid = self.next_uid
            self.next_uid += 1
            self.messages.append(Stored(uid, raw))
            return uid

    def flags(self, uid: int) -> set[str]:
        with self.lock:
            return next(m.flags for m in self.messages if m.uid == uid)


_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|(\([^()]*\))|([^\s()"]+))')


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    position = 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise ValueError(text)
        quoted, group, atom = found.groups()
        if quoted is not None:
            out.append(re.sub(r"\\(.)", r"\1", quoted))
        else:
            out.append(group or atom)
        position = found.end()
    return out


def _uid_set(spec: str, uids: list[int]) -> list[int]:
    top = max(uids, default=0)
    chosen: set[int] = set()
    for piece in spec.split(","):
        low, _, high = piece.partition(":")
        start = top if low == "*" else int(low)
        end = start if not high else (top if high == "*" else int(high))
        chosen |= {u for u in uids if min(start, end) <= u <= max(start, end)}
    return sorted(chosen)


class _ImapHandler(socketserver.StreamRequestHandler):
    server: ImapServer

    def _send(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())

    def handle(self) -> None:
        box = self.server.mailbox
        state = "nonauth"
        self._send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] mehvar test IMAP ready")
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            box.commands.append(re.sub(r"(LOGIN \S+) .*", r"\1 ***", text))
            tag, _, rest = text.partition(" ")
            verb, _, args = rest.partition(" ")
            verb = verb.upper()
            if verb == "UID":
                sub, _, args = args.partition(" ")
                verb = f"UID {sub.upper()}"
            try:
                words = _tokens(args)
            except ValueError:
                self._send(f"{tag} BAD Could not parse arguments")
                continue
            if verb == "CAPABILITY":
                self._send("* CAPABILITY IMAP4rev1 AUTH=PLAIN", f"{tag} OK CAPABILITY completed")
            elif verb == "NOOP":
                self._send(f"{tag} OK NOOP completed")
            elif verb == "LOGOUT":
                self._send("* BYE mehvar test IMAP logging out", f"{tag} OK LOGOUT completed")
                return
            elif verb == "LOGIN" and state == "nonauth" and len(words) == 2:
                if words == [box.user, box.password]:
                    state = "auth"
                    self._send(f"{tag} OK [CAPABILITY IMAP4rev1] LOGIN completed")
                else:
                    self._send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
            elif verb == "SELECT" and state in ("auth", "selected") and len(words) == 1:
                if words[0].upper() != box.folder.upper():
                    state = "auth"
                    self._send(f"{tag} NO [NONEXISTENT] No such mailbox")
                    continue
                state = "selected"
                with box.lock:
                    exists = len(box.messages)
                    unseen = [i for i, m in enumerate(box.messages, 1) if "\\Seen" not in m.flags]
                    next_uid = box.next_uid
                self._send(
                    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                    "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)] Ok",
                    f"* {exists} EXISTS",
                    "* 0 RECENT",
                    *([f"* OK [UNSEEN {unseen[0]}] First unseen"] if unseen else []),
                    "* OK [UIDVALIDITY 1] UIDs valid",
                    f"* OK [UIDNEXT {next_uid}] Predicted next UID",
                    f"{tag} OK [READ-WRITE] SELECT completed",
                )
            elif verb == "UID SEARCH" and state == "selected" and len(words) == 1:
                with box.lock:
                    if words[0].upper() == "UNSEEN":
                        found = [m.uid for m in box.messages if "\\Seen" not in m.flags]
                    elif words[0].upper() == "ALL":
                        found = [m.uid for m in box.messages]
                    else:
                        self._send(f"{tag} BAD Unsupported search criterion")
                        continue
                self._send(
                    "* SEARCH" + "".join(f" {u}" for u in found), f"{tag} OK SEARCH completed"
                )
            elif verb == "UID FETCH" and state == "selected" and len(words) == 2:
                item = words[1].upper()
                if item not in ("(BODY.PEEK[])", "(BODY[])"):
                    self._send(f"{tag} BAD Unsupported fetch item")
                    continue
                with box.lock:
                    uids = _uid_set(words[0], [m.uid for m in box.messages])
                    for seq, stored in enumerate(box.messages, 1):
                        if stored.uid not in uids:
                            continue
                        if item == "(BODY[])":
                            stored.flags.add("\\Seen")
                        head = f"* {seq} FETCH (UID {stored.uid} BODY[] {{{len(stored.raw)}}}"
                        self.wfile.write(head.encode() + b"\r\n" + stored.raw + b")\r\n")
                self._send(f"{tag} OK FETCH completed")
            elif verb == "UID STORE" and state == "selected" and len(words) == 3:
                mode = words[1].upper()
                if mode not in ("+FLAGS", "+FLAGS.SILENT") or not words[2].startswith("("):
                    self._send(f"{tag} BAD Unsupported store")
                    continue
                new = set(words[2].strip("()").split())
                with box.lock:
                    uids = _uid_set(words[0], [m.uid for m in box.messages])
                    for seq, stored in enumerate(box.messages, 1):
                        if stored.uid in uids:
                            stored.flags |= new
                            if mode == "+FLAGS":
                                flags = " ".join(sorted(stored.flags))
                                self._send(f"* {seq} FETCH (UID {stored.uid} FLAGS ({flags}))")
                self._send(f"{tag} OK STORE completed")
            elif verb in ("LOGIN", "SELECT", "UID SEARCH", "UID FETCH", "UID STORE"):
                self._send(f"{tag} BAD Command not valid in this state")
            else:
                self._send(f"{tag} BAD Unknown command")


class ImapServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        super().__init__(("127.0.0.1", 0), _ImapHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


# --- an SMTP server on loopback that files mail into IMAP mailboxes -------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpServer

    def _send(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())

    def handle(self) -> None:
        self._send("220 localhost ESMTP mehvar test")
        sender: str | None = None
        recipients: list[str] = []
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            verb, _, arg = line.decode("ascii", "replace").rstrip("\r\n").partition(" ")
            verb = verb.upper()
            address = re.search(r"<([^>]*)>", arg)
            if verb == "EHLO":
                self._send("250-localhost", "250-8BITMIME", "250 SIZE 20000000")
            elif verb == "HELO":
                self._send("250 localhost")
            elif verb == "MAIL" and address is not None:
                sender, recipients = address.group(1), []
                self._send("250 2.1.0 Ok")
            elif verb == "RCPT" and address is not None and sender is not None:
                if address.group(1).lower() not in self.server.mailboxes:
                    self._send("550 5.1.1 No such user")
                    continue
                recipients.append(address.group(1).lower())
                self._send("250 2.1.5 Ok")
            elif verb == "DATA" and recipients:
                self._send("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while (chunk := self.rfile.readline(1 << 20)) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                for recipient in recipients:
                    self.server.mailboxes[recipient].add(bytes(data))
                sender, recipients = None, []
                self._send("250 2.0.0 Ok: queued")
            elif verb in ("RSET", "NOOP"):
                if verb == "RSET":
                    sender, recipients = None, []
                self._send("250 2.0.0 Ok")
            elif verb == "QUIT":
                self._send("221 2.0.0 Bye")
                return
            elif verb in ("MAIL", "RCPT", "DATA"):
                self._send("503 5.5.1 Bad sequence of commands")
            else:
                self._send("502 5.5.2 Command not implemented")


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mailboxes: dict[str, Mailbox]) -> None:
        self.mailboxes = mailboxes
        super().__init__(("127.0.0.1", 0), _SmtpHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def _serve(server: socketserver.BaseServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    return thread


@pytest.fixture
def imap() -> Iterator[ImapServer]:
    server = ImapServer(Mailbox(user=SUPPORT, password=PASSWORD))
    thread = _serve(server)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def smtp(imap: ImapServer) -> Iterator[SmtpServer]:
    """Mail to the support address lands in ``imap``; customers get mailboxes of their own."""
    boxes = {
        SUPPORT: imap.mailbox,
        "ali@example.com": Mailbox(user="ali@example.com", password="x"),
    }
    server = SmtpServer(boxes)
    thread = _serve(server)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def mailbox_settings(settings: Any, imap: ImapServer) -> Any:
    settings.SUPPORT_EMAIL = SUPPORT
    settings.SUPPORT_IMAP = {
        "host": "127.0.0.1",
        "port": imap.port,
        "user": SUPPORT,
        "password": PASSWORD,
        "ssl": False,
        "folder": "INBOX",
    }
    return settings


def _poll(imap: ImapServer, **overrides: Any) -> mail_intake.PollReport:
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": imap.port,
        "user": SUPPORT,
        "password": PASSWORD,
        "ssl": False,
        "folder": "INBOX",
    }
    options.update(overrides)
    return poll_mailbox(**options)


def _message(
    *,
    sender: str = "علی رضایی <ali@example.com>",
    subject: str = "سفارش نرسیده",
    body: str | None = BODY,
    html: str | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SUPPORT
    msg["Subject"] = subject
    msg["Date"] = formatdate()
    msg["Message-ID"] = message_id or make_msgid(domain="example.com")
    for name, value in (headers or {}).items():
        msg[name] = value
    if body is not None:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    return msg


def _raw(**kwargs: Any) -> bytes:
    return _message(**kwargs).as_bytes()


def _arabic_letters(text: str) -> str:
    # windows-1256 has no Persian yeh and kaf: Persian text in it is written with the Arabic ones.
    return text.replace("ی", "ي").replace("ک", "ك")


def _windows_1256() -> bytes:
    subject = b64encode(_arabic_letters("شکایت از ارسال").encode("cp1256")).decode()
    subject = f"=?windows-1256?B?{subject}?="
    body = quopri.encodestring(
        _arabic_letters("کالا شکسته رسید و پول من برنگشت.\n").encode("cp1256")
    )
    return (
        b"From: =?utf-8?B?" + b64encode("مریم".encode()) + b"?= <maryam@example.com>\r\n"
        b"To: " + SUPPORT.encode() + b"\r\n"
        b"Subject: " + subject.encode() + b"\r\n"
        b"Message-ID: <cp1256-1@example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=windows-1256\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n"
        b"\r\n" + body
    )


# --- reading the mailbox ----------------------------------------------------------------


def test_a_new_email_becomes_a_ticket_and_is_marked_read(desk: Any, imap: ImapServer) -> None:
    uid = imap.mailbox.add(_raw())

    report = _poll(imap)

    ticket = Ticket.objects.get()
    assert report.created == [ticket.pk]
    assert report.seen == 1
    assert not report.failed
    assert (ticket.channel, ticket.kind, ticket.status) == ("email", "question", "new")
    assert ticket.subject == "سفارش نرسیده"
    assert ticket.assignee == desk["agent"] or ticket.assignee == desk["agent2"]
    message = ticket.messages.get()
    assert (message.kind, message.channel) == ("customer", "email")
    assert "سفارش 1234 من هنوز نرسیده است" in message.body
    assert ticket.customer.email == "ali@example.com"
    assert ticket.customer.first_name == "علی رضایی"
    event = TimelineEvent.objects.get(customer=ticket.customer, kind=EventKind.TICKET_OPENED)
    assert (event.channel, event.direction) == ("email", "inbound")
    assert imap.mailbox.flags(uid) == {"\\Seen"}
    # The message was read with BODY.PEEK[] and marked only after the ticket was stored.
    fetch = next(i for i, c in enumerate(imap.mailbox.commands) if "UID FETCH" in c.upper())
    store = next(i for i, c in enumerate(imap.mailbox.commands) if "UID STORE" in c.upper())
    assert "BODY.PEEK[]" in imap.mailbox.commands[fetch]
    assert store > fetch

    again = _poll(imap)

    assert (again.seen, again.created, again.failed) == (0, [], [])
    assert Ticket.objects.count() == 1
    assert TicketMessage.objects.count() == 1


def test_an_existing_customer_is_found_by_address(
    desk: Any, imap: ImapServer, make_customer: Any
) -> None:
    known = make_customer(email="Ali@Example.com")
    imap.mailbox.add(_raw(sender="Ali <ALI@example.com>"))

    _poll(imap)

    assert Ticket.objects.get().customer == known
    assert Customer.objects.count() == 1


def test_the_same_message_twice_in_the_mailbox_is_one_ticket(desk: Any, imap: ImapServer) -> None:
    raw = _raw(message_id="<twice@example.com>")
    first, second = imap.mailbox.add(raw), imap.mailbox.add(raw)

    report = _poll(imap)

    assert len(report.created) == 1
    assert report.duplicates == 1
    assert Ticket.objects.count() == 1
    assert imap.mailbox.flags(first) == imap.mailbox.flags(second) == {"\\Seen"}


def test_persian_in_windows_1256_is_decoded(desk: Any, imap: ImapServer) -> None:
    imap.mailbox.add(_windows_1256())

    _poll(imap)

    ticket = Ticket.objects.get()
    assert ticket.subject == "شکایت از ارسال"
    assert ticket.messages.get().body == "کالا شکسته رسید و پول من برنگشت."
    assert ticket.customer.first_name == "مریم"


def test_an_html_only_email_is_stored_as_text(desk: Any, imap: ImapServer) -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>سلام،</p><p>کد تخفیف <b>کار نمی‌کند</b> &amp; خطا می‌دهد.</p>"
        '<img src="x" onerror="alert(2)"><a href="javascript:alert(3)">اینجا</a>'
        '<div class="gmail_quote">On Mon, support wrote:<blockquote>پیام قبلی</blockquote></div>'
        "</body></html>"
    )
    imap.mailbox.add(_raw(body=None, html=html))

    _poll(imap)

    body = Ticket.objects.get().messages.get().body
    assert body == "سلام،\n\nکد تخفیف کار نمی‌کند & خطا می‌دهد.\nاینجا"
    assert "<" not in body
    assert "alert" not in body
    assert "پیام قبلی" not in body


def test_quoted_history_and_signature_are_cut_and_attachments_counted(
    desk: Any, imap: ImapServer
) -> None:
    text = (
        "جعبه آسیب دیده بود.\n\n"
        "On Mon, 5 May 2025 at 10:00, Support <support@mehvar.test> wrote:\n"
        "> پاسخ قبلی پشتیبانی\n> \n"
        "-- \nعلی رضایی\nمدیر فروش\n"
    )
    msg = _message(body=text)
    msg.add_attachment(
        b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="فاکتور.pdf"
    )
    imap.mailbox.add(msg.as_bytes())

    _poll(imap)

    body = Ticket.objects.get().messages.get().body
    assert body.startswith("جعبه آسیب دیده بود.")
    assert "پاسخ قبلی" not in body
    assert "مدیر فروش" not in body
    assert "wrote" not in body
    assert "1" in body
    assert "فاکتور.pdf" in body


def test_an_auto_reply_a_bounce_and_our_own_mail_are_skipped(
    desk: Any, imap: ImapServer, settings: Any
) -> None:
    settings.SUPPORT_EMAIL = f"Mehvar support <{SUPPORT}>"
    uids = [
        imap.mailbox.add(_raw(headers={"Auto-Submitted": "auto-replied"}, subject="Out of office")),
        imap.mailbox.add(_raw(headers={"Precedence": "bulk"})),
        imap.mailbox.add(_raw(sender="Mail Delivery System <MAILER-DAEMON@example.com>")),
        imap.mailbox.add(_raw(sender=f"Support <{SUPPORT}>")),
        imap.mailbox.add(_raw(sender="undisclosed-recipients:;")),
    ]

    report = _poll(imap)

    assert Ticket.objects.count() == 0
    assert report.skipped == {
        "auto_reply": 1,
        "bulk": 1,
        "bounce": 1,
        "own_address": 1,
        "no_sender": 1,
    }
    assert all(imap.mailbox.flags(uid) == {"\\Seen"} for uid in uids)


def test_an_unreadable_message_is_flagged_and_the_rest_are_read(
    desk: Any, imap: ImapServer
) -> None:
    bad = imap.mailbox.add(b"\x00\x01 this is not a mail message \xff\xfe")
    good = imap.mailbox.add(_raw())

    report = _poll(imap)

    assert [uid for uid, _error in report.failed] == [str(bad)]
    assert imap.mailbox.flags(bad) == {"\\Seen", "\\Flagged"}
    assert imap.mailbox.flags(good) == {"\\Seen"}
    assert Ticket.objects.count() == 1


def test_a_wrong_password_is_a_clear_error(desk: Any, imap: ImapServer) -> None:
    uid = imap.mailbox.add(_raw())

    with pytest.raises(MailboxError) as refused:
        _poll(imap, password="wrong")

    assert "refused the login" in str(refused.value) or "ورود" in str(refused.value)
    assert "AUTHENTICATIONFAILED" in str(refused.value)
    assert imap.mailbox.flags(uid) == set()
    assert Ticket.objects.count() == 0


def test_an_unreachable_server_and_a_missing_folder_are_clear_errors(
    desk: Any, imap: ImapServer
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(MailboxError, match=f"127.0.0.1:{closed_port}"):
        _poll(imap, port=closed_port)
    with pytest.raises(MailboxError, match="Archive"):
        _poll(imap, folder="Archive")
    # TLS expected, plain text answered: refused before any password is sent.
    before = len(imap.mailbox.commands)
    with pytest.raises(MailboxError, match=f"127.0.0.1:{imap.port}"):
        _poll(imap, ssl=True)
    assert not any(" LOGIN " in c for c in imap.mailbox.commands[before:])


# --- replies thread onto tickets ------------------------------------------------------------


@pytest.fixture
def smtp_out(settings: Any, smtp: SmtpServer) -> Any:
    """Django sends the desk's replies through the local SMTP server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SUPPORT_EMAIL = SUPPORT
    return settings


def _send(smtp: SmtpServer, msg: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
        client.send_message(msg)


def test_a_customer_reply_through_smtp_threads_onto_the_ticket_and_reopens_it(
    desk: Any,
    imap: ImapServer,
    smtp: SmtpServer,
    smtp_out: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The whole road: SMTP in, IMAP poll, a reply out over SMTP, the customer's answer back."""
    _send(smtp, _message())
    _poll(imap)
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.message_add(actor=desk["agent"], ticket=ticket, kind="reply", body="بررسی می‌کنیم.")
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_transition(
            actor=desk["agent"], ticket=ticket, status="resolved", resolution="ارسال شد."
        )
    inbox = smtp.mailboxes["ali@example.com"]
    assert len(inbox.messages) == 1
    import email as email_lib
    import email.policy

    reply = email_lib.message_from_bytes(inbox.messages[0].raw, policy=email.policy.default)
    assert reply["Subject"] == f"[{ticket.number}] سفارش نرسیده"
    # Signed: the customer's client quotes it back, and only a quoted, signed id threads.
    assert re.fullmatch(r"<t\d+\.m\d+\.[0-9a-f]{16}@mehvar\.ticket>", reply["Message-ID"])
    answer = _message(
        subject=f"Re: {reply['Subject']}",
        body="هنوز نرسیده!\n\nOn Tue, support wrote:\n> بررسی می‌کنیم.\n",
        headers={"In-Reply-To": reply["Message-ID"], "References": reply["Message-ID"]},
    )
    _send(smtp, answer)

    report = _poll(imap)

    ticket.refresh_from_db()
    assert report.created == []
    assert len(report.added) == 1
    assert (ticket.status, ticket.reopen_count) == ("open", 1)
    words = ticket.messages.get(pk=report.added[0])
    assert (words.kind, words.channel, words.body) == ("customer", "email", "هنوز نرسیده!")
    assert Ticket.objects.count() == 1


def _waiting_reply(desk: Any, imap: ImapServer) -> tuple[Ticket, TicketMessage]:
    """Ali's emailed ticket, with an agent's reply that waits for his answer."""
    imap.mailbox.add(_raw())
    _poll(imap)
    ticket = Ticket.objects.get()
    reply = tickets.message_add(
        actor=desk["agent"],
        ticket=ticket,
        kind="reply",
        body="شماره سفارش؟",
        wait_for_customer=True,
    )
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    return ticket, reply


def test_a_reply_quoting_our_signed_id_restarts_a_waiting_ticket(
    desk: Any, imap: ImapServer
) -> None:
    ticket, reply = _waiting_reply(desk, imap)
    ours = notify.message_id_for(reply)
    assert re.fullmatch(rf"<t{ticket.pk}\.m{reply.pk}\.[0-9a-f]{{16}}@mehvar\.ticket>", ours)
    imap.mailbox.add(
        _raw(
            subject="RE: سفارش نرسیده",
            body="۱۲۳۴",
            headers={"In-Reply-To": "<other@example.com>", "References": f"<x@y.z> {ours}"},
        )
    )

    report = _poll(imap)

    ticket.refresh_from_db()
    assert len(report.added) == 1
    assert ticket.status == "open"
    assert ticket.paused_since is None


def test_a_subject_tag_alone_opens_a_new_ticket(desk: Any, imap: ImapServer) -> None:
    """Ticket numbers are public and sequential: "[T-12]" names a ticket, it proves nothing."""
    ticket, _reply = _waiting_reply(desk, imap)
    imap.mailbox.add(_raw(subject=f"RE: [T-{ticket.pk}] سفارش نرسیده", body="۱۲۳۴"))

    report = _poll(imap)

    ticket.refresh_from_db()
    assert report.added == []
    assert len(report.created) == 1
    assert ticket.status == "waiting"
    assert ticket.messages.count() == 2
    new = Ticket.objects.get(pk=report.created[0])
    assert new.customer == ticket.customer
    assert new.subject == "سفارش نرسیده"  # our tag is not carried into the new ticket
    assert new.identity_confirmed  # from the address on file


@pytest.mark.parametrize("forge", ["unsigned", "wrong_signature", "other_message", "old_secret"])
def test_a_guessed_or_badly_signed_id_opens_a_new_ticket(
    forge: str, desk: Any, imap: ImapServer, settings: Any
) -> None:
    ticket, reply = _waiting_reply(desk, imap)
    good = notify.message_id_signature(ticket.pk, reply.pk)
    forged = {
        "unsigned": f"<t{ticket.pk}.m{reply.pk}@mehvar.ticket>",
        "wrong_signature": f"<t{ticket.pk}.m{reply.pk}.{'0' * 16}@mehvar.ticket>",
        # A real signature, moved onto another message of the same ticket.
        "other_message": f"<t{ticket.pk}.m{reply.pk + 1}.{good}@mehvar.ticket>",
        "old_secret": f"<t{ticket.pk}.m{reply.pk}.{good}@mehvar.ticket>",
    }[forge]
    if forge == "old_secret":
        settings.SECRET_KEY = "a-new-secret-" + "x" * 40  # the old one is not a fallback
    imap.mailbox.add(
        _raw(
            subject=f"Re: [T-{ticket.pk}] سفارش نرسیده",
            body="این سفارش را لغو کنید.",
            headers={"In-Reply-To": forged, "References": forged},
        )
    )

    report = _poll(imap)

    assert report.added == []
    assert len(report.created) == 1
    assert ticket.messages.count() == 2
    ticket.refresh_from_db()
    assert ticket.status == "waiting"


def test_a_rotated_secret_still_threads_through_its_fallback(
    desk: Any, imap: ImapServer, settings: Any
) -> None:
    ticket, reply = _waiting_reply(desk, imap)
    ours = notify.message_id_for(reply)
    assert ours.startswith(f"<t{ticket.pk}.")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-" + "x" * 40
    imap.mailbox.add(_raw(subject="Re: سفارش نرسیده", body="۱۲۳۴", headers={"In-Reply-To": ours}))

    report = _poll(imap)

    assert len(report.added) == 1
    assert notify.message_id_for(reply) != ours


def test_a_stranger_cannot_write_into_someone_elses_ticket(desk: Any, imap: ImapServer) -> None:
    """Even quoting the real, signed id of a reply (a forwarded mail, a leaked header)."""
    ticket, reply = _waiting_reply(desk, imap)
    imap.mailbox.add(
        _raw(
            sender="Mallory <mallory@example.net>",
            subject=f"Re: [T-{ticket.pk}] سفارش نرسیده",
            body="این سفارش را لغو کنید.",
            headers={"In-Reply-To": notify.message_id_for(reply)},
        )
    )

    report = _poll(imap)

    assert len(report.created) == 1
    assert report.added == []
    assert ticket.messages.count() == 2
    other = Ticket.objects.get(pk=report.created[0])
    assert other.customer.email == "mallory@example.net"
    assert other.subject == "سفارش نرسیده"  # our tag is not carried into a new ticket
    assert other.identity_confirmed  # a new record: whoever wrote is who it describes


def test_a_reply_to_a_closed_ticket_opens_a_new_one(desk: Any, imap: ImapServer) -> None:
    ticket, reply = _waiting_reply(desk, imap)
    tickets.ticket_transition(
        actor=desk["agent"], ticket=ticket, status="resolved", resolution="ok"
    )
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="closed")
    imap.mailbox.add(
        _raw(
            subject=f"Re: [T-{ticket.pk}] سفارش نرسیده",
            body="باز هم خراب شد.",
            headers={"In-Reply-To": notify.message_id_for(reply)},
        )
    )

    report = _poll(imap)

    assert len(report.created) == 1
    new = Ticket.objects.get(pk=report.created[0])
    assert new.customer == ticket.customer
    assert new.pk != ticket.pk


# --- who wrote: identity of an emailed ticket -----------------------------------------------


def test_a_new_sender_and_the_stored_address_give_confirmed_tickets(
    desk: Any, make_customer: Any
) -> None:
    new = ticket_from_email(_raw(sender="Sara <sara@example.com>"))
    known = make_customer(email="ali@example.com")
    same = ticket_from_email(_raw(sender="Ali <ALI@Example.com>"))

    assert Ticket.objects.get(pk=new.ticket_id).identity_confirmed
    found = Ticket.objects.get(pk=same.ticket_id)
    assert (found.customer, found.identity_confirmed) == (known, True)


def test_a_record_matched_other_than_by_its_exact_address_gives_an_unconfirmed_ticket(
    desk: Any, make_customer: Any
) -> None:
    # The address is cleaned before the lookup (Persian digits → Latin): the mail did not come
    # from the address on file, it only looks like it.
    known = make_customer(email="ali1@example.com")
    result = ticket_from_email(_raw(sender="Ali <ali۱@example.com>"))

    assert result.outcome == "created", result
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert (ticket.customer, ticket.identity_confirmed) == (known, False)


# --- the command and the periodic task ------------------------------------------------------


def test_the_command_reads_the_mailbox_and_reports(
    desk: Any, imap: ImapServer, mailbox_settings: Any, capsys: Any
) -> None:
    imap.mailbox.add(_raw())
    imap.mailbox.add(_raw(headers={"Auto-Submitted": "auto-replied"}))

    call_command("service_mail_poll")

    out = capsys.readouterr().out
    assert Ticket.objects.count() == 1
    assert "1" in out
    assert "auto_reply: 1" in out


def test_the_command_fails_with_a_clear_message(
    desk: Any, imap: ImapServer, mailbox_settings: Any
) -> None:
    with pytest.raises(CommandError, match="AUTHENTICATIONFAILED"):
        call_command("service_mail_poll", password="wrong", ssl=False)
    mailbox_settings.SUPPORT_IMAP = {**mailbox_settings.SUPPORT_IMAP, "host": ""}
    with pytest.raises(CommandError, match="MEHVAR_SUPPORT_IMAP_HOST"):
        call_command("service_mail_poll")


def test_the_periodic_task_polls_only_when_configured(
    desk: Any, imap: ImapServer, mailbox_settings: Any
) -> None:
    from mehvar.service.tasks_mail import poll_support_mailbox

    imap.mailbox.add(_raw())
    mailbox_settings.SUPPORT_IMAP = {**mailbox_settings.SUPPORT_IMAP, "host": ""}
    poll_support_mailbox()
    assert Ticket.objects.count() == 0
    assert imap.mailbox.commands == []

    mailbox_settings.SUPPORT_IMAP = {**mailbox_settings.SUPPORT_IMAP, "host": "127.0.0.1"}
    poll_support_mailbox()
    assert Ticket.objects.count() == 1


# --- the inbound webhook --------------------------------------------------------------------

URL = "/service/inbound/email/"
SECRET = "s3cret-token"


@pytest.fixture
def hook(settings: Any, desk: Any) -> Any:
    settings.SUPPORT_INBOUND_SECRET = "s3cret-token"
    settings.SUPPORT_EMAIL = SUPPORT
    return settings


def _post(client: Any, raw: bytes, token: str = SECRET, **extra: Any) -> Any:
    return client.post(
        URL,
        data=raw,
        content_type=extra.pop("content_type", "message/rfc822"),
        headers={"Authorization": f"Bearer {token}"},
        **extra,
    )


def test_the_webhook_url_is_named() -> None:
    assert reverse("service:inbound_email") == URL


def test_the_webhook_is_off_without_a_secret(client: Any, settings: Any, desk: Any) -> None:
    settings.SUPPORT_INBOUND_SECRET = ""
    assert _post(client, _raw(), token="").status_code == 404
    assert client.get(URL).status_code == 404
    assert Ticket.objects.count() == 0


def test_the_webhook_refuses_a_wrong_secret(client: Any, hook: Any) -> None:
    assert _post(client, _raw(), token="s3cret-tokeN").status_code == 401
    answer = client.post(URL, data=_raw(), content_type="message/rfc822")
    assert answer.status_code == 401
    assert "Bearer" in answer.headers["WWW-Authenticate"]
    assert Ticket.objects.count() == 0


def test_the_webhook_makes_a_ticket_once(client: Any, hook: Any) -> None:
    raw = _raw(message_id="<hook-1@example.com>")

    first = _post(client, raw)
    second = _post(client, raw, content_type="application/octet-stream")

    ticket = Ticket.objects.get()
    assert first.status_code == 200
    assert first.json()["outcome"] == "created"
    assert first.json()["ticket_id"] == ticket.pk
    assert first.json()["ticket"] == ticket.number
    assert second.status_code == 200
    assert second.json()["outcome"] == "duplicate"
    assert second.json()["ticket_id"] == ticket.pk
    assert TicketMessage.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_one_message_posted_ten_times_at_once_is_one_ticket(hook: Any) -> None:
    raw = _raw(message_id="<race@example.com>")
    count = 10
    start = threading.Barrier(count)
    answers: list[dict[str, Any]] = [{}] * count

    def run(index: int) -> None:
        try:
            start.wait()
            answer = _post(Client(), raw)
            answers[index] = {"status": answer.status_code, **answer.json()}
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ticket = Ticket.objects.get()
    assert {a["status"] for a in answers} == {200}
    assert sorted(a["outcome"] for a in answers) == ["created"] + ["duplicate"] * (count - 1)
    assert {a["ticket_id"] for a in answers} == {ticket.pk}
    assert Customer.objects.filter(email_key="ali@example.com").count() == 1
    assert TicketMessage.objects.count() == 1


@pytest.mark.parametrize(
    "message_id",
    [b"<a\x00b@example.com>", b"<\x00>", b"<a\x01b\x7f@example.com>", "<سلام@example.ir>".encode()],
)
def test_a_message_id_with_nul_or_control_characters_is_stored_safely(
    client: Any, hook: Any, message_id: bytes
) -> None:
    """PostgreSQL refuses NUL in text: such an id once made the webhook answer 500."""
    raw = (
        b"From: Ali <ali@example.com>\r\nTo: " + SUPPORT.encode() + b"\r\nSubject: test\r\n"
        b"Message-ID: " + message_id + b"\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + BODY.encode() + b"\r\n"
    )

    first, second = _post(client, raw), _post(client, raw)

    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["outcome"], second.json()["outcome"]) == ("created", "duplicate")
    stored = Ticket.objects.get().email_message_id
    assert re.fullmatch(r"<sha256\.[0-9a-f]{64}@odd\.mehvar\.ticket>", stored)


def test_only_visible_ascii_message_ids_are_kept_as_they_are() -> None:
    def parsed(value: bytes) -> str:
        raw = b"From: a@example.com\r\nSubject: s\r\nMessage-ID: " + value + b"\r\n\r\nx\r\n"
        return mail_intake.parse_mail(raw).message_id

    assert parsed(b"<ok.1-2_3+x=y/z@example.com>") == "<ok.1-2_3+x=y/z@example.com>"
    assert parsed(b"noise <ok@example.com> more") == "<ok@example.com>"
    long = b"<" + b"x" * 300 + b"@example.com>"
    assert re.fullmatch(r"<sha256\.[0-9a-f]{64}@long\.mehvar\.ticket>", parsed(long))
    for odd in (b"<a\x00b@x>", b"<a\tb@x>", b"bare@example.com", "<é@x>".encode(), b"<a\x1bb@x>"):
        value = parsed(odd)
        assert re.fullmatch(r"<sha256\.[0-9a-f]{64}@odd\.mehvar\.ticket>", value), odd
        assert value == parsed(odd)  # stable: a redelivery is recognised
    assert parsed(b"<a\x00b@x>") != parsed(b"<a\x00c@x>")


def test_the_webhook_answers_skips_with_200(client: Any, hook: Any) -> None:
    answer = _post(client, _raw(headers={"Auto-Submitted": "auto-replied"}))
    assert answer.status_code == 200
    assert answer.json() | {"attachments": 0} == {
        "outcome": "skipped",
        "ticket": None,
        "ticket_id": None,
        "message_id": None,
        "reason": "auto_reply",
        "attachments": 0,
    }


def test_the_webhook_refuses_garbage_and_oversize(client: Any, hook: Any) -> None:
    assert _post(client, b"\x00\x01\xff not mail").status_code == 400
    assert _post(client, b"").status_code == 400
    nested = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(3000)
    )
    answer = _post(client, b"From: a@example.com\r\nMIME-Version: 1.0\r\n" + nested)
    assert answer.status_code == 400  # the parser gives up (RecursionError): refused, no 500
    assert _post(client, b"x" * (mail_intake.RAW_MAX + 1)).status_code == 413
    assert _post(client, _raw(), content_type="application/json").status_code == 415
    assert client.get(URL, headers={"Authorization": "Bearer s3cret-token"}).status_code == 405
    assert Ticket.objects.count() == 0


# --- the text rules on their own ------------------------------------------------------------


def test_strip_quoted_keeps_bottom_posted_words_and_persian_attribution() -> None:
    assert strip_quoted("> old\n> older\nmy answer\n") == "my answer"
    assert strip_quoted("پاسخ من\nدر تاریخ ۱۴۰۴/۰۲/۱۵ پشتیبانی نوشت:\n> قبلی") == "پاسخ من"
    assert strip_quoted("top\n-----Original Message-----\nFrom: x") == "top"
    assert strip_quoted("> everything quoted") == "> everything quoted"
    wrapped = "ok\nOn Mon, 5 May 2025, Support <s@example.com>\nwrote:\n> old\nbye"
    assert strip_quoted(wrapped) == "ok\nbye"


def test_html_to_text_drops_markup_and_scripts() -> None:
    text = html_to_text("<p>a<br>b</p><script>x()</script><style>p{}</style>&lt;c&gt;")
    assert [line for line in text.splitlines() if line] == ["a", "b", "<c>"]


def test_a_message_without_message_id_is_still_taken_once(desk: Any) -> None:
    msg = _message()
    del msg["Message-ID"]
    raw = msg.as_bytes()

    first, second = ticket_from_email(raw), ticket_from_email(raw)

    assert first.outcome == "created"
    assert second.outcome == "duplicate"
    assert first.ticket_id == second.ticket_id


def test_headers_without_a_sender_are_skipped(desk: Any) -> None:
    result = ticket_from_email(b"Subject: hello\r\n\r\nbody\r\n")
    assert (result.outcome, result.reason) == ("skipped", "no_sender")


def test_html_to_text_stays_fast_on_hostile_markup() -> None:
    import time

    started = time.monotonic()
    text = html_to_text("<b>" * 20_000 + "سلام" + "</i>" * 20_000)
    assert text.strip() == "سلام"
    assert time.monotonic() - started < 2


def test_auto_submitted_no_is_a_person_writing(desk: Any) -> None:
    result = ticket_from_email(_raw(headers={"Auto-Submitted": "no"}))
    assert result.outcome == "created"


def test_a_mislabelled_charset_is_still_read(desk: Any) -> None:
    raw = (
        b"From: reza@example.com\r\nSubject: test\r\nMessage-ID: <mislabel@example.com>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + _arabic_letters("پول من برنگشت").encode("cp1256")
    )
    result = ticket_from_email(raw)
    assert result.outcome == "created", result
    assert TicketMessage.objects.get(pk=result.message_id).body == "پول من برنگشت"
    assert Customer.objects.get().first_name == "reza"  # no display name: the address's name
