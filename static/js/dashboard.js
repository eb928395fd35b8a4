// The dashboard page: revenue charts, and a Withdraw button per credited currency. Withdraw:
// the server builds withdraw(currency, to) → the wallet sends it → pending → confirmed n/N →
// indexed (the ledger shows the Withdrawn event) → the balance reads zero.
import { startCharts } from "./dashboard-chart.js";
import { apiGet, apiPost } from "./api.js";
import { connectWallet, errorText, sendAndConfirm, waitUntil } from "./dashboard-tx.js";
import { clearMessages, showMessage } from "./messages.js";
import { formatAmount } from "./wei.js";
import { setStatus } from "./dom.js";

const config = JSON.parse(document.getElementById("dashboard-config").textContent);

function rowStatus(row, state, text) {
  setStatus(row.querySelector("[data-withdraw-status]"), state, text);
}

function showBalance(row, balance) {
  for (const key of ["onchain", "ledger"]) {
    const cell = row.querySelector(`[data-balance-${key}]`);
    cell.dataset.wei = balance[key].wei;
    cell.textContent = formatAmount(balance[key].wei, balance.currency);
  }
  row.querySelector("[data-balance-agrees]").textContent = balance.agrees
    ? "yes"
    : "not yet: recent transactions are still being read";
}

async function withdraw(row, button) {
  const currency = row.dataset.currency;
  button.disabled = true;
  clearMessages();
  try {
    rowStatus(row, "preparing", "Preparing the transaction…");
    const prepared = await apiPost(config.api.withdraw, { currency });
    rowStatus(row, "wallet", "Confirm the withdrawal in your wallet…");
    const { provider } = await connectWallet("withdrawal");
    const receipt = await sendAndConfirm(provider, prepared.transaction, {
      what: "withdrawal",
      confirmations: config.confirmations,
      onStatus: (state, detail) => {
        if (state === "pending") {
          row.querySelector("[data-withdraw-tx]").textContent = detail;
          rowStatus(row, "pending", "Pending: waiting for the transaction to be mined…");
        } else if (state === "confirming") {
          rowStatus(row, "confirming", `Confirmed in a block: ${detail} confirmations`);
        }
      },
    });
    rowStatus(row, "confirmed", "Confirmed. Waiting for the marketplace to record it…");
    const balance = await waitUntil(async () => {
      const data = await apiGet(config.api.balances);
      const found = data.balances.find((b) => b.currency.address === currency);
      return found && found.ledger.wei === "0" && found.onchain.wei === "0" ? found : null;
    });
    showBalance(row, balance);
    button.remove(); // nothing left to withdraw in this currency
    rowStatus(row, "indexed", `Withdrawn ${formatAmount(prepared.amount_wei, prepared.currency)} (block ${Number(receipt.blockNumber)}).`);
    showMessage(`Withdrawn ${formatAmount(prepared.amount_wei, prepared.currency)} to ${prepared.to}.`, "success");
  } catch (error) {
    rowStatus(row, "failed", errorText(error));
    showMessage(errorText(error), "error");
    button.disabled = false;
  }
}

for (const row of document.querySelectorAll("[data-balance-row]")) {
  const button = row.querySelector("[data-withdraw]");
  if (button) button.addEventListener("click", () => withdraw(row, button));
}
startCharts("dashboard-config");
