"""Vulnerability check for the packages pip-audit could not audit (stdlib only).

pip-audit asks PyPI's per-release JSON (``/pypi/<name>/<version>/json``) or OSV. Where neither
answers (a registry mirror without per-release JSON, no route to api.osv.dev) it audits nothing.
The project JSON (``/pypi/<name>/json``) may still answer; its ``vulnerabilities`` list is PyPI's
advisory data for the project's *latest* release (``info.version``) only. So this script:

- installed version == latest release: the non-withdrawn advisories apply to it; each is a
  finding unless its id or one of its aliases is accepted in ``.ci/audit-ignore.txt``;
- installed version != latest release: the data says nothing about the installed version (an
  advisory carries no "introduced in" version and ``releases`` carries no advisory data), so the
  package is listed as not audited. An advisory on the latest release with no fix is printed as a
  warning for it, not counted as a finding.

Exit status: 1 on any finding not accepted in ``.ci/audit-ignore.txt``, 0 otherwise. Packages not
audited are a warning, listed by name. If the index cannot be reached at all: a warning, exit 0.
"""

import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

PROJECT = "newskb"  # the editable project itself: not audited, like pip-audit --skip-editable
DEFAULT_INDEX = "https://pypi.org/pypi"
DEFAULT_IGNORE_FILE = Path(__file__).with_name("audit-ignore.txt")
TIMEOUT_SECONDS = 10.0
WORKERS = 8


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def normalize_version(version: str) -> str:
    """Enough of PEP 440 normalization to compare an installed and an index version: 1.0 == 1."""
    text = version.strip().lower().removeprefix("v")
    match = re.match(r"(\d+(?:\.\d+)*)(.*)", text)
    if not match:
        return text
    release = [int(part) for part in match.group(1).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    rest = re.sub(r"^[-_.]", "", match.group(2))
    return ".".join(map(str, release)) + (f".{rest}" if rest else "")


@dataclass(frozen=True)
class Installed:
    name: str
    version: str


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: frozenset[str]
    fixed_in: tuple[str, ...]
    link: str
    details: str

    def ids(self) -> frozenset[str]:
        return self.aliases | {self.id}


@dataclass
class Result:
    package: Installed
    reached: bool  # the index answered (any HTTP status)
    latest: str = ""
    status: str = ""
    audited: bool = False
    findings: list[Advisory] = field(default_factory=list)  # not accepted: fail CI
    accepted: list[Advisory] = field(default_factory=list)
    unfixed_on_latest: list[Advisory] = field(default_factory=list)  # installed != latest
    error: str = ""


def is_editable(dist: metadata.Distribution) -> bool:
    raw = dist.read_text("direct_url.json")
    if not raw:
        return False
    try:
        info = json.loads(raw)
    except ValueError:
        return False
    return isinstance(info, dict) and bool((info.get("dir_info") or {}).get("editable"))


def installed_distributions() -> list[Installed]:
    """Distributions of the running interpreter, first one on sys.path per name, minus editables."""
    seen: set[str] = set()
    found: list[Installed] = []
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        key = canonical_name(name)
        if key in seen:
            continue
        seen.add(key)
        if key == PROJECT or is_editable(dist):
            continue
        found.append(Installed(name, dist.version))
    return sorted(found, key=lambda d: canonical_name(d.name))


def read_ignores(path: Path) -> set[str]:
    """Same reading as .ci/run: the first word of each line, '#' starts a comment."""
    ids: set[str] = set()
    if not path.is_file():
        return ids
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            ids.add(words[0])
    return ids


def parse_advisories(data: dict[str, Any]) -> list[Advisory]:
    """Non-withdrawn advisories; one listed twice under different ids (PYSEC, GHSA) is merged."""
    merged: list[Advisory] = []
    for raw in data.get("vulnerabilities") or []:
        if not isinstance(raw, dict) or raw.get("withdrawn") or not raw.get("id"):
            continue
        advisory = Advisory(
            id=str(raw["id"]),
            aliases=frozenset(str(a) for a in raw.get("aliases") or []),
            fixed_in=tuple(str(v) for v in raw.get("fixed_in") or []),
            link=str(raw.get("link") or ""),
            details=str(raw.get("details") or raw.get("summary") or ""),
        )
        for i, kept in enumerate(merged):
            if kept.ids() & advisory.ids():
                merged[i] = Advisory(
                    id=kept.id,
                    aliases=(kept.aliases | advisory.ids()) - {kept.id},
                    fixed_in=tuple(dict.fromkeys(kept.fixed_in + advisory.fixed_in)),
                    link=kept.link or advisory.link,
                    details=kept.details or advisory.details,
                )
                break
        else:
            merged.append(advisory)
    return merged


def fetch_project(index: str, name: str) -> tuple[bool, dict[str, Any] | None, str]:
    """(reached, project JSON or None, error)."""
    url = f"{index.rstrip('/')}/{urllib.parse.quote(name)}/json"
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "newskb-ci-audit-fallback"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        return True, None, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, None, str(getattr(exc, "reason", exc))
    try:
        data = json.loads(body)
    except ValueError:
        return True, None, "answer is not JSON"
    if not isinstance(data, dict) or not isinstance(data.get("info"), dict):
        return True, None, "answer is not a project JSON"
    return True, data, ""


def audit(package: Installed, index: str, ignores: set[str]) -> Result:
    reached, data, error = fetch_project(index, package.name)
    result = Result(package, reached=reached, error=error)
    if data is None:
        result.status = f"not audited: {error}"
        return result
    result.latest = str(data["info"].get("version") or "")
    advisories = parse_advisories(data)
    if normalize_version(package.version) != normalize_version(result.latest):
        result.status = "not at latest: not audited"
        result.unfixed_on_latest = [a for a in advisories if not a.fixed_in]
        return result
    result.audited = True
    for advisory in advisories:
        if advisory.ids() & ignores:
            result.accepted.append(advisory)
        else:
            result.findings.append(advisory)
    parts = []
    if result.findings:
        parts.append("VULNERABLE: " + ", ".join(a.id for a in result.findings))
    if result.accepted:
        parts.append("accepted: " + ", ".join(a.id for a in result.accepted))
    result.status = "; ".join(parts) or "clean"
    return result


def describe(advisory: Advisory) -> str:
    aliases = f" ({', '.join(sorted(advisory.aliases))})" if advisory.aliases else ""
    fix = f"fixed in {', '.join(advisory.fixed_in)}" if advisory.fixed_in else "no fixed version"
    details = " ".join(advisory.details.split())
    if len(details) > 160:
        details = details[:157] + "..."
    return f"{advisory.id}{aliases}; {fix}; {advisory.link}\n      {details}"


def print_table(results: list[Result]) -> None:
    rows = [("package", "installed", "latest", "status")]
    rows += [(r.package.name, r.package.version, r.latest or "-", r.status) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        say(
            "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--index-url", default=DEFAULT_INDEX, help="JSON API root (%(default)s)")
    parser.add_argument("--ignore-file", type=Path, default=DEFAULT_IGNORE_FILE)
    args = parser.parse_args(argv)

    packages = installed_distributions()
    ignores = read_ignores(args.ignore_file)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(lambda p: audit(p, args.index_url, ignores), packages))

    if packages and not any(r.reached for r in results):
        say(
            f"WARNING: audit fallback: {args.index_url} did not answer for any of the "
            f"{len(packages)} packages ({results[0].error}); nothing was audited."
        )
        return 0

    say(f"== Audit fallback: advisories from {args.index_url}/<name>/json (latest release only)")
    print_table(results)

    findings = [(r, a) for r in results for a in r.findings]
    accepted = [(r, a) for r in results for a in r.accepted]
    not_audited = [r for r in results if not r.audited]
    clean = [r for r in results if r.audited and not r.findings and not r.accepted]
    accepted_only = [r for r in results if r.audited and not r.findings and r.accepted]
    unfixed = [(r, a) for r in results for a in r.unfixed_on_latest]

    for title, items in (("FINDING (not accepted)", findings), ("accepted", accepted)):
        for r, a in items:
            say(f"{title}: {r.package.name} {r.package.version}: {describe(a)}")
    for r, a in unfixed:
        say(
            f"WARNING: {r.package.name} {r.package.version} not audited, and its latest release "
            f"{r.latest} carries {a.id} with no fixed version; the installed one may be affected."
        )
    if not_audited:
        names = ", ".join(
            f"{r.package.name} {r.package.version}" + (f" (latest {r.latest})" if r.latest else "")
            for r in not_audited
        )
        say(f"WARNING: not audited (no advisory data for the installed version): {names}")
    vulnerable = {r.package.name for r, _ in findings}
    say(
        f"audit fallback: {len(results)} packages: {len(clean)} audited clean"
        + (f", {len(accepted_only)} with accepted advisories only" if accepted_only else "")
        + f", {len(findings)} findings (not accepted) in {len(vulnerable)} packages"
        + f", {len(not_audited)} not audited"
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
