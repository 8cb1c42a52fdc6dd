"""Make the development agreement signing pair if missing, and show the certificate."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from mediation.signing import (
    certificate_fingerprint,
    ensure_development_pair,
    signing_certificate,
    signing_paths,
)


class Command(BaseCommand):
    help = (
        "Create the self-signed development key and certificate that sign mediation "
        "agreements, if they are missing (DEBUG only), then print the certificate's "
        "SHA-256 fingerprint and subject. --show only prints."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--show", action="store_true", help="print the certificate, create nothing"
        )

    def handle(self, *args, **options):
        key_path, cert_path = signing_paths()
        try:
            if options["show"]:
                if not cert_path.exists():
                    raise CommandError(f"No certificate at {cert_path} (AGREEMENT_SIGNING_CERT).")
            elif ensure_development_pair():
                self.stdout.write(
                    self.style.WARNING(
                        f"Created a development signing pair (not for production): "
                        f"{key_path} and {cert_path}"
                    )
                )
            certificate = signing_certificate()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Certificate: {cert_path}")
        self.stdout.write(f"Subject: {certificate.subject.rfc4514_string()}")
        self.stdout.write(f"SHA-256 fingerprint: {certificate_fingerprint(certificate)}")
        self.stdout.write(
            f"Valid: {certificate.not_valid_before_utc:%Y-%m-%d} to "
            f"{certificate.not_valid_after_utc:%Y-%m-%d} (UTC)"
        )
