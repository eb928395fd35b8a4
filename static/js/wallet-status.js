// When signed in, watch the wallet: if it switches to another account, say that the session is
// still the old address, so nobody buys from one account believing they use another.
import { pageConfig } from "./config.js";
import { discoverWallets } from "./eip6963.js";
import { showMessage } from "./messages.js";

export async function initWalletStatus() {
  const signedIn = pageConfig().signedInAddress;
  if (!signedIn) return;
  const wallets = await discoverWallets();
  const preferred = localStorage.getItem("wallet.rdns");
  const wallet = wallets.find((w) => w.info.rdns && w.info.rdns === preferred) ?? (wallets.length === 1 ? wallets[0] : null);
  if (!wallet || typeof wallet.provider.on !== "function") return;
  wallet.provider.on("accountsChanged", (accounts) => {
    const current = accounts?.[0];
    if (current && current.toLowerCase() !== signedIn.toLowerCase()) {
      showMessage(`Your wallet switched to ${current}, but you are signed in as ${signedIn}. Sign out and sign in again to use the new account.`, "warning");
    }
  });
}
