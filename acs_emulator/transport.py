"""The emulator's outbound HTTP (callbacks and audio downloads), over one lazily built client.

The client is created on first use inside the running loop, because an httpx.AsyncClient belongs to
the loop it first ran in and the embedding server offers no startup hook to build it earlier.
"""

import asyncio

import httpx

# Requests at once, one connection each. Further requests wait for a slot here rather than in
# httpcore's pool, which rescans its whole queue for every request it assigns
# (encode/httpcore#1035): hundreds of queued callbacks there cost quadratic time.
MAX_CONCURRENT_REQUESTS = 100


class FetchError(Exception):
    """A download failed; the message says why."""


class FetchTooLarge(FetchError):
    pass


class Transport:
    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)

    def _get(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # A new loop (e.g. a test embedding the app in several loops) cannot reuse the old one.
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                trust_env=False,
                limits=httpx.Limits(max_connections=MAX_CONCURRENT_REQUESTS),
            )
            self._slots = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
            self._loop = loop
        return self._client

    async def post_json(
        self, url: str, body: bytes, timeout_s: float, headers: dict[str, str] | None = None
    ) -> int:
        """POST a JSON body and return the status; raise FetchError on a transport failure."""
        client = self._get()
        try:
            async with self._slots:
                response = await client.post(
                    url,
                    content=body,
                    headers={"content-type": "application/json", **(headers or {})},
                    timeout=timeout_s,
                )
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}") from exc
        return response.status_code

    async def fetch(self, url: str, max_bytes: int, timeout_s: float) -> bytes:
        """GET a file of at most `max_bytes` within `timeout_s` overall; raise FetchError."""
        try:
            async with self._slots, asyncio.timeout(timeout_s):
                return await self._download(url, max_bytes, timeout_s)
        except TimeoutError as exc:
            raise FetchError(f"timed out after {timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}") from exc

    async def _download(self, url: str, max_bytes: int, timeout_s: float) -> bytes:
        async with self._get().stream("GET", url, timeout=timeout_s) as response:
            if response.status_code != 200:
                raise FetchError(f"the server answered HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchTooLarge(f"the file is larger than {max_bytes} bytes")
            chunks = bytearray()
            async for chunk in response.aiter_bytes():
                chunks.extend(chunk)
                if len(chunks) > max_bytes:
                    raise FetchTooLarge(f"the file is larger than {max_bytes} bytes")
            return bytes(chunks)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.aclose()
