"""An SMTP server on 127.0.0.1 (aiosmtpd) that stores what it receives and fails on request.

Run in-process through the `smtp_sink` fixture, or as its own process for worker tests:

    python -m tests.notifications.smtp_sink PORT_FILE MAILBOX_FILE

which writes the port it listens on to PORT_FILE and appends each message to MAILBOX_FILE as
one JSON line ({"to": [...], "message_id": ..., "data": ...}).
"""

from __future__ import annotations

import email
import email.policy
import json
import signal
import socket
import sys
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    to: list[str]
    message: EmailMessage


@dataclass
class SinkHandler:
    """Store each message, and reply to the next DATA commands with `replies` in turn.

    A reply is an SMTP reply line ("451 4.3.0 Try again later") or "close", which drops the
    connection without answering.
    """

    received: list[Received] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    mailbox: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            reply = self.replies.pop(0) if self.replies else "250 2.0.0 Message accepted"
        if reply == "close":
            server.transport.close()
            return "421 4.3.0 Closing"
        if not reply.startswith("250"):
            return reply
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), parsed))
            if self.mailbox is not None:
                with self.mailbox.open("a") as mailbox:
                    mailbox.write(json.dumps({"to": list(envelope.rcpt_tos),
                                              "message_id": parsed["Message-ID"]}) + "\n")
        return reply


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(handler: SinkHandler) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


def main(argv: list[str]) -> None:
    port_file, mailbox = Path(argv[0]), Path(argv[1])
    controller = start(SinkHandler(mailbox=mailbox))
    port_file.write_text(str(controller.port))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
