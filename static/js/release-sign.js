// A listing that changed hands: its owner signs each new release themselves. The server
// builds EAS's EIP-712 `Attest` for the version, the wallet signs it, and the marketplace
// relays it (attestByDelegation), so the attester on chain is the owner.
import { apiPost } from "./api.js";
import { connectWallet, errorText } from "./dashboard-tx.js";
import { clearMessages, showMessage } from "./messages.js";
import { signTypedData } from "./wallet.js";
import { setStatus } from "./dom.js";

for (const box of document.querySelectorAll("[data-release-sign]")) {
  const button = box.querySelector("[data-release-sign-button]");
  const node = box.querySelector("[data-release-sign-status]");
  button.addEventListener("click", async () => {
    clearMessages();
    button.disabled = true;
    try {
      setStatus(node, "preparing", "Preparing the release to sign…");
      const document = await apiPost(box.dataset.prepareUrl, {});
      const { provider, account } = await connectWallet("release signature");
      const signature = await signTypedData(provider, account, document, "You declined to sign the release. It stays unattested.");
      setStatus(node, "pending", "Signed. The marketplace is recording the attestation…");
      const done = await apiPost(box.dataset.submitUrl, { message: document.message, signature });
      setStatus(node, "indexed", `Attested: ${done.release_uid}`);
      showMessage(`Version ${box.dataset.tag} signed and attested.`, "success");
    } catch (error) {
      setStatus(node, "failed", errorText(error));
      showMessage(errorText(error), "error");
      button.disabled = false;
    }
  });
}
