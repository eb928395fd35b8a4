"""Issue 15: the escape suite. Each test is an attack a buyer's script could make from inside
the bubblewrap sandbox (really run here, through the runner); each must be contained. The
older containment tests (network, host files, time, memory, fork bomb, output size, symlinks)
live in test_sandbox.py; docs/security.md lists both."""

import os
import platform
import textwrap

import pytest

from compute import sandbox, seccomp
from compute.models import Job
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, log_of, submit

pytestmark = pytest.mark.django_db(transaction=True)
S = Job.Status
# ctypes calls into libc: the errno each attack gets, or OK when it worked.
PRELUDE = """
import ctypes, ctypes.util, os
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
def attempt(name, result):
    print(name, "OK" if result == 0 or (result > 0 and name != "clone3") else
          os.strerror(ctypes.get_errno()) or f"errno {ctypes.get_errno()}", flush=True)
"""


@pytest.fixture
def setup(compute_settings):
    host = environment(max_duration_seconds=20)
    listing = dataset_listing(hosts=[host])
    return listing, buyer_with_licence(listing), host


def run(setup, source: str, **request) -> tuple[Job, str]:
    listing, owner, host = setup
    job = submit(listing, owner, host, PRELUDE + textwrap.dedent(source), **request)
    job.refresh_from_db()
    return job, log_of(job)


def test_no_user_namespace_no_mount(setup):
    job, log = run(
        setup,
        """
        import subprocess
        attempt("unshare_user", libc.unshare(0x10000000))
        attempt("unshare_mount", libc.unshare(0x00020000))
        os.makedirs("/tmp/m", exist_ok=True)
        attempt("mount_tmpfs", libc.mount(b"tmpfs", b"/tmp/m", b"tmpfs", 0, b"size=1g"))
        # The util-linux tool, the way the attack in issue 15 became root in its namespace.
        tool = subprocess.run(["unshare", "-Ur", "sh", "-c", "mount -t tmpfs t /tmp/m && id -u"],
                              capture_output=True, text=True)
        print("unshare_tool", "OK" if tool.returncode == 0 else "refused", tool.stdout.strip())
        """,
    )
    assert job.status == S.SUCCEEDED, (job.reason, log)
    for attack in ("unshare_user", "unshare_mount", "mount_tmpfs"):
        assert f"{attack} Operation not permitted" in log, log
    assert "unshare_tool refused" in log and "unshare_tool OK" not in log


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86_64 system call numbers")
def test_kernel_interfaces_are_filtered(setup):
    # x86_64 numbers: keyctl 250, bpf 321, io_uring_setup 425, ptrace 101,
    # perf_event_open 298, settimeofday 164, clock_settime 227, setns 308, clone3 435.
    job, log = run(
        setup,
        """
        calls = {"keyctl": (250, 0, 0), "bpf": (321, 0, 0, 0), "io_uring_setup": (425, 8, 0),
                 "ptrace": (101, 16, 1), "perf_event_open": (298, 0, 0, -1, -1, 0),
                 "settimeofday": (164, 0, 0), "clock_settime": (227, 0, 0), "setns": (308, 0, 0),
                 "clone3": (435, 0, 0)}
        for name, args in calls.items():
            attempt(name, libc.syscall(*args))
        """,
    )
    assert job.status == S.SUCCEEDED, (job.reason, log)
    for name in ("keyctl", "bpf", "io_uring_setup", "ptrace", "perf_event_open",
                 "settimeofday", "clock_settime", "setns"):  # fmt: skip
        assert f"{name} Operation not permitted" in log, log
    assert "clone3 Function not implemented" in log, log


def test_tmp_is_writable_but_capped_and_shm_too(setup, settings):
    settings.COMPUTE_TMP_MAX_BYTES = 4 * 1024**2
    # Files of 60 KiB (RLIMIT_FSIZE stops any one file at the 64 KiB output cap here) until
    # the tmpfs is full.
    job, log = run(
        setup,
        """
        import errno
        for place in ("/tmp", "/dev/shm"):
            written = 0
            try:
                for i in range(4096):
                    with open(f"{place}/fill{i}", "wb") as f:
                        f.write(b"x" * 60 * 1024)
                    written += 60
                print(place, "UNCAPPED", written)
            except OSError as exc:
                print(place, "full" if exc.errno == errno.ENOSPC else exc.errno, written // 1024)
        for place in ("/", "/dev", "/usr", "/data"):
            try:
                open(place + "/x", "w")
                print("WROTE", place)
            except OSError:
                print("read-only", place)
        """,
    )
    assert job.status == S.SUCCEEDED, (job.reason, log)
    assert "/tmp full 3" in log, log  # 4 MiB, less the file system's own blocks
    assert "/dev/shm full" in log and "UNCAPPED" not in log and "WROTE" not in log, log


def test_tmpfs_and_memory_together_stay_within_the_job_memory():
    spec = sandbox.SandboxSpec(
        algo_dir="a", data_dir="d", inputs_dir="i", out_dir="o", entry_point="m.py", uid=1,
        time_limit_seconds=5, memory_mb=512, tmp_max_bytes=10**12,
    )  # fmt: skip
    assert spec.address_space_bytes + spec.tmpfs_bytes + spec.shm_bytes == 512 * 1024**2
    assert spec.tmpfs_bytes == 128 * 1024**2


def test_links_out_of_the_sandbox_release_nothing(setup):
    job, log = run(
        setup,
        """
        for name, target in (("data", "/data/table.csv"), ("host", "/etc/hostname")):
            try:
                os.link(target, f"/out/hard-{name}")
                print("HARDLINK", name)
            except OSError as exc:
                print("no hardlink", name, exc.errno)
            os.symlink(target, f"/out/sym-{name}")
        open("/out/result.txt", "w").write("ok")
        """,
    )
    assert job.status == S.SUCCEEDED, (job.reason, log)
    assert "HARDLINK" not in log and log.count("no hardlink") == 2
    assert [o.path for o in job.outputs.all()] == ["result.txt"]  # symlinks are not followed


def test_too_many_output_files_are_refused(setup, settings):
    settings.COMPUTE_OUTPUT_MAX_FILES = 50
    job, log = run(setup, "for i in range(200): open(f'/out/f{i}', 'w').write('.')\n")
    assert job.status == S.FAILED and "more than 50 files" in job.reason, (job.reason, log)
    assert not job.outputs.exists()


def test_the_filter_compiles_on_this_machine():
    assert len(seccomp.compiled()) > 100
    fd = seccomp.filter_fd()
    try:
        assert os.read(fd, 1 << 16) == seccomp.compiled()
    finally:
        os.close(fd)
