// The platform fee page (site admins): the server checks the fee against the contract's cap
// and the admin's role and builds setPlatformFee; the admin's wallet sends it; the page
// follows it until the indexer has recorded PlatformFeeUpdated, then shows the new fee. A
// rise is announced by the contract instead (it applies after a notice period): the page says so.
import { apiGet, apiPost } from "./api.js";
import { connectWallet, errorText, sendAndConfirm, waitUntil } from "./dashboard-tx.js";
import { clearMessages, showMessage } from "./messages.js";
import { setStatus } from "./dom.js";

const config = JSON.parse(document.getElementById("platform-config").textContent);
const form = document.querySelector("[data-fee-form]");
const node = document.querySelector("[data-fee-status]");

function status(state, text) {
  setStatus(node, state, text);
}

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const body = { bps: Number(form.bps.value), recipient: form.recipient.value.trim() };
    const prepared = await apiPost(config.api.prepare, body);
    const { provider } = await connectWallet("fee change");
    const receipt = await sendAndConfirm(provider, prepared.transaction, {
      what: "fee change",
      confirmations: config.confirmations,
      onStatus: (state, detail) => status(state, state === "pending" ? `Pending: ${detail}` : `Mined: ${detail} confirmations`),
    });
    if (prepared.announced) {
      // A rise is only announced: the contract applies it after its notice period.
      const days = Math.round(prepared.notice_seconds / 86400);
      status("announced", `Announced: ${prepared.bps} bps applies in ${days} days; sales until then keep ${prepared.old_bps} bps.`);
      showMessage(`Fee rise to ${prepared.bps} bps announced.`, "success");
      return;
    }
    status("confirmed", "Confirmed. Waiting for the marketplace to record it…");
    await waitUntil(async () => {
      const fee = await apiGet(config.api.fee);
      return fee.history.some((c) => c.tx_hash.toLowerCase() === receipt.transactionHash.toLowerCase());
    });
    status("indexed", `The fee is now ${prepared.bps} bps.`);
    const shown = document.querySelector("[data-testid=fee-bps]");
    shown.dataset.bps = String(prepared.bps);
    shown.textContent = `${prepared.bps} bps`;
    showMessage(`Platform fee set to ${prepared.bps} bps.`, "success");
  } catch (error) {
    status("failed", errorText(error));
    showMessage(errorText(error), "error");
  } finally {
    button.disabled = false;
  }
});
