"""Validates the served OpenAPI document.  usage: python openapi_check.py URL"""
import json
import sys
import urllib.request

from openapi_spec_validator import validate

with urllib.request.urlopen(sys.argv[1]) as r:
    spec = json.load(r)
validate(spec)
paths = sorted(spec["paths"])
print(f"ok   openapi: {spec['openapi']} document with {len(paths)} paths is valid: {', '.join(paths)}")
