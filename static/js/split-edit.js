// A listing's dashboard page: the revenue chart, the split editor (review the current and the
// new split side by side, then send setSplits from the wallet, or sign a SplitUpdate the
// marketplace relays), tier price changes, and following each change until it is indexed.
import { startCharts } from "./dashboard-chart.js";
import { apiGet, apiPost } from "./api.js";
import { connectWallet, errorText, sendAndConfirm, waitUntil } from "./dashboard-tx.js";
import { clearMessages, showMessage } from "./messages.js";
import { signTypedData } from "./wallet.js";
import { setStatus } from "./dom.js";

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const editor = document.querySelector("[data-split-editor]");
let prepared = null;

function percent(bps) {
  return `${(bps / 100).toFixed(2).replace(/\.?0+$/, "")}%`;
}

// People write percentages ("12.5"); the contract counts hundredths of a percent. Parsed from
// the text, not through floats, so 12.34% is exactly 1234. NaN when it is not such a number.
function percentToBps(text) {
  const match = /^(\d{1,3})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  if (!match) return NaN;
  return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
}

function readSplits(form) {
  return [...form.querySelectorAll("[data-split-row]")].map((row) => ({
    address: row.querySelector("[name=address]").value.trim(),
    bps: percentToBps(row.querySelector("[name=percent]").value),
  }));
}

function addRow(rows) {
  const template = rows.querySelector("[data-split-row]");
  const row = template.cloneNode(true);
  for (const input of row.querySelectorAll("input")) input.value = "";
  rows.append(row);
}

function showComparison(comparison) {
  const body = editor.querySelector("[data-split-compare]");
  body.replaceChildren(
    ...comparison.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.address = row.address;
      const who = document.createElement("td");
      who.textContent = `${row.label} ${row.address}`;
      const before = document.createElement("td");
      before.textContent = percent(row.old_bps);
      before.dataset.old = String(row.old_bps);
      const after = document.createElement("td");
      after.textContent = percent(row.new_bps);
      after.dataset.new = String(row.new_bps);
      if (row.old_bps !== row.new_bps) after.className = "changed";
      tr.append(who, before, after);
      return tr;
    }),
  );
  editor.querySelector("[data-split-review]").hidden = false;
}

// Done when the changes API lists a split change in that transaction.
async function waitIndexed(txHash) {
  await waitUntil(async () => {
    const data = await apiGet(config.api.changes);
    return data.changes.some((c) => c.tx_hash.toLowerCase() === txHash.toLowerCase());
  });
}

async function run(node, work) {
  clearMessages();
  try {
    await work();
  } catch (error) {
    setStatus(node, "failed", errorText(error));
    showMessage(errorText(error), "error");
  }
}

function follow(node, what) {
  return (state, detail) => {
    if (state === "pending") setStatus(node, "pending", `Pending: ${what} ${detail} sent, waiting to be mined…`);
    if (state === "confirming") setStatus(node, "confirming", `Mined: ${detail} confirmations`);
  };
}

// A split that lowers a contributor's share is only announced by the contract: it applies
// after the notice period (the contributor sees it on their dashboard meanwhile).
function announced(node) {
  if (!prepared.lowered?.length) return false;
  const days = Math.round(prepared.notice_seconds / 86400);
  setStatus(node, "announced", `Announced: it lowers the share of ${prepared.lowered.join(", ")}, so it applies in ${days} days (anyone can then apply it). Sales until then keep the current split.`);
  return true;
}

function startSplitEditor() {
  if (!editor) return;
  const form = editor.querySelector("[data-split-form]");
  const node = editor.querySelector("[data-split-status]");
  editor.querySelector("[data-split-add]").addEventListener("click", () => addRow(form.querySelector("[data-split-rows]")));
  form.addEventListener("click", (event) => {
    const remove = event.target.closest("[data-split-remove]");
    if (remove && form.querySelectorAll("[data-split-row]").length > 1) remove.closest("tr").remove();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(node, async () => {
      setStatus(node, "preparing", "Checking the new split…");
      const splits = readSplits(form);
      if (splits.some((split) => Number.isNaN(split.bps))) {
        throw new Error("Write each share as a percentage, such as 12.5.");
      }
      prepared = await apiPost(config.api.splits, { splits });
      showComparison(prepared.comparison);
      setStatus(node, "review", "Review the change, then send it or sign it.");
    });
  });
  editor.querySelector("[data-split-send]").addEventListener("click", () =>
    run(node, async () => {
      const { provider } = await connectWallet("split change");
      const receipt = await sendAndConfirm(provider, prepared.transaction, {
        what: "split change", confirmations: config.confirmations, onStatus: follow(node, "transaction"),
      });
      if (announced(node)) return;
      setStatus(node, "confirmed", "Confirmed. Waiting for the marketplace to record it…");
      await waitIndexed(receipt.transactionHash);
      setStatus(node, "indexed", "The new split is live: it applies to every sale from now on.");
    }),
  );
  editor.querySelector("[data-split-sign]").addEventListener("click", () =>
    run(node, async () => {
      const { provider, account } = await connectWallet("split change");
      const signature = await signTypedData(provider, account, prepared.typed_data, "You declined to sign the split change. Nothing changed.");
      setStatus(node, "pending", "Signed. The marketplace is sending it…");
      const relayed = await apiPost(config.api.relay, { message: prepared.typed_data.message, signature });
      if (announced(node)) return;
      setStatus(node, "confirmed", `Sent in ${relayed.tx_hash}. Waiting for the marketplace to record it…`);
      await waitIndexed(relayed.tx_hash);
      setStatus(node, "indexed", "The new split is live: it applies to every sale from now on.");
    }),
  );
}

// "0.02" with 18 decimals → 20000000000000000n; whole base units when decimals are unknown.
function parseUnits(text, decimals) {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new Error("Enter a price like 0.05.");
  const [, whole, fraction = ""] = match;
  if (!decimals) {
    if (fraction) throw new Error("Enter this token's price in whole base units.");
    return BigInt(whole);
  }
  if (fraction.length > decimals) throw new Error(`At most ${decimals} decimal places.`);
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

function startPriceForms() {
  for (const row of document.querySelectorAll("[data-price-row]")) {
    const node = row.querySelector("[data-price-status]");
    row.querySelector("[data-price-form]").addEventListener("submit", (event) => {
      event.preventDefault();
      run(node, async () => {
        const price = parseUnits(event.target.price.value, Number(row.dataset.decimals || 0));
        const url = config.api.price.replace("/tiers/0/", `/tiers/${row.dataset.tier}/`);
        const tx = await apiPost(url, { price_wei: price.toString() });
        const { provider } = await connectWallet("price change");
        const receipt = await sendAndConfirm(provider, tx.transaction, {
          what: "price change", confirmations: config.confirmations, onStatus: follow(node, "transaction"),
        });
        setStatus(node, "confirmed", "Confirmed. Waiting for the marketplace to record it…");
        await waitIndexed(receipt.transactionHash);
        setStatus(node, "indexed", "New price live for sales from now on.");
      });
    });
  }
}

startCharts("dashboard-config");
startSplitEditor();
startPriceForms();
