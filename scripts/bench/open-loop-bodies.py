#!/usr/bin/env python3
"""make bench: the request bodies of the open-loop mixed load (scripts/bench/open-loop.c), the
same mix as checks.lua's "mixed": 89 % refreshes of the users the seed pass admitted (10 per
license, bench-user-LLLLLL-UU), 10 % admissions of users never seen, 1 % invalid keys.

usage: open-loop-bodies.py KEYS_FILE INVALID_CODES_FILE TAG COUNT > BODIES
"""
import base64
import sys


def code(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def main(keys_path, invalid_path, tag, count):
    with open(keys_path, encoding="utf-8") as file:
        keys = [line.strip() for line in file if line.strip()]
    with open(invalid_path, encoding="utf-8") as file:
        invalid = [line.strip() for line in file if line.strip()]
    output = sys.stdout
    for index in range(count):
        slot = index % 100
        # 7919 is prime to the number of licenses: consecutive requests visit other licenses.
        license_index = (index * 7919) % len(keys)
        key = keys[license_index]
        if slot < 89:
            user = f"bench-user-{license_index + 1:06d}-{(index // len(keys)) % 10 + 1:02d}"
            output.write("code=" + code(f"{key}\n7.1\n{user}\nlocalhost") + "\n")
        elif slot < 99:
            output.write("code=" + code(f"{key}\n7.1\nopen-{tag}-{index}\nlocalhost") + "\n")
        else:
            output.write("code=" + invalid[index % len(invalid)] + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
