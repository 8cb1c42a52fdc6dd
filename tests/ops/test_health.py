"""/healthz and /readyz: what a load balancer or orchestrator sees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_ok_without_login_or_database(client):
    """No django_db mark: any database access here would raise instead of answering."""
    # when a probe asks, as an anonymous client
    response = client.get("/healthz")
    # then the process answers 200 JSON
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_probes_answer_whatever_the_host_header_and_without_https(client, settings):
    # given production settings: named hosts only, plain HTTP redirected to HTTPS
    settings.ALLOWED_HOSTS = ["weiquan.example.cn"]
    settings.SECURE_SSL_REDIRECT = True
    # when a load balancer probes a backend by its address, over HTTP
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.1.2.3:8000")
        # then it gets the answer, not a 400 for the host nor a redirect
        assert response.status_code == 200, (path, response.content)
    # while any other page is still refused for that host
    assert client.get("/admin/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400


@pytest.mark.django_db
def test_readyz_reports_each_check_when_all_work(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage"}
    assert all(check["ok"] for check in body["checks"].values()), body


@pytest.mark.django_db
def test_readyz_leaves_no_probe_file_in_the_evidence_storage(client, settings):
    root = Path(settings.STORAGES["evidence"]["OPTIONS"]["location"])
    assert client.get("/readyz").status_code == 200
    leftovers = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    assert leftovers == []


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_does_not_answer(client, settings):
    # given a broker URL where nothing listens (port 1 on loopback refuses at once)
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/readyz")
    # then readiness fails with the broker named, and the other checks still reported
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert "refused" in body["checks"]["broker"]["error"].lower()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["storage"]["ok"] is True


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_folder_is_missing(client, settings, tmp_path):
    # given the embedded filesystem broker pointed at folders that do not exist
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "missing"),
        "data_folder_out": str(tmp_path / "missing"),
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "missing" in response.json()["checks"]["broker"]["error"]


@pytest.mark.django_db
def test_readyz_is_503_when_the_evidence_storage_is_not_writable(client, settings, tmp_path):
    # given an evidence storage whose directory is a file, so nothing can be written there
    blocker = tmp_path / "not-a-directory"
    blocker.write_bytes(b"")
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker, "base_url": None},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


def test_readyz_is_503_json_when_the_database_is_unreachable(tmp_path):
    """A real process whose DATABASE_URL points where no PostgreSQL listens."""
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/readyz');"
        "print(json.dumps({'status': r.status_code, 'type': r['Content-Type'],"
        " 'body': r.json()}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/nothing",
        "WEIQUAN_VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "memory://",
        "LOG_LEVEL": "CRITICAL",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["type"] == "application/json"
    assert answer["body"]["checks"]["database"]["ok"] is False
    assert "OperationalError" in answer["body"]["checks"]["database"]["error"]
    assert answer["body"]["checks"]["storage"]["ok"] is True
