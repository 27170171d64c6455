#!/usr/bin/env python3
"""Independent check: every contract's examples validate under Python's `jsonschema`
(Draft 2020-12, format assertions on). Exits 1 listing failures."""
import glob, json, sys
from jsonschema import Draft202012Validator

failures = 0
for path in sorted(glob.glob("contracts/*/v*.schema.json")):
    schema = json.load(open(path))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for i, example in enumerate(schema.get("examples", [])):
        for error in validator.iter_errors(example):
            failures += 1
            print(f"{path}: examples/{i}: {error.message}")
    if not schema.get("examples"):
        failures += 1
        print(f"{path}: no examples")
print(f"{failures} problems" if failures else "every example validates")
sys.exit(1 if failures else 0)
