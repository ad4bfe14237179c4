#!/usr/bin/env python3
"""Check the TextMate grammar of the skr DSL.

Usage: test_editor_grammar.py [GRAMMAR] [DSL_FILE...]

The grammar must be valid JSON whose regular expressions all compile, and a
small TextMate-style scanner driven by it must cover every non-blank
character of the DSL test corpus with some scope, none of them "invalid".
Python's re module stands in for Oniguruma; the grammar uses only syntax
both accept. Prints "editor grammar: N passed, M failed".
"""

import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def resolve(rule, repository):
    if "include" in rule:
        return repository[rule["include"].lstrip("#")]
    return rule


def flatten(rules, repository):
    """Expands includes and nested "patterns" lists into plain rules."""
    out = []
    for rule in rules:
        rule = resolve(rule, repository)
        if "match" in rule or "begin" in rule:
            out.append(rule)
        elif "patterns" in rule:
            out.extend(flatten(rule["patterns"], repository))
    return out


def scan_line(line, rules, repository, problems, where):
    """Scans one line; returns the number of characters no rule covered."""
    pos, uncovered = 0, 0
    while pos < len(line):
        if line[pos].isspace():
            pos += 1
            continue
        best = None
        for rule in rules:
            pattern = rule.get("match") or rule.get("begin")
            found = re.compile(pattern).match(line, pos)
            if found and found.end() > pos:
                best = (rule, found)
                break
        if best is None:
            uncovered += 1
            problems.append(f"{where}: no rule covers {line[pos:]!r}")
            pos += 1
            continue
        rule, found = best
        if "invalid" in rule.get("name", ""):
            problems.append(f"{where}: {found.group(0)!r} is marked invalid")
        pos = found.end()
        if "begin" in rule:
            inner = flatten(rule.get("patterns", []), repository)
            end = re.compile(rule["end"])
            while pos < len(line):
                stop = end.match(line, pos)
                if stop:
                    pos = stop.end()
                    break
                moved = False
                for sub in inner:
                    hit = re.compile(sub["match"] if "match" in sub else sub["begin"]).match(line, pos)
                    if hit and hit.end() > pos:
                        if "invalid" in sub.get("name", ""):
                            problems.append(f"{where}: {hit.group(0)!r} is marked invalid")
                        pos = hit.end()
                        moved = True
                        break
                if not moved:
                    pos += 1
    return uncovered


def main(argv):
    grammar_path = argv[1] if len(argv) > 1 else os.path.join(ROOT, "editors/textmate/skr.tmLanguage.json")
    files = argv[2:] or sorted(glob.glob(os.path.join(ROOT, "tests/dsl/*.skr")) +
                               glob.glob(os.path.join(ROOT, "examples/**/*.skr"), recursive=True))
    passed = failed = 0
    grammar = json.load(open(grammar_path, encoding="utf-8"))
    repository = grammar["repository"]
    patterns = []
    for rule in list(repository.values()):
        for key in ("match", "begin", "end"):
            if key in rule:
                patterns.append(rule[key])
        for sub in rule.get("patterns", []):
            for key in ("match", "begin", "end"):
                if key in sub:
                    patterns.append(sub[key])
    try:
        for pattern in patterns:
            re.compile(pattern)
        passed += 1
    except re.error as error:
        print(f"FAIL  {pattern!r} does not compile: {error}")
        failed += 1
    rules = flatten(grammar["patterns"], repository)
    for path in files:
        problems = []
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle.read().splitlines(), 1):
                scan_line(line, rules, repository, problems, f"{os.path.relpath(path, ROOT)}:{number}")
        if problems:
            failed += 1
            print("FAIL  " + "\n      ".join(problems[:5]))
        else:
            passed += 1
    print(f"editor grammar: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
