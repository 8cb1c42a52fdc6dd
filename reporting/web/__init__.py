"""The regulator dashboard (web, namespace `regulator`) and the public disclosure page
(namespace `disclosure`): statistics, charts, reports and the disclosure list, read
through reporting's own selectors, never with a consumer's personal data."""
