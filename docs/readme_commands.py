"""Run the README's command blocks and compare what they print with what the README shows.

Blocks of three kinds are run, each in a fresh temporary folder with the
package's ``techhubs`` first on the PATH and ``COLUMNS`` set to the README's
width (:data:`WIDTH`):

* a terminal session (a fence without a language, or ``console``): each line
  ``$ COMMAND`` is run and the lines after it, up to the next ``$``, are what
  it must print (stdout and stderr together, trailing blanks ignored). A line
  ``...`` stands for any number of lines; durations (``0.6 s``) and the
  temporary folder are not compared;
* a ``bash`` block: every command must succeed (the set-up commands, which
  install the package, are left to CI);
* a ``python`` block: it must run without error.

``../shared/`` in a command is the data folder beside the repository; a block
that needs it is skipped when it is absent.

    python docs/readme_commands.py            # check every block, print differences
    python docs/readme_commands.py --show N   # print what block N's commands print now
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHARED = ROOT.parent / "shared"
WIDTH = 140
ELLIPSIS = "..."
SETUP = ("pip install", "pytest")  # installing and testing are CI's job
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
_DURATION = re.compile(r"\s*\b\d+(\.\d+)? s\b")  # with its padding: widths vary too


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    number: int
    kind: str  # "session", "bash" or "python"
    line: int  # where the block starts in the README
    text: str
    steps: list[Step] = field(default_factory=list)

    @property
    def needs_shared(self) -> bool:
        return "../shared/" in self.text

    @property
    def label(self) -> str:
        first = (self.steps[0].command if self.steps else self.text).strip().splitlines()[0]
        return f"README.md:{self.line} {first[:60]}"


def _logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined."""
    out: list[str] = []
    pending = ""
    for raw in text.splitlines():
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        out.append(pending + raw)
        pending = ""
    if pending:
        out.append(pending)
    return out


def blocks(readme: Path = README) -> list[Block]:
    """The README's runnable blocks, numbered from 1 in order."""
    text = readme.read_text(encoding="utf-8")
    out: list[Block] = []
    for match in _FENCE.finditer(text):
        lang, body = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        if lang in ("", "console") and body.lstrip().startswith("$ "):
            block = Block(len(out) + 1, "session", line, body)
            for raw in _logical_lines(body):
                if raw.startswith("$ "):
                    block.steps.append(Step(raw[2:].strip()))
                elif block.steps:
                    block.steps[-1].expected.append(raw.rstrip())
            out.append(block)
        elif lang == "bash":
            commands = [c.strip() for c in _logical_lines(body)
                        if c.strip() and not c.strip().startswith("#")]
            if any(s in c for c in commands for s in SETUP):
                continue
            out.append(Block(len(out) + 1, "bash", line, body, [Step(c) for c in commands]))
        elif lang == "python":
            out.append(Block(len(out) + 1, "python", line, body, [Step(body)]))
    return out


def _environment(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    env |= {"PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "COLUMNS": str(WIDTH),
            "NO_COLOR": "1", "TERM": "dumb", "PYTHONPATH": str(ROOT / "src"),
            "PYTHONUNBUFFERED": "1"}  # stdout and stderr in the order a terminal shows them
    return env


def _shared(command: str) -> str:
    return command.replace("../shared/", f"{shlex.quote(str(SHARED))}/")


def _normalise(lines: list[str], folder: str) -> list[str]:
    out = [_DURATION.sub(" <t> s", line.replace(folder, "<tmp>").replace(str(SHARED), "../shared")
                         .rstrip()) for line in lines]
    while out and not out[-1]:
        out.pop()
    while out and not out[0]:
        out.pop(0)
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` reads as ``expected``, ``...`` lines standing for any lines."""
    chunks: list[list[str]] = [[]]
    for line in expected:
        if line.strip() == ELLIPSIS:
            chunks.append([])
        else:
            chunks[-1].append(line)
    if len(chunks) == 1:
        return expected == actual
    position = 0
    for k, chunk in enumerate(chunks):
        if not chunk:
            continue
        if k == 0:
            if actual[:len(chunk)] != chunk:
                return False
            position = len(chunk)
            continue
        last = k == len(chunks) - 1
        found = None
        for start in range(position, len(actual) - len(chunk) + 1):
            if actual[start:start + len(chunk)] == chunk and (
                    not last or start + len(chunk) == len(actual)):
                found = start
                break
        if found is None:
            return False
        position = found + len(chunk)
    return True


def run(block: Block, bin_dir: Path | None = None) -> list[str]:
    """Run a block in a fresh folder; the problems found (empty: it reads as the README says)."""
    bin_dir = bin_dir or Path(sys.executable).parent
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="techhubs-readme-") as folder:
        env = _environment(bin_dir)
        for step in block.steps:
            args = ([sys.executable, "-c", _shared(step.command)] if block.kind == "python"
                    else ["bash", "-c", _shared(step.command)])
            done = subprocess.run(args, cwd=folder, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=600)
            printed = done.stdout.splitlines()
            if done.returncode != 0:
                problems.append(f"{block.label}: `{step.command[:80]}` exited "
                                f"{done.returncode}:\n" + "\n".join(printed[-20:]))
                break
            if block.kind != "session" or not step.expected:
                continue
            expected = _normalise(step.expected, folder)
            actual = _normalise(printed, folder)
            if not matches(expected, actual):
                diff = difflib.unified_diff(expected, actual, "README", "printed", lineterm="")
                problems.append(f"{block.label}: `{step.command}` prints otherwise:\n"
                                + "\n".join(diff))
    return problems


def show(block: Block, bin_dir: Path | None = None) -> None:
    """Print what each command of ``block`` prints now (to paste into the README)."""
    bin_dir = bin_dir or Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="techhubs-readme-") as folder:
        for step in block.steps:
            done = subprocess.run(["bash", "-c", _shared(step.command)], cwd=folder,
                                  env=_environment(bin_dir), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
            print(f"$ {step.command}")
            print("\n".join(_normalise(done.stdout.splitlines(), folder)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", type=int, metavar="N", help="print block N's output now")
    args = parser.parse_args(argv)
    found = blocks()
    if args.show:
        show(found[args.show - 1])
        return 0
    failed = 0
    for block in found:
        if block.needs_shared and not SHARED.exists():
            print(f"skipped {block.label} (no {SHARED})")
            continue
        problems = run(block)
        print(("FAILED " if problems else "ok     ") + block.label)
        for p in problems:
            print(p)
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
