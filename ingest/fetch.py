"""Polite HTTP fetching for web ingestion: a User-Agent naming newsrag, robots.txt respected,
a per-host rate limit, timeouts, a size limit, bounded redirects, and conditional requests
(ETag / Last-Modified remembered in a side table of the store) so unchanged feeds cost nothing.
A failed fetch is returned as a result with a reason, never raised."""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

USER_AGENT = "newsrag/0.1 (news question answering; respects robots.txt)"
ROBOTS_AGENT = "newsrag"


class KeyValues(Protocol):
    """Where validators are kept between runs (a store side table, or a dict-like)."""

    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...


class MemoryValues(dict[str, Any]):
    def put(self, key: str, value: Any) -> None:
        self[key] = value


@dataclass
class FetchResult:
    url: str  # as asked
    final_url: str = ""  # after redirects
    status: int = 0
    content_type: str = ""
    body: bytes = b""
    not_modified: bool = False
    error: str | None = None  # why nothing usable came back

    @property
    def ok(self) -> bool:
        return self.error is None and not self.not_modified


@dataclass
class FetchPolicy:
    timeout_s: float = 15.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    min_interval_s: float = 1.0  # between two requests to the same host
    respect_robots: bool = True


class Fetcher:
    def __init__(self, cache: KeyValues | None = None, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self.client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            max_redirects=self.policy.max_redirects,
            timeout=self.policy.timeout_s,
        )
        self.robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self.last_request: dict[str, float] = {}
        self.lock = threading.Lock()
        self.cache: KeyValues = cache if cache is not None else MemoryValues()

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, conditional: bool = False) -> FetchResult:
        """GET the URL within the policy; `conditional` sends the remembered validators."""
        if urlsplit(url).scheme not in ("http", "https"):
            return FetchResult(url, error="only http and https URLs are fetched")
        if self.policy.respect_robots and not self.allowed(url):
            return FetchResult(url, error="disallowed by robots.txt")
        headers = self.validators(url) if conditional else {}
        try:
            return self.download(url, headers)
        except httpx.TooManyRedirects:
            return FetchResult(url, error=f"more than {self.policy.max_redirects} redirects")
        except httpx.TimeoutException:
            return FetchResult(url, error=f"timed out after {self.policy.timeout_s:g} s")
        except httpx.HTTPError as error:
            return FetchResult(url, error=f"fetch failed: {error.__class__.__name__}: {error}")

    def download(self, url: str, headers: dict[str, str]) -> FetchResult:
        self.wait_turn(url)
        deadline = time.monotonic() + self.policy.timeout_s * 2  # slow drip-feeding servers too
        with self.client.stream("GET", url, headers=headers) as response:
            result = FetchResult(
                url,
                str(response.url),
                response.status_code,
                response.headers.get("content-type", "").lower(),
            )
            if response.status_code == 304:
                result.not_modified = True
                return result
            if response.status_code >= 400:
                result.error = f"HTTP {response.status_code}"
                return result
            declared = int(response.headers.get("content-length") or 0)
            if declared > self.policy.max_bytes:
                result.error = f"larger than {self.policy.max_bytes:,} bytes ({declared:,})"
                return result
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.policy.max_bytes:
                    result.error = f"larger than {self.policy.max_bytes:,} bytes"
                    return result
                if time.monotonic() > deadline:
                    result.error = f"timed out after {self.policy.timeout_s * 2:g} s"
                    return result
                chunks.append(chunk)
            result.body = b"".join(chunks)
            self.remember(url, response.headers)
            return result

    def wait_turn(self, url: str) -> None:
        """The per-host rate limit."""
        host = urlsplit(url).netloc
        with self.lock:
            wait = self.last_request.get(host, 0.0) + self.policy.min_interval_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.last_request[host] = time.monotonic()

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self.robots:
            self.robots[root] = self.read_robots(root)
        rules = self.robots[root]
        return rules is None or rules.can_fetch(ROBOTS_AGENT, url)

    def read_robots(self, root: str) -> urllib.robotparser.RobotFileParser | None:
        """None (everything allowed) when the site has no robots.txt or it cannot be read."""
        try:
            self.wait_turn(root)
            response = self.client.get(f"{root}/robots.txt")
        except httpx.HTTPError:
            return None
        if response.status_code >= 400:
            return None
        rules = urllib.robotparser.RobotFileParser()
        rules.parse(response.text.splitlines())
        return rules

    def validators(self, url: str) -> dict[str, str]:
        known = self.cache.get(url) or {}
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    def remember(self, url: str, headers: httpx.Headers) -> None:
        etag, modified = headers.get("etag"), headers.get("last-modified")
        if etag or modified:
            values = {"etag": etag, "last_modified": modified, "fetched_at": time.time()}
            self.cache.put(url, values)
