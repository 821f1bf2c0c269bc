"""Email intake: a message to the support mailbox becomes a ticket, or a message on one.

Two ways in, one function: ``poll_mailbox`` reads the mailbox over IMAP (a periodic task and
``mehvar service_mail_poll``), and a mail provider may post the raw message to the inbound
webhook (``views_inbound``). Both hand the raw bytes to ``ticket_from_email``.

Rules that keep the desk safe from mail's usual trouble:

- **Exactly once**: the message's Message-ID is stored on the ticket or message it made, and a
  second delivery of the same message (a retried webhook, a mailbox read twice after a crash)
  finds it and changes nothing. A message without a Message-ID is keyed by its bytes' hash.
- **No loops**: auto-replies, bounces, mailing-list and bulk mail, and mail from our own
  address are skipped with a reason, so two auto-responders cannot write to each other forever.
- **No strangers in other people's tickets**: a reply threads onto a ticket only when its
  In-Reply-To/References quote one of our own Message-IDs *with a valid signature*
  (``notify.message_id_for``: ``<t12.m34.<hmac>@mehvar.ticket>``, which only the desk can make
  and only the customer's mailbox received), it comes from that ticket's customer's stored
  address, and the ticket is not closed. Anything else — a "[T-12]" subject tag alone, an
  unsigned or wrongly signed id, another sender — opens a new ticket (``repeat_of`` may link it);
  the tag is stripped from that ticket's subject. Answers to replies sent before the ids were
  signed therefore open new tickets too.
- **Who wrote**: a From header is only as trustworthy as the mailbox's SPF/DKIM/DMARC checks
  (the mail server must reject or quarantine failures before the desk reads them). A new ticket
  is marked ``identity_confirmed`` when its sender is a new customer or equals the matched
  customer's stored address; a customer matched any other way gets an unconfirmed ticket, which
  staff confirm by calling the number on file.
- **Safe ids**: a Message-ID is kept only when it is visible ASCII in angle brackets, at most
  255 characters; anything else (NUL, control characters, non-ASCII, no brackets) is replaced by
  a hash of it, so PostgreSQL never sees a NUL and a retried delivery still maps to one key.
- **Text only**: the plain-text part is preferred; HTML is reduced to its text (no markup is
  stored); quoted history and signatures are cut; attachments are counted, not kept.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import imaplib
import logging
import re
import socket
import ssl as ssl_module
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any, Final, Literal

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from mehvar.core.errors import ValidationFailed
from mehvar.core.models import Channel
from mehvar.core.persian import normalize_text
from mehvar.customers.fields import FieldError, clean_email
from mehvar.customers.models import Customer
from mehvar.customers.services import customer_for_contact
from mehvar.service import tickets
from mehvar.service.models import (
    MessageKind,
    Ticket,
    TicketChannel,
    TicketKind,
    TicketMessage,
    TicketStatus,
)
from mehvar.service.notify import MESSAGE_ID_DOMAIN, message_id_verifies

log = logging.getLogger(__name__)

# A message larger than this is refused by the webhook and flagged in the mailbox: support mail
# with 10 MB of attachments is not read as text anyway.
RAW_MAX: Final = 10 * 1024 * 1024
IMAP_TIMEOUT: Final = 30
# More HTML than this holds far more text than a ticket keeps (``tickets.BODY_MAX``).
HTML_MAX: Final = 2_000_000
MESSAGE_ID_MAX: Final = 255
NO_SUBJECT: Final = "بدون موضوع"

Outcome = Literal["created", "added", "duplicate", "skipped"]

# Stable codes for why a message made no ticket (shown in reports and the webhook's answer).
SKIP_AUTO_REPLY: Final = "auto_reply"
SKIP_BULK: Final = "bulk"
SKIP_BOUNCE: Final = "bounce"
SKIP_OWN_ADDRESS: Final = "own_address"
SKIP_NO_SENDER: Final = "no_sender"
SKIP_BAD_SENDER: Final = "invalid_sender"

# Any id of our shape, signed or not: a mail carrying one as its own Message-ID is one of our
# replies come back (loop protection). Only a signed one that verifies threads a reply.
_OUR_REF = re.compile(
    r"<t(\d{1,12})\.m(\d{1,12})(?:\.([0-9a-f]{1,64}))?@" + re.escape(MESSAGE_ID_DOMAIN) + r">",
    re.IGNORECASE,
)
# RFC 5322 msg-id characters we store as they are: visible ASCII without "<" and ">" inside.
_SAFE_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+>")
_SUBJECT_TAG = re.compile(r"\[\s*T\s*-\s*(\d{1,12})\s*\]", re.IGNORECASE)
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|رد|پاسخ|هدایت)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
# NUL and other C0 controls: PostgreSQL refuses NUL in text, and none of them is anyone's words.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BOUNCE_SENDERS: Final = frozenset({"mailer-daemon", "postmaster", "mail-daemon"})
_BULK_PRECEDENCE: Final = frozenset({"bulk", "junk", "list", "auto_reply"})

# Where the customer's own words end: the line that introduces the quoted history, a signature
# separator, or the separators Outlook and others put above a forwarded/quoted message.
_ATTRIBUTION = (
    re.compile(r"^\s*On\b.{0,300}\bwrote\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*در\s+تاریخ\b.{0,300}\bنوشت(?:ه\s*است)?\s*[:：]?\s*$"),
    re.compile(r"^\s*.{0,200}\bنوشت\s*[:：]\s*$"),
)
_WRAPPED_ON = re.compile(r"^\s*On\b", re.IGNORECASE)
_WRAPPED_WROTE = re.compile(r"^\s*wrote\s*:\s*$", re.IGNORECASE)
_HISTORY_START = (
    re.compile(r"^-- ?$"),
    re.compile(r"^\s*-{2,}\s*(?:Original Message|Forwarded message|پیام اصلی)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*Begin forwarded message:\s*$", re.IGNORECASE),
)


class NotAnEmail(ValueError):
    """The bytes are not a mail message (no header section at all)."""


class MailboxError(Exception):
    """The mailbox could not be read: the message says why, in the reader's language."""


@dataclass(frozen=True)
class IntakeResult:
    outcome: Outcome
    ticket_id: int | None = None
    message_id: int | None = None
    reason: str = ""
    attachments: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "ticket": f"T-{self.ticket_id}" if self.ticket_id is not None else None,
            "ticket_id": self.ticket_id,
            "message_id": self.message_id,
            "reason": self.reason,
            "attachments": self.attachments,
        }


@dataclass(frozen=True)
class _Mail:
    message_id: str
    sender: str
    name: str
    subject: str
    body: str
    attachments: list[str]
    ticket_refs: list[int]
    skip: str


# --- parsing (no database) ------------------------------------------------------------------


def _header(msg: Message, name: str) -> str:
    """A header as text; a header the parser chokes on counts as absent."""
    try:
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:  # malformed headers raise assorted errors in the header registry
        return ""


def _sender(msg: Message) -> tuple[str, str]:
    raw = _header(msg, "From")
    with contextlib.suppress(Exception):  # a malformed header: the lenient parser below
        addresses: tuple[Any, ...] = tuple(getattr(msg.get("From"), "addresses", ()))
        if len(addresses) == 1:
            return addresses[0].addr_spec.strip(), addresses[0].display_name.strip()
    name, address = parseaddr(raw)
    return address.strip(), name.strip()


def _message_id(msg: Message, raw: bytes) -> str:
    value = _header(msg, "Message-ID").strip()
    found = re.search(r"<[^<>\s]+>", value)
    value = found.group(0) if found else value.split()[0] if value.split() else ""
    if not value:
        # Without an id a retried delivery would open a second ticket; the same bytes twice
        # are the same message.
        return f"<sha256.{hashlib.sha256(raw).hexdigest()}@intake.{MESSAGE_ID_DOMAIN}>"
    if len(value) > MESSAGE_ID_MAX or not _SAFE_MESSAGE_ID.fullmatch(value):
        # A NUL makes PostgreSQL refuse the row (a 500 on the webhook, a mail stuck forever);
        # the hash keeps the id's job — the same id twice is the same message — without its bytes.
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
        why = "long" if len(value) > MESSAGE_ID_MAX else "odd"
        return f"<sha256.{digest}@{why}.{MESSAGE_ID_DOMAIN}>"
    return value


def _skip_reason(msg: Message, sender: str) -> str:
    auto = _header(msg, "Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return SKIP_AUTO_REPLY
    if any(_header(msg, h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")):
        return SKIP_AUTO_REPLY
    if _header(msg, "Precedence").strip().lower() in _BULK_PRECEDENCE:
        return SKIP_BULK
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return SKIP_BULK
    if msg.get_content_type() == "multipart/report" or _header(msg, "Return-Path").strip() == "<>":
        return SKIP_BOUNCE
    if not sender or "@" not in sender:
        return SKIP_NO_SENDER
    local = sender.rsplit("@", 1)[0].lower()
    if local in _BOUNCE_SENDERS:
        return SKIP_BOUNCE
    ours = {parseaddr(a)[1].lower() for a in (settings.SUPPORT_EMAIL, settings.DEFAULT_FROM_EMAIL)}
    if sender.lower() in ours - {""}:
        return SKIP_OWN_ADDRESS
    message_id = _header(msg, "Message-ID")
    if _OUR_REF.search(message_id):
        return SKIP_OWN_ADDRESS  # one of our own replies came back to the support mailbox
    return ""


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    declared = part.get_content_charset() or ""
    # Persian mail arrives in UTF-8 or windows-1256, sometimes labelled wrongly or not at all.
    for charset in (declared, "utf-8", "windows-1256"):
        if not charset:
            continue
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


class _HtmlText(HTMLParser):
    """The visible text of an HTML mail, without quoted history (``blockquote``, Gmail's quote)."""

    _SKIP: Final = frozenset({"script", "style", "head", "title", "template", "blockquote"})
    _BLOCK: Final = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
    )
    _VOID: Final = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        hides = tag in self._SKIP or "gmail_quote" in classes or "moz-cite-prefix" in classes
        if tag in self._BLOCK:
            self.parts.append("\n")
        if tag in self._VOID:
            return
        self._stack.append(tag if not hides else f"!{tag}")
        if hides:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n")
        # Close up to the matching open tag: mail HTML is rarely well-formed. Only the nearest
        # tags are searched, so hostile markup (thousands of stray end tags) stays linear.
        for index in range(len(self._stack) - 1, max(-1, len(self._stack) - 65), -1):
            if self._stack[index].lstrip("!") == tag:
                closed = self._stack[index:]
                del self._stack[index:]
                self._hidden -= sum(1 for t in closed if t.startswith("!"))
                break

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html[:HTML_MAX])
        parser.close()
    except Exception:  # a parser error on hostile markup: keep what was read
        log.info("inbound mail: HTML could not be fully parsed")
    text = "".join(parser.parts)
    return "\n".join(line.strip() for line in text.splitlines())


def strip_quoted(text: str) -> str:
    """The customer's own words: quoted lines, the "On … wrote:" line and what follows a
    signature or "Original Message" separator go; if that leaves nothing, the whole text stays."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    wrapped = False
    for index, line in enumerate(lines):
        if any(p.match(line) for p in _HISTORY_START):
            break
        if wrapped or line.lstrip().startswith(">") or any(p.match(line) for p in _ATTRIBUTION):
            wrapped = False
            continue
        # Gmail wraps a long attribution: "On Mon, …, Ali <ali@example.com>" / "wrote:".
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _WRAPPED_ON.match(line) and _WRAPPED_WROTE.match(following):
            wrapped = True
            continue
        kept.append(line)
    own = "\n".join(kept).strip()
    return own or text.strip()


def _walk(msg: Message, body: Message | None, names: list[str]) -> None:
    """Collect attachment names; a forwarded message counts as one attachment."""
    for part in msg.iter_parts() if isinstance(msg, EmailMessage) else ():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            names.append(part.get_filename() or "message.eml")
        elif part.is_multipart():
            _walk(part, body, names)
        elif part is body:
            continue
        elif (
            part.get_content_disposition() == "attachment"
            or part.get_filename()
            or part.get_content_maintype() not in ("text",)
        ):
            names.append(part.get_filename() or content_type)


def _body(msg: EmailMessage) -> tuple[str, list[str]]:
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    text = strip_quoted(_decode(plain)) if plain is not None else ""
    chosen: Message | None = plain
    if not text and html is not None:
        text = strip_quoted(html_to_text(_decode(html)))
        chosen = html
    names: list[str] = []
    if msg.is_multipart():
        _walk(msg, chosen, names)
    elif chosen is None and msg.get_content_maintype() != "text":
        names.append(msg.get_filename() or msg.get_content_type())
    return text, names


def _ticket_refs(msg: Message) -> list[int]:
    """The tickets whose signed Message-IDs this mail answers, nearest first.

    Only a signature that verifies counts: ticket numbers are public and sequential, and a
    subject tag or an unsigned id is exactly what someone who wants into another customer's
    ticket would write.
    """
    refs: list[int] = []
    references = _header(msg, "References").split()
    for value in [_header(msg, "In-Reply-To"), *reversed(references)]:
        for ticket, message, signature in _OUR_REF.findall(value):
            if signature and message_id_verifies(int(ticket), int(message), signature):
                refs.append(int(ticket))
    return list(dict.fromkeys(refs))


def parse_mail(raw: bytes) -> _Mail:
    """Read the parts of a message that make a ticket; raises ``NotAnEmail`` for anything
    unreadable (hostile nesting can exhaust the parser's recursion, for one)."""
    try:
        return _parse(raw)
    except NotAnEmail:
        raise
    except Exception as exc:  # parsing is pure: any failure means these bytes are no mail
        raise NotAnEmail(f"unreadable message: {type(exc).__name__}") from exc


def _parse(raw: bytes) -> _Mail:
    if not raw.strip():
        raise NotAnEmail("empty message")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(msg, EmailMessage) or not msg.keys():
        raise NotAnEmail("no header section")
    sender, name = _sender(msg)
    subject = _CONTROL.sub("", _header(msg, "Subject"))
    body, attachments = _body(msg)
    return _Mail(
        message_id=_message_id(msg, raw),
        sender=sender,
        name=_CONTROL.sub("", name),
        subject=subject,
        body=_CONTROL.sub("", body),
        attachments=attachments,
        ticket_refs=_ticket_refs(msg),
        skip=_skip_reason(msg, sender),
    )


def _fit(text: str, limit: int) -> str:
    """Cut to what the ticket stores: its normal form may be longer (ligatures expand)."""
    cut = text[:limit]
    while len(normalize_text(cut)) > limit:
        cut = cut[: max(0, len(cut) - (len(normalize_text(cut)) - limit) - 1)]
    return cut


def _subject(mail: _Mail) -> str:
    subject = _SUBJECT_TAG.sub(" ", _REPLY_PREFIX.sub("", mail.subject))
    subject = _REPLY_PREFIX.sub("", subject)
    subject = _fit(subject, tickets.SUBJECT_MAX)
    return subject if normalize_text(subject) else NO_SUBJECT


def _body_text(mail: _Mail) -> str:
    with override("fa"):
        body = mail.body
        if not normalize_text(body):
            body = _("(The email had no text.)")
        if mail.attachments:
            names = "، ".join(normalize_text(n)[:80] for n in mail.attachments[:5])
            note = ngettext(
                "[%(n)d attachment was not kept: %(names)s]",
                "[%(n)d attachments were not kept: %(names)s]",
                len(mail.attachments),
            ) % {"n": len(mail.attachments), "names": names}
            return _fit(body, tickets.BODY_MAX - len(note) - 2) + "\n\n" + note
    return _fit(body, tickets.BODY_MAX)


# --- the ticket (one transaction) -----------------------------------------------------------


def _already(message_id: str, attachments: int) -> IntakeResult | None:
    message = TicketMessage.objects.filter(email_message_id=message_id).first()
    if message is not None:
        return IntakeResult("duplicate", message.ticket_id, message.pk, attachments=attachments)
    ticket = Ticket.objects.filter(email_message_id=message_id).first()
    if ticket is not None:
        return IntakeResult("duplicate", ticket.pk, attachments=attachments)
    return None


def _thread(mail: _Mail) -> Ticket | None:
    """The ticket this mail answers: quoted with our signature, the sender's own, not closed."""
    sender = mail.sender.lower()
    for ticket_id in mail.ticket_refs:
        ticket = (
            Ticket.objects.select_related("customer")
            .filter(pk=ticket_id, customer__merged_into=None)
            .first()
        )
        if (
            ticket is not None
            and ticket.status != TicketStatus.CLOSED
            and (ticket.customer.email or "").strip().lower() == sender
        ):
            return ticket
    return None


def _customer(mail: _Mail) -> tuple[Customer | None, bool]:
    """The sender's customer record, and whether it was created for this mail."""
    started = timezone.now()
    try:
        key = clean_email(mail.sender)
    except FieldError:
        key = ""
    # Looked up the way ``customer_for_contact`` looks (its cleaned, lower-cased address): a
    # record that was there before this mail is "found", whatever happens after.
    existed = bool(key) and Customer.objects.filter(email_key=key, merged_into=None).exists()
    name = normalize_text(mail.name.strip("\"' "))[:100]
    # A new person needs a name: without a display name (or with the address standing in for
    # it) the address's local part is the best the desk has until an agent corrects it.
    local = normalize_text(mail.sender.rsplit("@", 1)[0])[:100] or "?"
    if not name or "@" in name:
        name = local
    for data in (
        {"email": mail.sender, "first_name": name},
        {"email": mail.sender, "first_name": local},
    ):
        try:
            customer = customer_for_contact(data=data, channel=Channel.EMAIL, source_label="email")
        except ValidationFailed as exc:
            if "email" in exc.errors:
                return None, False
            continue
        # ``created_at`` as well: a record the check above missed (another route to it) is
        # older than this mail, and then it was found, not created.
        return customer, not existed and customer.created_at >= started
    return None, False


def _identity_confirmed(customer: Customer, created: bool, sender: str) -> bool:
    """A new record is whoever wrote; a found one only when the mail came from its own stored
    address (as far as the mailbox's SPF/DMARC vouch for a From header)."""
    return created or (customer.email or "").strip().lower() == sender.strip().lower()


def _intake(mail: _Mail) -> IntakeResult:
    count = len(mail.attachments)
    if connection.vendor == "postgresql":
        # Two deliveries of one message at once (a retried webhook while the first is still
        # running): the second waits here, then finds what the first stored. Without it both
        # would make a customer before the ticket's unique Message-ID stopped one of them.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"mehvar.mail:{mail.message_id}"]
            )
    done = _already(mail.message_id, count)
    if done is not None:
        return done
    ticket = _thread(mail)
    if ticket is not None:
        message = tickets.message_add(
            actor=None,
            ticket=ticket,
            kind=MessageKind.CUSTOMER,
            body=_body_text(mail),
            channel=TicketChannel.EMAIL,
            email_message_id=mail.message_id,
        )
        return IntakeResult("added", ticket.pk, message.pk, attachments=count)
    customer, created = _customer(mail)
    if customer is None:
        return IntakeResult("skipped", reason=SKIP_BAD_SENDER, attachments=count)
    ticket = tickets.ticket_create(
        actor=None,
        customer=customer,
        subject=_subject(mail),
        body=_body_text(mail),
        channel=TicketChannel.EMAIL,
        # Nobody has read it yet: "question" is the neutral kind; the agent re-files it.
        kind=TicketKind.QUESTION,
        email_message_id=mail.message_id,
        identity_confirmed=_identity_confirmed(customer, created, mail.sender),
    )
    first = ticket.messages.order_by("pk").values_list("pk", flat=True).first()
    return IntakeResult("created", ticket.pk, first, attachments=count)


def ticket_from_email(raw: bytes) -> IntakeResult:
    """Turn one raw message (RFC 5322 bytes) into a ticket or a message on one, at most once.

    Raises ``NotAnEmail`` for bytes that are not a mail message.
    """
    mail = parse_mail(raw)
    if mail.skip:
        log.info("inbound mail %s skipped: %s", mail.message_id, mail.skip)
        return IntakeResult("skipped", reason=mail.skip, attachments=len(mail.attachments))
    try:
        with transaction.atomic():
            return _intake(mail)
    except IntegrityError:
        # The same message delivered twice at once (SQLite, which takes no advisory lock): the
        # other delivery's unique Message-ID won and this transaction was rolled back whole.
        done = _already(mail.message_id, len(mail.attachments))
        if done is None:
            raise
        return done


# --- the mailbox (IMAP) ---------------------------------------------------------------------


@dataclass
class PollReport:
    seen: int = 0
    created: list[int] = field(default_factory=list)
    added: list[int] = field(default_factory=list)
    duplicates: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    failed: list[tuple[str, str]] = field(default_factory=list)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return str(exc) or type(exc).__name__
    # imaplib puts the server's bytes in its errors: b'[AUTHENTICATIONFAILED] Invalid ...'
    text = " ".join(
        a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a) for a in exc.args
    )
    return text.strip() or type(exc).__name__


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _connect(host: str, port: int, use_ssl: bool) -> imaplib.IMAP4:
    try:
        if use_ssl:
            context = ssl_module.create_default_context()
            return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=IMAP_TIMEOUT)
        imap = imaplib.IMAP4(host, port, timeout=IMAP_TIMEOUT)
        if "STARTTLS" in imap.capabilities:
            # Never send the password in clear text to a server that offers encryption.
            imap.starttls(ssl_module.create_default_context())
        return imap
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(
            _("Could not reach the mail server %(host)s:%(port)s (%(error)s).")
            % {"host": host, "port": port, "error": _why(exc)}
        ) from exc


def _fetch(imap: imaplib.IMAP4, uid: bytes) -> bytes:
    status, data = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
    if status != "OK":
        raise MailboxError(f"FETCH {uid.decode()}: {status}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    raise MailboxError(f"FETCH {uid.decode()}: no message body")


def _mark(imap: imaplib.IMAP4, uid: bytes, flags: str) -> None:
    status, _data = imap.uid("STORE", uid.decode(), "+FLAGS.SILENT", f"({flags})")
    if status != "OK":
        raise MailboxError(f"STORE {uid.decode()}: {status}")


def _read_one(imap: imaplib.IMAP4, uid: bytes, report: PollReport) -> None:
    raw = _fetch(imap, uid)
    try:
        if len(raw) > RAW_MAX:
            raise NotAnEmail(f"larger than {RAW_MAX} bytes")
        result = ticket_from_email(raw)
    except (OperationalError, InterfaceError):
        raise  # the database is down: leave the message unseen for the next poll
    except Exception as exc:
        # A message that cannot be read would be retried forever: it is marked read and
        # flagged for a person to look at in the mailbox, and the report names it.
        log.exception("inbound mail UID %s could not be read", uid.decode())
        report.failed.append((uid.decode(), f"{type(exc).__name__}: {exc}"[:300]))
        _mark(imap, uid, "\\Seen \\Flagged")
        return
    # Marked read only after the ticket's transaction committed: a crash in between leaves it
    # unseen, and reading it again finds its Message-ID and adds nothing.
    _mark(imap, uid, "\\Seen")
    report.seen += 1
    if result.outcome == "created" and result.ticket_id is not None:
        report.created.append(result.ticket_id)
    elif result.outcome == "added" and result.message_id is not None:
        report.added.append(result.message_id)
    elif result.outcome == "duplicate":
        report.duplicates += 1
    else:
        report.skipped[result.reason] = report.skipped.get(result.reason, 0) + 1


def poll_mailbox(
    *,
    host: str,
    port: int,
    user: str,
    password: str,
    ssl: bool = True,
    folder: str = "INBOX",
    limit: int = 100,
) -> PollReport:
    """Read the unread messages of one IMAP folder into tickets; marks each one read after.

    Raises ``MailboxError`` when the server cannot be reached, refuses the login or the folder.
    """
    if not host:
        raise MailboxError(_("No mail server is configured (MEHVAR_SUPPORT_IMAP_HOST)."))
    imap = _connect(host, port, ssl)
    report = PollReport()
    try:
        try:
            imap.login(_quote(user), password)
        except (imaplib.IMAP4.error, UnicodeEncodeError) as exc:
            raise MailboxError(
                _("The mail server refused the login of %(user)s (%(error)s).")
                % {"user": user, "error": _why(exc)}
            ) from exc
        status, _data = imap.select(_quote(folder))
        if status != "OK":
            raise MailboxError(_("The folder %(folder)s could not be opened.") % {"folder": folder})
        status, found = imap.uid("SEARCH", "UNSEEN")
        if status != "OK":
            raise MailboxError(f"SEARCH UNSEEN: {status}")
        uids = b" ".join(x for x in found if isinstance(x, bytes)).split()
        for uid in uids[:limit]:
            _read_one(imap, uid, report)
    except (OSError, imaplib.IMAP4.error) as exc:
        if isinstance(exc, socket.timeout):
            message = _("The mail server stopped answering (%(error)s).")
        else:
            message = _("The mail server broke off (%(error)s).")
        raise MailboxError(message % {"error": _why(exc)}) from exc
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            imap.logout()
    return report


def poll_configured(*, limit: int = 100, **overrides: Any) -> PollReport:
    """``poll_mailbox`` with ``settings.SUPPORT_IMAP``; a non-None override replaces a value."""
    config: dict[str, Any] = dict(settings.SUPPORT_IMAP)
    config.update({key: value for key, value in overrides.items() if value is not None})
    return poll_mailbox(
        host=str(config.get("host") or ""),
        port=int(config.get("port") or (993 if config.get("ssl", True) else 143)),
        user=str(config.get("user") or ""),
        password=str(config.get("password") or ""),
        ssl=bool(config.get("ssl", True)),
        folder=str(config.get("folder") or "INBOX"),
        limit=limit,
    )
