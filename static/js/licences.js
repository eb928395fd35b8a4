// "My licences" (templates/payments/my_licences.html): the purchases this tab started that are
// not recorded yet (from sessionStorage, see pending-purchases.js), each linking to its
// listing's page, where the progress continues.
import { explorerLink, pendingAll } from "./pending-purchases.js";
import { formatAmount } from "./wei.js";

function item(record, explorerTxUrl) {
  const li = document.createElement("li");
  li.dataset.pending = record.listing;
  const what = document.createElement("a");
  what.href = record.url;
  what.textContent = `${record.title} · ${record.tierName} × ${record.quantity}`;
  const detail = document.createElement("span");
  detail.className = "muted small";
  detail.append(`${formatAmount(record.total, record.currency)} · `);
  const url = explorerLink(explorerTxUrl, record.hash);
  const hash = document.createElement(url ? "a" : "code");
  hash.textContent = `${record.hash.slice(0, 10)}…`;
  hash.title = record.hash;
  if (url) hash.href = url;
  detail.append(hash);
  li.append(what, detail);
  return li;
}

const section = document.querySelector("[data-pending-purchases]");
const config = JSON.parse(document.getElementById("licences-config")?.textContent ?? "{}");
const records = Object.values(pendingAll()).filter((r) => !config.address || r.account?.toLowerCase() === config.address.toLowerCase());
if (section && records.length) {
  section.querySelector("[data-pending-list]").replaceChildren(...records.map((r) => item(r, config.explorerTxUrl)));
  section.hidden = false;
}
