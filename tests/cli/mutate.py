#!/usr/bin/env python3
"""Damaged programs must be rejected by `skr eval` with exit 2.

Usage: mutate.py SKR SHARED_DIR

Compiles a real published policy, then runs `skr eval` on the program cut
at every length and with one bit flipped at every byte offset (bit number
offset % 8). The checksum and length check must reject every one of them.
Prints the counts and exits non-zero on any other outcome.
"""

import os
import subprocess
import sys
import tempfile

POLICY = "corpus/real/blog-cvm-release-policy.json"
CLAIMS = os.path.join(os.path.dirname(__file__), "..", "cases", "B1-crlf-pretty-printed", "claims.json")


def run_eval(skr, program, claims):
    done = subprocess.run([skr, "eval", program, "--claims", claims],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
    return done.returncode


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    skr, shared = argv[1], argv[2]
    policy = os.path.join(shared, POLICY)
    with tempfile.TemporaryDirectory() as scratch:
        program = os.path.join(scratch, "policy.skrb")
        if subprocess.run([skr, "compile", policy, "-o", program]).returncode != 0:
            print(f"mutate: cannot compile {policy}", file=sys.stderr)
            return 1
        image = open(program, "rb").read()
        mutant = os.path.join(scratch, "mutant.skrb")
        bad = []
        for length in range(len(image)):
            with open(mutant, "wb") as handle:
                handle.write(image[:length])
            code = run_eval(skr, mutant, CLAIMS)
            if code != 2:
                bad.append(f"truncated to {length} bytes: exit {code}")
        for offset in range(len(image)):
            flipped = bytearray(image)
            flipped[offset] ^= 1 << (offset % 8)
            with open(mutant, "wb") as handle:
                handle.write(flipped)
            code = run_eval(skr, mutant, CLAIMS)
            if code != 2:
                bad.append(f"bit {offset % 8} of byte {offset} flipped: exit {code}")
    print(f"mutate: {len(image)}-byte program of {POLICY}: {len(image)} truncations and "
          f"{len(image)} bit flips, {2 * len(image) - len(bad)} rejected with exit 2, {len(bad)} not")
    for line in bad[:20]:
        print("  " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
