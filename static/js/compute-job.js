// The compute job page: streams the log and follows the status while the job runs, then
// reloads once it has finished (results and receipt are rendered by the server).

const POLL_MS = 700;
const RECEIPT_POLL_MS = 1500;
const RECEIPT_TRIES = 40;

const root = document.querySelector("[data-compute-job]");

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

function showStatus(data) {
  const badge = root.querySelector("[data-job-status]");
  badge.textContent = data.status_display;
  badge.dataset.status = data.status;
  badge.className = `badge badge-status badge-${data.status}`;
  root.querySelector("[data-job-reason]").textContent = data.reason || "—";
  root.querySelector("[data-job-exit]").textContent = data.exit_code ?? "—";
}

async function followLog() {
  const log = root.querySelector("[data-job-log]");
  let after = 0;
  for (;;) {
    let data;
    try {
      data = await getJson(`${root.dataset.logUrl}?after=${after}`);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS * 3));
      continue;
    }
    if (data.text) {
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.append(document.createTextNode(data.text));
      if (atBottom) log.scrollTop = log.scrollHeight;
    }
    after = data.next;
    showStatus(data);
    if (data.finished) return data;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function waitForReceipt() {
  for (let i = 0; i < RECEIPT_TRIES; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, RECEIPT_POLL_MS));
    try {
      const job = await getJson(root.dataset.jobUrl);
      if (job.receipt_uid) return true;
    } catch {
      // keep trying: the page stays usable meanwhile
    }
  }
  return false;
}

async function main() {
  if (!root) return;
  const wasFinished = root.dataset.finished === "true";
  await followLog();
  if (!wasFinished) {
    window.location.reload();
    return;
  }
  if (root.dataset.attesting === "true" && (await waitForReceipt())) window.location.reload();
}

main();
