"""Sign-up verification codes: six digits sent to a phone (SMS) or an email address.

A code is kept only as an HMAC digest in the signing-up visitor's session (server-side),
expires after CODE_TTL, allows MAX_ATTEMPTS guesses (counted atomically in the cache, so
parallel guesses cannot exceed them), and a destination gets at most MAX_SENDS_PER_HOUR
codes, one per RESEND_SECONDS.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from complaints.emails import send_templated_mail
from complaints.exceptions import WeiquanError
from complaints.sms import send_sms

SESSION_KEY = "signup_pending"
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_SECONDS = 60
MAX_SENDS_PER_HOUR = 5


class CodeRefused(WeiquanError):
    """The code cannot be accepted: `reason` is expired, wrong, locked or missing."""

    code = "verification_failed"

    def __init__(self, *, reason: str, attempts_left: int = 0) -> None:
        super().__init__(reason, reason=reason, attempts_left=attempts_left)
        self.reason, self.attempts_left = reason, attempts_left


class TooManyCodes(WeiquanError):
    """Codes were sent to this destination too often; `wait` seconds until the next."""

    code = "too_many_codes"

    def __init__(self, *, wait: int) -> None:
        super().__init__(f"wait {wait} s", wait=wait)
        self.wait = wait


def _digest(pending_id: str, code: str) -> str:
    return salted_hmac("weiquan.signup-code", f"{pending_id}:{code}").hexdigest()


def _destination_key(contact: str) -> str:
    return hashlib.sha256(contact.encode()).hexdigest()[:32]


def _throttle(contact: str, now: datetime) -> None:
    key = f"signup-sends:{_destination_key(contact)}"
    sent: list[float] = [t for t in cache.get(key, []) if t > now.timestamp() - 3600]
    if sent and now.timestamp() - sent[-1] < RESEND_SECONDS:
        raise TooManyCodes(wait=int(RESEND_SECONDS - (now.timestamp() - sent[-1])) + 1)
    if len(sent) >= MAX_SENDS_PER_HOUR:
        raise TooManyCodes(wait=int(sent[0] + 3600 - now.timestamp()) + 1)
    cache.set(key, [*sent, now.timestamp()], 3600)


def code_issue(session, *, contact: str, kind: str, details: dict, language: str) -> None:
    """Make a code for `contact` (kind "phone" or "email"), keep its digest and `details`
    (what the sign-up form collected) in `session`, and send it."""
    now = timezone.now()
    _throttle(contact, now)
    code = f"{secrets.randbelow(10**6):06d}"
    pending_id = secrets.token_hex(16)
    session[SESSION_KEY] = {
        "id": pending_id,
        "contact": contact,
        "kind": kind,
        "details": details,
        "digest": _digest(pending_id, code),
        "expires": (now + CODE_TTL).timestamp(),
        "attempts": 0,
    }
    cache.set(f"signup-attempts:{pending_id}", 0, int(CODE_TTL.total_seconds()) + 60)
    minutes = int(CODE_TTL.total_seconds() // 60)
    if kind == "email":
        send_templated_mail(
            to=[contact],
            name="signup_code",
            context={"code": code, "minutes": minutes},
            language=language,
        )
    else:
        from django.utils import translation

        with translation.override(language):
            text = _(
                "【维权】您的注册验证码是 %(code)s，%(minutes)s 分钟内有效。请勿告诉他人。"
            ) % {
                "code": code,
                "minutes": minutes,
            }
        send_sms(contact, text)


def pending(session) -> dict | None:
    """The sign-up waiting for its code in this session, if any."""
    return session.get(SESSION_KEY)


def code_check(session, code: str) -> dict:
    """The pending sign-up if `code` is right; otherwise CodeRefused (and one attempt used)."""
    state = session.get(SESSION_KEY)
    if not state:
        raise CodeRefused(reason="missing")
    if timezone.now().timestamp() > state["expires"]:
        raise CodeRefused(reason="expired")
    # Count the attempt before comparing: atomic in the cache, and in the session as a
    # floor when the cache lost the counter.
    try:
        attempts = cache.incr(f"signup-attempts:{state['id']}")
    except ValueError:
        attempts = state["attempts"] + 1
    attempts = max(attempts, state["attempts"] + 1)
    state["attempts"] = attempts
    session[SESSION_KEY] = state
    if attempts > MAX_ATTEMPTS:
        raise CodeRefused(reason="locked")
    if not constant_time_compare(_digest(state["id"], code.strip()), state["digest"]):
        raise CodeRefused(
            reason="locked" if attempts >= MAX_ATTEMPTS else "wrong",
            attempts_left=MAX_ATTEMPTS - attempts,
        )
    return state


def code_done(session) -> None:
    session.pop(SESSION_KEY, None)
