// EIP-6963 multi-wallet discovery, with window.ethereum (EIP-1193) as the fallback for wallets
// that predate it. Listening starts at import so announcements made before we ask are kept.
const announced = new Map(); // uuid -> { info, provider }

window.addEventListener("eip6963:announceProvider", (event) => {
  const detail = event.detail;
  if (detail?.info?.uuid && typeof detail.provider?.request === "function") {
    announced.set(detail.info.uuid, Object.freeze({ info: detail.info, provider: detail.provider }));
  }
});

const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Every wallet found: [{ info: { uuid, name, icon, rdns }, provider }].
export async function discoverWallets({ waitMs = 150 } = {}) {
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  await settle(waitMs); // wallets answer synchronously or within a tick; slow ones get a moment
  const wallets = [...announced.values()];
  const legacy = window.ethereum;
  // window.ethereum only when nothing announced itself: it is usually one of those wallets.
  if (wallets.length === 0 && typeof legacy?.request === "function") {
    const info = { uuid: "window.ethereum", name: legacyName(legacy), icon: "", rdns: "" };
    wallets.push({ info, provider: legacy });
  }
  return wallets;
}

function legacyName(provider) {
  if (provider.isRabby) return "Rabby";
  if (provider.isCoinbaseWallet) return "Coinbase Wallet";
  if (provider.isMetaMask) return "MetaMask";
  return "Browser wallet";
}
