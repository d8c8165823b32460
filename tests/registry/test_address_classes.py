"""IPv6 spellings that route to an IPv4 address (NAT64, 6to4, IPv4-compatible,
IPv4-mapped) and site-local IPv6 are judged by where they lead: PIN012, and
no connection is ever attempted (SPEC §7, §10)."""
from __future__ import annotations

import json

import pytest
from faultproxy import Recorder
from test_cli import deployment, make_repo, pinlint

from pinlint.registry.hosts import HostPolicy, non_public
from pinlint.registry.settings import Settings

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def listener():
    rec = Recorder()
    yield rec
    rec.close()


def _literals(port: int) -> list[str]:
    return [
        f"[64:ff9b::7f00:1]:{port}",  # NAT64 of 127.0.0.1
        f"[64:ff9b::a9fe:a9fe]:{port}",  # NAT64 of the metadata address
        f"[2002:7f00:1::1]:{port}",  # 6to4 of 127.0.0.1
        f"[2002:a00:1::]:{port}",  # 6to4 of 10.0.0.1
        f"[::7f00:1]:{port}",  # IPv4-compatible 127.0.0.1
        f"[::ffff:127.0.0.1]:{port}",  # IPv4-mapped 127.0.0.1: reaches the listener if tried
        f"[fec0::1]:{port}",  # site-local
    ]


def test_embedded_private_ipv4_is_pin012_through_the_cli_without_a_connection(tmp_path, listener):
    hosts = _literals(listener.port)
    images = [f"{h}/acme/web@{DIGEST}" for h in hosts] + [f"{h}/acme/web:v1@{DIGEST}" for h in hosts]
    images += [f"{h}/acme/web:v1" for h in hosts]
    quoted = [f'"{image}"' for image in images]  # a bare [ would open a YAML flow sequence
    gitops = make_repo(tmp_path, {"k8s/web.yaml": deployment(*quoted)}, "registries:\n  cache: false\n")

    result = pinlint(gitops, "--format", "json", "--select", "PIN010,PIN011,PIN012,PIN013,PIN019", ".")

    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert sorted(f["rule"] for f in findings) == ["PIN012"] * len(images)
    for host in hosts:
        bare = host.rsplit("]", 1)[0].lstrip("[")
        assert any(bare in f["message"] and "non-public address" in f["message"] for f in findings), host
    assert listener.accepts == 0


def test_names_resolving_to_embedding_addresses_are_refused():
    answers = {"nat64.example": ["64:ff9b::a9fe:a9fe"], "sixtofour.example": ["2002:c0a8:1::1"],
               "compat.example": ["::a00:1"], "site.example": ["fec0::5"],
               "local-nat64.example": ["64:ff9b:1::808:808"], "public64.example": ["64:ff9b::808:808"]}
    policy = HostPolicy(Settings(), resolve=lambda host, port: answers[host])
    for host in ("nat64.example", "sixtofour.example", "compat.example", "site.example", "local-nat64.example"):
        assert "non-public address" in (policy.refusal(host) or ""), host
    assert policy.refusal("public64.example") is None  # NAT64 of 8.8.8.8 is public


@pytest.mark.parametrize("address,private", [
    ("64:ff9b::7f00:1", True), ("64:ff9b::808:808", False), ("2002:7f00:1::1", True),
    ("2002:808:808::1", False), ("::7f00:1", True), ("::808:808", False), ("::", True), ("::1", True),
    ("fec0::1", True), ("feff::1", True), ("::ffff:169.254.169.254", True), ("2606:4700::1111", False),
])
def test_non_public_judges_the_embedded_address(address, private):
    assert non_public(address) is private
