"""Validate every .json file under DIR against SCHEMA (JSON Schema draft
2020-12) with the `jsonschema` package (tests/py/requirements-json.txt),
formats checked too.

usage: validate_json.py SCHEMA DIR
Prints the first errors and `valid N/M`; exits 1 unless N == M.
"""
import json
import os
import sys

import jsonschema


def main():
    schema_path, folder = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    files = sorted(
        os.path.join(d, n)
        for d, _, names in os.walk(folder)
        for n in names
        if n.endswith(".json")
    )
    good = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        errors = list(validator.iter_errors(doc))
        if errors:
            for e in errors[:3]:
                print(f"{path}: /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
        else:
            good += 1
    print(f"valid {good}/{len(files)}")
    sys.exit(0 if good == len(files) and files else 1)


main()
