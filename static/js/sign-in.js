// The sign-in flow behind every [data-sign-in] button: wallet → account → chain → nonce →
// signature → session. Without JavaScript those buttons are links to the sign-in page.
import { ApiRequestError, apiPost } from "./api.js";
import { pageConfig } from "./config.js";
import { clearMessages, showMessage } from "./messages.js";
import { WalletError, connect, personalSign, rememberWallet } from "./wallet.js";

async function signIn(button) {
  const config = pageConfig();
  const connected = await connect({ chain: config.chain, remember: false });
  if (!connected) {
    showMessage("Sign-in cancelled: no wallet was chosen.", "info");
    return;
  }
  const { wallet, account: address } = connected;
  const { message } = await apiPost(config.api.nonce, { address });
  const signature = await personalSign(wallet.provider, address, message);
  await apiPost(config.api.verify, { message, signature });
  rememberWallet(wallet);
  window.location.assign(button.dataset.next || window.location.href);
}

function busy(button, waiting) {
  button.toggleAttribute("aria-busy", waiting);
  button.classList.toggle("is-busy", waiting);
  if (button instanceof HTMLButtonElement) button.disabled = waiting;
}

export function initSignIn(root = document) {
  for (const button of root.querySelectorAll("[data-sign-in]")) {
    button.addEventListener("click", async (event) => {
      event.preventDefault();
      if (button.classList.contains("is-busy")) return;
      clearMessages();
      busy(button, true);
      try {
        await signIn(button);
      } catch (error) {
        const expected = error instanceof WalletError || error instanceof ApiRequestError;
        showMessage(expected ? error.message : "Sign-in failed unexpectedly. Try again.", "error");
        if (!expected) console.error(error); // a bug, not something the person did
      } finally {
        busy(button, false);
      }
    });
  }
}
