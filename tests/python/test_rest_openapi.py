"""`GET /openapi.json`: an OpenAPI 3.1 document that an independent validator (openapi-spec-validator)
accepts, that lists every route of TinyTask 2.x (including the two its own document forgot) and the new
ones, and that the running server honours: schemathesis generates requests from it (a bounded number per
operation) and checks that no answer is a 5xx and every answer matches the document (status code, content
type, headers, body schema).

TINYTASK_REST_FUZZ_EXAMPLES (default 10) sets the examples per operation; TINYTASK_REST_FUZZ_SEED (default 1)
the seed, so a CI run is reproducible and a local run can explore others. Reports (JUnit XML, and the
reproducing pytest file on failure) go to target/rest-fuzz/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from conftest import TARGET_URL
from http_support import HttpServer

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "target" / "rest-fuzz"

# Method and path of every 2.x route (tinytask-2x-reference.md §3.3), in our path-parameter names.
TWO_X_ROUTES = [
    ("post", "/tasks"), ("get", "/tasks"), ("get", "/tasks/{id}"), ("patch", "/tasks/{id}"),
    ("delete", "/tasks/{id}"), ("post", "/tasks/{id}/archive"), ("post", "/tasks/{parent_task_id}/subtasks"),
    ("get", "/tasks/{parent_task_id}/subtasks"), ("get", "/tasks/{task_id}/hierarchy"),
    ("patch", "/tasks/{subtask_id}/parent"), ("get", "/agents/{agent_name}/queue"),
    ("post", "/agents/{agent_name}/signup"), ("post", "/tasks/{task_id}/transfer"), ("get", "/queues"),
    ("get", "/queues/{queue_name}/stats"), ("post", "/queues/{queue_name}/tasks"),
    ("get", "/queues/{queue_name}/tasks"), ("delete", "/queues/{queue_name}/tasks"),
    ("delete", "/tasks/{task_id}/queue"), ("patch", "/tasks/{task_id}/queue"),
    ("post", "/tasks/{task_id}/comments"), ("get", "/tasks/{task_id}/comments"), ("patch", "/comments/{id}"),
    ("delete", "/comments/{id}"), ("get", "/comments/{id}"), ("post", "/comments/{comment_id}/move"),
    ("post", "/tasks/{task_id}/links"), ("get", "/tasks/{task_id}/links"), ("patch", "/links/{id}"),
    ("delete", "/links/{id}"),
]
NEW_ROUTES = [
    ("get", "/tasks/{task_id}/history"), ("post", "/agents/{agent_name}/claim"), ("post", "/agents/{agent_name}/wait"),
    ("post", "/tasks/{task_id}/heartbeat"), ("post", "/tasks/{task_id}/release"),
    ("post", "/tasks/{task_id}/dependencies"), ("delete", "/tasks/{task_id}/dependencies/{depends_on_task_id}"),
    ("get", "/ready"), ("get", "/events"), ("get", "/search"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if TARGET_URL:
        pytest.skip("fuzzing writes random data: only against a server of its own")
    srv = HttpServer(tmp_path_factory.mktemp("openapi"), log_level="warn")
    yield srv
    srv.kill()


@pytest.fixture(scope="module")
def document(server):
    r = httpx2.get(f"{server.base}/openapi.json", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    return r.json()


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_document_lists_every_route_with_its_parameters_and_failures(document):
    paths = document["paths"]
    documented = {(verb, path.removeprefix("/api/v1")) for path, item in paths.items() for verb in item}
    missing = [r for r in TWO_X_ROUTES + NEW_ROUTES if r not in documented]
    assert not missing, f"routes missing from the document: {missing}"
    extra = documented - set(TWO_X_ROUTES + NEW_ROUTES) - {("get", "/openapi.json")}
    assert not extra, f"routes this test does not know: {extra}"
    list_tasks = paths["/api/v1/tasks"]["get"]
    names = {p["name"] for p in list_tasks["parameters"]}
    assert names >= {"assigned_to", "status", "exclude_status", "include_archived", "limit", "offset",
                     "queue_name", "parent_task_id", "exclude_subtasks"}, names
    for path, item in paths.items():
        for verb, op in item.items():
            if path == "/openapi.json":
                continue
            assert op["operationId"] and op["x-mcp-tool"], (verb, path)
            assert {"400", "401", "403", "404", "503"} <= set(op["responses"]), (verb, path, list(op["responses"]))
            success = [s for s in op["responses"] if s.startswith("2")]
            assert len(success) == 1, (verb, path, success)
            for p in op.get("parameters", []):
                assert p["in"] in ("path", "query") and "schema" in p, (verb, path, p)


def seed_board(base: str) -> None:
    """A few tasks, comments, links and queues, so generated ids and names sometimes exist."""
    with httpx2.Client(base_url=f"{base}/api/v1", timeout=10) as api:
        for i in range(1, 13):
            r = api.post("/tasks", json={"title": f"seed {i}", "created_by": "seed", "priority": i % 4,
                                         "queue_name": ["0", "a", "q"][i % 3], "assigned_to": ["0", "a", None][i % 3]})
            assert r.status_code == 201, r.text
            task_id = r.json()["id"]
            assert api.post(f"/tasks/{task_id}/comments", json={"content": f"note {i}"}).status_code == 201
            assert api.post(f"/tasks/{task_id}/links", json={"url": f"https://example.org/{i}"}).status_code == 201


@pytest.mark.timeout(960)
def test_server_honours_the_document_under_fuzzing(server, document):
    seed_board(server.base)
    examples = os.environ.get("TINYTASK_REST_FUZZ_EXAMPLES", "10")
    seed = os.environ.get("TINYTASK_REST_FUZZ_SEED", "1")
    REPORTS.mkdir(parents=True, exist_ok=True)
    cli = Path(sys.executable).with_name("schemathesis")
    cmd = [
        str(cli), "run", f"{server.base}/openapi.json",
        "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                    "response_headers_conformance,response_schema_conformance",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", examples, "--seed", seed, "--no-shrink",
        # wait_for_task waits up to its default 30 s when nothing is claimable (tested in test_rest.py).
        "--exclude-operation-id", "waitForTask",
        "--suppress-health-check", "filter_too_much,too_slow",
        "--request-timeout", "15",
        "--report", "junit", "--report-dir", str(REPORTS),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
           "PYTHONPATH": str(Path(__file__).parent), "NO_COLOR": "1"}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env, cwd=str(REPORTS))
    out = r.stdout + r.stderr
    (REPORTS / "schemathesis.log").write_text(out)
    summary = [line for line in out.splitlines() if "generated" in line or "Operations" in line]
    print("\n".join(summary))
    assert r.returncode == 0, f"schemathesis failed (exit {r.returncode}); full log {REPORTS}/schemathesis.log:\n" \
                              f"{out[-6000:]}\nserver stderr:\n{server.stderr_tail()}"
    assert "passed" in out
