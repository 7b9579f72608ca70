#!/usr/bin/env bash
# swift-format lint with the project's .swift-format: every rule finding fails, and every line
# longer than 160 columns fails. Layout the pretty-printer would change on lines nobody touched
# (indentation, line breaks, spacing, trailing commas, and the lengths of lines as it would rewrap
# them) is reported as a count only, so the tree needs no mass reformat; `Tools/lint.sh --layout`
# lists those findings too.
# Exits non-zero when a finding fails. Runs in a few seconds (`swift format` ships with the toolchain).
set -euo pipefail
cd "$(dirname "$0")/.."

layout='\[(Indentation|AddLines|RemoveLine|Spacing|TrailingComma|LineLength)\]'
out=$(swift format lint --recursive --parallel --configuration .swift-format \
    Package.swift Sources Tests Benchmarks Fuzz 2>&1 | grep -E ': (warning|error): ' | sort -u || true)
failing=$(grep -vE "$layout" <<<"$out" | grep . || true)
layout_count=$(grep -cE "$layout" <<<"$out" || true)

# Lines as written, counted in characters (not bytes): the limit itself.
long=$(find Package.swift Sources Tests Benchmarks Fuzz -name '*.swift' -print0 | sort -z |
    xargs -0 python3 -c '
import sys
for path in sys.argv[1:]:
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        if len(line.rstrip("\n")) > 160:
            print(f"{path}:{number}:1: warning: [LineLength] line is {len(line.rstrip())} columns, over 160")
')
failing=$(printf '%s\n%s\n' "$failing" "$long" | grep . || true)

if [[ "${1:-}" == --layout ]]; then grep -E "$layout" <<<"$out" || true; fi
echo "lint: $layout_count layout findings of the pretty-printer not enforced (Tools/lint.sh --layout lists them)"
if [[ -n "$failing" ]]; then
    echo "$failing"
    echo "lint: $(wc -l <<<"$failing") findings; fix them (rules in .swift-format)"
    exit 1
fi
echo "lint: no rule or line-length findings"
