// Transactions through the person's wallet (EIP-1193): send one, wait for its receipt, count
// confirmations, and say in words why one failed. Reads go through the wallet's own provider,
// so this works on whatever node the wallet uses.
import { USER_REJECTED, WalletError } from "./wallet.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Custom errors (by name, see payments/templatetags/purchase_tags.py) → what to tell a buyer.
const REVERT_MESSAGES = {
  ListingIsPaused: "Sales of this listing are paused.",
  SupplyCapExceeded: "This tier sold out before your purchase went through.",
  WrongPrice: "The price changed since you loaded the page. Reload it and try again.",
  WrongCurrency: "The tier's currency changed since you loaded the page. Reload it and try again.",
  UnknownTier: "This licence tier no longer exists. Reload the page.",
  OfferExpired: "The listing's offer has expired, so it cannot be bought now.",
  OfferCancelled: "The creator withdrew this offer, so it cannot be bought now.",
  OfferNotYetValid: "The listing's offer is not valid yet. Try again in a minute.",
  ListingNotRegistered: "The listing is not registered on chain yet. Reload the page and try again.",
  ERC20InsufficientBalance: "Your token balance is too low for this purchase.",
  ERC20InsufficientAllowance: "The token approval does not cover this purchase. Try again.",
};

function errorCode(error) {
  return error?.code ?? error?.data?.originalError?.code;
}

// The custom error's name in a failed call or transaction, if the selector is one we know.
export function revertName(error, reasons = {}) {
  const texts = [error?.data, error?.data?.data, error?.data?.originalError?.data, error?.message];
  for (const text of texts) {
    if (typeof text !== "string") continue;
    for (const selector of text.toLowerCase().match(/0x[0-9a-f]{8}/g) ?? []) {
      if (reasons[selector]) return reasons[selector];
    }
  }
  return null;
}

export function revertMessage(name) {
  return REVERT_MESSAGES[name] ?? `The contract refused the purchase (${name}).`;
}

function looksUnderfunded(error) {
  return /insufficient funds/i.test(error?.message ?? "") || /insufficient funds/i.test(error?.data?.message ?? "");
}

// eth_sendTransaction; every failure a person can meet becomes a WalletError with a sentence.
export async function sendTransaction(provider, tx, { reasons = {}, what = "transaction" } = {}) {
  try {
    return await provider.request({ method: "eth_sendTransaction", params: [tx] });
  } catch (error) {
    if (errorCode(error) === USER_REJECTED) {
      throw new WalletError(`You rejected the ${what} in your wallet. Nothing was sent; click Buy to try again.`, { code: USER_REJECTED, cause: error });
    }
    if (looksUnderfunded(error)) {
      throw new WalletError("Insufficient funds: your wallet cannot pay for this purchase and its gas.", { code: "insufficient_funds", cause: error });
    }
    const name = revertName(error, reasons);
    if (name) throw new WalletError(revertMessage(name), { code: name, cause: error });
    const detail = error?.message ? ` (${error.message})` : "";
    throw new WalletError(`Your wallet could not send the ${what}${detail}. Try again.`, { code: errorCode(error), cause: error });
  }
}

export async function waitForReceipt(provider, hash, { intervalMs = 1000 } = {}) {
  for (;;) {
    const receipt = await provider.request({ method: "eth_getTransactionReceipt", params: [hash] });
    if (receipt) return receipt;
    await sleep(intervalMs);
  }
}

// Calls onProgress(n) as blocks arrive, n = blocks on top of the receipt's, until `wanted`:
// the indexer acts on a log once head - its block >= CONFIRMATIONS, so n/N here reads the same.
export async function waitForConfirmations(provider, receipt, wanted, onProgress, { intervalMs = 1000 } = {}) {
  const mined = BigInt(receipt.blockNumber);
  for (;;) {
    const head = BigInt(await provider.request({ method: "eth_blockNumber" }));
    const count = Number(head - mined);
    onProgress(Math.max(0, Math.min(count, wanted)));
    if (count >= wanted) return;
    await sleep(intervalMs);
  }
}

// Why a mined transaction reverted: replay it as a call on the state after its block. A revert
// changes nothing, so what made it fail (an earlier transaction in the block included) is
// still there.
export async function revertReason(provider, tx, receipt, reasons) {
  try {
    await provider.request({ method: "eth_call", params: [tx, receipt.blockNumber] });
  } catch (error) {
    return revertName(error, reasons);
  }
  return null;
}
