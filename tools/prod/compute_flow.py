"""The compute step of the production check: the creator allows both GPU hosts, the buyer (who
holds the compute licence) submits an algorithm to `host-a`; the job is routed to that host's
own Celery worker (queue `compute.host-a`), runs in the sandbox over the dataset, and its
output, fetched through nginx, proves it read the real bytes, which never left the host."""

from __future__ import annotations

import hashlib
import json

from client import ApiFailure, Client, poll

HOSTS = ("host-a", "host-b")
FINISHED = {"succeeded", "failed", "cancelled", "timed_out"}
ALGORITHM = b"""
import hashlib, json, pathlib
files = sorted(p for p in pathlib.Path("/data").rglob("*") if p.is_file())
digests = {str(p.relative_to("/data")): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
pathlib.Path("/out/digests.json").write_text(json.dumps(digests))
print("hashed", len(files), "files")
"""


def run(check, buyer: Client, slug: str) -> dict:
    check.creator.json(
        "PUT",
        f"/api/v1/compute/listings/{slug}/compute-policy",
        {"environments": list(HOSTS), "allow_raw_algorithms": True, "minutes_per_licence": 60},
    )
    poll(lambda: _online(buyer) >= set(HOSTS), 60, "both GPU hosts online (heartbeats)")
    job = buyer.call(
        "POST",
        "/api/v1/compute/jobs",
        data={"listing": slug, "environment": "host-a", "entry_point": "digests.py"},
        files={"algorithm": ("digests.py", ALGORITHM, "text/x-python")},
    ).json()

    def finished():
        state = buyer.json("GET", f"/api/v1/compute/jobs/{job['id']}")
        return state if state["status"] in FINISHED else None

    final = poll(finished, 180, f"job {job['id']} finished", every=0.5)
    if final["status"] != "succeeded":
        raise ApiFailure(f"the job ended {final['status']}: {final['reason']}")
    output = _fetch_output(check, buyer, final)
    expected = hashlib.sha256(check.data).hexdigest()
    if output.get("notes.csv") != expected:
        raise ApiFailure(f"the job's output {output} does not hold the dataset's sha256")
    logs = {h: check.stack.tail(f"worker-{h}", 10_000) for h in HOSTS}
    ran = "Task compute.tasks.job_run["  # the worker's "received" line, not its banner
    if ran not in logs["host-a"] or ran in logs["host-b"]:
        raise ApiFailure("the job did not run on host-a's worker (and only there)")
    return final


def _online(client: Client) -> set[str]:
    environments = client.json("GET", "/api/v1/compute/environments")
    rows = (
        environments.get("results", environments)
        if isinstance(environments, dict)
        else environments
    )
    return {row["name"] for row in rows if row["status"] == "online"}


def _fetch_output(check, buyer: Client, job: dict) -> dict:
    """Outputs are served by the job pages (session sign-in), through nginx."""
    outputs = {out["path"]: out["url"] for out in job["outputs"]}
    if "digests.json" not in outputs:
        raise ApiFailure(f"no digests.json among the outputs {sorted(outputs)}")
    pages = buyer.browser_sign_in()
    reply = pages.get(check.stack.url + outputs["digests.json"], timeout=30)
    if reply.status_code != 200:
        raise ApiFailure(f"output download → {reply.status_code}")
    return json.loads(reply.content)
