"""Burned-in overlays on real medical images: synthetic scenes with ground truth, for the benchmark.

A real greyscale CT or MR slice from pydicom's own test files (inside the wheel, never downloaded), windowed to 8
bits, zoomed to a viewer's size, with the corner text a PACS viewer or a modality burns in (7-16 px, white, grey or
yellow, sometimes over bright anatomy); shown as an exported image, inside a dark viewer window, or as a phone photo
of the monitor (the generator's perspective, blur, noise, JPEG). Same seed, same bytes. Ground truth per line:
`phi` name, patient ID, DOB, study date/time, accession, institution (each wrapped line), age > 89; `keep`
acquisition parameters, window/level, series/image, slice, FOV, zoom, study description; `neutral` labels,
orientation letters, age <= 89 with sex, referring physician, viewer menus. `bench.run --imaging N` scores N.

    python -m bench.overlay_scenes [--n 6] [--seed 0] [--save DIR]    # write scenes and truth.json to look at
    python -m bench.overlay_scenes --report bench/out/results.json     # recall per PHI category, keep kept
"""
from __future__ import annotations

import argparse
import json
import random
import warnings
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
from PIL import Image, ImageDraw

from scanner import geometry

from . import generate as gen

# (pydicom test file, modality, windows (width, centre) to pick from; None: the file's own or a percentile window)
IMAGES = (("CT_small.dcm", "CT", ((400, 40), (350, 50), (1500, 450), (2000, 500), (1500, -600))),
          ("MR_small.dcm", "MR", (None, (1400, 700), (1800, 900))),
          ("examples_overlay.dcm", "MR", (None, (800, 420), (700, 380))))
MODES = ("export", "viewer", "photo")
INKS = ((255, 255, 255), (215, 215, 215), (190, 190, 190), (255, 255, 0), (235, 220, 90))
OTHER_NAMES = (("Łukasz", "Wiśniewski"), ("Søren", "Østergaard"), ("José", "Hernández"), ("Aiko", "Tanaka"),
               ("Oluwaseun", "Adebayo"), ("Siobhán", "Ó Briain"), ("Mehmet", "Yılmaz"), ("Priya", "Raghunathan"),
               ("Jürgen", "Müller"), ("Thi Lan", "Nguyen"), ("Wei", "Zhang"), ("Ana", "Gonçalves"))
HOSPITAL = ("General Hospital", "Medical Center", "Regional Medical Center", "Imaging Center", "University Hospital",
            "Community Hospital", "Radiology Associates")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DESCRIPTIONS = {"CT": ("CT CHEST W/ CONTRAST", "CT ABD/PELVIS", "CT THORAX", "Chest 5.0 B30f"),
                "MR": ("MR ABDOMEN", "T2 TSE AX", "AX T1 FS POST", "MRI LIVER W/WO")}
Line = list[tuple[str, str, str]]  # the segments of one overlay line: (text, label, category)


@lru_cache(maxsize=None)
def _pixels(file: str) -> tuple[np.ndarray, float, float]:
    """Modality values (rescaled) and the file's own window (width, centre), else a percentile window."""
    import pydicom
    from pydicom.data import get_testdata_file

    path = get_testdata_file(file, download=False)  # only the files shipped inside the wheel
    if path is None:
        raise RuntimeError(f"pydicom test file {file} missing: pip install pydicom==3.0.2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
        a = ds.pixel_array.astype(np.float32) * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))
    wc, ww = ds.get("WindowCenter"), ds.get("WindowWidth")
    if wc is not None and ww is not None:
        first = lambda v: float(v[0] if isinstance(v, pydicom.multival.MultiValue) else v)  # noqa: E731
        return a, first(ww), first(wc)
    lo, hi = np.percentile(a, (1, 99.5))
    return a, float(hi - lo), float((hi + lo) / 2)


def windowed(rng: random.Random, file: str, windows) -> tuple[np.ndarray, int, int]:
    """The slice at a (jittered) window, as 8 bits, sometimes flipped; with the window width and centre shown."""
    a, ww, wc = _pixels(file)
    ww, wc = rng.choice(windows) or (ww, wc)
    ww, wc = int(ww * rng.uniform(0.85, 1.15)), int(wc + ww * rng.uniform(-0.08, 0.08))
    img = ((a - (wc - ww / 2)) / ww * 255).clip(0, 255).astype(np.uint8)
    return (img[:, ::-1] if rng.random() < 0.3 else img).copy(), ww, wc


def patient_name(rng: random.Random) -> str:
    first, last = rng.choice(OTHER_NAMES) if rng.random() < 0.25 else gen.person(rng)
    return rng.choice((f"{last.upper()}^{first.upper()}", f"{last.upper()}^{first.upper()}^{rng.choice('ABEJMRS')}",
                       f"{last}^{first}", f"{first} {last}".lower(), f"{last.upper()} {first.upper()}",
                       gen.name_text(rng, first, last)))


def patient_id(rng: random.Random) -> str:
    abc = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return rng.choice((gen.mrn(rng), str(rng.randrange(10 ** 5, 10 ** 10)),
                       f"{rng.choice(abc)}{rng.choice(abc)}{rng.randrange(10 ** 6, 10 ** 7)}",
                       "".join(rng.choice(abc + "0123456789") for _ in range(rng.randint(7, 10)))))


def dicom_date(rng: random.Random, y0: int, y1: int, study: bool = False) -> str:
    y, m, d = rng.randint(y0, y1), rng.randint(1, 12), rng.randint(1, 28)
    s = rng.choice((f"{y}{m:02d}{d:02d}", f"{y}-{m:02d}-{d:02d}", f"{m:02d}/{d:02d}/{y}", f"{d} {MONTHS[m - 1]} {y}",
                    f"{d:02d}.{m:02d}.{y}", f"{y} {MONTHS[m - 1]} {d}"))
    if study and rng.random() < 0.6:
        s += f" {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}" + f":{rng.randint(0, 59):02d}" * (rng.random() < .6)
    return s


def institution(rng: random.Random) -> list[str]:
    city, (first, last) = rng.choice(gen.CITIES)[0], gen.person(rng)
    place = rng.choice((city, f"St. {first}", f"{last} Memorial", f"{city} {rng.choice(('North', 'County'))}"))
    words = f"{place} {rng.choice(HOSPITAL)}".split()
    if len(words) >= 3 and rng.random() < 0.4:  # wrapped over two lines: each line its own region
        k = rng.randint(1 + (words[0] == "St."), len(words) - 1)
        return [" ".join(words[:k]), " ".join(words[k:])]
    return [" ".join(words).upper() if rng.random() < 0.4 else " ".join(words)]


def _labelled(rng: random.Random, labels: tuple[str, ...], value: str, cat: str) -> Line:
    return [(lab, "neutral", "label") for lab in [rng.choice(labels)] if lab] + [(value, "phi", cat)]


def corner_blocks(rng: random.Random, modality: str, ww: int, wc: int, zoom: int, who: tuple[str, str]) -> dict:
    """The four corners' lines: patient, study, acquisition, view (the first two sometimes swapped)."""
    age, sex = (rng.randint(91, 104) if rng.random() < 0.2 else rng.randint(1, 89)), rng.choice("FMO")
    age_s = rng.choice((f"{age:03d}Y {sex}", f"{age}Y {sex}", f"{sex} {age:03d}Y", f"{age} y/{sex}"))
    patient = [[(who[0], "phi", "name")], _labelled(rng, ("", "ID:", "PID:", "MRN:", "Pat ID:"), who[1], "mrn"),
               _labelled(rng, ("", "DOB:", "Born:", "D.O.B."), dicom_date(rng, 1915, 2020), "dob")
               + [(age_s, "phi" if age > 89 else "neutral", "age")]]
    acc = rng.choice((f"{rng.randint(1995, 2025)}{rng.randrange(10 ** 5):05d}", f"A{rng.randrange(10 ** 6, 10 ** 8)}",
                      f"RAD{rng.randrange(10 ** 5, 10 ** 7)}"))
    study = [[(dicom_date(rng, 1995, 2025, study=True), "phi", "date")],
             _labelled(rng, ("Acc:", "Acc#", "Accession:", "A#"), acc, "accession")]
    if rng.random() < 0.4:
        study.append([("Ref:", "neutral", "label"), (f"Dr. {gen.person(rng)[1]}", "neutral", "physician")])
    if rng.random() < 0.6:
        study.append([(rng.choice(DESCRIPTIONS[modality]), "keep", "study")])
    rng.shuffle(study)
    k = rng.randint(0, len(study))  # the institution's lines stay together, in order
    study[k:k] = [[(s, "phi", "institution")] for s in institution(rng)]
    se, im = rng.randint(1, 12), rng.randint(1, 240)
    acq = [rng.choice((f"Se: {se} Im: {im}", f"Se {se}  Im {im}/{im + rng.randint(0, 200)}", f"IM: {im} SE: {se}"))]
    if modality == "CT":
        acq += [f"kV {rng.choice((80, 100, 120, 140))}", f"mAs {rng.randint(40, 400)}",
                f"{rng.choice(('Slice', 'ST', 'Thk'))} {rng.choice((0.625, 1.0, 1.25, 2.5, 3.0, 5.0))} mm",
                rng.choice(("Tilt 0.0", "Tilt: 0", f"{rng.choice((0.5, 0.75, 1.0))} s"))]
    else:
        acq += [f"TR {rng.randint(300, 6000)} TE {rng.randint(8, 120)}", f"FA {rng.choice((10, 15, 90, 150))}",
                f"Slice {rng.choice((3.0, 4.0, 5.0))} mm", rng.choice(("1.5T", "3.0T", f"ET {rng.randint(1, 24)}"))]
    view = [rng.choice((f"W {ww} L {wc}", f"WW: {ww} WL: {wc}", f"W:{ww} C:{wc}")), f"Zoom {zoom}%",
            rng.choice((f"FOV {rng.choice((250, 320, 350, 400, 480))}", f"DFOV {rng.randint(25, 50)}.0 cm"))]
    keep = lambda ss: [[(s, "keep", "acquisition")] for s in rng.sample(ss, rng.randint(2, len(ss)))]  # noqa: E731
    tl, tr = (patient, study) if rng.random() < 0.7 else (study, patient)
    return {"tl": tl, "tr": tr, "bl": keep(acq), "br": keep(view)}


class Screen:
    """An RGB screen image; every text drawn on it is recorded as a ground-truth Region (its ink box)."""

    def __init__(self, w: int, h: int, colour=(0, 0, 0)):
        self.img = Image.new("RGB", (w, h), colour)
        self.draw = ImageDraw.Draw(self.img)
        self.items: list[gen.Region] = []

    def text(self, x: float, y: float, s: str, fnt, fill, label: str, category: str, shadow: bool = False) -> gen.Box:
        if shadow:  # many viewers outline overlay text in black so it reads over bright anatomy
            self.draw.text((x + 1, y + 1), s, font=fnt, fill=(0, 0, 0))
        self.draw.text((x, y), s, font=fnt, fill=fill)
        b = tuple(int(v) for v in self.draw.textbbox((x, y), s, font=fnt))
        if geometry.area(clipped := geometry.clip(b, *self.img.size)) > 0:
            self.items.append(gen.Region(clipped, s, label, category))
        return b


def draw_overlays(rng: random.Random, scr: Screen, vp: gen.Box, blocks: dict, fs: int) -> int:
    """Draw the corner blocks inside viewport `vp`; returns the font size used (smaller if the corners would meet)."""
    family, ink, ink2 = rng.choice((gen.SANS, gen.MONO, gen.SANS[2:4])), rng.choice(INKS), rng.choice(INKS)
    shadow, m, spacing, gap = rng.random() < 0.4, rng.randint(3, 12), rng.uniform(1.12, 1.4), rng.uniform(1, 2)
    scr.draw.fontmode = "1" if rng.random() < 0.3 else "L"  # modality burn-in is often unsmoothed bitmap text
    x0, y0, x1, y1 = vp
    state = rng.getstate()
    for size in range(fs, 6, -1):  # smaller text until a left line and a right line never meet
        rng.setstate(state)
        fnt = gen.font(rng, family, size)
        sp = fnt.getlength(" ") * gap
        width = lambda line: sum(fnt.getlength(s) for s, _, _ in line) + sp * (len(line) - 1)  # noqa: E731
        if all(width(a) + width(b) + 2 * m + 3 * sp < x1 - x0 for v in "tb" for a in blocks[v + "l"]
               for b in blocks[v + "r"]):
            break
    lh = size * spacing
    for corner, lines in blocks.items():
        top = corner[0] == "t"
        for i, line in enumerate(lines):
            y = y0 + m + i * lh if top else y1 - m - (len(lines) - i) * lh
            x = x0 + m if corner[1] == "l" else x1 - m - width(line)
            for s, label, cat in line:
                scr.text(x, y, s, fnt, ink2 if label == "phi" and top else ink, label, cat, shadow)
                x += fnt.getlength(s) + sp
    if rng.random() < 0.7:  # orientation letters at the middle of each edge (axial: R left, L right, A top, P bottom)
        f2 = gen.font(rng, gen.SANS, int(size * rng.uniform(1.1, 1.5)))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        for s, (x, y) in zip("RLAP", ((x0 + m, cy), (x1 - m - f2.size * 0.7, cy), (cx, y0 + m + 3 * lh),
                                      (cx, y1 - m - 4 * lh))):
            scr.text(x, y, s, f2, ink, "neutral", "orientation", shadow)
    return size


def render_viewport(rng: random.Random, scr: Screen, vp: gen.Box, fs: int, who: tuple[str, str]) -> int:
    """A windowed slice fitted (or zoomed, so anatomy runs under the corner text) into `vp`, then the overlays."""
    file, modality, windows = rng.choice(IMAGES)
    img, ww, wc = windowed(rng, file, windows)
    (x0, y0, x1, y1), (h, w) = vp, img.shape
    vw, vh, z = x1 - x0, y1 - y0, rng.uniform(1.15, 1.8) if rng.random() < 0.4 else 1.0
    s = min(vw / w, vh / h) * z
    big = cv2.resize(img, (max(1, int(w * s)), max(1, int(h * s))),
                     interpolation=rng.choice((cv2.INTER_LINEAR, cv2.INTER_CUBIC)))
    bh, bw = big.shape
    ox, oy = (bw - vw) // 2 + rng.randint(-bw // 10, bw // 10), (bh - vh) // 2 + rng.randint(-bh // 10, bh // 10)
    canvas = np.zeros((vh, vw), np.uint8)
    (sx, sy), (dx, dy) = (max(0, ox), max(0, oy)), (max(0, -ox), max(0, -oy))
    cw, ch = min(bw - sx, vw - dx), min(bh - sy, vh - dy)
    if cw > 0 and ch > 0:
        canvas[dy:dy + ch, dx:dx + cw] = big[sy:sy + ch, sx:sx + cw]
    scr.img.paste(Image.fromarray(canvas).convert("RGB"), (x0, y0))
    return draw_overlays(rng, scr, vp, corner_blocks(rng, modality, ww, wc, int(round(z * 100)), who), fs)


def viewer_frame(rng: random.Random, scr: Screen, who: tuple[str, str]) -> gen.Box:
    """A dark PACS window: a menu bar (neutral), sometimes a title with the patient's name and ID (phi), sometimes a
    strip of series thumbnails; returns the viewport box."""
    (W, H), bar, x = scr.img.size, rng.randint(26, 40), 10
    scr.draw.rectangle((0, 0, W, bar), fill=(48, 50, 56))
    f = gen.font(rng, gen.SANS, rng.randint(11, 14))
    for word in ("File", "Edit", "View", "Tools", "Window", "Help")[:rng.randint(3, 6)]:
        x = scr.text(x, bar / 2 - 7, word, f, (170, 172, 178), "neutral", "menu")[2] + 14
    if rng.random() < 0.6:
        b = scr.text(max(x + 30, W // 3), bar / 2 - 7, who[0], f, (225, 225, 225), "phi", "name")
        scr.text(b[2] + 12, bar / 2 - 7, who[1], f, (225, 225, 225), "phi", "mrn")
    strip = rng.choice((0, rng.randint(90, 150)))
    if strip:
        scr.draw.rectangle((0, bar, strip, H), fill=(36, 37, 42))
        for i in range(rng.randint(2, 5)):
            ty = bar + 10 + i * (strip + 10)
            if ty + strip > H:
                break
            scr.draw.rectangle((8, ty, strip - 8, ty + strip - 24), fill=(rng.randint(40, 90),) * 3)
            scr.text(10, ty + strip - 20, f"Se {i + 1}", f, (160, 160, 160), "neutral", "series")
    return strip + 2, bar + 2, W - 2, H - 2


def phone_photo(rng: random.Random, scr: Screen) -> tuple[np.ndarray, list[gen.Region], int]:
    """The screen photographed in a dim reading room: bezel, lifted blacks, perspective, blur, noise."""
    k, bezel, lift = rng.uniform(1.0, 1.5), rng.randint(10, 30), rng.uniform(10, 35)
    shown = scr.img.resize((int(scr.img.width * k), int(scr.img.height * k)), Image.BILINEAR)
    mon = Image.new("RGB", (shown.width + 2 * bezel, shown.height + 2 * bezel), (18, 18, 20))
    mon.paste(shown, (bezel, bezel))
    mon = Image.fromarray((np.asarray(mon, np.float32) * (1 - lift / 255) + lift).astype(np.uint8))
    items = [gen.Region(tuple(int(round(v * k)) + bezel for v in r.box), r.text, r.label, r.category)
             for r in scr.items]
    W, H = int(mon.width * rng.uniform(1.08, 1.25)), int(mon.height * rng.uniform(1.08, 1.25))
    canvas = (gen.background(rng, W, H) * rng.uniform(0.3, 0.55)).astype(np.uint8)
    _, regions = gen.place_panel(rng, canvas, SimpleNamespace(image=lambda: mon, items=items), tilt=0.03, max_rot=3)
    rgb, quality = gen.degrade(rng, canvas, big=False)
    return rgb, regions, quality


def make_overlay_scene(seed: int, name: str = "") -> gen.Scene:
    rng = random.Random(seed)
    mode = rng.choice(MODES)
    fs = rng.randint(8, 17)  # font size: lines 7-16 px high
    who = patient_name(rng), patient_id(rng)
    if mode == "export" or (mode == "photo" and rng.random() < 0.3):
        side = rng.randint(512, 1024)
        scr = Screen(side, int(side * rng.choice((1.0, 1.0, 0.75, 0.8))))
        vp = (0, 0, *scr.img.size)
    else:
        scr = Screen(*rng.choice(((1024, 768), (1152, 864), (1280, 800), (1280, 1024))), (24, 24, 28))
        vp = viewer_frame(rng, scr, who)
    fs = render_viewport(rng, scr, vp, fs, who)
    if mode == "photo":
        rgb, regions, quality = phone_photo(rng, scr)
    else:
        rgb, regions, quality = np.asarray(scr.img), scr.items, rng.randint(70, 95)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    H, W = rgb.shape[:2]
    regions = [r for r in regions if geometry.area(r.box) > 0]
    return gen.Scene(name or f"imaging_{mode}_{seed}", "imaging", seed, W, H, buf.tobytes(), regions, fs)


def generate_overlays(n: int, seed: int = 0):
    """Yield n imaging scenes, named img000_<mode>_<W>x<H>; their seeds are apart from the generator's."""
    for i in range(n):
        sc = make_overlay_scene(seed * 100_000 + 50_000 + i)
        yield replace(sc, name=f"img{i:03d}_{sc.name.split('_')[1]}_{sc.width}x{sc.height}")


def per_category(results: dict) -> dict:
    """From bench.run's results.json: per engine, the imaging scenes' PHI caught and keep kept, by category."""
    out = {}
    for engine, r in results["engines"].items():
        cats: dict[str, list[int]] = {}
        for reg in (g for s in r["per_scene"] if s["name"].startswith("img") for g in s["regions"]):
            if reg["label"] in ("phi", "keep"):
                c = cats.setdefault(f"{reg['label']}/{reg['category']}", [0, 0])
                c[0] += reg["coverage"] >= 0.9 if reg["label"] == "phi" else reg["coverage"] <= 0.1
                c[1] += 1
        out[engine] = {k: f"{a}/{b} ({a / b:.0%})" for k, (a, b) in sorted(cats.items())}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.overlay_scenes", description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", type=Path, default=Path("bench/out/overlay_scenes"))
    ap.add_argument("--report", type=Path, help="print per-category figures from a bench.run results.json")
    args = ap.parse_args(argv)
    if args.report:
        print(json.dumps(per_category(json.loads(args.report.read_text())), indent=1))
        return 0
    args.save.mkdir(parents=True, exist_ok=True)
    scenes = list(generate_overlays(args.n, args.seed))
    for sc in scenes:
        (args.save / f"{sc.name}.jpg").write_bytes(sc.jpeg)
    (args.save / "truth.json").write_text(json.dumps([sc.truth() for sc in scenes], indent=1))
    print(f"{len(scenes)} scenes -> {args.save}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
