"""Content-Encoding undone a piece at a time, never past a cap: a compressed body is
inflated only as far as the cap allows (a 64 KiB gzip read can hold 64 MiB)."""

from __future__ import annotations

import zlib


class Inflated(ValueError):
    """The body is not what its encoding says."""


class OverCap(Inflated):
    """The body decodes to more than the cap."""


class BoundedInflater:
    """Feed it the raw body's chunks; it gives back the decoded bytes, at most `cap` in all."""

    def __init__(self, encoding: str | None, cap: int) -> None:
        self.encoding = (encoding or "identity").strip().lower()
        self.cap = cap
        self.size = 0
        self._inflater: zlib._Decompress | None = None
        if self.encoding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._inflater = None  # zlib-wrapped or raw: told by its first bytes
        elif self.encoding != "identity":
            raise Inflated(f"content-encoding {self.encoding!r} is not one we asked for")

    def feed(self, chunk: bytes) -> bytes:
        if self.encoding == "identity":
            return self._counted(chunk)
        if self._inflater is None:  # deflate: zlib-wrapped (RFC 1950) or raw, as servers do
            wrapped = (
                len(chunk) >= 2 and chunk[0] & 0x0F == 8 and (chunk[0] * 256 + chunk[1]) % 31 == 0
            )
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        out = bytearray()
        data = chunk
        try:
            while data:
                room = self.cap - self.size - len(out) + 1  # one more byte tells "over"
                piece = self._inflater.decompress(data, room)
                out += piece
                if self.size + len(out) > self.cap:
                    raise OverCap(f"decompresses past the cap of {self.cap} bytes")
                data = self._inflater.unconsumed_tail
                if not piece and data:  # no progress possible: corrupt
                    raise Inflated("a compressed body that does not inflate")
        except zlib.error as error:
            raise Inflated(f"a {self.encoding} body that does not inflate: {error}") from None
        return self._counted(bytes(out))

    def _counted(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.cap:
            raise OverCap(f"over the cap of {self.cap} bytes")
        return data
