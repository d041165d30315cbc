"""Fine-tune a plate detector from the text detector we already ship (builds models/plates.onnx; issue 11).

    python -m bench.train_plates --data /work/plate_train --out /tmp/plates.onnx [--minutes 40]
        [--init earlier.pt] [--negatives /work/plate_neg ...]

models/plates.onnx came from two runs on one core: 35 minutes from the text detector's weights (406 steps), then
45 minutes from those (`--init`, `--lr 2e-4`, 645 steps) with 530 plate-free grocery photos as `--negatives` (a
quarter of the crops come from them).

RapidOCR's PP-OCRv6 small text detector (Apache-2.0, 2.4 M parameters) already finds text lines; plates are text
lines. Converted to PyTorch (onnx2torch), it is fine-tuned to map plates (filled boxes) and nothing else, on
licensed plate photos (`--data`: labels.json with pixel boxes, see /work/plate_train/README.md), then exported
back to ONNX for onnxruntime. Needs torch and onnx2torch (build-time tools, not runtime dependencies).

Validation: every image of the sources named by --val-sources (default rxg4e, rfoiplates: other origins than the
training one) is held out; figures per epoch are plate recall (a truth box half covered by a predicted box) and
false boxes per image at threshold 0.5.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
import types
from pathlib import Path

import cv2
import numpy as np

DET_MODEL = "rapidocr/models/PP-OCRv6_det_small.onnx"
SIDE = 640  # training and validation canvas (long side)
CROP = 384
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def _stub_torchvision() -> None:
    """onnx2torch imports torchvision.ops for converters we do not need; this wheel's torchvision cannot load."""
    tv = types.ModuleType("torchvision")
    tv.__path__ = []
    ops = types.ModuleType("torchvision.ops")
    for n in ("nms", "batched_nms", "roi_align", "RoIAlign"):
        setattr(ops, n, None)
    tv.ops = ops
    sys.modules.setdefault("torchvision", tv)
    sys.modules.setdefault("torchvision.ops", ops)


def load_det_model():
    """The shipped text detector as a torch module (SAME_UPPER pads made explicit for onnx2torch)."""
    import importlib.util

    import onnx
    from onnx import helper

    _stub_torchvision()
    from onnx2torch import convert

    path = Path(importlib.util.find_spec("rapidocr").origin).parent.parent / DET_MODEL
    model = onnx.load(str(path))
    for node in model.graph.node:
        attrs = {a.name: a for a in node.attribute}
        pad = attrs.get("auto_pad")
        if pad is None or pad.s not in (b"SAME_UPPER", b"SAME_LOWER"):
            continue
        if "kernel_shape" in attrs:
            k = list(attrs["kernel_shape"].ints)
        else:
            k = list(next(i for i in model.graph.initializer if i.name == node.input[1]).dims[2:])
        s = list(attrs["strides"].ints) if "strides" in attrs else [1] * len(k)
        d = list(attrs["dilations"].ints) if "dilations" in attrs else [1] * len(k)
        total = [max((kk - 1) * dd + 1 - ss, 0) for kk, ss, dd in zip(k, s, d)]
        begin = [t // 2 for t in total] if pad.s == b"SAME_UPPER" else [t - t // 2 for t in total]
        node.attribute.remove(pad)
        if "pads" in attrs:
            node.attribute.remove(attrs["pads"])
        node.attribute.append(helper.make_attribute("pads", begin + [t - b for t, b in zip(total, begin)]))
    return convert(model)


def canvas(rgb: np.ndarray, boxes, side: int = SIDE):
    """Resized so the long side is `side` (multiples of 32), boxes scaled alike."""
    h, w = rgb.shape[:2]
    s = side / max(h, w)
    nh, nw = max(32, round(h * s / 32) * 32), max(32, round(w * s / 32) * 32)
    img = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
    sx, sy = nw / w, nh / h
    return img, [(b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy) for b in boxes]


def mask_of(shape, boxes) -> np.ndarray:
    m = np.zeros(shape[:2], np.float32)
    for x0, y0, x1, y1 in boxes:
        m[int(y0):max(int(y0) + 1, int(round(y1))), int(x0):max(int(x0) + 1, int(round(x1)))] = 1.0
    return m


def to_tensor(img: np.ndarray):
    import torch

    x = (img.astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(x.transpose(2, 0, 1).copy())


def sample(rng: random.Random, rgb: np.ndarray, boxes):
    """A random CROP x CROP window of the canvas, over a plate three times in four."""
    img, bs = canvas(rgb, boxes, side=rng.choice((512, 640, 800)))
    h, w = img.shape[:2]
    if h < CROP or w < CROP:
        pad = np.zeros((max(h, CROP), max(w, CROP), 3), np.uint8)
        pad[:h, :w] = img
        img, (h, w) = pad, pad.shape[:2]
    if bs and rng.random() < 0.75:
        b = rng.choice(bs)
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        x0 = int(min(max(0, cx - rng.uniform(0.2, 0.8) * CROP), w - CROP))
        y0 = int(min(max(0, cy - rng.uniform(0.2, 0.8) * CROP), h - CROP))
    else:
        x0, y0 = rng.randint(0, w - CROP), rng.randint(0, h - CROP)
    crop = img[y0:y0 + CROP, x0:x0 + CROP]
    cb = [(b[0] - x0, b[1] - y0, b[2] - x0, b[3] - y0) for b in bs]
    cb = [(max(0, a), max(0, b), min(CROP, c), min(CROP, d)) for a, b, c, d in cb if c > 0 and d > 0 and a < CROP
          and b < CROP]
    if rng.random() < 0.5:
        crop = np.ascontiguousarray(crop[:, ::-1])
        cb = [(CROP - c, b, CROP - a, d) for a, b, c, d in cb]
    gain = rng.uniform(0.7, 1.3)
    crop = np.clip(crop.astype(np.float32) * gain + rng.uniform(-20, 20), 0, 255).astype(np.uint8)
    return to_tensor(crop), mask_of(crop.shape, cb)


def boxes_from(prob: np.ndarray, thr: float = 0.5, min_area: int = 12) -> list[tuple[int, int, int, int]]:
    n, _, stats, _ = cv2.connectedComponentsWithStats((prob >= thr).astype(np.uint8), connectivity=8)
    return [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h, a in stats[1:] if a >= min_area]


def coverage(inner, outer) -> float:
    ix = max(0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    iy = max(0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    a = max(1e-6, (inner[2] - inner[0]) * (inner[3] - inner[1]))
    return ix * iy / a


def evaluate(net, items, root: Path) -> tuple[float, float]:
    import torch

    net.eval()
    found = total = false = 0
    with torch.no_grad():
        for it in items:
            rgb = cv2.cvtColor(cv2.imread(str(root / it["file"])), cv2.COLOR_BGR2RGB)
            img, bs = canvas(rgb, it["boxes"])
            prob = net(to_tensor(img)[None])[0, 0].numpy()
            pred = boxes_from(prob)
            total += len(bs)
            found += sum(any(coverage(b, p) >= 0.5 for p in pred) for b in bs)
            false += sum(not any(coverage(b, p) > 0 for b in bs) for p in pred)
    net.train()
    return found / max(1, total), false / max(1, len(items))


def main(argv=None) -> int:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, default=40)
    ap.add_argument("--batch", type=int, default=6)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--val-sources", default="rxg4e,rfoiplates")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--init", type=Path, help="start from these weights (.pt from an earlier run)")
    ap.add_argument("--negatives", type=Path, action="append", default=[],
                    help="folder with list.json of plate-free photos (repeatable); a quarter of the crops come "
                         "from them")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rng = random.Random(0)
    items = json.loads((args.data / "labels.json").read_text())
    val_src = set(args.val_sources.split(","))
    val = [i for i in items if i["source"] in val_src]
    train = [i for i in items if i["source"] not in val_src]
    print(f"train {len(train)} images, val {len(val)} ({', '.join(sorted(val_src))})", flush=True)
    negatives = [dict(it, file=str(root / it["file"]), boxes=[]) for root in args.negatives
                 for it in json.loads((root / "list.json").read_text())]
    print(f"negatives {len(negatives)} images", flush=True)
    net = load_det_model()
    if args.init:
        net.load_state_dict(torch.load(args.init))
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    r0, f0 = evaluate(net, val, args.data)
    print(f"before: val recall {r0:.3f}, false boxes/img {f0:.2f}", flush=True)
    t_end = time.time() + args.minutes * 60
    step = 0
    images = {}
    while time.time() < t_end:
        batch = [rng.choice(negatives) if negatives and rng.random() < 0.25 else rng.choice(train)
                 for _ in range(args.batch)]
        xs, ms = [], []
        for it in batch:
            if it["file"] not in images:
                images[it["file"]] = cv2.cvtColor(cv2.imread(str(args.data / it["file"])), cv2.COLOR_BGR2RGB)
            x, m = sample(rng, images[it["file"]], it["boxes"])
            xs.append(x)
            ms.append(torch.from_numpy(m))
        x, m = torch.stack(xs), torch.stack(ms)[:, None]
        p = net(x).clamp(1e-4, 1 - 1e-4)
        bce = -(3.0 * m * torch.log(p) + (1 - m) * torch.log(1 - p)).mean()
        dice = 1 - (2 * (p * m).sum() + 1) / (p.sum() + m.sum() + 1)
        loss = bce + dice
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0:
            print(f"step {step} loss {loss.item():.4f} ({(t_end - time.time()) / 60:.0f} min left)", flush=True)
        if len(images) > 600:
            images.clear()
    r1, f1 = evaluate(net, val, args.data)
    print(f"after {step} steps: val recall {r1:.3f}, false boxes/img {f1:.2f}", flush=True)
    net.eval()
    torch.save(net.state_dict(), args.out.with_suffix(".pt"))  # the weights survive a failed export
    # The TorchScript exporter: the dynamo one cannot trace onnx2torch's graph.
    torch.onnx.export(net, torch.zeros(1, 3, 640, 640), str(args.out), input_names=["x"], output_names=["prob"],
                      dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}, "prob": {0: "n", 2: "h", 3: "w"}}, opset_version=17,
                      dynamo=False)
    print(f"wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
