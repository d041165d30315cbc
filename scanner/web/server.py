"""`scanner serve`: the local web page and its small HTTP API (DESIGN.md, "Web contract"), over scanner.api and
scanner.review. Starlette on uvicorn, loopback only by default.

What keeps it safe on a clinician's laptop: it answers only requests whose Host header names the served address
(a web page elsewhere cannot reach it through DNS rebinding) and whose Origin, if any, is its own (nor post to it
from another tab); uploads are capped (413) and streamed into a private temporary folder (0700) that goes when the
server stops; no endpoint takes a file-system path (jobs are random ids); the page loads nothing from elsewhere
(Content-Security-Policy 'self').
"""
from __future__ import annotations

import asyncio
import json
import shutil
import socket
import threading
from pathlib import Path
from typing import Callable, Optional

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..findings import ScanResult
from ..media import MediaError
from ..options import STYLES
from .jobs import Job, Jobs
from .summary import plain_summary

STATIC = Path(__file__).with_name("static")
PAGES = {"app.js": "text/javascript", "app.css": "text/css"}
DEFAULT_MAX_UPLOAD = 1 << 30  # 1 GiB: a few minutes of phone video
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
                                 b"style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
                                 b"base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class TooLarge(Exception):
    pass


class Guard:
    """ASGI middleware: Host and Origin checks (403), the upload limit (413), security headers on every answer."""

    def __init__(self, app, hosts: set[str], max_body: int) -> None:
        self.app, self.hosts, self.max_body = app, hosts, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        origin = headers.get("origin")
        if host not in self.hosts or (origin is not None and origin not in {f"http://{h}" for h in self.hosts}):
            return await _plain(send, 403, "forbidden: this server answers only its own address")
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await _plain(send, 413, f"upload too large: the limit is {self.max_body >> 20} MiB")
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise TooLarge()
            return message

        async def guarded_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except TooLarge:
            if not started:
                await _plain(send, 413, f"upload too large: the limit is {self.max_body >> 20} MiB")


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())] + SECURITY_HEADERS})
    await send({"type": "http.response.body", "body": body})


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())}, status_code=status)


def findings_doc(job: Job, result: ScanResult) -> dict:
    """The findings JSON as the page gets it: text masked, outputs as this server's URLs (never its paths)."""
    doc = result.to_json(include_text=False)
    doc["source"]["path"] = job.source.name
    base = f"/api/jobs/{job.id}"
    doc["outputs"] = {k: f"{base}/{k}" for k in ("redacted", "annotated", "findings") if k in result.outputs}
    doc.pop("outputs_sha256", None)
    doc["job"] = job.id
    doc["summary"] = plain_summary(result.findings)
    return doc


def create_app(jobs: Jobs, hosts: set[str], max_upload: int = DEFAULT_MAX_UPLOAD) -> Starlette:
    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in PAGES:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(STATIC / name, media_type=PAGES[name])

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def scan(request: Request) -> Response:
        job_id, folder = jobs.reserve()
        try:
            upload, filename, fields = await _receive_upload(request, folder)
        except TooLarge:
            shutil.rmtree(folder, ignore_errors=True)
            return error(413, f"upload too large: the limit is {max_upload >> 20} MiB")
        except ValueError as e:
            shutil.rmtree(folder, ignore_errors=True)
            return error(400, str(e))
        style = fields.get("style") or "fill"
        if style not in STYLES:
            return error(400, f"style must be one of {', '.join(STYLES)}")
        job = jobs.add(job_id, folder, upload, filename, style)
        future = jobs.submit(job)
        if job.kind == "video":
            return JSONResponse({"job": job.id, "state": job.state}, status_code=202)
        await asyncio.wrap_future(future)
        return _job_answer(job)

    async def job_state(request: Request) -> Response:
        job = jobs.get(request.path_params["job"])
        if job is None:
            return error(404, "no such job")
        if job.state in ("queued", "running"):
            return JSONResponse({"job": job.id, "state": job.state, "progress": job.progress.fraction})
        return _job_answer(job)

    async def output(request: Request) -> Response:
        job = jobs.get(request.path_params["job"])
        which = request.path_params["which"]
        if job is None or job.result is None or which not in job.result.outputs:
            return error(404, "no such output")
        path = Path(job.result.outputs[which])
        name = f"{job.source.stem}.{which}{path.suffix}" if which != "findings" else f"{job.source.stem}.findings.json"
        return FileResponse(path, filename=name, content_disposition_type="inline" if which != "findings"
                            else "attachment")

    async def apply_edits(request: Request) -> Response:
        job = jobs.get(request.path_params["job"])
        if job is None or job.state != "done":
            return error(404, "no finished scan with this id")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error(400, "expected a JSON body")
        if not isinstance(body, dict) or not isinstance(body.get("actions", {}), dict) \
                or not isinstance(body.get("manual", []), list):
            return error(400, 'expected {"actions": {"f1": "allow", ...}, "manual": [[x0, y0, x1, y1], ...]}')
        try:
            result = await asyncio.wrap_future(jobs.run(_apply, job, body.get("actions", {}), body.get("manual", [])))
        except (ValueError, MediaError) as e:  # ReviewError (unknown id, bad box), the source unreadable
            return error(422, str(e))
        job.result = result
        return JSONResponse(findings_doc(job, result))

    routes = [
        Route("/", page), Route("/static/{name}", static), Route("/healthz", healthz),
        Route("/api/scan", scan, methods=["POST"]),
        Route("/api/jobs/{job}", job_state),
        Route("/api/jobs/{job}/apply", apply_edits, methods=["POST"]),
        Route("/api/jobs/{job}/{which}", output),
    ]
    app = Starlette(routes=routes)
    return Guard(app, hosts, max_upload)


def _job_answer(job: Job) -> Response:
    if job.state == "error":
        return error(422, f"{job.source.name}: {job.error}")
    return JSONResponse(findings_doc(job, job.result))


def _apply(job: Job, actions: dict, manual: list) -> ScanResult:
    """The page's toggles and boxes applied to the scan's own findings (every apply starts from them)."""
    from ..outputs import write_findings
    from ..review import load_reviewed, render, reviewed

    result = load_reviewed(job.scan_findings)
    reviewed(result, actions, manual, by="web page")
    render(result, job.source, job.out, job.rel, job.style)
    write_findings(result, job.out, job.rel, include_text=True)  # the kept copy's text is masked already
    return result


async def _receive_upload(request: Request, folder: Path) -> tuple[Path, str, dict[str, str]]:
    """The multipart body streamed into `folder` (never held in memory, never in a shared temporary folder): the
    file of field `file`, its name, and the small text fields."""
    from python_multipart.multipart import create_form_parser

    files: list = []
    fields: dict[str, str] = {}

    def on_field(f) -> None:
        if f.field_name and f.value is not None and len(fields) < 8:
            fields[f.field_name.decode("utf-8", "replace")] = f.value.decode("utf-8", "replace")[:100]

    def on_file(f) -> None:
        files.append(f)

    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ValueError("expected a multipart/form-data upload with a field 'file'")
    headers = {"Content-Type": content_type.encode("latin-1")}
    parser = create_form_parser(headers, on_field, on_file, config={
        "UPLOAD_DIR": str(folder), "UPLOAD_DELETE_TMP": False, "MAX_MEMORY_FILE_SIZE": 0,
        "UPLOAD_KEEP_FILENAME": False, "UPLOAD_KEEP_EXTENSIONS": False})
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except TooLarge:
        raise
    except Exception as e:  # a malformed multipart body
        raise ValueError(f"malformed upload: {type(e).__name__}") from None
    wanted = [f for f in files if f.field_name == b"file"]
    if len(wanted) != 1 or not wanted[0].file_name:
        raise ValueError("expected one file in the field 'file'")
    f = wanted[0]
    if f.in_memory:
        f.flush_to_disk()
    f.file_object.close()
    return Path(f.actual_file_name.decode()), f.file_name.decode("utf-8", "replace"), fields


# ------------------------------------------------------------------------------------------------ running it


class WebServer:
    """The app on a socket bound now (so the port is known before serving, even for port 0), in this thread
    (`serve_forever`) or a background one (`start` / `stop`, for tests)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, max_upload: int = DEFAULT_MAX_UPLOAD,
                 scanner_for: Optional[Callable[[str], object]] = None) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(128)  # connections wait in the backlog from now, even before uvicorn serves
        self.host, self.port = host, self.sock.getsockname()[1]
        self.jobs = Jobs(scanner_for or _default_scanner)
        netloc = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        hosts = {netloc}
        if host in ("127.0.0.1", "::1"):
            hosts |= {f"localhost:{self.port}"}
        self.url = f"http://{netloc}/"
        app = create_app(self.jobs, hosts, max_upload)
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
        self.thread: Optional[threading.Thread] = None

    def serve_forever(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.close()

    def start(self) -> "WebServer":
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the web server did not start")
            threading.Event().wait(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=30)
        self.close()

    def close(self) -> None:
        self.jobs.close()
        self.sock.close()


def _default_scanner(style: str):
    from ..api import ScanOptions, get_scanner

    return get_scanner(ScanOptions(style=style))
