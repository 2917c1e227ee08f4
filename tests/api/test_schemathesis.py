"""Schemathesis, an OpenAPI fuzzer, against a live Kawal on the demo data: every operation the document describes,
with the tokens of an admin, a secretariat and an OPD head, finds no 500 and no response the document does not
describe (its status, its content type, its body's schema). Bounded in examples, so that each database's run stays
near a minute on two cores whatever the number of operations grows to."""

import importlib.util
import json
import subprocess
import urllib.request

from tests.api.live import VENV_BIN, live_server, seed_demo, server_environment, write_tokens
from tests.conftest import require_or_skip

# The demo accounts whose tokens the fuzzer uses: each sees a different part of the data and may do different things.
ACCOUNTS = ("admin@example.org", "sekretariat@example.org", "kepala.dinkes@example.org")
# What a response must be; left out: positive_data_acceptance (a valid request may meet a task in a status that
# refuses it, 409 by design) and the stateful checks (use_after_free, ensure_resource_availability), which need links.
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "ignored_auth",
    )
)
# Examples per account over all the operations, shared out between them (from 3 to 12 each): the run's time stays
# about the same as operations are added. The coverage phase adds its own boundary cases on top.
EXAMPLES_PER_ACCOUNT = 240
METHODS = {"get", "put", "post", "patch", "delete"}
SEED = 15  # the same cases on every run: a failure in CI is the one a developer replays


def examples_per_operation(base: str) -> int:
    with urllib.request.urlopen(f"{base}/api/v1/openapi.json") as response:
        document = json.load(response)
    operations = sum(1 for item in document["paths"].values() for method in item if method in METHODS)
    return min(12, max(3, EXAMPLES_PER_ACCOUNT // max(1, operations)))


def run_schemathesis(base: str, secret: str, report, examples: int, phases: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(VENV_BIN / "st"),
            "run",
            f"{base}/api/v1/openapi.json",
            "--url",
            base,
            "--header",
            f"Authorization: Bearer {secret}",
            "--checks",
            CHECKS,
            "--phases",
            phases,
            "--max-examples",
            str(examples),
            "--seed",
            str(SEED),
            "--workers",
            "2",
            "--no-shrink",
            "--request-timeout",
            "20",
            "--report",
            "json",
            "--report-json-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=report.parent,  # schemathesis keeps its cache (.schemathesis/) in the working directory
    )


def figures(report) -> tuple[int, int, int]:
    """Operations tested, test cases sent and unique failures, from one run's JSON report."""
    data = json.loads(report.read_text())
    cases = data["test_cases"]
    return data["operations"]["tested"], cases["generated"], cases["unique_failures"] + len(data["errors"])


def test_schemathesis_finds_no_server_error_and_no_response_outside_the_document(
    make_app, backend, tmp_path, crawl_summary
):
    if importlib.util.find_spec("schemathesis") is None:
        require_or_skip("schemathesis is not installed (pip install -r requirements-dev.txt)")
    app = make_app()
    environment = server_environment(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, API_RATE_LIMIT="100000 per minute"
    )
    seed_demo(environment)
    secrets = write_tokens(app, ACCOUNTS)
    runs = []
    with live_server(environment, tmp_path / "server.log") as base:
        examples = examples_per_operation(base)
        for email in ACCOUNTS:
            report = tmp_path / f"{email}.json"
            # The coverage phase's boundary and wrong-typed values are the same for every account: the first runs it.
            phases = "examples,coverage,fuzzing" if email == ACCOUNTS[0] else "examples,fuzzing"
            result = run_schemathesis(base, secrets[email], report, examples, phases)
            runs.append((email, result, figures(report)))
    operations = max(found[0] for _email, _result, found in runs)
    cases = sum(found[1] for _email, _result, found in runs)
    failures = sum(found[2] for _email, _result, found in runs)
    crawl_summary(
        f"schemathesis ({backend.name}): {operations} operations, {cases} test cases as {len(ACCOUNTS)} accounts "
        f"({examples} examples an operation), {failures} failures"
    )
    for email, result, _found in runs:
        assert result.returncode == 0, f"schemathesis as {email}:\n{result.stdout[-20000:]}"
    assert operations >= 4 and cases > 0
