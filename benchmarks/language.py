"""Language detectors on short news texts: accuracy, speed and resident memory.

    python -m benchmarks.language [--corpus DIR]

Candidates: lingua (``lingua-language-detector``) with every language, in high and in low
accuracy mode, and py3langid (a maintained fork of langid.py) with its 142 labels and, as
NewsKB uses it, with the 116 that have an ISO 639-1 code. Each runs
in a process of its own, so that its RSS (``VmRSS`` after loading and detecting, and the
growth over a bare interpreter) is its own.

Texts: ``tests/fixtures/languages/texts.json`` (short news texts written for NewsKB in nine
languages), each whole and cut to its first 60 characters (a headline's length) and to 25;
the shipped Wikinews fixtures (English, CC BY 2.5); and, where ``../shared/data/news/wikinews``
exists, its 317 English Wikinews articles (their first 200 characters). BBC and Reuters
texts are not read. lingua is not a dependency of NewsKB: install it to compare
(``pip install lingua-language-detector``); without it only py3langid runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "tests" / "fixtures" / "languages" / "texts.json"
DEFAULT_CORPUS = Path(os.environ.get("NEWSKB_CORPUS_DIR", ROOT.parent / "shared" / "data" / "news"))
DETECTORS = ("lingua-high", "lingua-low", "py3langid", "py3langid-639-1")
SHORT = 60
TINY = 25


def samples(corpus: Path) -> dict[str, list[tuple[str, str]]]:
    """Sets of (expected ISO 639-1 code, text)."""
    written = {k: v for k, v in json.loads(TEXTS.read_text("utf-8")).items() if len(k) == 2}
    whole = [(lang, text) for lang, texts in written.items() for text in texts]
    sets = {
        "written, whole": whole,
        f"written, first {SHORT} chars": [(lang, text[:SHORT]) for lang, text in whole],
        f"written, first {TINY} chars": [(lang, text[:TINY]) for lang, text in whole],
        "wikinews fixtures": [
            ("en", path.read_text("utf-8"))
            for path in sorted((ROOT / "tests" / "fixtures").glob("*/*.txt"))
            if path.parent.name in ("wikinews", "corpus")
        ],
    }
    wikinews = corpus / "wikinews"
    if wikinews.is_dir():
        sets["shared wikinews, first 200 chars"] = [
            ("en", _body(path)[:200]) for path in sorted(wikinews.glob("*.txt"))
        ]
    return sets


def _body(path: Path) -> str:
    """A Wikinews file without its title and date lines."""
    lines = path.read_text("utf-8", errors="replace").splitlines()
    return " ".join(line for line in lines[2:] if line.strip())


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _detector(name: str) -> Any:
    if name.startswith("lingua"):
        from lingua import LanguageDetectorBuilder

        builder = LanguageDetectorBuilder.from_all_languages()
        if name == "lingua-low":
            builder = builder.with_low_accuracy_mode()
        detector = builder.with_preloaded_language_models().build()

        def lingua(text: str) -> str:
            found = detector.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found is not None else "und"

        return lingua
    if name == "py3langid-639-1":  # NewsKB's: the languages with an ISO 639-1 code
        from app.extract.languages import _identifier

        identifier = _identifier()

        def restricted(text: str) -> str:
            return str(identifier.classify(text)[0])

        return restricted
    import py3langid

    def langid(text: str) -> str:
        return str(py3langid.classify(text)[0])

    return langid


def child(name: str, corpus: Path) -> dict[str, Any]:
    """Run one detector over every set (in this process) and report."""
    before = _rss_kib()
    started = time.perf_counter()
    detect = _detector(name)
    detect("warm up")
    load = time.perf_counter() - started
    result: dict[str, Any] = {"load_s": load, "sets": {}}
    for set_name, items in samples(corpus).items():
        started = time.perf_counter()
        found = [(lang, detect(text)) for lang, text in items]
        elapsed = time.perf_counter() - started
        wrong = [f"{lang}→{got}" for lang, got in found if got != lang]
        result["sets"][set_name] = {
            "n": len(items),
            "correct": len(items) - len(wrong),
            "ms_per_text": 1000 * elapsed / max(len(items), 1),
            "wrong": wrong[:8],
        }
    result["rss_mib"] = _rss_kib() / 1024
    result["rss_growth_mib"] = (_rss_kib() - before) / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--child", choices=DETECTORS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.corpus)))
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in DETECTORS:
        module = "lingua" if name.startswith("lingua") else "py3langid"
        if importlib.util.find_spec(module) is None:
            print(f"\n{name}: not installed (pip install lingua-language-detector)")
            continue
        command = [sys.executable, "-m", "benchmarks.language", "--child", name]
        out = subprocess.run(
            [*command, "--corpus", str(args.corpus)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        report = json.loads(out)
        print(
            f"\n{name}: load {report['load_s']:.2f} s, RSS {report['rss_mib']:.0f} MiB "
            f"(+{report['rss_growth_mib']:.0f} MiB for the detector)"
        )
        for set_name, row in report["sets"].items():
            print(
                f"  {set_name:34} {row['correct']:>4}/{row['n']:<4} "
                f"{row['ms_per_text']:7.2f} ms/text  wrong: {', '.join(row['wrong']) or '-'}"
            )


if __name__ == "__main__":
    main()
