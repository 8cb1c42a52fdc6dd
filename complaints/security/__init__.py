"""Account security: password rules, login lock-out and two-factor authentication.

Not an app of its own: its models live in `complaints.models` (`LoginFailure`) and
django-otp's TOTP plugin; its pages are under /accounts/2fa/ (urls.py).
"""
