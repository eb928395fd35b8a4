"""The seccomp filter every sandboxed job runs under, built with libseccomp (pyseccomp, a ctypes
binding to the system's libseccomp2) and handed to bubblewrap as compiled BPF (`--seccomp FD`).

Default allow, and a deny-list of the system calls a data-processing job never needs and that
sandbox escapes start from: new namespaces (the way to become "root" and mount a tmpfs that no
limit bounds), mounts, the kernel keyring, eBPF, io_uring (its own path around seccomp),
ptrace and cross-process memory access, perf events, module loading, changing the clock, and
the like. A denied call fails with EPERM (clone3 with ENOSYS, so that libc falls back to clone,
whose namespace flags are checked)."""

from __future__ import annotations

import errno
import logging
import os
import tempfile
from functools import cache

logger = logging.getLogger(__name__)

DENIED = (
    # namespaces and mounts
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # kernel keyring, eBPF, io_uring, userfaultfd
    "keyctl", "add_key", "request_key", "bpf", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "userfaultfd",
    # other processes and the kernel
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "perf_event_open",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "fanotify_init",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "syslog", "vhangup", "iopl", "ioperm",
    # the clock
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
)  # fmt: skip
CLONE_NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)


@cache
def compiled() -> bytes:
    """The filter as BPF for this machine's architecture (built once per process)."""
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED:
        try:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (RuntimeError, ValueError, OSError):
            logger.warning("seccomp: %s is unknown on this system; not filtered", name)
    for flag in CLONE_NAMESPACE_FLAGS:
        rules.add_rule(
            seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag)
        )
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    with tempfile.TemporaryFile() as out:
        rules.export_bpf(out)
        out.seek(0)
        return out.read()


def filter_fd() -> int:
    """A readable descriptor holding the compiled filter, at offset 0, for `bwrap --seccomp`.
    The caller passes it to the sandbox and closes it afterwards."""
    read, write = os.pipe()
    program = compiled()
    if len(program) > 60_000:  # a pipe buffer holds 64 KiB: writing more would block
        os.close(read)
        os.close(write)
        raise RuntimeError("the seccomp filter is larger than a pipe buffer")
    os.write(write, program)
    os.close(write)
    return read
