"""Bytes to text, carefully: the declared charset if it really decodes the bytes, else the
one the page itself names, else a detected one; never an exception."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding=["']([\w-]+)""")


# Labels that browsers decode with a wider codec than their name says (the WHATWG
# Encoding Standard): a page labelled ISO-8859-1 is windows-1252 text, curly quotes and all.
_AS_BROWSERS_READ = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        found = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    return _AS_BROWSERS_READ.get(found, found)


def declared_charset(content_type: str | None) -> str | None:
    match = re.search(r"charset=[\"']?([\w-]+)", content_type or "", re.IGNORECASE)
    return _codec(match.group(1)) if match else None


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The text and the charset it was decoded with."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8) :].decode("utf-8", "replace"), "utf-8"
    head = body[:4096]
    candidates = [
        declared_charset(content_type),
        _codec(m.group(1).decode("ascii", "ignore")) if (m := _META_CHARSET.search(head)) else None,
        _codec(m.group(1).decode("ascii", "ignore")) if (m := _XML_ENCODING.search(head)) else None,
        "utf-8",
    ]
    for charset in dict.fromkeys(c for c in candidates if c):
        try:
            return body.decode(charset), charset
        except UnicodeDecodeError:
            continue
    # Wide encodings only where the bytes hold NULs, as UTF-16/32 text does.
    wide = b"\x00" in head
    matches = [
        m
        for m in from_bytes(body[:200_000])
        if wide or not m.encoding.startswith(("utf_16", "utf_32"))
    ]
    # A detected non-Latin script (Cyrillic, Greek, ...) is trusted; Latin text is read as
    # windows-1252, as browsers read undeclared Western pages, not as a DOS code page.
    charset = "cp1252"
    if matches:
        best = min(matches, key=lambda m: m.percent_chaos)
        if any(not a.startswith(("Basic Latin", "Latin")) for a in best.alphabets):
            charset = best.encoding
    return body.decode(charset, "replace"), charset
