"""Just enough Dockerfile parsing for the tests: instructions, the final stage, exec forms."""

import json
import re

from tests.reliability.server import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n(\s*#.*\n)*", " ", dockerfile)
    pairs = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def final_stage() -> list[tuple[str, str]]:
    steps = instructions(DOCKERFILE.read_text())
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def exec_form(steps: list[tuple[str, str]], keyword: str) -> list[str]:
    """The JSON-array arguments of an instruction (for HEALTHCHECK, those after its CMD)."""
    (arguments,) = [rest for k, rest in steps if k == keyword]
    if keyword == "HEALTHCHECK":
        arguments = arguments[arguments.index("CMD ") + 4 :]
    parsed: list[str] = json.loads(arguments)
    return parsed
