"""The sandbox, through the real runner: each job really runs under bubblewrap on this
machine (no mocks), staged from the artifact store, with small limits so each takes well under
a couple of seconds."""

import socket
import textwrap

import pytest

from compute.models import Job
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, log_of, submit

pytestmark = pytest.mark.django_db(transaction=True)
S = Job.Status


@pytest.fixture
def setup(compute_settings):
    host = environment(max_duration_seconds=20)
    listing = dataset_listing(hosts=[host])
    return listing, buyer_with_licence(listing), host


def run(setup, source: str, **request) -> Job:
    listing, owner, host = setup
    job = submit(listing, owner, host, textwrap.dedent(source), **request)
    job.refresh_from_db()
    return job


def test_a_job_reads_its_data_and_writes_results(setup):
    job = run(
        setup,
        """
        import os
        rows = open("/data/table.csv").read().splitlines()
        print("rows:", len(rows) - 1, "uid:", os.getuid())
        os.makedirs("/out/sub")
        open("/out/sum.txt", "w").write(str(sum(int(r.split(",")[1]) for r in rows[1:])))
        open("/out/sub/n.txt", "w").write("3")
        """,
    )
    assert job.status == S.SUCCEEDED, (job.reason, log_of(job))
    assert job.exit_code == 0 and job.started_at and job.finished_at
    assert "rows: 3 uid: 2" in log_of(job)  # an unprivileged uid (200000 + ...)
    outputs = {o.path: o.artifact for o in job.outputs.all()}
    assert set(outputs) == {"sum.txt", "sub/n.txt"}
    assert outputs["sum.txt"].size == 2
    assert job.output_digest.startswith("0x") and job.output_manifest is not None
    assert [c.to_status for c in job.status_changes.all()] == [
        "queued",
        "staging",
        "running",
        "publishing",
        "succeeded",
    ]
    assert job.usage.wall_seconds >= 1 and job.usage.gpu_seconds == 0


def test_no_network(setup):
    listener = socket.create_server(("127.0.0.1", 0))  # a host port the job must not reach
    port = listener.getsockname()[1]
    try:
        job = run(
            setup,
            f"""
            import socket
            for address in [("127.0.0.1", {port}), ("1.1.1.1", 80)]:
                try:
                    socket.create_connection(address, timeout=1)
                    print("CONNECTED", address)
                except OSError as exc:
                    print("refused", address, type(exc).__name__)
            """,
        )
    finally:
        listener.close()
    log = log_of(job)
    assert job.status == S.SUCCEEDED, log
    assert "CONNECTED" not in log and log.count("refused") == 2


def test_the_dataset_cannot_be_written(setup):
    job = run(
        setup,
        """
        import os
        for attempt in (lambda: open("/data/table.csv", "a"), lambda: open("/data/new", "w"),
                        lambda: os.remove("/data/table.csv"), lambda: open("/algo/main.py", "a")):
            try:
                attempt()
                print("WROTE")
            except OSError as exc:
                print("denied", exc.errno)
        """,
    )
    log = log_of(job)
    assert job.status == S.SUCCEEDED, log
    assert "WROTE" not in log and log.count("denied") == 4


def test_files_outside_the_staged_inputs_cannot_be_read(setup, settings):
    secret = settings.BASE_DIR / "manage.py"
    job = run(
        setup,
        f"""
        import os
        paths = [{str(secret)!r}, "/etc/passwd", "/root/.bashrc", {str(settings.ARTIFACT_ROOT)!r}]
        for path in paths:
            try:
                open(path).read() if not os.path.isdir(path) else os.listdir(path)
                print("READ", path)
            except OSError as exc:
                print("unreadable", exc.errno)
        print(sorted(os.listdir("/")))
        """,
    )
    log = log_of(job)
    assert job.status == S.SUCCEEDED, log
    assert "READ" not in log and log.count("unreadable") == 4


def test_the_time_limit_kills_a_runaway_job(setup):
    job = run(setup, "print('spinning', flush=True)\nwhile True: pass\n", max_seconds=1)
    assert job.status == S.TIMED_OUT
    assert "time limit of 1 s" in job.reason
    assert "spinning" in log_of(job)


def test_the_memory_limit_stops_a_hog(setup):
    job = run(setup, "hog = bytearray(2 * 1024**3)\nprint('ALLOCATED')\n")  # host: 512 MiB
    assert job.status == S.FAILED
    assert "ran out of memory (limit 512 MiB)" in job.reason
    assert "ALLOCATED" not in log_of(job)


def test_a_fork_bomb_is_contained(setup, settings):
    settings.COMPUTE_SANDBOX_MAX_PROCESSES = 16
    job = run(
        setup,
        """
        import os, time
        children = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                children += 1
        except OSError as exc:
            print("fork refused after", children, exc.errno)
        """,
        max_seconds=5,
    )
    log = log_of(job)
    assert job.status == S.SUCCEEDED, log
    children = int(log.split("fork refused after ")[1].split()[0])
    assert children < 16
    # The sleeping children died with the sandbox: none of the job's uid is left.
    uid = 200_000 + job.pk % 50_000
    import subprocess

    left = subprocess.run(["pgrep", "-u", str(uid)], capture_output=True, text=True).stdout
    assert left.strip() == ""


def test_output_over_the_cap_fails_the_job(setup):
    job = run(
        setup,
        """
        for i in range(3):
            open(f"/out/part{i}", "wb").write(b"x" * 30 * 1024)  # 90 KiB > 64 KiB cap
        print("written")
        """,
    )
    assert job.status == S.FAILED
    assert "more than the output limit of 65536 bytes" in job.reason
    assert job.outputs.count() == 0


def test_a_symlink_in_out_is_not_followed(setup):
    job = run(setup, "import os\nos.symlink('/data/table.csv', '/out/link')\nopen('/out/a','w')\n")
    assert job.status == S.SUCCEEDED, log_of(job)
    assert list(job.outputs.values_list("path", flat=True)) == ["a"]


def test_a_failing_script_fails_the_job_with_its_exit_code(setup):
    job = run(setup, "import sys\nprint('bad input')\nsys.exit(3)\n")
    assert job.status == S.FAILED and job.exit_code == 3
    assert job.reason == "The job exited with code 3."
