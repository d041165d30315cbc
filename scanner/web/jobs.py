"""Uploads being scanned: one private folder per job, one worker thread (the models are loaded once and used by
one scan at a time), the scan's findings kept aside so every apply starts from what the scanner found."""
from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from .. import media
from ..findings import ScanResult

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
SCAN_FINDINGS = "scan.findings.json"


def safe_name(filename: str) -> str:
    """An upload's file name reduced to a harmless base name with its extension (which says what the media is):
    no folders, no dot files, nothing a shell or a file system treats specially."""
    base = SAFE_NAME.sub("_", Path(filename.replace("\\", "/")).name).strip("._") or "upload"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        return base[:80]
    return f"{stem[:80] or 'upload'}.{ext[:10].lower()}"


class JobProgress:
    """Frames done of frames expected, for a video's progress bar (scanner.video.Progress)."""

    def __init__(self) -> None:
        self.total: Optional[int] = None
        self.done = 0

    def start(self, name: str, total: Optional[int]) -> None:
        self.total, self.done = total, 0

    def advance(self, frames: int) -> None:
        self.done += frames

    def stop(self) -> None:
        pass

    @property
    def fraction(self) -> Optional[float]:
        return min(1.0, self.done / self.total) if self.total else None


@dataclass
class Job:
    id: str
    folder: Path  # private to this job: the upload, the outputs, the scan's findings
    source: Path
    kind: str  # image | video
    style: str
    state: str = "queued"  # queued | running | done | error
    result: Optional[ScanResult] = None
    error: Optional[str] = None
    progress: JobProgress = field(default_factory=JobProgress)
    future: Optional[Future] = None

    @property
    def out(self) -> Path:
        return self.folder / "out"

    @property
    def rel(self) -> Path:
        return Path(self.source.name)

    @property
    def scan_findings(self) -> Path:
        return self.folder / SCAN_FINDINGS


ScannerFor = Callable[[str], object]  # style -> a scanner.api.Scanner (its `process`, its `video_progress`)


class Jobs:
    """The server's jobs, in a private temporary folder (mode 0700) that `close` removes."""

    def __init__(self, scanner_for: ScannerFor, root: Optional[Path] = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="scanner-web-", dir=root))  # mkdtemp: 0700, only we can enter
        self.scanner_for = scanner_for
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scan")

    def get(self, job_id: str) -> Optional[Job]:
        return self.jobs.get(job_id) if JOB_ID.match(job_id or "") else None

    def reserve(self) -> tuple[str, Path]:
        """A new job's id and private folder, for its upload to be written into."""
        job_id = secrets.token_hex(16)
        folder = self.root / job_id
        folder.mkdir(mode=0o700)
        return job_id, folder

    def add(self, job_id: str, folder: Path, upload: Path, filename: str, style: str) -> Job:
        """The job for an upload written into its folder: the file takes a safe name with its extension."""
        name = safe_name(filename)
        source = folder / name
        upload.replace(source)
        job = Job(job_id, folder, source, media.media_kind(source) or "image", style)
        with self.lock:
            self.jobs[job_id] = job
        return job

    def submit(self, job: Job) -> Future:
        job.future = self.pool.submit(self._scan, job)
        return job.future

    def run(self, fn: Callable, *args) -> Future:
        """Other work that needs the models or writes a job's outputs (apply), in turn with the scans."""
        return self.pool.submit(fn, *args)

    def _scan(self, job: Job) -> None:
        job.state = "running"
        try:
            scanner = self.scanner_for(job.style)
            scanner.video_progress = job.progress
            try:
                result = scanner.process(job.source, job.out, redact=True, rel=job.rel)
            finally:
                scanner.video_progress = None
            # Kept aside: the outputs' findings file is rewritten by every apply, and each apply starts afresh.
            media.write_bytes_atomic(job.scan_findings, json.dumps(result.to_json(include_text=False)).encode())
            job.result = result
            job.state, job.error = ("error", result.error) if result.verdict == "error" else ("done", None)
        except Exception as e:  # never leave a job "running" forever
            job.state, job.error = "error", f"scan failed: {type(e).__name__}: {e}"

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.root, ignore_errors=True)
