// Tokenize: the creator's wallet signs the EIP-712 listing offer (tiers, split, the version's
// content digest). No gas: the offer goes on chain with the first purchase (lazy listing). The
// site checks the signature as the contract will, keeps the offer and sends the listing on to
// review. Markup: the [data-tokenize] area of templates/listings/edit.html.
import { ApiRequestError, apiPost } from "./api.js";
import { pageConfig } from "./config.js";
import { clearMessages, showMessage } from "./messages.js";
import { WalletError, chooseWallet, ensureChain, requestAccount, signTypedData } from "./wallet.js";

const STATUS_MESSAGES = {
  pending_review: "Signed and submitted: a moderator will review your listing.",
  published: "Signed and published: your listing is on the market.",
};

async function tokenize(area, say) {
  const wallet = await chooseWallet();
  if (!wallet) throw new WalletError("No wallet was chosen, so nothing was signed.");
  const account = await requestAccount(wallet.provider);
  const creator = area.dataset.creator;
  if (account.toLowerCase() !== creator.toLowerCase()) {
    throw new WalletError(`Your wallet is on ${account}, but this listing belongs to ${creator}. Switch to that account to sign.`);
  }
  await ensureChain(wallet.provider, pageConfig().chain);
  say("Preparing the offer…");
  const typedData = await apiPost(area.dataset.prepareUrl, {});
  say("Check the offer in your wallet and sign it (signing costs no gas).");
  const signature = await signTypedData(
    wallet.provider,
    account,
    typedData,
    "You declined to sign the offer, so the listing stays a draft. Sign when you are ready.",
  );
  say("Checking the signature…");
  const result = await apiPost(area.dataset.submitUrl, { message: typedData.message, signature });
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
