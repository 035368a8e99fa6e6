"""Atomic, deterministic file output: a reader never sees a half-written file."""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

#: Timestamp written into every workbook and zip entry, so equal content gives equal bytes.
FIXED_TIMESTAMP = "2000-01-01T00:00:00Z"
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text with ``\\n`` line endings atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def deterministic_xlsx(data: bytes) -> bytes:
    """Rewrite an .xlsx archive with fixed timestamps (document properties and zip entries)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    target_buffer = io.BytesIO()
    with zipfile.ZipFile(target_buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rf"\g<1>{FIXED_TIMESTAMP}\g<3>",
                    text,
                )
                content = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return target_buffer.getvalue()
