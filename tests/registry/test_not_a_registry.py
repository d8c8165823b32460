"""Not found only from a registry (SPEC §7): a 404 is PIN010 only when the
server speaks the distribution API; a web server or captive portal answering
404 pages is PIN019 "... is not an OCI registry", exit 3."""
from __future__ import annotations

import json

import pytest
from hostile import Liar
from test_cli import deployment, make_repo, pinlint

MISSING = "sha256:" + "4e" * 32
PAGE = b"<html><body><h1>404 Not Found</h1>Please log in to the guest network.</body></html>"
HTML = {"Content-Type": "text/html"}


@pytest.fixture
def serve():
    made: list[Liar] = []

    def make(answer):
        made.append(Liar(answer))
        return made[-1]

    yield make
    for liar in made:
        liar.close()


def _lint(tmp_path, host: str):
    images = [f"{host}/acme/web@{MISSING}", f"{host}/acme/web:v1@{MISSING}", f"{host}/acme/api@{MISSING}"]
    gitops = make_repo(tmp_path, {"k8s/web.yaml": deployment(*images)}, f'registries:\n  insecure: ["{host}"]\n')
    result = pinlint(gitops, "--format", "json", ".")
    return result, json.loads(result.stdout)["findings"]


def test_web_server_answering_404_pages_is_not_an_oci_registry(tmp_path, serve):
    web = serve(lambda method, path: (404, HTML, PAGE))

    result, findings = _lint(tmp_path, web.address)

    assert result.returncode == 3, result.stderr
    assert [f["rule"] for f in findings] == ["PIN019"] * 3
    for f in findings:
        assert f"{web.address} is not an OCI registry" in f["message"]
    assert web.count("/v2/", "GET") >= 1 and len([r for r in web.requests if r.path == "/v2/"]) == 1


def test_captive_portal_whose_v2_is_a_login_page_is_not_an_oci_registry(tmp_path, serve):
    portal = serve(lambda method, path: (200, HTML, b"<html>Welcome! Log in</html>") if path == "/v2/"
                   else (404, {"Content-Type": "application/json"}, b'{"error": "not here"}'))

    result, findings = _lint(tmp_path, portal.address)

    assert result.returncode == 3, result.stderr
    assert [f["rule"] for f in findings] == ["PIN019"] * 3
    assert all("is not an OCI registry" in f["message"] for f in findings)


def test_bare_404_from_a_server_whose_v2_speaks_the_api_is_pin010(tmp_path, serve):
    api = {"Docker-Distribution-API-Version": "registry/2.0", "Content-Type": "application/json"}
    registry = serve(lambda method, path: (200, api, b"{}") if path == "/v2/" else (404, {}, b""))

    result, findings = _lint(tmp_path, registry.address)

    assert result.returncode == 1, result.stderr
    assert sorted(f["rule"] for f in findings) == ["PIN010", "PIN010", "PIN010", "PIN011"]
    assert len([r for r in registry.requests if r.path == "/v2/"]) == 1  # asked once per run


def test_oci_error_body_is_proof_enough_without_asking_v2(tmp_path, serve):
    unknown = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}).encode()
    registry = serve(lambda method, path: (404, {"Content-Type": "application/json"}, unknown))

    result, findings = _lint(tmp_path, registry.address)

    assert result.returncode == 1, result.stderr
    assert sorted(f["rule"] for f in findings) == ["PIN010", "PIN010", "PIN010", "PIN011"]
    assert [r for r in registry.requests if r.path == "/v2/"] == []


def test_missing_digest_on_the_real_registry_is_still_pin010(tmp_path, proxy, registry, repo):
    registry.pusher.image(repo, "v1")
    gitops = make_repo(tmp_path, {"k8s/web.yaml": deployment(f"{proxy.address}/{repo}@{MISSING}")},
                       f'registries:\n  insecure: ["{proxy.address}"]\n')

    result = pinlint(gitops, "--format", "json", ".")

    assert result.returncode == 1, result.stderr
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["PIN010"]
