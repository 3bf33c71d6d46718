"""Uploaded files: size and type limits, and content-addressed storage.

- Every request body is capped by :class:`BodyLimit` (413 before anything is parsed when
  the declared length is too large, or as soon as a streamed (chunked) body passes the cap).
- Each file is read up to ``max_upload_bytes`` + 1 byte; larger ones are refused (413).
- Types are checked by extension *and* content: images and PDFs by their magic bytes,
  text formats (XY patterns, CSV, TXT, PANalytical XRDML, Rigaku RAS, Bruker UXD, Fit2D CHI) must be UTF-8 text without NUL bytes. The
  browser's content type and the file name are never trusted; only the extension is used.
- Files are stored as ``<sha256>.<ext>`` (``DATA_DIR/evidence`` or ``DATA_DIR/imports``):
  the same content is stored once, and no name from the client reaches the file system.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote, unquote, urlparse

from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alloyloop.db.errors import InvalidValue
from alloyloop.web.errors import PayloadTooLarge, UnsupportedUpload

TEXT = "text"
EVIDENCE_TYPES: dict[str, tuple[bytes, ...] | str] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "pdf": (b"%PDF-",),
    "tif": (b"II*\x00", b"MM\x00*"),
    "tiff": (b"II*\x00", b"MM\x00*"),
    "xy": TEXT,
    "xye": TEXT,
    "csv": TEXT,
    "txt": TEXT,
    "dat": TEXT,
    "xrdml": TEXT,
    "ras": TEXT,
    "uxd": TEXT,
    "chi": TEXT,
}
"""Allowed evidence files: extension → magic bytes, or TEXT for UTF-8 text formats."""
IMPORT_TYPES: dict[str, tuple[bytes, ...] | str] = {"csv": TEXT}
STORED_NAME = re.compile(r"^(?P<sha>[0-9a-f]{64})\.(?P<ext>[a-z]{2,5})$")


@dataclass(frozen=True)
class StoredFile:
    path: Path
    sha256: str
    original_name: str
    size: int

    @property
    def uri(self) -> str:
        """The stored file's ``file://`` URI, with the client's file name as its fragment
        (shown on the pages instead of the sha-named path)."""
        return f"{self.path.resolve().as_uri()}#{quote(self.original_name, safe='')}"


def client_name(upload: UploadFile) -> str:
    """The base name the browser sent (either path style): its extension decides the type;
    the rest is only shown in messages (shortened, keeping the extension)."""
    name = PureWindowsPath(PurePosixPath(upload.filename or "").name).name
    return name if len(name) <= 120 else f"{name[:60]}…{name[-40:]}"


def has_file(upload: object) -> bool:
    """A file input that was filled in (an empty one arrives with no file name)."""
    return isinstance(upload, UploadFile) and bool(upload.filename)


def read_upload(upload: UploadFile, limit: int) -> bytes:
    """The whole file, refused when larger than ``limit`` bytes (413) or empty (422)."""
    upload.file.seek(0)
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(limit, f"file {client_name(upload)!r}")
    if not data:
        raise InvalidValue("file", client_name(upload), fix="the file is empty: choose the right file")
    return data


def check_type(name: str, data: bytes, allowed: dict[str, tuple[bytes, ...] | str]) -> str:
    """The file's extension, after checking that its content is of that type (415 if not)."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kinds = ", ".join(f".{e}" for e in allowed)
    if ext not in allowed:
        raise UnsupportedUpload(f"file {name!r}: type {('.' + ext) if ext else '(no extension)'} is not "
                                f"accepted: upload one of {kinds}")
    rule = allowed[ext]
    if rule == TEXT:
        problem = text_problem(data)
        if problem is not None:
            raise UnsupportedUpload(f"file {name!r} is not a .{ext} text file ({problem}): save it "
                                    "as text (CSV) and upload it again")
    elif not any(data.startswith(magic) for magic in rule):
        raise UnsupportedUpload(f"file {name!r} does not contain .{ext} data (its first bytes do not "
                                f"match): upload the original .{ext} file")
    return ext


def text_problem(data: bytes) -> str | None:
    """Why ``data`` is not text, or None. Any 8-bit encoding is text: a spreadsheet's
    cp1252 / Latin-1 export is read as such, and the import preview names the encoding
    (:func:`alloyloop.featurize.spreadsheet.decode`); a NUL byte means binary."""
    nul = data.find(b"\x00")
    if nul >= 0:
        return f"NUL byte at offset {nul}"
    return None


def store_bytes(folder: Path, data: bytes, ext: str, original_name: str) -> StoredFile:
    """Write ``data`` as ``folder/<sha256>.<ext>`` (atomically; kept if it exists)."""
    digest = hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.{ext}"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return StoredFile(path=path, sha256=digest, original_name=original_name, size=len(data))


def save_upload(upload: UploadFile, folder: Path, allowed: dict[str, tuple[bytes, ...] | str],
                limit: int) -> StoredFile:
    """Check an uploaded file (size, type, content) and store it in ``folder``."""
    name = client_name(upload)
    data = read_upload(upload, limit)
    ext = check_type(name, data, allowed)
    return store_bytes(folder, data, ext, name)


def stored_path(folder: Path, name: str, allowed: dict[str, tuple[bytes, ...] | str]) -> Path | None:
    """The stored file ``name`` (``<sha256>.<ext>``) in ``folder``, or None: names of any
    other form are refused, so no request can reach outside the folder."""
    match = STORED_NAME.match(name)
    if match is None or match["ext"] not in allowed:
        return None
    path = folder / name
    return path if path.is_file() else None


def stored_evidence(uri: str, evidence_dir: Path) -> tuple[Path, str] | None:
    """The uploaded evidence file a ``file://`` URI names, and its original name; None
    for any other URI (or a file outside the evidence folder)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parsed.path))
    if path.parent != evidence_dir.resolve():
        return None
    found = stored_path(evidence_dir, path.name, EVIDENCE_TYPES)
    return None if found is None else (found, unquote(parsed.fragment) or path.name)


def check_evidence_uri(uri: object, evidence_dir: Path) -> None:
    """A ``file:`` evidence URI must name a file uploaded to this server (the store allows
    the URIs of content-addressed evidence files in general, :func:`alloyloop.db.labels.parse_evidence`;
    only the app knows which folder it serves). Every other scheme is the store's to judge."""
    if not isinstance(uri, str) or not uri.strip().lower().startswith("file:"):
        return
    if stored_evidence(uri.strip(), evidence_dir) is None:
        raise InvalidValue("evidence_uri", uri[:200], fix="upload the file (its URI comes from the upload), "
                           "or give an https:// address or a DOI")


class BodyLimit:
    """ASGI middleware: refuse request bodies larger than ``max_bytes`` (413)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False  # the server rejects a malformed length itself
            if too_big:
                await _refuse(scope, send, self.max_bytes)
                return
        seen, too_big, started = 0, False, False

        async def counted() -> Message:
            # past the cap the app is told the client left; its answer is dropped for our 413
            nonlocal seen, too_big
            if too_big:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_big = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if too_big and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not too_big or started:
                raise
        if too_big and not started:
            await _refuse(scope, send, self.max_bytes)


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    from starlette.responses import JSONResponse, PlainTextResponse

    message = PayloadTooLarge(limit).detail
    api = scope.get("path", "").startswith("/api/")
    response = JSONResponse({"detail": message}, 413) if api else PlainTextResponse(message, 413)
    response.headers["Connection"] = "close"

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)
