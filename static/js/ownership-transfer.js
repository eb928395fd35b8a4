// Handing a listing over from its dashboard page: the server builds the ownership token's
// safeTransferFrom (and, for a listing never sold, the register transaction before it) and
// says what will change; nothing reaches the wallet until the owner has read that and ticked
// the box. Then each transaction is sent and confirmed in turn, and the page waits until the
// marketplace has recorded the new owner (the indexer, after CONFIRMATIONS blocks).
import { apiGet, apiPost } from "./api.js";
import { connectWallet, errorText, sendAndConfirm, waitUntil } from "./dashboard-tx.js";
import { clearMessages, showMessage } from "./messages.js";
import { setStatus } from "./dom.js";

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const panel = document.querySelector("[data-ownership-transfer]");

async function run(node, work) {
  clearMessages();
  try {
    await work();
  } catch (error) {
    setStatus(node, "failed", errorText(error));
    showMessage(errorText(error), "error");
  }
}

function showConsequences(prepared) {
  const list = panel.querySelector("[data-transfer-consequences]");
  list.replaceChildren(
    ...prepared.consequences.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }),
  );
  panel.querySelector("[data-transfer-review]").hidden = false;
}

function startTransfer() {
  if (!panel) return;
  const node = panel.querySelector("[data-transfer-status]");
  const send = panel.querySelector("[data-transfer-send]");
  const confirm = panel.querySelector("[data-transfer-confirm]");
  let prepared = null;
  confirm.addEventListener("change", () => {
    send.disabled = !(confirm.checked && prepared);
  });
  panel.querySelector("[data-transfer-form]").addEventListener("submit", (event) => {
    event.preventDefault();
    run(node, async () => {
      prepared = null;
      confirm.checked = false;
      send.disabled = true;
      setStatus(node, "preparing", "Checking the transfer…");
      prepared = await apiPost(config.api.transfer, { to: event.target.to.value.trim() });
      showConsequences(prepared);
      setStatus(node, "review", "Read what changes, tick the box, then sign in your wallet.");
    });
  });
  send.addEventListener("click", () =>
    run(node, async () => {
      if (!prepared || !confirm.checked) return;
      send.disabled = true;
      const { provider } = await connectWallet("ownership transfer");
      const steps = prepared.transactions;
      for (const [i, tx] of steps.entries()) {
        const what = tx.name === "register" ? "registration" : "ownership transfer";
        const step = steps.length > 1 ? ` (${i + 1}/${steps.length})` : "";
        await sendAndConfirm(provider, tx, {
          what,
          confirmations: config.confirmations,
          onStatus: (state, detail) => {
            if (state === "pending") setStatus(node, "pending", `Pending${step}: ${detail} sent, waiting to be mined…`);
            if (state === "confirming") setStatus(node, "confirming", `Mined${step}: ${detail} confirmations`);
          },
        });
      }
      setStatus(node, "confirmed", "Confirmed. Waiting for the marketplace to record the new owner…");
      const to = prepared.to.toLowerCase();
      await waitUntil(async () => (await apiGet(config.api.listing)).owner.toLowerCase() === to);
      setStatus(node, "indexed", `Done: ${prepared.to} owns the listing now.`);
      showMessage(`The listing now belongs to ${prepared.to}.`, "success");
      panel.dataset.done = "true";
    }),
  );
}

startTransfer();
