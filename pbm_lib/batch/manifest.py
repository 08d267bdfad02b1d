"""The run manifest: what was produced for each job, from which inputs, so a rerun does only what changed.

A job is up to date when its manifest entry has the same *key* and succeeded and its files exist. The
key is the SHA-256 of the notebook's content hash, the job's parameters, the year data's hash, the
hashes of files named by ``*_path``/``*_file`` parameters, the kernel name and the pbm version.

The manifest is rewritten atomically (temporary file, then rename) after every job, and files are
always written before the entry that names them: killing a run at any moment leaves at worst a job
done but not recorded, which the next run redoes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from ..iorw import write_text
from .plan import Job

log = logging.getLogger("pbm.batch")

MANIFEST_NAME = "manifest.json"
FORMAT = 1


def job_key(job: Job, data_sha256: str, pbm_version: str, notebook_sha256: str | None = None) -> str:
    """The identity of a job's inputs; equal keys mean an identical rerun would be wasted."""
    material = {
        "notebook": notebook_sha256 or job.notebook_sha256,
        "parameters": job.parameters,
        "data": data_sha256,
        "files": job.input_files,
        "kernel": job.kernel_name,
        "pbm": pbm_version,
    }
    return hashlib.sha256(
        json.dumps(material, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


class Manifest:
    """``outputs/<year>/manifest.json``: one entry per job id."""

    def __init__(
        self, path: Path, entries: dict[str, dict[str, Any]] | None = None, meta: dict | None = None
    ):
        self.path = Path(path)
        self.entries: dict[str, dict[str, Any]] = entries or {}
        self.meta: dict[str, Any] = meta or {}
        self._lines: dict[str, str] = {}  # job id -> its serialised line, so a save re-encodes one entry

    @classmethod
    def load(cls, out_dir: str | Path) -> Manifest:
        """Read the manifest of an output folder (empty when absent or unreadable)."""
        path = Path(out_dir) / MANIFEST_NAME
        if not path.exists():
            return cls(path)
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
            if content.get("format") != FORMAT or not isinstance(content.get("jobs"), dict):
                raise ValueError("unknown format")
        except (ValueError, OSError) as error:
            log.warning("%s: 无法读取，将全部重新运行 / unreadable, every job reruns (%s)", path, error)
            return cls(path)
        meta = {k: v for k, v in content.items() if k != "jobs"}
        return cls(path, content["jobs"], meta)

    def is_current(self, job: Job, key: str, out_dir: Path) -> bool:
        """Whether ``job`` succeeded earlier with the same key and its published files are still there."""
        entry = self.entries.get(job.id)
        if not entry or entry.get("key") != key or entry.get("status") != "ok":
            return False
        for name in ("notebook", "html"):
            rel = entry.get(name)
            if rel and not (out_dir / rel).is_file():
                return False
        return True

    def record(self, job_id: str, entry: dict[str, Any]) -> None:
        """Set one job's entry and save the whole manifest atomically."""
        self.entries[job_id] = entry
        self._lines.pop(job_id, None)
        self.save()

    def drop(self, job_ids: set[str]) -> list[dict[str, Any]]:
        """Remove entries (jobs no longer planned); returns them so their files can be removed."""
        gone = [self.entries.pop(j) for j in sorted(job_ids) if j in self.entries]
        for j in job_ids:
            self._lines.pop(j, None)
        if gone:
            self.save()
        return gone

    def save(self) -> None:
        # One job per line: readable, diffable, and fast (no indent keeps json's C encoder).
        for job, entry in self.entries.items():
            if job not in self._lines:
                self._lines[job] = (
                    f" {json.dumps(job, ensure_ascii=False)}: {json.dumps(entry, ensure_ascii=False)}"
                )
        jobs = ",\n".join(self._lines[job] for job in self.entries)
        head = json.dumps({"format": FORMAT, **self.meta}, ensure_ascii=False)[:-1]
        write_text(self.path, f'{head}, "jobs": {{\n{jobs}\n}}}}\n')
