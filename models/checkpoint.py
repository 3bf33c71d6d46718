"""Checkpoint files of a fitted model: JSON metadata + tensor files, never a pickle.

Layout of a checkpoint directory::

    meta.json     format tag, config, palette, feature schema, standardizer, temperature,
                  conformal threshold, domain threshold, training-data sha256, metrics,
                  and the sha256 of every tensor file
    <name>.pt     a flat dict of tensors (``torch.save``), loaded with
                  ``weights_only=True`` so loading cannot run code

Writing goes to a temporary sibling directory that is renamed into place, so a
crash never leaves a half-written checkpoint under the final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

META_FILE = "meta.json"


class CheckpointError(ValueError):
    """A checkpoint directory is missing, incomplete, corrupt or of another format."""


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_sha256(*arrays: np.ndarray | None, palette: tuple[str, ...] = ()) -> str:
    """sha256 over the palette and the float64 bytes (and shapes) of arrays; None counts
    as a distinct empty entry so (X, None) and (X, empty) differ."""
    h = hashlib.sha256()
    h.update(json.dumps(list(palette)).encode())
    for a in arrays:
        if a is None:
            h.update(b"<none>")
            continue
        arr = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
        h.update(json.dumps(arr.shape).encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def write_checkpoint(path: str | os.PathLike, meta: dict[str, Any],
                     tensors: dict[str, dict[str, Tensor]]) -> Path:
    """Write ``meta`` and one ``<name>.pt`` per entry of ``tensors``.

    An existing checkpoint (or empty directory) at ``path`` is replaced only after the
    new one is complete; any other existing path is refused, never overwritten.
    """
    target = Path(path)
    check_writable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        hashes = {}
        for name, state in tensors.items():
            file = tmp / f"{name}.pt"
            torch.save({k: v.detach().cpu().contiguous() for k, v in state.items()}, file)
            hashes[file.name] = file_sha256(file)
        full = dict(meta, files=hashes)
        (tmp / META_FILE).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n",
                                     encoding="utf-8")
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def check_writable(target: Path) -> None:
    """Raise :class:`CheckpointError` unless ``target`` is absent, an empty directory or
    a checkpoint (so a typo like ``--out .`` cannot replace unrelated files)."""
    if not target.exists():
        return
    if target.is_dir() and (not any(target.iterdir()) or (target / META_FILE).is_file()):
        return
    raise CheckpointError(
        f"{target} exists and is not a model checkpoint: choose a new directory name or "
        "remove it first"
    )


def read_checkpoint(path: str | os.PathLike, expected_format: str
                    ) -> tuple[dict[str, Any], dict[str, dict[str, Tensor]]]:
    """Read and verify a checkpoint: format tag and every tensor file's sha256."""
    root = Path(path)
    meta_path = root / META_FILE
    if not meta_path.is_file():
        raise CheckpointError(
            f"{root} is not a model checkpoint (no {META_FILE}): pass the directory "
            "written by `alloyloop model fit --out DIR` or DisentangledVAE.save"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != expected_format:
        raise CheckpointError(
            f"{root} has format {meta.get('format')!r}, expected {expected_format!r}: "
            "refit the model with this version of alloyloop"
        )
    tensors = {}
    for file, digest in meta.get("files", {}).items():
        fp = root / file
        if not fp.is_file():
            raise CheckpointError(f"{root} lacks {file}: the checkpoint is incomplete, refit")
        if file_sha256(fp) != digest:
            raise CheckpointError(
                f"{fp} does not match its recorded sha256: the file was modified or "
                "corrupted, refit or restore it"
            )
        tensors[fp.stem] = torch.load(fp, map_location="cpu", weights_only=True)
    return meta, tensors
