"""The batch report: `DIR/report.html`, one self-contained page (inline CSS and JS, thumbnails as data: URIs, a
Content-Security-Policy that forbids every network load) that opens offline from a USB stick or an e-mail.

People would rather look than read: summary tiles by verdict and by category (both are filters), then one card
per file, worst first (error, then review by severity and count, then clear), each with a thumbnail of the
annotated copy, its findings (text masked) and links to the outputs (relative paths).
"""
from __future__ import annotations

import base64
import html
import io
import os
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

from PIL import Image, ImageDraw

from . import __version__, media
from .findings import SAFE_HARBOR, mask_text
from .redact import SEVERITY_COLOUR

if TYPE_CHECKING:  # pragma: no cover
    from .batch import BatchResult, FileOutcome

REPORT_NAME = "report.html"
THUMB_MAX_SIDE = 420
THUMB_QUALITY = 70
SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}
VERDICT_RANK = {"error": 0, "review": 1, "clear": 2}
REGION_KINDS = ("screen", "reflection")
ROWS_SHOWN = 6  # findings listed on a card before "show N more"


# ------------------------------------------------------------------------------------------------------ thumbnails

def thumbnail_jpeg(path: Path, findings: Sequence[dict] = (), max_side: int = THUMB_MAX_SIDE) -> Optional[bytes]:
    """A small JPEG of an annotated image (first frame of a video) with every finding's box filled in its severity
    colour: the report shows where things are, never the identifiers themselves (it is the file people share).
    None when it cannot be read."""
    try:
        if media.media_kind(path) == "video":
            rgb = _first_video_frame(path)
            if rgb is None:
                return None
            img = Image.fromarray(rgb)
            full = img.size
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                img = Image.open(path)
                full = img.size
                img.draft("RGB", (max_side, max_side))  # JPEG: decode at reduced size, much faster
                img = img.convert("RGB")
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        _cover_findings(img, findings, img.width / full[0], img.height / full[1])
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=THUMB_QUALITY, optimize=True)
        return buf.getvalue()
    except Exception:  # a missing preview must not fail a report
        return None


def _cover_findings(img: Image.Image, findings: Sequence[dict], sx: float, sy: float) -> None:
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    for f in findings:
        if f.get("kind") == "metadata" or f.get("action") not in ("redact", "flag"):
            continue
        x0, y0, x1, y1 = f["box"]
        r, g, b = SEVERITY_COLOUR.get(f.get("severity"), SEVERITY_COLOUR["high"])
        # A region (screen, board, reflection) is washed out and outlined, so the picture stays recognisable; the
        # lines read inside it are findings of their own and filled solid. At thumbnail size nothing is legible.
        region = f.get("kind") in REGION_KINDS
        d.rectangle((int(x0 * sx), int(y0 * sy), max(int(x0 * sx) + 1, int(x1 * sx + 0.999)),
                     max(int(y0 * sy) + 1, int(y1 * sy + 0.999))), fill=(r, g, b, 150 if region else 235),
                    outline=(r, g, b, 255), width=2 if region else 0)
    img.paste(Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB"))


def _first_video_frame(path: Path):
    try:
        import av

        with av.open(str(path)) as c:
            for frame in c.decode(video=0):
                return frame.to_ndarray(format="rgb24")
    except Exception:
        return None
    return None


def thumbnail_data_uri(path: Path, findings: Sequence[dict] = (), max_side: int = THUMB_MAX_SIDE) -> Optional[str]:
    data = thumbnail_jpeg(path, findings, max_side)
    return None if data is None else "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


# ------------------------------------------------------------------------------------------------------ ordering

def worst_severity(doc: dict) -> int:
    return max((SEVERITY_RANK.get(f.get("severity"), 0) for f in doc.get("findings", [])
                if f.get("action") in ("redact", "flag")), default=0)


def card_order(outcomes: Iterable["FileOutcome"]) -> list["FileOutcome"]:
    """Worst first: errors, then files to review by worst severity and number of findings, then clear files."""
    return sorted(outcomes, key=lambda o: (VERDICT_RANK.get(o.verdict, 0), -worst_severity(o.doc),
                                           -len(o.doc.get("findings", [])), o.rel.as_posix()))


def masked_findings(doc: dict) -> list[dict]:
    """The document's findings with text masked (a findings file written with --include-text holds it raw)."""
    raw = bool(doc.get("tool", {}).get("settings", {}).get("include_text"))
    out = []
    for f in doc.get("findings", []):
        f = dict(f)
        if raw and f.get("text"):
            f["text"] = mask_text(f["text"])
        out.append(f)
    return out


# ------------------------------------------------------------------------------------------------------ the page

def _e(s: Any) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def _link(recorded: Optional[str], out_dir: Path, rel: Path) -> Optional[str]:
    from .batch import resolve_output

    p = resolve_output(recorded or "", out_dir, rel)
    if p is None:
        return None
    return Path(os.path.relpath(p.resolve(), out_dir.resolve())).as_posix()


def _category_label(cat: str) -> str:
    letter = SAFE_HARBOR.get(cat, "R")
    return f"{letter} · {cat.replace('_', ' ')}"


def render_card(o: "FileOutcome", out_dir: Path) -> str:
    doc = o.doc
    act_rank = {"redact": 0, "flag": 1, "allow": 2}
    findings = sorted(masked_findings(doc), key=lambda f: (-SEVERITY_RANK.get(f.get("severity"), 0),
                                                           act_rank.get(f.get("action"), 3), -f.get("confidence", 0)))
    cats = sorted({f["category"] for f in findings if f.get("action") in ("redact", "flag", "allow")})
    sev = {3: "high", 2: "medium", 1: "low"}.get(worst_severity(doc), "")
    outputs = doc.get("outputs", {})
    links = []
    for key, label in (("annotated", "annotated"), ("redacted", "redacted"), ("findings", "findings JSON")):
        href = _link(outputs.get(key), out_dir, o.rel)
        if href:
            links.append(f'<a href="{_e(href)}">{label}</a>')
    thumb = o.thumbnail
    if thumb is None and outputs.get("annotated"):
        p = _link(outputs.get("annotated"), out_dir, o.rel)
        thumb = thumbnail_data_uri(out_dir / p, doc.get("findings", [])) if p else None
    annotated_href = _link(outputs.get("annotated"), out_dir, o.rel)
    if thumb:
        img = f'<img src="{thumb}" alt="annotated {_e(o.rel.name)}" loading="lazy">'
        pic = f'<a class="pic" href="{_e(annotated_href)}">{img}</a>' if annotated_href else f'<div class="pic">{img}</div>'
    else:
        why = "could not be read" if o.verdict == "error" else "no preview"
        pic = f'<div class="pic none"><span>{why}</span></div>'
    rows = []
    for i, f in enumerate(findings):
        note = f.get("note") if f.get("kind") == "metadata" else ""
        text = f.get("text") or ""
        rows.append(
            f'<tr class="a-{_e(f.get("action"))}{" extra" if i >= ROWS_SHOWN else ""}" data-cat="{_e(f["category"])}">'
            f'<td class="sev sev-{_e(f.get("severity"))}" title="{_e(f.get("severity"))} severity"></td>'
            f'<td><b>{_e(f["category"].replace("_", " "))}</b> <span class="hh" title="HIPAA Safe Harbor '
            f'identifier {_e(f.get("safe_harbor"))}">{_e(f.get("safe_harbor"))}</span>'
            f'<div class="sub">{_e(f.get("kind"))}{" · " + _e(f.get("context")) if f.get("context") else ""}'
            f'{" · " + _e(note) if note else ""}</div></td>'
            f'<td class="txt">{_e(text)}</td>'
            f'<td class="num">{float(f.get("confidence", 0)):.2f}</td>'
            f'<td><span class="act act-{_e(f.get("action"))}">{_e(f.get("action"))}</span></td></tr>')
    if doc.get("error"):
        body = f'<p class="err">{_e(doc["error"])}</p>'
    elif rows:
        more = (f'<button class="more" type="button">show {len(rows) - ROWS_SHOWN} more</button>'
                if len(rows) > ROWS_SHOWN else "")
        body = ('<table class="f"><thead><tr><th></th><th>what</th><th>text (masked)</th><th>conf</th>'
                f'<th>action</th></tr></thead><tbody>{"".join(rows)}</tbody></table>{more}')
    else:
        body = '<p class="ok">Nothing found that identifies a patient.</p>'
    warn = "".join(f'<li>{_e(w)}</li>' for w in doc.get("warnings", []))
    tags = '<span class="tag">unchanged since last run</span>' if o.skipped else ""
    n = len([f for f in findings if f.get("action") in ("redact", "flag")])
    count = f'{n} finding{"s" if n != 1 else ""}' if o.verdict == "review" else ""
    return (f'<article class="card v-{_e(o.verdict)}" data-verdict="{_e(o.verdict)}" data-cats="{_e(" ".join(cats))}"'
            f' data-name="{_e(o.rel.as_posix().lower())}">'
            f'{pic}<div class="meta"><h3 title="{_e(o.rel.as_posix())}">{_e(o.rel.as_posix())}</h3>'
            f'<div class="line"><span class="verdict">{_e(o.verdict)}</span>'
            f'{f"<span class=sevtag-{sev}>{sev}</span>" if sev else ""}<span class="cnt">{count}</span>{tags}</div>'
            f'{body}{f"<ul class=warn>{warn}</ul>" if warn else ""}'
            f'<nav>{" · ".join(links)}</nav></div></article>')


def render_report(result: "BatchResult", out_dir: Path, redact: bool = False,
                  generated: Optional[str] = None) -> str:
    outcomes = card_order(result.files)
    counts = result.counts()
    by_cat: dict[str, int] = {}
    files_by_cat: dict[str, int] = {}
    for o in outcomes:
        seen = set()
        for f in o.doc.get("findings", []):
            if f.get("action") in ("redact", "flag", "allow"):
                by_cat[f["category"]] = by_cat.get(f["category"], 0) + 1
                seen.add(f["category"])
        for c in seen:
            files_by_cat[c] = files_by_cat.get(c, 0) + 1
    tiles = "".join(
        f'<button class="tile t-{v}" data-verdict="{v}" aria-pressed="false"><b>{counts.get(v, 0)}</b>'
        f'<span>{label}</span></button>'
        for v, label in (("error", "could not be scanned"), ("review", "to review"), ("clear", "clear")))
    chips = "".join(
        f'<button class="chip" data-cat="{_e(c)}" aria-pressed="false" title="{files_by_cat[c]} file(s)">'
        f'{_e(_category_label(c))} <b>{n}</b></button>'
        for c, n in sorted(by_cat.items(), key=lambda kv: (-kv[1], kv[0])))
    notes = []
    if result.interrupted:
        notes.append('<p class="banner">Interrupted: only the files below were finished; run the same command '
                     'again to continue.</p>')
    extra = [f"{_e(p)}: {_e(r)}" for p, r in result.missing]
    if extra:
        notes.append('<details class="notes" open><summary>Inputs that could not be read</summary><ul>'
                     + "".join(f"<li>{x}</li>" for x in extra) + "</ul></details>")
    if result.not_media:
        notes.append(f'<details class="notes"><summary>{len(result.not_media)} non-media file(s) skipped'
                     '</summary><ul>' + "".join(f"<li>{_e(p)}</li>" for p, _ in result.not_media) + "</ul></details>")
    cards = "".join(render_card(o, out_dir) for o in outcomes)
    when = generated or time.strftime("%Y-%m-%d %H:%M", time.localtime())
    mode = "redact" if redact else "scan"
    unchanged = f'{counts["unchanged"]} unchanged since the last run · ' if counts.get("unchanged") else ""
    sub = (f'{len(outcomes)} file(s) · {mode} · {unchanged}{result.workers} worker(s) · {result.elapsed_s:.1f} s · '
           f'scanner {_e(__version__)} · {_e(when)}')
    return _PAGE.format(title="scanner report", sub=sub, tiles=tiles,
                        chips=chips or '<span class="muted">no findings</span>', notes="".join(notes),
                        cards=cards or '<p class="muted">No files.</p>', css=_CSS, js=_JS)


def write_report(result: "BatchResult", out_dir: Path, redact: bool = False) -> Path:
    p = Path(out_dir) / REPORT_NAME
    media.write_bytes_atomic(p, render_report(result, Path(out_dir), redact=redact).encode("utf-8"))
    return p


_CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1d2330;background:#f3f4f7}header{background:#1d2330;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px;letter-spacing:.2px}header p{margin:4px 0 0;color:#aab2c5;font-size:13px}
main{padding:18px 28px 40px}.tiles{display:flex;gap:12px;flex-wrap:wrap}
.tile{border:0;border-radius:10px;padding:12px 18px;min-width:150px;text-align:left;cursor:pointer;color:#fff;
box-shadow:0 1px 2px #0002;font:inherit}.tile b{display:block;font-size:30px;line-height:1.1}
.tile span{font-size:13px;opacity:.92}.t-error{background:#c62828}.t-review{background:#e08a00}
.t-clear{background:#2e7d32}.tile[aria-pressed=true],.chip[aria-pressed=true]{outline:3px solid #1d2330;
outline-offset:2px}.bar{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:16px 0 6px}
.bar h2{font-size:13px;text-transform:uppercase;letter-spacing:.6px;color:#5b6478;margin:0 6px 0 0}
.chip{border:1px solid #cfd4df;background:#fff;border-radius:999px;padding:5px 12px;cursor:pointer;font:inherit}
.chip b{color:#c62828;margin-left:4px}.chip:hover{border-color:#1d2330}#clear{margin-left:auto}
#shown{color:#5b6478}input[type=search]{padding:6px 10px;border:1px solid #cfd4df;border-radius:8px;font:inherit;
min-width:220px}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:16px;
margin-top:14px}.card{background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 1px 3px #0002;
border-top:5px solid #2e7d32;display:flex;flex-direction:column}.card.v-error{border-top-color:#c62828}
.card.v-review{border-top-color:#e08a00}.pic{display:block;background:#20242c;height:220px;
display:flex;align-items:center;justify-content:center}.pic img{max-width:100%;max-height:220px;display:block}
.pic.none span{color:#aab2c5}.meta{padding:10px 14px 12px}.meta h3{margin:0 0 4px;font-size:14px;
overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.line{display:flex;gap:8px;align-items:center;
margin-bottom:6px}.verdict{font-weight:700;text-transform:uppercase;font-size:12px;letter-spacing:.5px}
.v-error .verdict{color:#c62828}.v-review .verdict{color:#b86e00}.v-clear .verdict{color:#2e7d32}
.cnt{color:#5b6478;font-size:12px}.tag{background:#e8eaf0;color:#5b6478;border-radius:6px;padding:1px 7px;
font-size:11px}[class^=sevtag-]{border-radius:6px;padding:1px 7px;font-size:11px;color:#fff}
.sevtag-high{background:#c62828}.sevtag-medium{background:#e08a00}.sevtag-low{background:#b59b00}
table.f{width:100%;border-collapse:collapse;font-size:12.5px}table.f th{text-align:left;color:#8a93a6;
font-weight:500;font-size:11px;border-bottom:1px solid #e8eaf0;padding:3px 4px}table.f td{padding:4px;
border-bottom:1px solid #f0f1f5;vertical-align:top}td.sev{width:6px;padding:0}.sev-high{background:#c62828}
.sev-medium{background:#e08a00}.sev-low{background:#e0c200}.hh{display:inline-block;background:#1d2330;color:#fff;
border-radius:4px;font-size:10px;padding:0 4px;margin-left:2px}.sub{color:#8a93a6;font-size:11px}
td.txt{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-word}td.num{text-align:right;
color:#5b6478}.act{border-radius:4px;padding:0 5px;font-size:11px}.act-redact{background:#fde2e2;color:#a31515}
.act-flag{background:#fff0d6;color:#8a5300}.act-allow{background:#e3f4e4;color:#1f6b24}
tr.a-allow td{color:#8a93a6}.err{color:#c62828;font-weight:600;margin:6px 0}.ok{color:#2e7d32;margin:6px 0}
nav{margin-top:8px;font-size:12.5px}nav a{color:#2454c6}.warn{color:#8a5300;font-size:12px;margin:6px 0;
padding-left:18px}.banner{background:#fff0d6;border:1px solid #e08a00;border-radius:8px;padding:10px 14px}
.notes{margin:10px 0;color:#5b6478}tr.extra{display:none}.card.open tr.extra{display:table-row}
button.more{border:0;background:none;color:#2454c6;cursor:pointer;padding:4px 0;font:inherit;font-size:12.5px}.muted{color:#8a93a6}.hidden{display:none}
"""

_JS = """
(function(){
  var cats=new Set(), verdict=null, q='';
  var cards=[].slice.call(document.querySelectorAll('.card'));
  function apply(){
    var n=0;
    cards.forEach(function(c){
      var cc=(c.dataset.cats||'').split(' ').filter(Boolean);
      var ok=(!verdict||c.dataset.verdict===verdict)
        &&(cats.size===0||cc.some(function(x){return cats.has(x);}))
        &&(!q||c.dataset.name.indexOf(q)>=0);
      c.classList.toggle('hidden',!ok); if(ok)n++;
    });
    document.getElementById('shown').textContent='showing '+n+' of '+cards.length;
  }
  document.querySelectorAll('.chip[data-cat]').forEach(function(b){b.addEventListener('click',function(){
    var c=b.dataset.cat; if(cats.has(c)){cats.delete(c);}else{cats.add(c);}
    b.setAttribute('aria-pressed',cats.has(c)); apply();});});
  document.querySelectorAll('.tile').forEach(function(b){b.addEventListener('click',function(){
    verdict=(verdict===b.dataset.verdict)?null:b.dataset.verdict;
    document.querySelectorAll('.tile').forEach(function(t){t.setAttribute('aria-pressed',t.dataset.verdict===verdict);});
    apply();});});
  document.querySelectorAll('button.more').forEach(function(b){var t=b.textContent;b.addEventListener('click',
    function(){var c=b.closest('.card');c.classList.toggle('open');b.textContent=c.classList.contains('open')?'show fewer':t;});});
  document.getElementById('q').addEventListener('input',function(e){q=e.target.value.toLowerCase();apply();});
  document.getElementById('clear').addEventListener('click',function(){cats.clear();verdict=null;q='';
    document.getElementById('q').value='';
    document.querySelectorAll('[aria-pressed]').forEach(function(b){b.setAttribute('aria-pressed','false');});apply();});
  var h=location.hash.slice(1); if(h){h.split(',').forEach(function(c){cats.add(decodeURIComponent(c));});
    document.querySelectorAll('.chip[data-cat]').forEach(function(b){b.setAttribute('aria-pressed',cats.has(b.dataset.cat));});}
  apply();
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{css}</style></head>
<body><header><h1>{title}</h1><p>{sub}</p></header>
<main><section class="tiles" aria-label="verdicts">{tiles}</section>
<div class="bar" aria-label="categories"><h2>Categories</h2>{chips}</div>
<div class="bar"><input id="q" type="search" placeholder="filter by file name"><span id="shown"></span>
<button class="chip" id="clear">show all</button></div>
{notes}<section class="grid">{cards}</section></main>
<script>{js}</script></body></html>
"""
