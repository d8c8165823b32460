"""Credentials the way docker users have them, against a real htpasswd
registry; anonymous bearer tokens; no credential in output or on a redirect."""
from __future__ import annotations

import base64
import json
import logging
import os
import stat
from pathlib import Path

import pytest
from conftest import AUTH_PASSWORD, AUTH_USER
from faultproxy import FaultProxy, Recorder, Rule
from helpers import config, resolver, run_check


@pytest.fixture
def image(auth_registry, repo):
    return repo, auth_registry.pusher.image(repo, "v1", labels={"org.opencontainers.image.revision": "f00d"})


def _docker_config(content: dict) -> None:
    Path(os.environ["DOCKER_CONFIG"], "config.json").write_text(json.dumps(content))


def _b64(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _helper(tmp_path: Path, monkeypatch, name: str, user: str, secret: str) -> Path:
    """A real ``docker-credential-<name>`` executable on PATH; it logs what it was asked."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    asked = tmp_path / f"{name}.asked"
    script = bindir / f"docker-credential-{name}"
    script.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = get ] || exit 1\n'
        f"cat >> {asked}\necho >> {asked}\n"
        f"printf '%s' '{json.dumps({'ServerURL': '', 'Username': user, 'Secret': secret})}'\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return asked


def _ref(auth_registry, image) -> str:
    repo, pushed = image
    return f"{auth_registry.address}/{repo}:v1@{pushed.digest}"


def test_without_credentials_access_refused_is_pin019_saying_why(auth_registry, image):
    hits = run_check([_ref(auth_registry, image)], config(insecure=[auth_registry.address]))
    assert [h.rule for h in hits] == ["PIN019"]
    assert auth_registry.address in hits[0].message
    assert "no credentials for" in hits[0].message and "config.json" in hits[0].message


@pytest.mark.parametrize("entry", [
    {"auth": _b64(AUTH_USER, AUTH_PASSWORD)},
    {"username": AUTH_USER, "password": AUTH_PASSWORD},
], ids=["auth", "username-password"])
def test_inline_auths_entry(auth_registry, image, entry):
    _docker_config({"auths": {auth_registry.address: entry}})
    assert run_check([_ref(auth_registry, image)], config(insecure=[auth_registry.address])) == []


def test_auths_key_with_scheme(auth_registry, image):
    _docker_config({"auths": {f"http://{auth_registry.address}": {"auth": _b64(AUTH_USER, AUTH_PASSWORD)}}})
    assert run_check([_ref(auth_registry, image)], config(insecure=[auth_registry.address])) == []


def test_cred_helper_for_the_host(auth_registry, image, tmp_path, monkeypatch):
    asked = _helper(tmp_path, monkeypatch, "pinlinttest", AUTH_USER, AUTH_PASSWORD)
    _docker_config({"credHelpers": {auth_registry.address: "pinlinttest"},
                    "auths": {auth_registry.address: {"auth": _b64(AUTH_USER, "wrong")}}})
    assert run_check([_ref(auth_registry, image)], config(insecure=[auth_registry.address])) == []
    assert asked.read_text().split() == [auth_registry.address]  # asked once per run, for that host


def test_creds_store_for_every_host(auth_registry, image, tmp_path, monkeypatch):
    asked = _helper(tmp_path, monkeypatch, "pinlintstore", AUTH_USER, AUTH_PASSWORD)
    _docker_config({"credsStore": "pinlintstore", "auths": {auth_registry.address: {}}})
    assert run_check([_ref(auth_registry, image)], config(insecure=[auth_registry.address])) == []
    assert asked.read_text().split() == [auth_registry.address]


def test_missing_helper_is_anonymous_not_a_crash(auth_registry, image):
    _docker_config({"credsStore": "does-not-exist-anywhere"})
    hits = run_check([_ref(auth_registry, image)], config(insecure=[auth_registry.address]))
    assert [h.rule for h in hits] == ["PIN019"]


def test_docker_config_env_wins_over_home(auth_registry, image, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(
        json.dumps({"auths": {auth_registry.address: {"auth": _b64(AUTH_USER, "wrong")}}}))
    monkeypatch.setenv("HOME", str(home))
    _docker_config({"auths": {auth_registry.address: {"auth": _b64(AUTH_USER, AUTH_PASSWORD)}}})
    assert run_check([_ref(auth_registry, image)], config(insecure=[auth_registry.address])) == []


def test_refused_credentials_never_appear_in_messages_or_logs(auth_registry, image, caplog):
    wrong = "Wr0ng-but-still-secret"
    _docker_config({"auths": {auth_registry.address: {"auth": _b64(AUTH_USER, wrong)}}})
    caplog.set_level(logging.DEBUG)
    hits = run_check([_ref(auth_registry, image)], config(insecure=[auth_registry.address]))

    assert [h.rule for h in hits] == ["PIN019"]
    assert "credentials from auths were refused" in hits[0].message
    seen = hits[0].message + caplog.text
    for secret in (wrong, _b64(AUTH_USER, wrong)):
        assert secret not in seen


def test_credentials_are_not_sent_to_another_host_on_redirect(auth_registry, image):
    repo, pushed = image
    config_blob = auth_registry.pusher.session.get(
        f"{auth_registry.url}/v2/{repo}/blobs/{pushed.config_digest}", timeout=5).content
    store = Recorder("127.0.0.1", answer=lambda _req: (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n" % len(config_blob) + config_blob))
    front = FaultProxy(auth_registry.address)
    front.add(Rule("redirect", match="/blobs/", location=f"http://{store.address}/blob"))
    _docker_config({"auths": {front.address: {"auth": _b64(AUTH_USER, AUTH_PASSWORD)}}})
    try:
        with resolver(config(insecure=["127.0.0.1"])) as r:
            labels = r.labels(f"{front.address}/{repo}", pushed.digest)
        assert labels == {"org.opencontainers.image.revision": "f00d"}
        blob_requests = [s for s in front.seen if "/blobs/" in s.path]
        assert blob_requests and all("authorization" in s.headers for s in blob_requests)
        assert len(store.requests) == 1
        assert b"authorization" not in store.requests[0].lower()
    finally:
        front.close()
        store.close()


def test_anonymous_bearer_tokens_one_per_repository(registry):
    bearer = FaultProxy(registry.address, bearer=True)
    try:
        repos = [f"acme/bearer{i}-{os.getpid()}" for i in range(3)]
        texts = []
        for name in repos:
            pushed = registry.pusher.image(name, "v1", content=name)
            texts += [f"{bearer.address}/{name}:v1@{pushed.digest}", f"{bearer.address}/{name}@{pushed.digest}"]
        hits = run_check(texts, config(insecure=[bearer.address], **{"tag-cache-ttl": 0, "cache": False}))

        assert hits == []
        assert bearer.tokens_issued == len(repos)
    finally:
        bearer.close()
