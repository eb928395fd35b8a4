// EIP-1193 wallet access: choose a wallet, connect, get onto our chain, sign. Every failure a
// person can cause becomes a WalletError whose message says what happened and what to do.
import { discoverWallets } from "./eip6963.js";
import { pickWallet } from "./wallet-picker.js";

export const USER_REJECTED = 4001; // EIP-1193
export const UNRECOGNIZED_CHAIN = 4902; // wallet_switchEthereumChain: add it first (EIP-3326)
const REQUEST_PENDING = -32002; // MetaMask: a request of this kind is already open

export const NO_WALLET_MESSAGE =
  "No Ethereum wallet was found in this browser. Install a wallet extension such as MetaMask, " +
  "Rabby or Coinbase Wallet, then reload this page.";

export class WalletError extends Error {
  constructor(message, { code, cause } = {}) {
    super(message, { cause });
    this.name = "WalletError";
    this.code = code;
  }
}

// Some wallets (MetaMask mobile) nest the real code under data.originalError.
function errorCode(error) {
  return error?.code ?? error?.data?.originalError?.code;
}

function rethrow(error, messages) {
  const code = errorCode(error);
  if (code in messages) throw new WalletError(messages[code], { code, cause: error });
  if (code === REQUEST_PENDING) {
    throw new WalletError("Your wallet already has a request waiting: open it to continue.", { code, cause: error });
  }
  const detail = error?.message ? ` (${error.message})` : "";
  throw new WalletError(`Your wallet reported an error${detail}. Try again.`, { code, cause: error });
}

// The wallet to use: the only one, or the one the person picks. Null when they cancel.
export async function chooseWallet() {
  const wallets = await discoverWallets();
  if (wallets.length === 0) throw new WalletError(NO_WALLET_MESSAGE, { code: "no_wallet" });
  if (wallets.length === 1) return wallets[0];
  return pickWallet(wallets, localStorage.getItem("wallet.rdns"));
}

export function rememberWallet(wallet) {
  if (wallet.info.rdns) localStorage.setItem("wallet.rdns", wallet.info.rdns);
}

export async function requestAccount(provider) {
  let accounts;
  try {
    accounts = await provider.request({ method: "eth_requestAccounts" });
  } catch (error) {
    rethrow(error, {
      [USER_REJECTED]: "You declined the connection request in your wallet. Nothing was shared; click Sign in to try again.",
    });
  }
  if (!accounts?.length) throw new WalletError("Your wallet shared no account. Unlock it and try again.");
  return accounts[0];
}

// The one connect sequence every wallet action starts with: choose a wallet, get its account,
// check it is the `expected` one (the signed-in or owning account, when there is one), get onto
// `chain`. Resolves with { wallet, provider, account }, or null when no wallet was chosen and
// `notChosen` (the message saying what did not happen) is not given. `onConnecting` runs once a
// wallet is chosen; `mismatch(account)` words the refusal of another account. The wallet is
// remembered for next time unless `remember` is false (sign-in remembers it once signed in).
export async function connect({ chain, expected, notChosen, mismatch, onConnecting, remember = true }) {
  const wallet = await chooseWallet();
  if (!wallet) {
    if (notChosen) throw new WalletError(notChosen);
    return null;
  }
  onConnecting?.();
  const account = await requestAccount(wallet.provider);
  if (expected && account.toLowerCase() !== expected.toLowerCase()) {
    throw new WalletError(mismatch(account));
  }
  await ensureChain(wallet.provider, chain);
  if (remember) rememberWallet(wallet);
  return { wallet, provider: wallet.provider, account };
}

async function currentChainId(provider) {
  return BigInt(await provider.request({ method: "eth_chainId" }));
}

// Make sure the wallet is on `chain` (EIP-3085 params), asking it to switch, or to add the chain
// first when it does not know it.
export async function ensureChain(provider, chain) {
  const wanted = BigInt(chain.chainId);
  if ((await currentChainId(provider)) === wanted) return;
  const declined = {
    [USER_REJECTED]: `This marketplace runs on ${chain.chainName} (chain id ${wanted}). You declined the switch; switch your wallet to it to continue.`,
  };
  try {
    await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: chain.chainId }] });
  } catch (error) {
    if (errorCode(error) !== UNRECOGNIZED_CHAIN) rethrow(error, declined);
    try {
      await provider.request({ method: "wallet_addEthereumChain", params: [chain] });
    } catch (addError) {
      rethrow(addError, declined);
    }
  }
  if ((await currentChainId(provider)) !== wanted) {
    throw new WalletError(`Your wallet is still on another network. Switch it to ${chain.chainName} (chain id ${wanted}) and try again.`);
  }
}

function utf8Hex(text) {
  const bytes = new TextEncoder().encode(text);
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

// EIP-191 personal_sign of a text message; wallets show the decoded text to the person.
export async function personalSign(provider, address, message) {
  try {
    return await provider.request({ method: "personal_sign", params: [utf8Hex(message), address] });
  } catch (error) {
    rethrow(error, {
      [USER_REJECTED]: "You declined to sign the message, so you are not signed in. Click Sign in to try again.",
    });
  }
}

// EIP-712 typed data (eth_signTypedData_v4): wallets show the structured fields. The document
// carries integers as decimal strings, which wallets accept and JSON cannot round.
export async function signTypedData(provider, address, document, declinedMessage) {
  try {
    return await provider.request({
      method: "eth_signTypedData_v4",
      params: [address, JSON.stringify(document)],
    });
  } catch (error) {
    rethrow(error, {
      [USER_REJECTED]: declinedMessage || "You declined to sign in your wallet. Nothing was sent.",
    });
  }
}
