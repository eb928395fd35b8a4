// The dialog shown when several wallets announced themselves (EIP-6963). Names and icons come
// from browser extensions: they are set as text and data: image URLs only, never as HTML.

function walletButton(wallet, preferred) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "wallet-option";
  button.dataset.walletUuid = wallet.info.uuid;
  if (wallet.info.icon?.startsWith("data:image/")) {
    const icon = document.createElement("img");
    icon.src = wallet.info.icon;
    icon.alt = "";
    icon.width = icon.height = 28;
    button.append(icon);
  }
  const name = document.createElement("span");
  name.textContent = wallet.info.name || "Unnamed wallet";
  button.append(name);
  if (preferred && wallet.info.rdns === preferred) {
    const hint = document.createElement("span");
    hint.className = "muted";
    hint.textContent = "last used";
    button.append(hint);
  }
  return button;
}

// Resolves with the chosen wallet, or null when the dialog is closed without a choice.
export function pickWallet(wallets, preferred) {
  const dialog = document.querySelector("[data-wallet-picker]");
  const list = dialog.querySelector("[data-wallet-list]");
  list.replaceChildren();
  return new Promise((resolve) => {
    let chosen = null;
    for (const wallet of wallets) {
      const item = document.createElement("li");
      const button = walletButton(wallet, preferred);
      button.addEventListener("click", () => {
        chosen = wallet;
        dialog.close();
      });
      item.append(button);
      list.append(item);
    }
    dialog.addEventListener("close", () => resolve(chosen), { once: true });
    dialog.showModal();
  });
}
