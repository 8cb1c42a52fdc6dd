"""`make chaos`: the crash harness (issue 10). Not part of `make test`; see chaos/run.py."""
