"""Write the demo photos and clip in this folder: synthetic scenes from the benchmarks (no real patient anywhere).

    python sample_media/make_samples.py           # (re)write every sample
    python sample_media/make_samples.py --check   # write only the samples that are missing; exit 0

Each photo is a fixed (kind, seed) of bench.generate, so the same fonts and library versions give the same bytes.
`ehr_pan.mp4` is bench.video_bench's pan scene (3 s, 640x360, 30 fps, H.264 with an AAC tone): a phone panning
along an EHR screen, so the patient's name and MRN slide in and out of view.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # bench/ lives beside scanner/ at the repository root

from bench.generate import Scene, make_scene  # noqa: E402
from scanner.media import atomic_path, write_bytes_atomic  # noqa: E402

MAX_BYTES = 300_000
SIZE = (1280, 960)


def _has(label: str, category: str = "") -> Callable[[Scene], bool]:
    return lambda s: any(r.label == label and (not category or r.category == category) for r in s.regions)


def _no_faces(s: Scene) -> bool:
    return not _has("face")(s)


# file name -> (scene kind, first seed to try, what the scene must show to be a good demo)
SAMPLES: dict[str, tuple[str, int, Callable[[Scene], bool]]] = {
    "ehr_screen.jpg": ("ehr_beside", 1001, lambda s: _has("phi", "mrn")(s) and _has("phi", "dob")(s) and _no_faces(s)),
    "whiteboard.jpg": ("whiteboard", 2001, lambda s: _has("phi", "room")(s) and _no_faces(s)),
    "wristband.jpg": ("wristband", 3001, _no_faces),
    "face.jpg": ("face", 4001, lambda s: any(r.label == "face" and r.box[3] - r.box[1] >= 150 for r in s.regions)
                 and not _has("keep")(s)),
    "signage_only.jpg": ("signage", 5001, lambda s: _has("keep")(s) and not _has("phi")(s) and _no_faces(s)),
}


def build(name: str) -> Scene:
    """The first seed from the sample's start that shows what the demo needs (deterministic)."""
    kind, seed, ok = SAMPLES[name]
    for s in range(seed, seed + 200):
        scene = make_scene(kind, s, SIZE, name=Path(name).stem, face_p=0.0)
        if ok(scene) and len(scene.jpeg) <= MAX_BYTES:
            return scene
    raise RuntimeError(f"{name}: no seed in {seed}..{seed + 199} gives a suitable scene")


CLIP = "ehr_pan.mp4"


def write_clip(path: Path) -> None:
    from bench.video_bench import scene_pan, write_scene

    with atomic_path(path) as tmp:
        write_scene(scene_pan(), tmp)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only write samples that are missing")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)
    for name in SAMPLES:
        p = args.out / name
        if args.check and p.is_file() and p.stat().st_size > 0:
            continue
        scene = build(name)
        write_bytes_atomic(p, scene.jpeg)
        p.chmod(0o644)  # committed demo files: readable by everyone, like the rest of the checkout
        print(f"wrote {p} ({len(scene.jpeg) // 1024} KB, {scene.kind}, seed {scene.seed})")
    clip = args.out / CLIP
    if not (args.check and clip.is_file() and clip.stat().st_size > 0):
        write_clip(clip)
        clip.chmod(0o644)
        print(f"wrote {clip} ({clip.stat().st_size // 1024} KB, 3 s pan along an EHR screen)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
