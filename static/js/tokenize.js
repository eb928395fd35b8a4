// Tokenize: the creator's wallet signs the EIP-712 listing offer (tiers, split, the version's
// content digest). No gas: the offer goes on chain with the first purchase (lazy listing). The
// site checks the signature as the contract will, keeps the offer and sends the listing on to
// review. Markup: the [data-tokenize] area of templates/listings/edit.html.
import { ApiRequestError, apiPost } from "./api.js";
import { pageConfig } from "./config.js";
import { clearMessages, showMessage } from "./messages.js";
import { WalletError, connect, signTypedData } from "./wallet.js";

const STATUS_MESSAGES = {
  pending_review: "Signed and submitted: a moderator will review your listing.",
  published: "Signed and published: your listing is on the market.",
};

async function tokenize(area, say) {
  const creator = area.dataset.creator;
  const { wallet, account } = await connect({
    chain: pageConfig().chain,
    expected: creator,
    notChosen: "No wallet was chosen, so nothing was signed.",
    mismatch: (account) => `Your wallet is on ${account}, but this listing belongs to ${creator}. Switch to that account to sign.`,
    remember: false,
  });
  say("Preparing the offer…");
  const lock = area.querySelector("[data-lock-splits]");
  const prepared = await apiPost(area.dataset.prepareUrl, { lock_splits: Boolean(lock?.checked) });
  // The wallet gets the EIP-712 document only; the cancellations come as documents of their own.
  const { cancels = [], renewal, ...typedData } = prepared;
  say("Check the offer in your wallet and sign it (signing costs no gas).");
  const signature = await signTypedData(
    wallet.provider,
    account,
    typedData,
    "You declined to sign the offer, so nothing changed. Sign when you are ready.",
  );
  // An older offer stays registrable until it expires: its cancellation is signed now and
  // the marketplace sends it (no gas for you).
  const signedCancels = [];
  for (const cancel of cancels) {
    say("Sign the cancellation of your earlier offer, so its old terms can never be used.");
    const cancelSignature = await signTypedData(
      wallet.provider,
      account,
      cancel,
      "You declined to cancel your earlier offer, so the new one was not submitted.",
    );
    signedCancels.push({ message: cancel.message, signature: cancelSignature });
  }
  say("Checking the signature…");
  const result = await apiPost(area.dataset.submitUrl, { message: typedData.message, signature, cancels: signedCancels });
  if (renewal) return "Offer renewed: buyers can purchase it again.";
  return STATUS_MESSAGES[result.listing_status] || "Signed.";
}

export function initTokenize(root, { reloadWith }) {
  for (const area of root.querySelectorAll("[data-tokenize]")) {
    const button = area.querySelector("[data-testid=tokenize]");
    const status = area.querySelector("[data-tokenize-status]");
    const say = (text) => { status.textContent = text; };
    button.addEventListener("click", async () => {
      clearMessages();
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      try {
        reloadWith(await tokenize(area, say));
      } catch (error) {
        const expected = error instanceof WalletError || error instanceof ApiRequestError;
        showMessage(expected ? error.message : "Signing failed unexpectedly. Try again.", "error");
        if (!expected) console.error(error);
        say("");
        button.disabled = false;
        button.removeAttribute("aria-busy");
      }
    });
  }
}
