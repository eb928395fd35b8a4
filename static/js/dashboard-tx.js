// Sending a server-built transaction from the signed-in person's wallet and following it:
// pending (sent) → confirmed (mined, n/N blocks) → indexed (the marketplace recorded it).
// Used by the dashboard's withdraw buttons, the split and price editor and the fee page.
import { ApiRequestError } from "./api.js";
import { sendTransaction, waitForConfirmations, waitForReceipt } from "./chain-tx.js";
import { pageConfig } from "./config.js";
import { WalletError, connect } from "./wallet.js";
import { toHexQuantity } from "./wei.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The wallet of the signed-in account, on our chain.
export async function connectWallet(what) {
  const { chain, signedInAddress } = pageConfig();
  return connect({
    chain,
    expected: signedInAddress,
    notChosen: `No wallet was chosen, so the ${what} was not sent.`,
    mismatch: (account) => `Your wallet is on ${account}, but you are signed in as ${signedInAddress}. Switch your wallet to that account.`,
  });
}

// Sends `tx` ({from, to, data, value}); onStatus(state, detail) for "pending", "confirming",
// "confirmed". Resolves with the receipt once `confirmations` blocks are on top of it.
export async function sendAndConfirm(provider, tx, { what, confirmations, onStatus }) {
  const params = { from: tx.from, to: tx.to, data: tx.data, value: toHexQuantity(tx.value ?? 0) };
  const hash = await sendTransaction(provider, params, { what });
  onStatus("pending", hash);
  const receipt = await waitForReceipt(provider, hash);
  if (receipt.status !== "0x1" && receipt.status !== 1) {
    throw new WalletError(`The ${what} was mined but reverted (transaction ${hash}). Reload the page and try again.`);
  }
  await waitForConfirmations(provider, receipt, confirmations, (n) => onStatus("confirming", `${n}/${confirmations}`));
  onStatus("confirmed", hash);
  return receipt;
}

// Polls `check()` until it returns a truthy value (the indexer has recorded the change).
export async function waitUntil(check, { intervalMs = 1000, timeoutMs = 300_000 } = {}) {
  const started = Date.now();
  for (;;) {
    const found = await check();
    if (found) return found;
    if (Date.now() - started > timeoutMs) {
      throw new Error("The marketplace has not recorded the transaction yet. It is on chain: reload the page in a minute.");
    }
    await sleep(intervalMs);
  }
}

export function errorText(error) {
  return error instanceof WalletError || error instanceof ApiRequestError || error instanceof Error
    ? error.message
    : String(error);
}
