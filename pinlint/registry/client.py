"""One registry host, spoken to with pinlint's safety rules.

``HostClient`` sends every request pinlint makes to one registry endpoint
(``request``), and lists a repository's tags with bounded ``Link``
pagination (``list_tags``).  URLs come from oras-py through
``orasadapter``; the requests themselves are pinlint's, because oras-py's
request path sleeps ``2 + 3**n`` seconds five times and sends requests
without a timeout.  ``request`` makes at most ``attempts`` attempts, each
with a connect and read timeout cut to the run's remaining budget, honours
``Retry-After`` on 429/503 up to ``max_retry_after`` seconds, backs off on
5xx and resets, holds a per-host connection slot while a request is in
flight, and marks a host that refuses connections or times out unavailable
for the rest of the run so a dead registry costs one timeout, not one per
reference.  Every exchange on the wire - each attempt, and each bearer-token
fetch for it - is counted and has a wall-clock deadline of ``connect_timeout
+ read_timeout`` (cut to the run's remaining budget) covering connect,
headers and body (``netguard.Deadline``): a server that drips bytes to keep
each read alive is cut off, and the host is marked unavailable.  Waiting for
a connection slot is bounded by the budget too.  Bodies are read whole under
the deadline and a size cap and handed back as a ``Reply``.  Failures are raised as
``Unavailable``/``NotAllowed`` with a message naming the host; no credential
is ever part of a message.
"""
from __future__ import annotations

import email.utils
import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from pinlint.registry.auth import RegistryAuth, scope_for
from pinlint.registry.credentials import DockerCredentials
from pinlint.registry.errors import BlockedAddress, NotAllowed, Unavailable
from pinlint.registry.hosts import Endpoint, HostPolicy, matches, split_host
from pinlint.registry.netguard import Deadline, GuardedSession
from pinlint.registry.orasadapter import RepositoryURLs
from pinlint.registry.settings import Settings

MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_TOKEN_BYTES = 1024 * 1024
_CHUNK = 64 * 1024


class RunState:
    """What every host client shares: the run's deadline, which hosts are
    down and why, per-host connection slots, and a request counter."""

    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.deadline = clock() + settings.budget
        self.requests = 0
        self._down: dict[str, str] = {}
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def down(self, host: str) -> str | None:
        return self._down.get(host)

    def mark_down(self, host: str, reason: str) -> None:
        with self._lock:
            self._down.setdefault(host, reason)

    def slot(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            if host not in self._slots:
                self._slots[host] = threading.BoundedSemaphore(max(1, self.settings.connections_per_host))
            return self._slots[host]

    def count(self) -> None:
        with self._lock:
            self.requests += 1


class _Retry(Exception):
    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class _HostDown(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta or HTTP date)."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe_connection_error(exc: BaseException) -> tuple[str, bool]:
    """(what happened, whether the host is down for good this run)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, urllib3.exceptions.NameResolutionError):
            return "its name does not resolve", True
        if isinstance(e, urllib3.exceptions.NewConnectionError):
            if "refused" in str(e).lower():
                return "connection refused", True
            return "cannot connect", True
        if isinstance(e, ConnectionResetError):
            return "connection reset", False
        if isinstance(e, urllib3.exceptions.ProtocolError):
            text = str(e).lower()
            if "reset" in text:
                return "connection reset", False
            if "remote end closed" in text or "remotedisconnected" in text:
                return "connection closed without an answer", False
        todo.extend([getattr(e, "reason", None), e.__cause__, e.__context__])
        todo.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
    return "connection failed", False




#: the distribution spec's error codes (and Harbor's NOT_FOUND): a 404 whose body
#: carries one comes from a registry, so it is an answer, not a web page
OCI_ERROR_CODES = frozenset({
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID",
    "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED",
    "TOOMANYREQUESTS", "NOT_FOUND",
})
API_VERSION_HEADER = "Docker-Distribution-API-Version"


def oci_error(content: bytes) -> bool:
    """Whether a body is the distribution API's error document
    (``{"errors": [{"code": "MANIFEST_UNKNOWN", …}]}``)."""
    try:
        doc: Any = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return False
    errors = doc.get("errors") if isinstance(doc, dict) else None
    return isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("code") in OCI_ERROR_CODES for e in errors
    )


MAX_TAG_PAGES = 1000  # a tag listing that paginates further is refused, not followed forever
MAX_TAGS = 200_000


class Reply(NamedTuple):
    """A registry's whole answer to one request."""

    url: str
    status_code: int
    reason: str
    headers: Mapping[str, str]  # case-insensitive
    content: bytes
    next_link: str | None  # the ``Link: <…>; rel="next"`` target as sent, if any


class HostClient:
    """Bounded, budgeted requests to one registry endpoint."""

    def __init__(
        self,
        endpoint: Endpoint,
        session: GuardedSession,
        credentials: DockerCredentials,
        policy: HostPolicy,
        state: RunState,
    ) -> None:
        self.session = session
        self.endpoint = endpoint
        self.state = state
        self._policy = policy
        self.auth = RegistryAuth(endpoint.host, self._fetch, credentials, self._may_send_secret)
        self._api: bool | None = None
        self._api_lock = threading.Lock()
        self._urls: dict[str, RepositoryURLs] = {}

    # urls ------------------------------------------------------------------
    def urls(self, repository: str) -> RepositoryURLs:
        urls = self._urls.get(repository)
        if urls is None:  # oras parses the name each time: once per repository is enough
            urls = self._urls[repository] = RepositoryURLs(self.endpoint.scheme, self.endpoint.host, repository)
        return urls

    def manifest_url(self, repository: str, reference: str) -> str:
        return self.urls(repository).manifest(reference)

    def blob_url(self, repository: str, digest: str) -> str:
        return self.urls(repository).blob(digest)

    def _may_send_secret(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme == "https":
            return True
        host, port = split_host(parts.netloc)
        if self.endpoint.scheme == "http" and parts.netloc.lower() == self.endpoint.host.lower():
            return True  # the insecure host itself (or its plain-HTTP mirror)
        return any(matches(entry, host, port) for entry in self._policy.settings.insecure)

    # is it a registry at all --------------------------------------------------
    def speaks_distribution(self, reply: Reply) -> bool:
        """Whether a 404 comes from a registry: its body is an OCI error, or
        the host's ``/v2/`` answers with ``Docker-Distribution-API-Version``
        (asked once per run).  A web server or captive portal does neither."""
        if oci_error(reply.content):
            return True
        with self._api_lock:
            if self._api is None:
                probe = self.request(
                    f"{self.endpoint.base_url}/v2/", "GET", headers={"Accept": "application/json"},
                    max_bytes=64 * 1024,
                )
                version = (probe.headers.get(API_VERSION_HEADER) or "").strip().lower()
                self._api = version.startswith("registry/")
            return self._api

    # tags --------------------------------------------------------------------
    def list_tags(self, repository: str, *, page_size: int | None = None) -> list[str]:
        """Every tag of ``repository``, following ``Link: rel="next"`` pages
        on the same host, at most ``MAX_TAG_PAGES`` pages and ``MAX_TAGS``
        tags.  ``page_size`` asks for ``?n=`` tags per page."""
        label = self.endpoint.label
        url = self.urls(repository).tags(page_size)
        tags: list[str] = []
        seen: set[str] = set()
        for _page in range(MAX_TAG_PAGES):
            seen.add(url)
            reply = self.request(url, "GET", headers={"Accept": "application/json"})
            if reply.status_code != 200:
                raise Unavailable(
                    label,
                    f"registry {label} refused to list the tags of {repository}: HTTP {reply.status_code}",
                )
            tags.extend(_tags_of(reply, label, repository))
            if len(tags) > MAX_TAGS:
                raise Unavailable(label, f"registry {label} lists more than {MAX_TAGS} tags for {repository}")
            if not reply.next_link:
                return tags
            url = urljoin(reply.url, reply.next_link)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or parts.netloc.lower() != self.endpoint.host.lower():
                raise Unavailable(label, f"registry {label} sent a tag page link to another host")
            if url in seen:
                raise Unavailable(label, f"registry {label} sends tag pages in a loop for {repository}")
        raise Unavailable(label, f"registry {label} lists the tags of {repository} in more than {MAX_TAG_PAGES} pages")

    # the one way requests leave ----------------------------------------------
    def request(
        self,
        url: str,
        method: str = "GET",
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> Reply:
        """Send one logical request with bounded retries under the run's
        budget.  Returns any reply that is an answer (2xx, 3xx, 4xx other
        than 429); raises ``Unavailable`` or ``NotAllowed`` otherwise."""
        settings = self.state.settings
        label = self.endpoint.label
        host = self.endpoint.host
        scope = scope_for(url)
        last = ""
        for attempt in range(1, settings.attempts + 1):
            try:
                slot = self.state.slot(host)
                if not slot.acquire(timeout=max(0.0, self.state.remaining())):
                    raise Unavailable(label, self._budget_message())
                try:
                    # checked once the slot is ours: waiting for it may have taken
                    # a while, and the host may have been found dead meanwhile
                    reason = self.state.down(host)
                    if reason:
                        raise Unavailable(label, f"registry {label} is unavailable: {reason}")
                    return self._attempt(method, url, dict(headers or {}), self._timeouts(), scope, max_bytes)
                finally:
                    slot.release()
            except _Retry as r:
                last = r.reason
                if attempt == settings.attempts:
                    break
                delay = r.delay if r.delay is not None else 0.2 * 2 ** (attempt - 1) + random.uniform(0, 0.1)
                if delay >= self.state.remaining():
                    raise Unavailable(label, f"registry {label} {last}; {self._budget_message()}") from None
                self.state.sleep(delay)
            except _HostDown as d:
                self.state.mark_down(host, d.reason)
                raise Unavailable(label, f"registry {label} is unavailable: {d.reason}") from None
        reason = f"{last} ({settings.attempts} attempts)"
        self.state.mark_down(host, reason)
        raise Unavailable(label, f"registry {label} is unavailable: {reason}")

    def _budget_message(self) -> str:
        return f"the {self.state.settings.budget:g} s time budget for registry look-ups is used up"

    def _timeouts(self) -> tuple[float, float]:
        """(connect, read) timeouts for one exchange, cut to the remaining budget."""
        settings = self.state.settings
        remaining = self.state.remaining()
        if remaining <= 0:
            raise Unavailable(self.endpoint.label, self._budget_message())
        return min(settings.connect_timeout, remaining), min(settings.read_timeout, remaining)

    def _fetch(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Reply:
        """One bounded, counted exchange that follows no redirect: what the
        bearer-token fetches of ``auth`` go through."""
        return self._send(method, url, dict(headers), self._timeouts(), MAX_TOKEN_BYTES,
                          who=f"its token service {urlsplit(url).netloc} ",
                          params=params, data=data, allow_redirects=False)

    def _attempt(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        timeout: tuple[float, float],
        scope: str,
        max_bytes: int,
    ) -> Reply:
        settings = self.state.settings
        own_host = urlsplit(url).netloc.lower() == self.endpoint.host.lower()
        try:
            if own_host:
                headers.update(self.auth.header(scope, url))
            reply = self._send(method, url, headers, timeout, max_bytes)
            if reply.status_code == 401 and own_host:
                headers, changed = self.auth.authenticate_request(
                    reply.headers.get("WWW-Authenticate", ""), reply.url, headers
                )
                if changed:
                    reply = self._send(method, url, headers, timeout, max_bytes)
        except BlockedAddress as e:
            raise NotAllowed(
                self.endpoint.label,
                f"refused to connect to {e.host} for registry {self.endpoint.label}: "
                f"it resolves to non-public address {e.address}",
            ) from None
        except requests.exceptions.ConnectTimeout:
            if timeout[0] < settings.connect_timeout:
                raise Unavailable(self.endpoint.label, self._budget_message()) from None
            raise _HostDown(f"connecting timed out after {settings.connect_timeout:g} s") from None
        except requests.exceptions.ReadTimeout:
            if timeout[1] < settings.read_timeout:
                raise Unavailable(self.endpoint.label, self._budget_message()) from None
            raise _HostDown(f"no answer within {settings.read_timeout:g} s") from None
        except requests.exceptions.ConnectionError as e:
            what, fatal = _describe_connection_error(e)
            if fatal:
                raise _HostDown(what) from None
            raise _Retry(what) from None
        except requests.exceptions.TooManyRedirects:
            raise Unavailable(self.endpoint.label, f"registry {self.endpoint.label} redirects in a loop") from None
        except requests.exceptions.RequestException as e:
            raise Unavailable(
                self.endpoint.label, f"registry {self.endpoint.label}: request failed ({type(e).__name__})"
            ) from None
        status = reply.status_code
        if status in (429, 503):
            wait = retry_after(reply.headers)
            what = f"answered HTTP {status} {reply.reason}".rstrip()
            if wait is not None and wait > settings.max_retry_after:
                raise _HostDown(
                    f"{what} asking to retry after {wait:g} s (pinlint waits at most "
                    f"{settings.max_retry_after:g} s)"
                )
            raise _Retry(what, wait)
        if status >= 500:
            raise _Retry(f"answered HTTP {status} {reply.reason}".rstrip())
        return reply

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        timeout: tuple[float, float],
        max_bytes: int,
        who: str = "",
        **extra: Any,
    ) -> Reply:
        """One exchange on the wire, counted, under a wall-clock deadline.
        ``who`` names the server in the message when it is not the registry."""
        settings = self.state.settings
        limit = settings.connect_timeout + settings.read_timeout
        remaining = self.state.remaining()
        if remaining <= 0:
            raise Unavailable(self.endpoint.label, self._budget_message())
        self.state.count()
        with Deadline(min(limit, remaining)) as deadline:
            try:
                response = self.session.request(method, url, headers=headers, stream=True, timeout=timeout, **extra)
                body = _read_body(response, max_bytes, self.state, self.endpoint.label)
            except (requests.exceptions.RequestException, Unavailable):
                if not deadline.expired:
                    raise
        if deadline.expired:  # even when it looks whole: a cut-off body without a length does
            if remaining < limit:
                raise Unavailable(self.endpoint.label, self._budget_message())
            raise _HostDown(f"{who}sent no complete answer within {limit:g} s")
        next_link = response.links.get("next", {}).get("url")
        return Reply(
            url=str(response.url or url),
            status_code=int(response.status_code),
            reason=str(response.reason or ""),
            headers=response.headers,
            content=body,
            next_link=str(next_link) if next_link else None,
        )


def _tags_of(reply: Reply, label: str, repository: str) -> list[str]:
    try:
        data: Any = json.loads(reply.content)
    except ValueError:
        data = None
    tags = data.get("tags") if isinstance(data, dict) else ()
    if tags is None:  # the distribution API's answer for a repository without tags
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise Unavailable(label, f"registry {label} sent a tag list for {repository} that is not a list of names")
    return list(tags)


def _read_body(response: requests.Response, max_bytes: int, state: RunState, label: str) -> bytes:
    """The whole body, read under the run's deadline and a size cap, with
    urllib3's errors turned into the requests exceptions ``_attempt`` handles."""
    chunks: list[bytes] = []
    size = 0
    try:
        if response.request.method != "HEAD":
            while True:
                if state.remaining() <= 0:
                    raise Unavailable(
                        label,
                        f"the {state.settings.budget:g} s time budget for registry look-ups is used up",
                    )
                chunk = response.raw.read(_CHUNK, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise Unavailable(label, f"registry {label} sent more than {max_bytes // (1024 * 1024)} MB")
                chunks.append(chunk)
    except urllib3.exceptions.ReadTimeoutError as e:
        raise requests.exceptions.ReadTimeout(e) from None
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError, OSError) as e:
        raise requests.exceptions.ConnectionError(e) from None
    finally:
        response.close()
    return b"".join(chunks)
