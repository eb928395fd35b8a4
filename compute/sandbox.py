"""The bubblewrap sandbox a job runs in. No Django here: the runner stages the directories and
the benchmark calls it directly.

Layers, outermost first, and why each is there:
- `prlimit`: RLIMIT_NPROC (fork bombs), RLIMIT_AS (memory; not for GPU jobs, whose driver maps
  far more address space than it uses), RLIMIT_FSIZE (no single file past the output cap),
  RLIMIT_CPU (a backstop to the wall-clock limit), no core dumps.
- `bwrap` (run as root, so it can bind any path the host has): new pid, net, ipc and uts
  namespaces (no network: only a loopback with nothing behind it), a root made only of
  read-only /usr, the Python runtime, /data, /inputs and /algo, a writable /out and a tmpfs
  /tmp; a cleared environment; --die-with-parent so killing bwrap kills the whole tree.
- `setpriv` inside: drops to an unprivileged uid of its own with no capabilities and
  no_new_privs. This matters: RLIMIT_NPROC is not enforced for root, and each job gets a
  distinct uid because the process count is per uid across the machine.
- a second, unprivileged `bwrap --unshare-user --disable-userns` (where the host allows user
  namespaces at all): the job cannot make a user namespace of its own, so it can never be
  "root" somewhere and mount a tmpfs no limit bounds; it also loads the seccomp filter
  (compute/seccomp.py: no unshare, mount, keyctl, bpf, io_uring, ptrace, perf events...).
- memory: /tmp and /dev/shm are size-capped tmpfs mounts, world-writable and sticky; their
  sizes are taken out of RLIMIT_AS, so process memory and in-memory files together stay
  within the job's memory limit."""

from __future__ import annotations

import glob
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from compute.seccomp import filter_fd

BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass
class SandboxSpec:
    algo_dir: Path
    data_dir: Path
    inputs_dir: Path
    out_dir: Path
    entry_point: str
    uid: int
    time_limit_seconds: float
    memory_mb: int
    max_processes: int = 64
    output_max_bytes: int = 100 * 1024**2
    tmp_max_bytes: int = 256 * 1024**2
    gpu_count: int = 0
    cpu_count: int = 1
    python: str = sys.executable
    ro_paths: list[str] = field(default_factory=list)
    gpu_paths: list[str] = field(default_factory=list)
    seccomp: bool = True
    # None: wherever the host lets unprivileged users create user namespaces (else there is
    # nothing to disable).
    disable_userns: bool | None = None

    @property
    def shm_bytes(self) -> int:
        return min(64 * 1024**2, self.memory_bytes // 16)

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 1024 * 1024

    @property
    def tmpfs_bytes(self) -> int:
        """/tmp's size: the configured cap, but at most a quarter of the job's memory, since a
        tmpfs is memory that RLIMIT_AS does not count."""
        return min(self.tmp_max_bytes, self.memory_bytes // 4)

    @property
    def address_space_bytes(self) -> int:
        """RLIMIT_AS: the job's memory less its tmpfs mounts, so that the process and its
        in-memory files together stay within the memory limit."""
        return self.memory_bytes - self.tmpfs_bytes - self.shm_bytes


@dataclass
class SandboxResult:
    exit_code: int | None  # None when killed by a signal
    signal: int | None
    timed_out: bool
    cancelled: bool
    wall_seconds: float


def runtime_paths(python: str) -> list[str]:
    """What the interpreter needs besides /usr: its prefix (a pyenv or venv install outside
    /usr) and, for a venv, the base installation it points to."""
    paths = []
    resolved = Path(python).resolve()
    prefix = resolved.parent.parent
    if not str(prefix).startswith("/usr"):
        paths.append(str(prefix))
    venv_cfg = Path(python).parent.parent / "pyvenv.cfg"
    if venv_cfg.exists():
        paths.append(str(Path(python).parent.parent))
    return list(dict.fromkeys(paths))


def _root_links() -> list[str]:
    """/bin, /lib, /lib64, /sbin as the host has them: symlinks into /usr (merged /usr) or
    read-only binds."""
    args = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    return args


def _gpu_args(spec: SandboxSpec) -> list[str]:
    """The NVIDIA device nodes (and what the driver reads) only for GPU environments."""
    if spec.gpu_count <= 0:
        return []
    args = []
    for node in sorted(glob.glob("/dev/nvidia*")):
        args += ["--dev-bind", node, node]
    for path in ["/sys", "/proc/driver/nvidia", *spec.gpu_paths]:
        if Path(path).exists() and not path.startswith("/proc"):
            args += ["--ro-bind", path, path]
    devices = ",".join(str(i) for i in range(spec.gpu_count))
    return args + ["--setenv", "CUDA_VISIBLE_DEVICES", devices]


def userns_available() -> bool:
    """Whether an unprivileged process could create a user namespace here."""
    for path, minimum in (
        ("/proc/sys/kernel/unprivileged_userns_clone", 1),
        ("/proc/sys/user/max_user_namespaces", 1),
    ):
        try:
            if int(Path(path).read_text().strip()) < minimum:
                return False
        except (OSError, ValueError):
            continue
    return True


def command(spec: SandboxSpec, *, seccomp_fd: int | None = None) -> list[str]:
    limits = [
        f"--nproc={spec.max_processes}",
        f"--fsize={spec.output_max_bytes + 1}",
        f"--cpu={int(spec.time_limit_seconds) * max(spec.cpu_count, 1) + 5}",
        "--core=0",
        "--nofile=1024",
    ]
    if spec.gpu_count <= 0:
        limits.append(f"--as={spec.address_space_bytes}")
    disable = userns_available() if spec.disable_userns is None else spec.disable_userns
    seccomp = ["--seccomp", str(seccomp_fd)] if seccomp_fd is not None else []
    return [
        "prlimit",
        *limits,
        "--",
        *_outer_bwrap(spec),
        *([] if disable else seccomp),
        "setpriv",
        *(f"--reuid={spec.uid}", f"--regid={spec.uid}", "--clear-groups"),
        *("--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"),
        *(_inner_bwrap(seccomp) if disable else []),
        *(spec.python, "-I", f"/algo/{spec.entry_point}"),
    ]


def _outer_bwrap(spec: SandboxSpec) -> list[str]:
    """bwrap as root: namespaces, the file system the job sees, its environment."""
    binds = ["--ro-bind", "/usr", "/usr", *_root_links()]
    paths = [*runtime_paths(spec.python), *spec.ro_paths]
    # The directories above a bound path, made traversable (0755) and empty: bwrap would
    # create them like the host's (/root is 0700), and the job's uid could not reach its
    # interpreter.
    parents = sorted({str(p) for path in paths for p in Path(path).parents if str(p) != "/"})
    for parent in sorted(parents, key=lambda p: p.count("/")):
        binds += ["--perms", "0755", "--dir", parent]
    for path in paths:
        binds += ["--ro-bind", path, path]
    threads = str(max(spec.cpu_count, 1))
    env = {
        "PATH": BASE_PATH,
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
    }
    return [
        "bwrap",
        *("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"),
        *("--unshare-cgroup-try", "--die-with-parent", "--new-session"),
        # /tmp first: binds made after it stay visible even when they live under /tmp (a
        # checkout or venv there), where a later tmpfs would hide them. World-writable and
        # sticky like any /tmp, and sized so that it fits in the job's memory.
        *("--perms", "1777", "--size", str(spec.tmpfs_bytes), "--tmpfs", "/tmp"),
        *binds,
        *("--proc", "/proc", "--dev", "/dev"),
        *("--perms", "1777", "--size", str(spec.shm_bytes), "--tmpfs", "/dev/shm"),
        *("--ro-bind", str(spec.data_dir), "/data"),
        *("--ro-bind", str(spec.inputs_dir), "/inputs"),
        *("--ro-bind", str(spec.algo_dir), "/algo"),
        *("--bind", str(spec.out_dir), "/out"),
        *_gpu_args(spec),
        *("--chdir", "/out", "--clearenv"),
        *[arg for name, value in env.items() for arg in ("--setenv", name, value)],
    ]


def _inner_bwrap(seccomp: list[str]) -> list[str]:
    """After dropping to the job's uid: a second, unprivileged bwrap whose only purpose is
    `--disable-userns` (it needs a user namespace of its own, which the root-run outer one
    cannot have and still bind every path) and, last before the job, the seccomp filter. Where
    user namespaces are off on the host there is nothing to disable, and the outer bwrap loads
    the filter instead (see command)."""
    return [
        "bwrap",
        *("--unshare-user", "--disable-userns", "--die-with-parent"),
        *("--bind", "/", "/", "--dev-bind", "/dev", "/dev", *seccomp, "--"),
    ]


def prepare_out_dir(spec: SandboxSpec) -> None:
    """/out belongs to the job's uid (it writes there and nowhere else)."""
    os.chown(spec.out_dir, spec.uid, spec.uid)
    spec.out_dir.chmod(0o700)


def run(
    spec: SandboxSpec,
    *,
    on_output: Callable[[bytes], None],
    should_cancel: Callable[[], bool] = lambda: False,
    poll_seconds: float = 0.1,
    argv: list[str] | None = None,
) -> SandboxResult:
    """Run the sandbox to the end, the time limit, or a cancel; feed stdout+stderr to
    `on_output` as it comes. `argv` replaces the command (the benchmark's bare run)."""
    prepare_out_dir(spec)
    started = time.monotonic()
    seccomp_fd = filter_fd() if spec.seccomp and argv is None else None
    try:
        process = subprocess.Popen(
            argv or command(spec, seccomp_fd=seccomp_fd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
            env={"PATH": BASE_PATH},
            pass_fds=() if seccomp_fd is None else (seccomp_fd,),
        )
    finally:
        if seccomp_fd is not None:
            os.close(seccomp_fd)  # the sandbox has its own copy
    os.set_blocking(process.stdout.fileno(), False)
    timed_out = cancelled = False
    status = None
    try:
        while status is None:
            _pump(process, on_output, poll_seconds)
            pid, status_ = os.waitpid(process.pid, os.WNOHANG)
            if pid:
                status = status_
                break
            if time.monotonic() - started > spec.time_limit_seconds:
                timed_out = True
            elif should_cancel():
                cancelled = True
            if timed_out or cancelled:
                _kill(process)
                _, status = os.waitpid(process.pid, 0)
        _drain(process, on_output)
    finally:
        if status is None:  # interrupted: leave nothing running
            _kill(process)
            process.wait()
        else:
            process.returncode = os.waitstatus_to_exitcode(status)  # reaped above
        process.stdout.close()
    code = os.waitstatus_to_exitcode(status)
    return SandboxResult(
        exit_code=code if code >= 0 else None,
        signal=-code if code < 0 else None,
        timed_out=timed_out,
        cancelled=cancelled,
        wall_seconds=time.monotonic() - started,
    )


def _pump(process, on_output, timeout: float) -> None:
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if ready:
        data = process.stdout.read(64 * 1024)
        if data:
            on_output(data)


def _drain(process, on_output) -> None:
    """What the job wrote just before it ended. Everything in the sandbox is dead by now (the
    pid namespace went with bwrap), so the pipe reaches EOF."""
    os.set_blocking(process.stdout.fileno(), True)
    while data := process.stdout.read(64 * 1024):
        on_output(data)


def _kill(process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
