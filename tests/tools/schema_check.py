#!/usr/bin/env python3
"""schema_check.py SCHEMA MANIFEST.yaml: "valid" or "invalid: why" for the manifest against the
JSON schema (Debian's python3-jsonschema and python3-yaml), formats (ipv4, ipv6) checked."""
import json
import sys

import jsonschema
import yaml

schema = json.load(open(sys.argv[1]))
doc = yaml.safe_load(open(sys.argv[2]))
errors = sorted(jsonschema.Draft202012Validator(
    schema, format_checker=jsonschema.FormatChecker()).iter_errors(doc), key=str)
print("valid" if not errors else f"invalid: {errors[0].message}")
