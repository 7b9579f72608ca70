#!/usr/bin/env bash
# swift-format lint with the project's .swift-format: every rule finding fails, and lines longer
# than the configured 160 columns fail. Layout the pretty-printer would change on lines nobody
# touched (indentation, line breaks, spacing, trailing commas) is reported as a count only, so the
# tree needs no mass reformat; `Tools/lint.sh --layout` lists those findings too.
# Exits non-zero when a finding fails. Runs in a few seconds (`swift format` ships with the toolchain).
set -euo pipefail
cd "$(dirname "$0")/.."

layout='\[(Indentation|AddLines|RemoveLine|Spacing|TrailingComma)\]'
out=$(swift format lint --recursive --parallel --configuration .swift-format \
    Package.swift Sources Tests Benchmarks Fuzz 2>&1 | grep -E ': (warning|error): ' | sort -u || true)
failing=$(grep -vE "$layout" <<<"$out" | grep . || true)
layout_count=$(grep -cE "$layout" <<<"$out" || true)

if [[ "${1:-}" == --layout ]]; then grep -E "$layout" <<<"$out" || true; fi
echo "lint: $layout_count layout findings of the pretty-printer not enforced (Tools/lint.sh --layout lists them)"
if [[ -n "$failing" ]]; then
    echo "$failing"
    echo "lint: $(wc -l <<<"$failing") findings; fix them (rules in .swift-format)"
    exit 1
fi
echo "lint: no rule or line-length findings"
