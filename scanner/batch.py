"""Batch runs: many files, in parallel worker processes, resumable, ending in an HTML report.

- Workers: `workers` processes (default: one per core), each loading the models once (one `Scanner` per worker)
  and limited to cores/workers threads in torch, onnxruntime and OpenCV so N workers do not oversubscribe the
  machine. One file (or workers=1) runs in this process with every thread available. The parent hands each
  worker one file at a time, so it always knows which file a worker holds: a worker that dies (crash, OOM kill)
  or overruns `file_timeout` (then it is stopped) fails exactly that file, closed, and a new worker takes the rest.
- Resumable: `DIR/.scanner-index.json` (written atomically) records each file's content hash and a fingerprint of
  the settings; a later run skips a file whose hash, settings and outputs are unchanged and reads its previous
  findings back, so it still counts in the exit code and the report. Errors are always re-scanned; `force=True`
  re-scans everything.
- Ctrl-C: workers ignore SIGINT; the parent stops them with SIGTERM (which unwinds media.atomic_path, deleting the
  temporary file) and kills stragglers, then removes any temporary file left behind. Finished files are complete,
  unfinished ones have no output under a final name.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import queue
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

from . import __version__, media
from .api import InputFile, ScanOptions, _options, expand_inputs, get_scanner, output_path, write_findings
from .findings import ScanResult, SourceInfo

INDEX_NAME = ".scanner-index.json"
INDEX_VERSION = 1
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
               "OMP_THREAD_LIMIT")


@dataclass
class FileOutcome:
    """One input's result in a batch: its findings document (as written to DIR) and how it was obtained."""

    input: Path
    rel: Path
    doc: dict[str, Any]
    skipped: bool = False  # unchanged since the last run: `doc` was read back from DIR
    thumbnail: Optional[str] = None  # data: URI of the downscaled annotated image, for the report

    @property
    def verdict(self) -> str:
        return self.doc.get("verdict", "error")


@dataclass
class BatchResult:
    out_dir: Optional[Path]
    files: list[FileOutcome] = field(default_factory=list)
    missing: list[tuple[Path, str]] = field(default_factory=list)  # inputs that do not exist / cannot be listed
    not_media: list[tuple[Path, str]] = field(default_factory=list)  # skipped with a note
    interrupted: bool = False
    workers: int = 1
    elapsed_s: float = 0.0
    report: Optional[Path] = None

    def counts(self) -> dict[str, int]:
        c = {"clear": 0, "review": 0, "error": 0, "unchanged": 0}
        for f in self.files:
            c[f.verdict] = c.get(f.verdict, 0) + 1
            c["unchanged"] += f.skipped
        return c

    def exit_code(self, redact: bool = False) -> int:
        """CLI contract: scan 0 clear / 1 review / 2 error; redact 0 all redacted / 2 a failure; 130 interrupted."""
        if self.interrupted:
            return 130
        if self.missing or not self.files or any(f.verdict == "error" for f in self.files):
            return 2
        if redact:
            return 0
        return 1 if any(f.verdict == "review" for f in self.files) else 0


# ----------------------------------------------------------------------------------------------- resumable index

def settings_fingerprint(options: ScanOptions, redact: bool) -> str:
    """Everything that changes what a scan produces: options, mode, tool version, policy file content and the
    allowed-faces folder (names, sizes, times). Any change → the file is scanned again."""
    from .detectors import REGISTRY

    d: dict[str, Any] = {"options": options.settings(), "redact": redact, "version": __version__,
                         "detectors": [n for n, _ in REGISTRY if n not in options.skip]}
    if options.policy_file and Path(options.policy_file).is_file():
        d["policy_sha256"] = media.sha256_file(Path(options.policy_file))
    faces = [options.allow_faces]
    if options.policy_file:
        try:
            from .policy import Policy

            faces.append(Policy.from_file(options.policy_file).allow_faces)
        except ValueError:
            pass
    d["allow_faces"] = [_folder_listing(Path(f)) for f in faces if f]
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()


def _folder_listing(folder: Path) -> list:
    if not folder.is_dir():
        return [str(folder), "missing"]
    return sorted((str(p.relative_to(folder)), st.st_size, int(st.st_mtime))
                  for p in folder.rglob("*") if p.is_file() for st in [p.stat()])


class RunIndex:
    """DIR/.scanner-index.json: rel path → {sha256, settings, verdict}. Written atomically; a corrupt or
    foreign index is ignored (everything is re-scanned), never trusted."""

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / INDEX_NAME
        self.entries: dict[str, dict] = {}
        self._dirty = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") == INDEX_VERSION and isinstance(data.get("files"), dict):
                self.entries = data["files"]
        except (OSError, ValueError, AttributeError):
            pass

    def unchanged(self, rel: Path, sha256: str, settings: str, out_dir: Path) -> Optional[dict]:
        """The previous findings document if `rel` was scanned with these bytes and settings and its outputs are
        intact; None means scan it (again)."""
        e = self.entries.get(rel.as_posix())
        if not e or e.get("sha256") != sha256 or e.get("settings") != settings or e.get("verdict") == "error":
            return None
        try:
            doc = json.loads(output_path(out_dir, rel, ".findings.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if doc.get("source", {}).get("sha256") != sha256 or doc.get("verdict") not in ("clear", "review"):
            return None
        for key, digest in (doc.get("outputs_sha256") or {}).items():
            p = resolve_output(doc["outputs"].get(key, ""), out_dir, rel)
            if p is None or media.sha256_file(p) != digest:
                return None  # an output was deleted or edited: make it again
        return doc

    def record(self, rel: Path, doc: dict, settings: str) -> None:
        self.entries[rel.as_posix()] = {"sha256": doc["source"]["sha256"], "settings": settings,
                                        "verdict": doc["verdict"]}
        self._dirty = True

    def save(self) -> None:
        if self._dirty:
            data = {"version": INDEX_VERSION, "tool": __version__, "files": self.entries}
            media.write_bytes_atomic(self.path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())
            self._dirty = False


def resolve_output(recorded: str, out_dir: Path, rel: Path) -> Optional[Path]:
    """An output path as recorded in a findings file (relative to the cwd of the run that wrote it), found again:
    as recorded, else by its name beside the findings file."""
    if not recorded:
        return None
    p = Path(recorded)
    if p.is_file():
        return p
    alt = Path(out_dir) / rel.parent / p.name
    return alt if alt.is_file() else None


# ------------------------------------------------------------------------------------------------ worker processes

def limit_threads(n: int) -> None:
    """Cap the compute threads of this process's libraries at `n` (call before models load)."""
    for var in _THREAD_ENV:
        os.environ[var] = str(n)
    import cv2

    cv2.setNumThreads(n)
    try:
        import onnxruntime as ort
    except ImportError:  # pragma: no cover - pinned dependency
        ort = None
    if ort is not None and not getattr(ort.InferenceSession, "_scanner_threads", None):
        # RapidOCR and CenterFace build their sessions with intra_op_num_threads unset (= every core): default it.
        original = ort.InferenceSession.__init__

        def init(self, path_or_bytes, sess_options=None, *args, **kwargs):
            so = sess_options if sess_options is not None else ort.SessionOptions()
            if so.intra_op_num_threads == 0:
                so.intra_op_num_threads = n
            if so.inter_op_num_threads == 0:
                so.inter_op_num_threads = 1
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")  # idle threads must not spin
            original(self, path_or_bytes, so, *args, **kwargs)

        ort.InferenceSession.__init__ = init
        ort.InferenceSession._scanner_threads = n
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def _on_sigterm(signum, frame):  # pragma: no cover - runs in a worker being stopped
    raise SystemExit(143)  # unwinds atomic_path: the temporary file is deleted, no final name is written


@dataclass(frozen=True)
class _Job:
    index: int
    path: Path
    rel: Path


def _worker_main(options: ScanOptions, out_dir: Optional[Path], redact: bool, threads: int, thumbs: bool,
                 jobs: "mp.Queue", results: "mp.Queue") -> None:  # pragma: no cover - runs in a child process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop, and stops us with SIGTERM
    signal.signal(signal.SIGTERM, _on_sigterm)
    limit_threads(threads)
    try:
        scanner = get_scanner(options)  # models load once per worker, not per file
        startup_error = None
    except Exception as e:  # reported against every file this worker takes: never "clear"
        scanner, startup_error = None, f"scan failed: worker could not start: {type(e).__name__}: {e}"
    limit_threads(threads)  # an engine may have raised torch's thread count while loading
    while True:
        job = jobs.get()
        if job is None:
            return
        results.put(("start", job.index, os.getpid()))
        if scanner is None:
            outcome = _error_outcome(job, startup_error, options, out_dir)
        else:
            outcome = _process(scanner, job, out_dir, redact, options, thumbs)
        results.put(("done", job.index, outcome))


def _process(scanner, job: _Job, out_dir: Optional[Path], redact: bool, options: ScanOptions,
             thumbs: bool) -> FileOutcome:
    r = scanner.process(job.path, out_dir, redact=redact, rel=job.rel)
    thumb = None
    if thumbs and r.outputs.get("annotated"):
        from .report import thumbnail_data_uri

        thumb = thumbnail_data_uri(Path(r.outputs["annotated"]), [f.to_json() for f in r.findings])
    doc = json.loads(json.dumps(r.to_json(options.include_text)))  # exactly what a later run reads back from DIR
    return FileOutcome(job.path, job.rel, doc, thumbnail=thumb)


def _error_outcome(job: _Job, reason: str, options: ScanOptions, out_dir: Optional[Path] = None) -> FileOutcome:
    """A file the batch could not finish; with `out_dir`, its findings file says so (every input gets one)."""
    kind = media.media_kind(job.path) or "unknown"
    r = ScanResult(source=SourceInfo(path=str(job.path), sha256="", kind=kind, width=0, height=0),
                   verdict="error", error=reason, settings=options.settings())
    if out_dir is not None:
        try:
            write_findings(r, out_dir, job.rel, options.include_text)
        except OSError:
            pass  # the outcome (report, exit code) still says error; the folder was the problem
    return FileOutcome(job.path, job.rel, json.loads(json.dumps(r.to_json(options.include_text))))


# --------------------------------------------------------------------------------------------------- the batch

ProgressFn = Callable[[FileOutcome, int, int], None]  # (outcome, files done, files total)


def run_batch(paths: Sequence[Path | str], out_dir: Path | str | None, *, redact: bool = False,
              options: ScanOptions = ScanOptions(), workers: Optional[int] = None, force: bool = False,
              report: bool = True, on_start: Optional[Callable[[int, int], None]] = None,
              on_result: Optional[ProgressFn] = None, file_timeout: Optional[float] = None) -> BatchResult:
    """Scan (or redact) every file under `paths` into `out_dir`; see the module docstring.

    `file_timeout` (seconds): a file still being processed after that long is given up (its worker is stopped
    and replaced, the file's verdict is `error`), so one file that hangs a decoder cannot stall the batch. With
    a timeout, files are always processed in worker processes, even with one worker: only a process can be
    stopped from outside.

    `on_start(to_scan, unchanged)` is called once the work is known; `on_result` after each file (unchanged ones
    first). Raises PolicyError for a bad policy file before any work starts. KeyboardInterrupt is caught: the
    result says `interrupted` and holds the files that finished.
    """
    t0 = time.perf_counter()
    out = Path(out_dir) if out_dir is not None else None
    if redact and out is None:
        raise ValueError("redact needs an output folder")
    if options.policy_file:
        from .policy import Policy

        Policy.from_file(options.policy_file)  # a bad policy fails here, in one line, before workers start
    if out is not None and out.is_dir():
        # Temp files a SIGKILLed earlier run could not delete; a live concurrent writer touches its file more often.
        media.remove_stale_parts(out, older_than_s=120)
    exp = expand_inputs(paths, out)
    res = BatchResult(out_dir=out, missing=list(exp.missing), not_media=list(exp.skipped))
    index = RunIndex(out) if out is not None else None
    settings = settings_fingerprint(options, redact)
    todo: list[InputFile] = []
    for f in exp.files:
        doc = None
        if index is not None and not force and f.rel.as_posix() in index.entries:
            try:
                doc = index.unchanged(f.rel, media.sha256_file(f.path), settings, out)
            except (OSError, media.MediaError):
                doc = None
        if doc is None:
            todo.append(f)
        else:
            res.files.append(FileOutcome(f.path, f.rel, doc, skipped=True))
    if file_timeout is not None and file_timeout <= 0:
        raise ValueError("the per-file timeout must be a positive number of seconds")
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    res.workers = n_workers
    total = len(res.files) + len(todo)
    if on_start:
        on_start(len(todo), len(res.files))
    for i, o in enumerate(res.files, 1):
        if on_result:
            on_result(o, i, total)
    last_save = time.monotonic()

    def finished(o: FileOutcome) -> None:
        nonlocal last_save
        res.files.append(o)
        if index is not None and o.doc.get("source", {}).get("sha256"):
            index.record(o.rel, o.doc, settings)
            if time.monotonic() - last_save > 2.0:  # a killed run keeps most of its progress
                index.save()
                last_save = time.monotonic()
        if on_result:
            on_result(o, len(res.files), total)

    try:
        if n_workers == 1 and file_timeout is None:
            _run_in_process(todo, out, redact, options, report, finished)
        elif todo:
            _run_in_workers(todo, out, redact, options, n_workers, report, finished, file_timeout)
    except KeyboardInterrupt:
        res.interrupted = True
    finally:
        if index is not None:
            index.save()
    res.files.sort(key=lambda o: o.rel.as_posix())
    res.elapsed_s = time.perf_counter() - t0
    if report and out is not None:
        from .report import write_report

        res.report = write_report(res, out, redact=redact)
    return res


def _run_in_process(todo: list[InputFile], out: Optional[Path], redact: bool, options: ScanOptions, thumbs: bool,
                    finished: Callable[[FileOutcome], None]) -> None:
    if not todo:
        return
    scanner = get_scanner(options)
    for i, f in enumerate(todo):
        finished(_process(scanner, _Job(i, f.path, f.rel), out, redact, options, thumbs))


@dataclass
class _Worker:
    """A worker process, its own job queue, and the one job it holds (the parent hands out one at a time, so a
    worker that dies or is stopped can never take a file with it unreported)."""
    proc: Any
    jobs: Any
    job: Optional[int] = None  # index of the job handed to it
    started: Optional[float] = None  # when it began that job (after loading its models), monotonic


def _run_in_workers(todo: list[InputFile], out: Optional[Path], redact: bool, options: ScanOptions, n: int,
                    thumbs: bool, finished: Callable[[FileOutcome], None],
                    file_timeout: Optional[float] = None) -> None:
    ctx = mp.get_context("spawn")  # a fresh interpreter: no inherited threads, locks or half-loaded models
    results = ctx.Queue()
    pending = {i: _Job(i, f.path, f.rel) for i, f in enumerate(todo)}  # not finished
    queued = list(pending)  # not yet handed to a worker, in order
    threads = max(1, (os.cpu_count() or 1) // n)
    workers: dict[int, _Worker] = {}  # pid -> worker
    lost_mid_file = False  # a worker died or was stopped holding a file: its temporary output may be left behind

    def start_worker() -> None:
        saved = {v: os.environ.get(v) for v in _THREAD_ENV}
        os.environ.update({v: str(threads) for v in _THREAD_ENV})  # read by BLAS/OpenMP at the child's import
        jobs = ctx.Queue()
        try:
            p = ctx.Process(target=_worker_main, args=(options, out, redact, threads, thumbs, jobs, results),
                            daemon=True)
            with _caller_script_hidden():
                p.start()
        finally:
            for v, old in saved.items():
                if old is None:
                    os.environ.pop(v, None)
                else:
                    os.environ[v] = old
        workers[p.pid] = _Worker(p, jobs)
        hand_out(workers[p.pid])

    def hand_out(w: _Worker) -> None:
        w.job, w.started = (queued.pop(0) if queued else None), None
        w.jobs.put(pending[w.job] if w.job is not None else None)  # None: no more work, exit

    def lose(w: _Worker, reason: str) -> None:
        """The worker is gone (died, or stopped by us): its file fails closed, a new worker takes the rest."""
        nonlocal lost_mid_file
        del workers[w.proc.pid]
        w.jobs.cancel_join_thread()
        if w.job is not None and w.job in pending:
            lost_mid_file = True
            finished(_error_outcome(pending.pop(w.job), reason, options, out))
        if queued:
            start_worker()

    for _ in range(min(n, len(queued))):
        start_worker()
    try:
        while pending:
            if not workers:  # cannot happen while files are queued (lose() replaces workers); belt and braces
                for idx in sorted(pending):
                    finished(_error_outcome(pending.pop(idx), "scan failed: no worker left", options, out))
                break
            try:
                msg = results.get(timeout=0.5)
            except queue.Empty:
                msg = None
            if msg is not None and msg[0] == "start":
                w = workers.get(msg[2])
                if w is not None and w.job == msg[1]:
                    w.started = time.monotonic()
            elif msg is not None and msg[0] == "done" and msg[1] in pending:
                pending.pop(msg[1])
                w = next((w for w in workers.values() if w.job == msg[1]), None)
                if w is not None:
                    hand_out(w)  # first: the worker goes on while the report, index and terminal are updated
                finished(msg[2])
            now = time.monotonic()
            for w in list(workers.values()):
                if not w.proc.is_alive():
                    lose(w, f"scan failed: worker process died (exit code {w.proc.exitcode})")
                elif (file_timeout is not None and w.job is not None and w.started is not None
                      and now - w.started > file_timeout):
                    _stop_workers([w.proc], None, graceful=False)
                    lose(w, f"scan failed: gave up after {file_timeout:g} s (per-file timeout); the file was not "
                            "fully scanned")
    finally:
        for w in workers.values():
            w.jobs.put(None)  # idle ones were told already; a second stop is harmless
        _stop_workers([w.proc for w in workers.values()], out, graceful=not pending, cleanup=lost_mid_file)
        for w in workers.values():
            w.jobs.cancel_join_thread()
        results.cancel_join_thread()


@contextmanager
def _caller_script_hidden() -> Iterator[None]:
    """Spawned children re-import the caller's __main__ (so a script without an `if __name__ == "__main__"` guard
    would start a batch inside every worker). Our workers need nothing from it: hide it while a child starts."""
    main = sys.modules["__main__"]
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def _stop_workers(procs: list, out: Optional[Path], graceful: bool, cleanup: bool = False) -> None:
    """Stop the worker processes (after their queued work if `graceful`); with `cleanup` (or when one had to be
    stopped) delete the temporary outputs left in `out`, once no worker is left that could be writing one."""
    if graceful:
        for p in procs:
            p.join(timeout=10)
    alive = [p for p in procs if p.is_alive()]
    for p in alive:
        p.terminate()  # SIGTERM: _on_sigterm unwinds, deleting the temporary output
    deadline = time.monotonic() + 5
    for p in alive:
        p.join(timeout=max(0.1, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(timeout=2)
    if (alive or cleanup) and out is not None and out.is_dir():
        media.remove_stale_parts(out)  # whatever a killed (not terminated) worker could not delete


def scan_folder(paths: Path | str | Sequence[Path | str], out_dir: Path | str, redact: bool = False,
                workers: Optional[int] = None, force: bool = False, report: bool = True,
                file_timeout: Optional[float] = None, **options) -> BatchResult:
    """Python API for batches: `scanner.scan_folder("ward_photos", "out", workers=2)`; options as for `scan()`."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    return run_batch(paths, out_dir, redact=redact, options=_options(dict(options)), workers=workers, force=force,
                     report=report, file_timeout=file_timeout)


__all__ = ["BatchResult", "FileOutcome", "RunIndex", "limit_threads", "run_batch", "scan_folder",
           "settings_fingerprint"]
