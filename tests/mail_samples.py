"""Real-world-shaped mail for the email tests and the sync benchmark (raw RFC 5322 bytes)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def plain(
    n: int,
    sender: str = "carol@example.com",
    subject: str = "",
    body: str = "",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    date: datetime | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Carol Customer <{sender}>"
    message["To"] = "support@desk.test"
    message["Subject"] = subject or f"Order {n} did not arrive"
    message["Date"] = format_datetime(date or datetime(2026, 11, 20, 9, 0, n % 60, tzinfo=UTC))
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body or f"Hello, my order number {n} has not arrived yet.\n")
    return bytes(message)


HTML_ONLY = (
    b"From: Dan <dan@example.org>\r\nTo: support@desk.test\r\nSubject: Invoice question\r\n"
    b"Date: Fri, 20 Nov 2026 10:00:00 +0000\r\nMessage-ID: <html-1@example.org>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b"<html><body><p>Hi team,</p><p>Where is my <b>invoice</b>?</p>"
    b'<img src="https://tracker.example/pixel.gif"><script>alert(1)</script></body></html>\r\n'
)

ALTERNATIVE = (
    b"From: Erin <erin@example.net>\r\nTo: support@desk.test\r\nSubject: Both parts\r\n"
    b"Date: Fri, 20 Nov 2026 10:05:00 +0000\r\nMessage-ID: <alt-1@example.net>\r\n"
    b'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b1"\r\n\r\n'
    b"--b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 cr=E8me plain part\r\n"
    b"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML part</p>\r\n--b1--\r\n"
)

ATTACHMENTS = (
    b"From: Frank <frank@example.com>\r\nTo: support@desk.test\r\nSubject: Screenshot\r\n"
    b"Date: Fri, 20 Nov 2026 10:10:00 +0000\r\nMessage-ID: <att-1@example.com>\r\n"
    b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="m1"\r\n\r\n'
    b"--m1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attached files.\r\n"
    b'--m1\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="shot.png"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n" + b"iVBORw0KGgo=" + b"\r\n"
    b"--m1\r\nContent-Type: application/pdf\r\n"
    b'Content-Disposition: attachment; filename="big.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n" + b"QUJD" * 600 + b"\r\n--m1--\r\n"
)

UNKNOWN_CHARSET = (
    b"From: Gina <gina@example.com>\r\nTo: support@desk.test\r\nSubject: Strange bytes\r\n"
    b"Date: Fri, 20 Nov 2026 10:15:00 +0000\r\nMessage-ID: <cs-1@example.com>\r\n"
    b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nabc \xff\xfe def\r\n"
)

AUTO_REPLY = (
    b"From: Hal <hal@example.com>\r\nTo: support@desk.test\r\nSubject: Out of office\r\n"
    b"Date: Fri, 20 Nov 2026 10:20:00 +0000\r\nMessage-ID: <ooo-1@example.com>\r\n"
    b"Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n\r\nI am away until Monday.\r\n"
)

BOUNCE = (
    b"From: Mail Delivery System <mailer-daemon@example.com>\r\nTo: support@desk.test\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\nDate: Fri, 20 Nov 2026 10:25:00 +0000\r\n"
    b"Message-ID: <bounce-1@example.com>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="r1"\r\n\r\n'
    b"--r1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
    b"--r1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n"
    b"\r\nFinal-Recipient: rfc822; nobody@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"--r1--\r\n"
)

GARBAGE = b"\x00\x01\x02 this is not an email at all\r\n\xff\xfe binary junk\r\n"

NEWLINE_SUBJECT = (
    b"From: Ivy <ivy@example.com>\r\nTo: support@desk.test\r\n"
    b"Subject: =?utf-8?q?Help=0D=0ABcc=3A_victim=40example=2Ecom?=\r\n"
    b"Date: Fri, 20 Nov 2026 10:30:00 +0000\r\nMessage-ID: <nl-1@example.com>\r\n\r\n"
    b"Subject with an encoded newline.\r\n"
)
