"""A real PyTorch job on the GPU inside the sandbox. Runs only on a machine with an NVIDIA GPU
and a COMPUTE_SANDBOX_PYTHON that has torch (skipped elsewhere, with the reason)."""

import glob
import subprocess

import pytest
from django.conf import settings

from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, log_of, submit

GPU_JOB = """
import time, torch
assert torch.cuda.is_available(), "no CUDA in the sandbox"
a = torch.randn(4096, 4096, device="cuda")
torch.cuda.synchronize()
start = time.perf_counter()
for _ in range(20):
    b = a @ a
torch.cuda.synchronize()
seconds = time.perf_counter() - start
print("device", torch.cuda.get_device_name(0))
print(f"tflops {20 * 2 * 4096**3 / seconds / 1e12:.1f}")
open("/out/gpu.txt", "w").write(torch.cuda.get_device_name(0))
"""


def _torch_cuda() -> bool:
    probe = "import torch; print(torch.cuda.is_available())"
    done = subprocess.run(
        [settings.COMPUTE_SANDBOX_PYTHON, "-c", probe], capture_output=True, text=True
    )
    return done.stdout.strip() == "True"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not glob.glob("/dev/nvidia0"), reason="no NVIDIA GPU on this machine")
def test_a_pytorch_job_runs_on_the_gpu_in_the_sandbox(compute_settings):
    if not _torch_cuda():
        pytest.skip("COMPUTE_SANDBOX_PYTHON has no torch with CUDA")
    compute_settings.COMPUTE_SANDBOX_MAX_PROCESSES = 256  # CUDA starts threads
    host = environment(gpu_count=1, gpu_model="any", ram_mb=64 * 1024, max_duration_seconds=300)
    listing = dataset_listing(hosts=[host])
    job = submit(listing, buyer_with_licence(listing), host, GPU_JOB)
    job.refresh_from_db()
    print(log_of(job))
    assert job.status == "succeeded", (job.reason, log_of(job))
    assert "device " in log_of(job) and job.usage.gpu_seconds >= 1
