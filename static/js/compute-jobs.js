// My jobs (templates/compute/job_list.html): the status of every unfinished job follows the
// server (GET /api/v1/compute/jobs/<uuid>) until it finishes; finished rows are left alone.

const POLL_MS = 2000;
// compute.models.Job.Status, as the job API reports `status`.
const LABELS = {
  queued: "Queued",
  staging: "Staging inputs",
  running: "Running",
  publishing: "Publishing results",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
  timed_out: "Timed out",
};
const FINISHED = ["succeeded", "failed", "cancelled", "timed_out"];

async function refresh(row) {
  const response = await fetch(row.dataset.jobUrl, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) return;
  const job = await response.json();
  const badge = row.querySelector("[data-job-status]");
  badge.textContent = LABELS[job.status] || job.status;
  badge.dataset.status = job.status;
  badge.className = `badge badge-status badge-${job.status}`;
  if (FINISHED.includes(job.status)) row.dataset.finished = "true";
}

async function poll() {
  const rows = [...document.querySelectorAll('[data-job][data-finished="false"]')];
  if (!rows.length) return;
  await Promise.all(rows.map((row) => refresh(row).catch(() => {})));
  setTimeout(poll, POLL_MS);
}

setTimeout(poll, POLL_MS);
