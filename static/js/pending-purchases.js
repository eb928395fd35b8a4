// Purchases this browser tab started and the marketplace has not granted yet, kept in
// sessionStorage so a reload (or the "My licences" page) can still show their progress.
// One per listing: {listing, title, tier, tierName, quantity, total, currency, hash, account,
// before, startedAt}; amounts are decimal strings.
const KEY = "purchases.pending";

export function pendingAll() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) ?? {};
  } catch {
    return {};
  }
}

export function pendingGet(listing) {
  return pendingAll()[listing] ?? null;
}

export function pendingSave(record) {
  sessionStorage.setItem(KEY, JSON.stringify({ ...pendingAll(), [record.listing]: record }));
}

export function pendingRemove(listing) {
  const all = pendingAll();
  delete all[listing];
  sessionStorage.setItem(KEY, JSON.stringify(all));
}

// The explorer's page of a transaction, or null when none is configured.
export function explorerLink(template, hash) {
  return template ? template.replace("{hash}", hash) : null;
}
