// The receipt page (templates/compute/receipt.html): reads the JobReceipt attestation back from
// the chain (GET /api/v1/compute/receipts/<uid>, which calls EAS), compares every field with
// the job as the site recorded it, and hashes the downloaded manifest here in the browser: the
// chain's outputDigest must be its sha256. The verdict is said in words, not as JSON.

const box = document.querySelector("[data-receipt-verify]");
const expected = JSON.parse(document.getElementById("receipt-expected").textContent);

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`the chain could not be read (HTTP ${response.status})`);
  return response.json();
}

async function sha256Hex(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`the manifest could not be downloaded (HTTP ${response.status})`);
  const digest = await crypto.subtle.digest("SHA-256", await response.arrayBuffer());
  return "0x" + [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const same = (a, b) => String(a).toLowerCase() === String(b).toLowerCase();
const sameList = (a, b) => a.length === b.length && a.every((value, i) => same(value, b[i]));

function check(ok, good, bad) {
  const item = document.createElement("li");
  item.className = ok ? "is-done" : "is-missing";
  item.dataset.ok = String(ok);
  item.textContent = ok ? good : bad;
  return item;
}

async function verify() {
  const chain = await getJson(box.dataset.receiptUrl);
  const when = new Date(chain.time * 1000).toLocaleString();
  const checks = [
    check(!chain.revoked, `Attested on ${when} and not revoked.`, "The attestation was revoked."),
    check(
      same(chain.algorithm_digest, expected.algorithm),
      "The script that ran is the one you submitted (same sha256).",
      "The chain names a different script.",
    ),
    check(
      sameList(chain.input_digests, expected.inputs),
      `It read the same ${expected.inputs.length} input file(s).`,
      "The chain lists different inputs.",
    ),
    check(same(chain.host, expected.host), `It ran on host “${chain.host}”.`, `The chain says host “${chain.host}”.`),
    check(
      same(chain.recipient, expected.recipient),
      "The receipt is addressed to your wallet.",
      "The receipt is addressed to another wallet.",
    ),
  ];
  if (expected.output) {
    checks.push(
      check(
        same(chain.output_digest, expected.output),
        "The results recorded here are the ones attested.",
        "The chain attests different results.",
      ),
    );
  }
  if (box.dataset.manifestUrl) {
    const local = await sha256Hex(box.dataset.manifestUrl);
    checks.push(
      check(
        same(local, chain.output_digest),
        "The manifest you can download hashes, in this browser, to the attested digest.",
        "The manifest you can download does not hash to the attested digest.",
      ),
    );
  }
  box.querySelector("[data-verify-checks]").replaceChildren(...checks);
  const failed = checks.filter((item) => item.dataset.ok !== "true").length;
  const verdict = box.querySelector("[data-verify-verdict]");
  verdict.dataset.matches = String(!failed);
  verdict.textContent = failed
    ? `Does not match: ${failed} of ${checks.length} checks failed.`
    : "Matches: the receipt on chain agrees with this job on every point.";
}

verify().catch((error) => {
  const verdict = box.querySelector("[data-verify-verdict]");
  verdict.dataset.matches = "unknown";
  verdict.textContent = `Not checked: ${error.message}.`;
});
