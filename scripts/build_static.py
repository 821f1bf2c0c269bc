#!/usr/bin/env python3
"""Copy the front-end assets mehvar needs from node_modules/ into the Django static folder.

Usage (from anywhere):

    npm ci
    python3 scripts/build_static.py

Everything under src/mehvar/static/vendor/ is produced by this script and is not
committed: the versions are pinned by package.json + package-lock.json, and this
script copies exactly the files listed in FILES below (plus each package's licence,
which must travel with the redistributed files). Nothing is fetched from a CDN at
run time.

The script is idempotent: files already up to date are left alone, and files in
vendor/ that are no longer listed are removed. It exits non-zero with a clear
message if anything listed is missing (usually: `npm ci` was not run), or if a
copied CSS/JS file references (url(...) or sourceMappingURL) a file that was not
copied, which would otherwise break the page or `collectstatic` with
ManifestStaticFilesStorage.

Standard library only.
"""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import sys
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "src" / "mehvar" / "static" / "vendor"

# (npm package, path inside the package, path under vendor/)
FILES: list[tuple[str, str, str]] = [
    # Bootstrap 5: RTL and LTR css, bundle js (includes Popper). The .map files are
    # referenced by sourceMappingURL comments, so they must be present for
    # ManifestStaticFilesStorage/whitenoise to post-process the css/js.
    ("bootstrap", "dist/css/bootstrap.rtl.min.css", "bootstrap/bootstrap.rtl.min.css"),
    ("bootstrap", "dist/css/bootstrap.rtl.min.css.map", "bootstrap/bootstrap.rtl.min.css.map"),
    ("bootstrap", "dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"),
    ("bootstrap", "dist/css/bootstrap.min.css.map", "bootstrap/bootstrap.min.css.map"),
    ("bootstrap", "dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"),
    ("bootstrap", "dist/js/bootstrap.bundle.min.js.map", "bootstrap/bootstrap.bundle.min.js.map"),
    ("bootstrap", "LICENSE", "bootstrap/LICENSE"),
    # bootstrap.bundle.min.js embeds Popper, so Popper's licence travels with it.
    ("@popperjs/core", "LICENSE.md", "bootstrap/LICENSE-popper.md"),
    # htmx 2
    ("htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js"),
    ("htmx.org", "LICENSE", "htmx/LICENSE"),
    # Vazirmatn variable font. The css references fonts/webfonts/Vazirmatn[wght].woff2
    # relative to itself, so the same sub-path is kept under vendor/vazirmatn/.
    ("vazirmatn", "Vazirmatn-Variable-font-face.css", "vazirmatn/Vazirmatn-Variable-font-face.css"),
    (
        "vazirmatn",
        "fonts/webfonts/Vazirmatn[wght].woff2",
        "vazirmatn/fonts/webfonts/Vazirmatn[wght].woff2",
    ),
    ("vazirmatn", "OFL.txt", "vazirmatn/OFL.txt"),
    ("vazirmatn", "AUTHORS.txt", "vazirmatn/AUTHORS.txt"),
    # Jalali date picker
    (
        "@majidh1/jalalidatepicker",
        "dist/jalalidatepicker.min.css",
        "jalalidatepicker/jalalidatepicker.min.css",
    ),
    (
        "@majidh1/jalalidatepicker",
        "dist/jalalidatepicker.min.js",
        "jalalidatepicker/jalalidatepicker.min.js",
    ),
    ("@majidh1/jalalidatepicker", "LICENSE", "jalalidatepicker/LICENSE"),
    # Chart.js 4 UMD build (exposes window.Chart); embeds @kurkle/color.
    ("chart.js", "dist/chart.umd.min.js", "chartjs/chart.umd.min.js"),
    ("chart.js", "dist/chart.umd.min.js.map", "chartjs/chart.umd.min.js.map"),
    ("chart.js", "LICENSE.md", "chartjs/LICENSE.md"),
    ("@kurkle/color", "LICENSE.md", "chartjs/LICENSE-kurkle-color.md"),
]

# Major versions the templates are written against; a different major in
# node_modules means package.json drifted and the templates need a look.
EXPECTED_MAJOR = {"bootstrap": 5, "htmx.org": 2, "chart.js": 4}

CSS_URL_RE = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""")
SOURCEMAP_RE = re.compile(r"""[#@]\s*sourceMappingURL=(\S+?)\s*(?:\*/)?\s*$""", re.MULTILINE)


def fail(lines: list[str]) -> NoReturn:
    print("build_static: FAILED", file=sys.stderr)
    for line in lines:
        print(f"  - {line}", file=sys.stderr)
    sys.exit(1)


def package_version(package: str) -> str:
    manifest = NODE_MODULES / package / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError) as exc:
        fail([f"cannot read version of {package} from {manifest}: {exc} (did you run `npm ci`?)"])


def check_sources() -> dict[str, str]:
    if not NODE_MODULES.is_dir():
        fail([f"{NODE_MODULES} does not exist: run `npm ci` in {ROOT} first"])
    errors: list[str] = []
    for package, src, _dest in FILES:
        path = NODE_MODULES / package / src
        if not path.is_file():
            errors.append(f"missing {path.relative_to(ROOT)} (package {package})")
    if errors:
        errors.append("run `npm ci` (package.json/package-lock.json may have changed)")
        fail(errors)
    versions = {
        package: package_version(package) for package in dict.fromkeys(p for p, _, _ in FILES)
    }
    for package, major in EXPECTED_MAJOR.items():
        got = versions[package].split(".")[0]
        if got != str(major):
            errors.append(f"{package} is {versions[package]}, expected major version {major}")
    if errors:
        fail(errors)
    return versions


def check_references() -> None:
    """Every relative url()/sourceMappingURL in a listed css/js file must point at a listed file.

    Checked on the sources, against where they will land in vendor/, before anything is copied,
    so a failing run leaves vendor/ as it was.
    """
    dest_paths = {(VENDOR / dest).resolve() for _, _, dest in FILES}
    errors: list[str] = []
    for package, src, dest in FILES:
        dest_path = (VENDOR / dest).resolve()
        if dest_path.suffix not in {".css", ".js"}:
            continue
        text = (NODE_MODULES / package / src).read_text(encoding="utf-8", errors="replace")
        refs = [m.group(1) for m in SOURCEMAP_RE.finditer(text)]
        if dest_path.suffix == ".css":
            refs += [m.group(2) for m in CSS_URL_RE.finditer(text)]
        for ref in dict.fromkeys(r.strip() for r in refs):
            if not ref or ref.startswith(("data:", "#", "/", "about:")) or "://" in ref:
                continue
            target = (dest_path.parent / unquote(ref.split("?", 1)[0].split("#", 1)[0])).resolve()
            if target not in dest_paths:
                errors.append(f"vendor/{dest} references {ref!r}, which is not in FILES")
    if errors:
        fail(errors)


def main() -> int:
    versions = check_sources()
    check_references()

    copied = unchanged = 0
    dest_paths: set[Path] = set()
    for package, src, dest in FILES:
        src_path = NODE_MODULES / package / src
        dest_path = VENDOR / dest
        dest_paths.add(dest_path.resolve())
        if dest_path.is_file() and filecmp.cmp(src_path, dest_path, shallow=False):
            unchanged += 1
            continue
        dest_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src_path, dest_path)
        copied += 1

    # Remove anything in vendor/ that this script no longer produces.
    removed = 0
    for path in sorted(VENDOR.rglob("*"), reverse=True):
        if path.is_symlink() or (path.is_file() and path.resolve() not in dest_paths):
            path.unlink()
            removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()

    summary = ", ".join(f"{name}@{version}" for name, version in versions.items())
    print(
        f"build_static: {len(FILES)} files in {VENDOR.relative_to(ROOT)}/ "
        f"({copied} copied, {unchanged} unchanged, {removed} stale removed) from {summary}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
