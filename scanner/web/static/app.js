// The page of `scanner serve`: upload, show what was found, let the person decide, apply, download.
// Plain JavaScript, no build step, nothing loaded from elsewhere (the server's Content-Security-Policy says 'self').
"use strict";

const $ = (id) => document.getElementById(id);
const state = { doc: null, redact: {}, manual: [], view: "redacted", drawing: false, stamp: 0 };

function show(id, on) { $(id).hidden = !on; }

function fail(message) {
  show("busy", false);
  $("error").textContent = message;
  show("error", true);
}

async function answer(res) {
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) throw new Error((body && body.error) || `the server answered ${res.status}`);
  return body;
}

async function upload(file) {
  show("error", false); show("result", false); show("drop", false); show("busy", true);
  $("busy-text").textContent = `Scanning ${file.name}…`;
  $("progress").removeAttribute("value");
  const form = new FormData();
  form.append("file", file);
  form.append("style", $("style").value);
  try {
    let res = await fetch("/api/scan", { method: "POST", body: form });
    let doc = await answer(res);
    while (doc.state === "queued" || doc.state === "running") {  // a clip: poll until done
      if (doc.progress !== null && doc.progress !== undefined) $("progress").value = doc.progress;
      await new Promise((r) => setTimeout(r, 400));
      doc = await answer(await fetch(`/api/jobs/${doc.job}`));
    }
    shown(doc);
  } catch (e) {
    show("drop", true);
    fail(e.message);
  }
}

function shown(doc) {
  state.doc = doc;
  state.redact = {};
  state.manual = [];
  for (const f of doc.findings) if (f.kind !== "metadata") state.redact[f.id] = f.action === "redact";
  state.stamp += 1;
  show("busy", false); show("result", true);
  render();
}

function isVideo() { return state.doc.source.kind === "video"; }

function render() {
  const doc = state.doc;
  const v = $("verdict");
  v.textContent = doc.summary;
  v.className = `verdict ${doc.verdict}`;
  const url = `${doc.outputs[state.view]}?v=${state.stamp}`;
  show("picture", !isVideo()); show("clip", isVideo());
  if (isVideo()) { if ($("clip").getAttribute("src") !== url) $("clip").src = url; }
  else if ($("picture").getAttribute("src") !== url) $("picture").src = url;
  $("download").href = `${doc.outputs.redacted}?v=${state.stamp}`;
  $("download-findings").href = `${doc.outputs.findings}?v=${state.stamp}`;
  $("view-redacted").setAttribute("aria-pressed", String(state.view === "redacted"));
  $("view-annotated").setAttribute("aria-pressed", String(state.view === "annotated"));
  list();
  boxes();
}

function severityClass(f) { return f.kind === "manual" ? "manual" : f.severity; }

function describe(f) {
  const what = f.category.replace(/_/g, " ");
  return f.context ? `${what} · ${f.context}` : what;
}

function list() {
  const ol = $("findings");
  ol.textContent = "";
  const shown = state.doc.findings.filter((f) => f.kind !== "metadata");
  for (const f of shown) {
    ol.appendChild(item(f, state.redact[f.id], (on) => { state.redact[f.id] = on; list(); boxes(); }));
  }
  state.manual.forEach((b, i) => {
    const f = { id: `new ${i + 1}`, kind: "manual", category: "your box", severity: "high", confidence: 1,
                text: null, context: null, box: b };
    ol.appendChild(item(f, true, null, () => { state.manual.splice(i, 1); list(); boxes(); }));
  });
  const meta = state.doc.findings.filter((f) => f.kind === "metadata");
  if (meta.length) {
    const li = document.createElement("li");
    li.className = "meta-note";
    li.textContent = `Hidden file metadata (${meta.length}): removed from the copy.`;
    ol.appendChild(li);
  }
  if (!shown.length && !state.manual.length) {
    const li = document.createElement("li");
    li.textContent = "Nothing found. Draw a box over anything you want hidden.";
    ol.appendChild(li);
  }
}

function item(f, on, toggle, remove) {
  const li = document.createElement("li");
  li.dataset.id = f.id;
  if (!on) li.classList.add("kept");
  const sev = document.createElement("span");
  sev.className = `sev ${severityClass(f)}`;
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = on;
  box.setAttribute("aria-label", `redact ${f.id}`);
  if (toggle) box.addEventListener("change", () => toggle(box.checked));
  else box.disabled = true;
  const what = document.createElement("div");
  what.className = "what";
  const title = document.createElement("strong");
  title.textContent = `${f.id} ${describe(f)}`;
  const meta = document.createElement("div");
  meta.className = "meta";
  const text = f.text ? ` · “${f.text}”` : "";
  const flagged = f.action === "flag" ? " · flagged (not redacted unless checked)" : "";
  meta.textContent = `${f.kind} · confidence ${Number(f.confidence).toFixed(2)}${text}${flagged}`;
  what.append(title, meta);
  li.append(sev, box, what);
  if (remove) {
    const x = document.createElement("button");
    x.type = "button"; x.textContent = "Remove"; x.addEventListener("click", remove);
    li.append(x);
  }
  return li;
}

function scale() {
  const media = isVideo() ? $("clip") : $("picture");
  const w = media.clientWidth || 1;
  return w / state.doc.source.width;
}

function boxes() {
  const overlay = $("overlay");
  overlay.textContent = "";
  if (!state.doc) return;
  const s = scale();
  const put = (b, cls, label) => {
    const d = document.createElement("div");
    d.className = `box ${cls}`;
    d.style.left = `${b[0] * s}px`; d.style.top = `${b[1] * s}px`;
    d.style.width = `${(b[2] - b[0]) * s}px`; d.style.height = `${(b[3] - b[1]) * s}px`;
    const span = document.createElement("span");
    span.textContent = label;
    d.appendChild(span);
    overlay.appendChild(d);
  };
  if (state.view === "redacted") {  // the annotated copy draws its own numbered boxes
    for (const f of state.doc.findings) {
      if (f.kind === "metadata") continue;
      const kept = f.action === "flag" ? `${severityClass(f)} flagged` : "keep";
      put(f.box, state.redact[f.id] ? severityClass(f) : kept, f.id);
    }
  }
  state.manual.forEach((b, i) => put(b, "manual", `new ${i + 1}`));
}

function drawing() {
  const overlay = $("overlay");
  let start = null, ghost = null;
  const at = (e) => {
    const r = overlay.getBoundingClientRect();
    const s = scale();
    const x = Math.min(Math.max(e.clientX - r.left, 0), r.width) / s;
    const y = Math.min(Math.max(e.clientY - r.top, 0), r.height) / s;
    return [Math.round(x), Math.round(y)];
  };
  overlay.addEventListener("pointerdown", (e) => {
    if (!state.drawing) return;
    start = at(e);
    overlay.setPointerCapture(e.pointerId);
    ghost = document.createElement("div");
    ghost.className = "box manual";
    overlay.appendChild(ghost);
    e.preventDefault();
  });
  overlay.addEventListener("pointermove", (e) => {
    if (!start || !ghost) return;
    const p = at(e), s = scale();
    ghost.style.left = `${Math.min(start[0], p[0]) * s}px`; ghost.style.top = `${Math.min(start[1], p[1]) * s}px`;
    ghost.style.width = `${Math.abs(p[0] - start[0]) * s}px`; ghost.style.height = `${Math.abs(p[1] - start[1]) * s}px`;
  });
  overlay.addEventListener("pointerup", (e) => {
    if (!start) return;
    const p = at(e);
    const b = [Math.min(start[0], p[0]), Math.min(start[1], p[1]), Math.max(start[0], p[0]), Math.max(start[1], p[1])];
    start = null; ghost = null;
    if (b[2] - b[0] >= 3 && b[3] - b[1] >= 3) state.manual.push(b);
    list(); boxes();
  });
}

async function apply() {
  const actions = {};
  for (const f of state.doc.findings) {
    if (f.kind === "metadata") continue;
    const want = state.redact[f.id] ? "redact" : (f.action === "flag" ? "flag" : "allow");
    actions[f.id] = want;
  }
  $("apply").disabled = true;
  $("apply").textContent = "Applying…";
  try {
    const res = await fetch(`/api/jobs/${state.doc.job}/apply`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ actions, manual: state.manual }) });
    const doc = await answer(res);
    show("error", false);
    shown(doc);
  } catch (e) {
    fail(e.message);
  } finally {
    $("apply").disabled = false;
    $("apply").textContent = "Apply changes";
  }
}

function setup() {
  const drop = $("drop");
  $("file").addEventListener("change", () => { if ($("file").files[0]) upload($("file").files[0]); });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over");
    if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]);
  });
  $("view-redacted").addEventListener("click", () => { state.view = "redacted"; render(); });
  $("view-annotated").addEventListener("click", () => { state.view = "annotated"; render(); });
  $("draw").addEventListener("click", () => {
    state.drawing = !state.drawing;
    $("draw").setAttribute("aria-pressed", String(state.drawing));
    $("overlay").classList.toggle("drawing", state.drawing);
  });
  $("apply").addEventListener("click", apply);
  $("again").addEventListener("click", () => {
    state.doc = null; $("file").value = "";
    show("result", false); show("error", false); show("drop", true);
  });
  $("picture").addEventListener("load", boxes);
  $("clip").addEventListener("loadedmetadata", boxes);
  window.addEventListener("resize", boxes);
  drawing();
}

document.addEventListener("DOMContentLoaded", setup);
