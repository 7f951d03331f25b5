#!/usr/bin/env python3
"""Checks real answers of the stack against docs/openapi.yaml (Tests/ServiceTests/OpenAPITests.swift).

usage: conformance.py OPENAPI.yaml EXCHANGES.json

EXCHANGES.json is a list of {"name", "method", "path", "request_headers", "request_body",
"status", "response_headers", "response_body"} as the test sent and received them. Each answer
is validated by openapi-core (status, content type, headers, body against its schema); then
every operation of the document must have been exercised with every status it lists, except
413 and 429, the body and rate limits (nginx's, and the pool's body limit), which are the same
mechanism on every route and need one route each. Prints one line per problem and exits 1 if there is any.
"""
import json
import sys
from urllib.parse import urlsplit, parse_qs

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ANY_ROUTE_STATUSES = {"413", "429"}


def template_for(document, path):
    """The document's path template that a concrete path falls under."""
    if path in document["paths"]:
        return path
    return next((template for template in document["paths"] if "{" in template), None)


def main(document_path, exchanges_path):
    with open(document_path, encoding="utf-8") as file:
        document = yaml.safe_load(file)
    api = OpenAPI.from_file_path(document_path)
    with open(exchanges_path, encoding="utf-8") as file:
        exchanges = json.load(file)

    problems = []
    exercised = set()
    for exchange in exchanges:
        url = urlsplit(exchange["path"])
        request_headers = exchange["request_headers"]
        response_headers = exchange["response_headers"]
        request = MockRequest(
            "https://licenses.example.com", exchange["method"], url.path,
            args={name: values[0] for name, values in parse_qs(url.query).items()},
            headers=request_headers, data=exchange["request_body"].encode(),
            content_type=request_headers.get("content-type", ""))
        response = MockResponse(
            exchange["response_body"].encode(), status_code=exchange["status"], headers=response_headers,
            content_type=response_headers.get("content-type", ""))
        try:
            api.validate_response(request, response)
        except Exception as error:  # openapi-core's errors say what does not conform, with causes
            causes = []
            cause = error
            while cause is not None:
                causes.append(f"{type(cause).__name__}: {cause}")
                cause = cause.__cause__ or (getattr(cause, "schema_errors", None) or [None])[0]
            problems.append(f"{exchange['name']}: {exchange['method']} {url.path} -> {exchange['status']}: "
                            + " / ".join(causes))
            continue
        exercised.add((template_for(document, url.path), exchange["method"].lower(), str(exchange["status"])))

    exercised_statuses = {status for _, _, status in exercised}
    for template, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            for status in operation.get("responses", {}):
                if status in ANY_ROUTE_STATUSES:
                    if status not in exercised_statuses:
                        problems.append(f"no answer with status {status} was seen on any route")
                elif (template, method, status) not in exercised:
                    problems.append(f"not exercised: {method.upper()} {template} -> {status}")

    for problem in dict.fromkeys(problems):
        print(problem)
    print(f"{len(exchanges)} answers, {len(exercised)} operation/status pairs conform; {len(set(problems))} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
