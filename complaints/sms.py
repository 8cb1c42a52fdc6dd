"""Text messages (SMS): a backend interface like Django's email backends.

`settings.SMS_BACKEND` names the class; `send_sms()` sends through it. The console
backend prints (development), the locmem backend keeps messages in `outbox` (tests).
Production plugs in a class for its gateway with the same `send_messages()`.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class BaseSmsBackend:
    """Send a list of SmsMessage; return how many were sent."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Writes each message to standard output (like the console email backend)."""

    _lock = threading.Lock()

    def send_messages(self, messages: list[SmsMessage]) -> int:
        with self._lock:
            for message in messages:
                sys.stdout.write(f"SMS to {message.to}: {message.body}\n")
            sys.stdout.flush()
        return len(messages)


# Messages sent through LocmemSmsBackend, for tests (cleared by them).
outbox: list[SmsMessage] = []


class LocmemSmsBackend(BaseSmsBackend):
    def send_messages(self, messages: list[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def send_sms(to: str, body: str) -> int:
    """Send one text message through settings.SMS_BACKEND."""
    backend = import_string(settings.SMS_BACKEND)()
    return backend.send_messages([SmsMessage(to=to, body=body)])
