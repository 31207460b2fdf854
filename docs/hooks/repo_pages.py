"""MkDocs hook: pages kept outside docs/ join the site, and links between them work in both places.

CHANGELOG.md, CONTRIBUTING.md and SECURITY.md sit at the top of the repository, and the benchmark
notes and dated results under benchmarks/, where GitHub readers and tools expect them. This hook
adds them to the site under ``project/`` and rewrites relative Markdown links by the file they
point to on disk: ``../benchmarks/results/X.md`` in docs/benchmarks.md (right on GitHub) becomes
``project/benchmarks/results/X.md`` in the site, and a link to README.md becomes the site's
home page. Links to anything else are left for MkDocs' own validation (strict) to judge.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

PREFIX = "project"
PAGES = (
    "CHANGELOG.md",
    "CONTRIBUTING.md",
    "SECURITY.md",
    "benchmarks/README.md",
    "benchmarks/results/*.md",
)
LINK = re.compile(r"(\]\()([^)\s#]+)(#[^)\s]*)?(\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def _root(config: Any) -> Path:
    return Path(config["config_file_path"]).resolve().parent


def _site_uris(config: Any) -> dict[Path, str]:
    """Real path on disk → the page's path in the site, for every page outside docs/."""
    root = _root(config)
    uris = {root / "README.md": "index.md"}
    for pattern in PAGES:
        for path in sorted(root.glob(pattern)):
            uris[path.resolve()] = f"{PREFIX}/{path.relative_to(root).as_posix()}"
    return uris


def on_files(files: Files, config: Any) -> Files:
    for path, uri in _site_uris(config).items():
        if uri.startswith(f"{PREFIX}/"):
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    source = Path(page.file.abs_src_path).resolve()
    docs_dir = Path(config["docs_dir"]).resolve()
    outside = _site_uris(config)
    here = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match[str]) -> str:
        target = match.group(2)
        if "://" in target or target.startswith(("/", "mailto:")):
            return match.group(0)
        real = (source.parent / target).resolve()
        if real in outside:
            uri = outside[real]
        elif real.is_relative_to(docs_dir):
            uri = real.relative_to(docs_dir).as_posix()
        else:
            return match.group(0)
        new = posixpath.relpath(uri, here or ".")
        return f"{match.group(1)}{new}{match.group(3) or ''}{match.group(4) or ''})"

    lines, fenced = [], False
    for line in markdown.split("\n"):
        if FENCE.match(line):
            fenced = not fenced
        lines.append(line if fenced else LINK.sub(rewrite, line))
    return "\n".join(lines)
