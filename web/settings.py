"""Settings of the lab web app: where the store and the uploads live, and the limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from alloyloop.agent.paths import alloyloop_home

MIB = 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 10 * MIB
FORM_OVERHEAD_BYTES = 256 * 1024
"""Room for the text fields and multipart framing next to the largest allowed file."""


@dataclass(frozen=True)
class WebSettings:
    """How one app instance runs (``alloyloop serve`` builds it from its options).

    Attributes:
        database_url: the store (default: ``$ALLOYLOOP_DATABASE_URL``, else the SQLite file
            in the user data directory, as for every command).
        data_dir: uploads go to ``DATA_DIR/evidence`` and ``DATA_DIR/imports`` (default:
            ``$ALLOYLOOP_HOME``, else the user data directory).
        max_upload_bytes: the largest evidence file or CSV accepted.
        session_lifetime: a login ends this long after it started.
        secure_cookies: mark cookies ``Secure`` (set it when the app is served over HTTPS,
            e.g. behind a reverse proxy).
    """

    database_url: str | None = None
    data_dir: Path = field(default_factory=alloyloop_home)
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    session_lifetime: timedelta = timedelta(hours=12)
    secure_cookies: bool = False

    def __post_init__(self) -> None:
        if self.max_upload_bytes < 1:
            raise ValueError(f"max_upload_bytes {self.max_upload_bytes} must be at least 1 byte")
        if self.session_lifetime <= timedelta(0):
            raise ValueError(f"session_lifetime {self.session_lifetime} must be positive")
        object.__setattr__(self, "data_dir", Path(self.data_dir))

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def imports_dir(self) -> Path:
        return self.data_dir / "imports"

    @property
    def max_request_bytes(self) -> int:
        """The largest request body read at all (an upload plus the form around it)."""
        return self.max_upload_bytes + FORM_OVERHEAD_BYTES
