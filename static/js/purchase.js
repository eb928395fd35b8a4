// The buy area of a listing page ([data-buy] in templates/listings/detail.html). The buyer picks
// a tier and a quantity and sees the exact total and who receives what (a quote from the
// server, as the contract will pay it). Buy: wallet → account → chain → balance → the server
// builds the transaction(s) → the wallet signs and sends → confirmations → the marketplace
// records the licence (the indexer) → access. A submitted purchase is kept in sessionStorage,
// so a reload picks up where it was.
import { ApiRequestError, apiGet, apiPost } from "./api.js";
import { revertMessage, revertReason, sendTransaction, waitForConfirmations, waitForReceipt } from "./chain-tx.js";
import { pageConfig } from "./config.js";
import { discoverWallets } from "./eip6963.js";
import { clearMessages, showMessage } from "./messages.js";
import { explorerLink, pendingGet, pendingRemove, pendingSave } from "./pending-purchases.js";
import { WalletError, connect as connectWallet, signTypedData } from "./wallet.js";
import { formatAmount, toHexQuantity } from "./wei.js";

const ETH = "0x0000000000000000000000000000000000000000";
const POLL_MS = 1000;
const ACCESS_POLL_MS = 1500;
const SLOW_ACCESS_MS = 120_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A purchase that cannot go on; its message is for the buyer.
class BuyError extends Error {}

function stepsView(list) {
  const item = (name) => list.querySelector(`[data-step="${name}"]`);
  return {
    reset() {
      list.hidden = false;
      for (const li of list.querySelectorAll("[data-step]")) {
        li.dataset.state = "todo";
        li.querySelector("[data-step-detail]").replaceChildren();
        if (li.hasAttribute("data-optional")) li.hidden = true;
      }
    },
    // detail: text, a node, or a list of them; undefined keeps what is there.
    set(name, state, detail) {
      const li = item(name);
      li.hidden = false;
      li.dataset.state = state;
      if (detail !== undefined) {
        li.querySelector("[data-step-detail]").replaceChildren(...[detail].flat());
      }
    },
    failActive(detail) {
      const li = list.querySelector('[data-step][data-state="active"]');
      if (li) this.set(li.dataset.step, "failed", detail);
    },
  };
}

function element(tag, { text, testid, className, href } = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (testid) node.dataset.testid = testid;
  if (className) node.className = className;
  if (href) node.href = href;
  return node;
}

function txLink(template, hash, testid) {
  const url = explorerLink(template, hash);
  const code = element("code", { text: hash, className: "hash" });
  if (!url) {
    code.dataset.testid = testid;
    return code;
  }
  const link = element("a", { testid, href: url });
  link.target = "_blank";
  link.rel = "noopener";
  link.append(code);
  return link;
}

function shortAddress(address) {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

function txParams(step) {
  return { from: step.from, to: step.to, data: step.data, value: toHexQuantity(step.value) };
}

class BuyArea {
  constructor(section, config) {
    this.config = config;
    this.form = section.querySelector("[data-buy-form]");
    this.button = section.querySelector("[data-testid=buy]");
    this.total = section.querySelector("[data-buy-total]");
    this.split = section.querySelector("[data-buy-split]");
    this.note = section.querySelector("[data-buy-note]");
    this.steps = stepsView(section.querySelector("[data-buy-steps]"));
    this.quote = null;
    this.quoteSeq = 0;
    this.busy = false;
  }

  start() {
    const controls = this.form?.querySelector("[data-buy-controls]");
    const radios = this.form?.querySelectorAll('input[name="tier"]') ?? [];
    const pending = pendingGet(this.config.listing);
    if (controls && radios.length) {
      if (pending) {
        // After a reload, show the purchase that is under way.
        for (const radio of radios) radio.checked = Number(radio.value) === pending.tier;
        this.form.querySelector("[name=quantity]").value = String(pending.quantity);
      }
      if (![...radios].some((radio) => radio.checked)) radios[0].checked = true;
      controls.hidden = false;
      this.form.addEventListener("change", (event) => {
        if (event.target.name === "tier") this.refreshQuote();
      });
      let typing;
      this.form.addEventListener("input", (event) => {
        if (event.target.name !== "quantity") return;
        clearTimeout(typing);
        typing = setTimeout(() => this.refreshQuote(), 250);
      });
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (this.button && !this.busy) this.run(() => this.buy());
      });
      this.refreshQuote();
    }
    if (pending) this.run(() => this.resume());
  }

  choice() {
    const radio = this.form.querySelector('input[name="tier"]:checked');
    const text = this.form.querySelector("[name=quantity]").value.trim();
    const max = this.config.maxQuantity;
    if (!radio) return { error: "Choose a licence tier." };
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
      return { error: `Choose a quantity from 1 to ${max}.` };
    }
    return {
      tier: Number(radio.value),
      tierName: radio.dataset.tierName,
      kind: radio.dataset.kind,
      quantity: Number(text),
      priceWei: BigInt(radio.dataset.priceWei),
      isEth: radio.dataset.currency === ETH,
      gasless: radio.dataset.gasless || "", // "authorization", "permit" or ""
    };
  }

  say(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }

  async refreshQuote() {
    const choice = this.choice();
    const seq = ++this.quoteSeq;
    this.quote = null;
    this.split.replaceChildren();
    if (choice.error) {
      this.total.textContent = "—";
      this.say(choice.error);
      if (this.button) this.button.disabled = true;
      return;
    }
    if (this.button) this.button.disabled = this.busy;
    this.say("");
    // ETH totals are known at once; the quote confirms them and adds the split.
    this.total.textContent = choice.isEth ? formatAmount(choice.priceWei * BigInt(choice.quantity)) : "…";
    try {
      const quote = await apiGet(`${this.config.quoteUrl}?tier=${choice.tier}&quantity=${choice.quantity}`);
      if (seq !== this.quoteSeq) return;
      this.quote = quote;
      this.total.textContent = formatAmount(quote.total_wei, quote.currency);
      this.renderSplit(quote);
    } catch (error) {
      if (seq !== this.quoteSeq) return;
      if (!(error instanceof ApiRequestError)) throw error;
      this.say(error.message);
    }
  }

  renderSplit(quote) {
    const rows = quote.split.map((row) => {
      const who = element("span", { className: "split-who", text: row.label });
      who.append(element("code", { className: "muted", text: shortAddress(row.address) }));
      const share = element("span", { className: "split-share" });
      share.append(element("strong", { text: formatAmount(row.amount, quote.currency) }));
      const li = element("li");
      li.dataset.role = row.role;
      li.append(who, share);
      return li;
    });
    this.split.replaceChildren(...rows);
  }

  async run(action) {
    clearMessages();
    this.busy = true;
    if (this.button) {
      this.button.disabled = true;
      this.button.setAttribute("aria-busy", "true");
    }
    try {
      await action();
    } catch (error) {
      const expected = error instanceof WalletError || error instanceof ApiRequestError || error instanceof BuyError;
      const message = expected ? error.message : "The purchase failed unexpectedly. Try again.";
      this.steps.failActive(message);
      showMessage(message, "error");
      if (!expected) console.error(error); // a bug, not something the buyer did
    } finally {
      this.busy = false;
      if (this.button) {
        this.button.removeAttribute("aria-busy");
        this.button.disabled = Boolean(this.choice().error);
      }
    }
  }

  async connect() {
    const { chain, signedInAddress } = pageConfig();
    return connectWallet({
      chain,
      expected: signedInAddress,
      notChosen: "No wallet was chosen, so nothing was bought.",
      onConnecting: () => this.steps.set("sign", "active", "Connecting to your wallet…"),
      mismatch: (account) => `Your wallet is on ${account}, but you are signed in as ${signedInAddress}. Switch your wallet to that account: the licence goes to the account that pays.`,
    });
  }

  async checkBalance(provider, account, choice) {
    if (!choice.isEth) return; // token balances are checked by the server when it prepares
    const quoted = this.quote?.tier === choice.tier && this.quote?.quantity === choice.quantity;
    const total = quoted ? BigInt(this.quote.total_wei) : choice.priceWei * BigInt(choice.quantity);
    const balance = await this.ethBalance(provider, account);
    if (balance < total) {
      throw new BuyError(`Insufficient funds: this purchase costs ${formatAmount(total)} plus gas, and your wallet holds ${formatAmount(balance)}.`);
    }
  }

  async ethBalance(provider, account) {
    return BigInt(await provider.request({ method: "eth_getBalance", params: [account, "latest"] }));
  }

  async tierBalance(account, tier) {
    const access = await apiGet(`${this.config.accessUrl}?address=${account}`);
    return access.entitlements.filter((e) => e.tier === tier).reduce((sum, e) => sum + BigInt(e.balance), 0n);
  }

  async prepare(choice, account, extra = {}) {
    return apiPost(this.config.prepareUrl, { tier: choice.tier, quantity: choice.quantity, buyer: account, ...extra });
  }

  async buy() {
    const choice = this.choice();
    if (choice.error) throw new BuyError(choice.error);
    if (choice.gasless === "authorization") return this.buyGasless(choice);
    this.steps.reset();
    const { provider, account } = await this.connect();
    // A permit token can be bought gasless too (a permit and the purchase, both signed): done
    // for a wallet with no ETH, which could not pay for the usual purchase transaction.
    if (choice.gasless === "permit" && (await this.ethBalance(provider, account)) === 0n) {
      return this.buyGasless(choice, { provider, account });
    }
    await this.checkBalance(provider, account, choice);
    const before = await this.tierBalance(account, choice.tier);
    this.steps.set("sign", "active", "Preparing the transaction…");
    let prepared = await this.prepare(choice, account);
    const permit = prepared.steps.find((step) => step.type === "sign_typed_data");
    if (permit) {
      this.steps.set("permit", "active", "Sign the permit in your wallet (no gas).");
      const signature = await signTypedData(provider, account, permit.typed_data, "You declined to sign the permit, so nothing was bought. Click Buy to try again.");
      this.steps.set("permit", "done", "Signed.");
      prepared = await this.prepare(choice, account, { permit_signature: signature, deadline: permit.deadline });
    }
    for (const step of prepared.steps) {
      if (step.name === "approve") await this.approve(provider, step);
    }
    const purchase = prepared.steps.find((step) => step.name === "purchase");
    this.steps.set("sign", "active", "Waiting for your signature: confirm the purchase in your wallet.");
    const tx = txParams(purchase);
    const hash = await sendTransaction(provider, tx, { reasons: this.config.revertReasons, what: "purchase" });
    const optionalSteps = [permit ? "permit" : null, prepared.steps.length > 1 ? "approve" : null].filter(Boolean);
    await this.follow(provider, { choice, prepared, account, before, hash, tx, optionalSteps });
  }

  // What a purchase in flight remembers (it survives a reload) and the live steps that follow it.
  async follow(provider, { choice, prepared, account, before, hash, tx, optionalSteps }) {
    const record = {
      listing: this.config.listing,
      title: this.config.title,
      url: this.config.listingUrl,
      tier: choice.tier,
      tierName: choice.tierName,
      kind: choice.kind,
      quantity: choice.quantity,
      total: prepared.total_wei,
      currency: prepared.currency,
      account,
      hash,
      tx,
      before: before.toString(),
      optionalSteps,
      startedAt: Date.now(),
    };
    pendingSave(record);
    await this.track(provider, record);
  }

  // No gas: the wallet signs an EIP-3009 authorization bound to this purchase (or a permit and
  // the purchase intent), the marketplace's relayer sends it (and pays the gas), then the same
  // live steps follow.
  async buyGasless(choice, connected = null) {
    if (!connected) this.steps.reset();
    const { provider, account } = connected || (await this.connect());
    const before = await this.tierBalance(account, choice.tier);
    this.steps.set("sign", "active", "Preparing the purchase…");
    const prepared = await apiPost(this.config.gaslessPrepareUrl, { tier: choice.tier, quantity: choice.quantity, buyer: account });
    const signatures = [];
    for (const document of prepared.sign) {
      const what = prepared.sign.length > 1 ? `Sign ${signatures.length ? "the purchase" : "the permit"} in your wallet (${signatures.length + 1} of ${prepared.sign.length}; no gas: the marketplace pays it).` : "Sign the purchase in your wallet: one signature, no gas (the marketplace pays it).";
      this.steps.set("sign", "active", what);
      signatures.push(await signTypedData(provider, account, document, "You declined to sign, so nothing was bought. Click Buy to try again."));
    }
    this.steps.set("sign", "active", "Sending your signed purchase; the marketplace pays the gas…");
    const relayed = await apiPost(this.config.gaslessSubmitUrl, { intent: prepared.intent, signatures });
    // tx: none here; the marketplace's relayer sent it, already mined and checked.
    await this.follow(provider, { choice, prepared, account, before, hash: relayed.tx_hash, tx: null, optionalSteps: [] });
  }

  async approve(provider, step) {
    this.steps.set("approve", "active", "Confirm the token approval in your wallet.");
    const hash = await sendTransaction(provider, txParams(step), { reasons: this.config.revertReasons, what: "approval" });
    this.steps.set("approve", "active", ["Waiting for the approval: ", txLink(this.config.explorerTxUrl, hash, "buy-approve-tx")]);
    const receipt = await waitForReceipt(provider, hash, { intervalMs: POLL_MS });
    if (BigInt(receipt.status) !== 1n) throw new BuyError("The token approval was reverted, so nothing was bought. Try again.");
    this.steps.set("approve", "done", "Approved.");
  }

  confirmations(count) {
    return element("span", { testid: "buy-confirmations", text: `${count}/${this.config.confirmations}` });
  }

  async track(provider, record) {
    for (const name of record.optionalSteps ?? []) this.steps.set(name, "done");
    this.steps.set("sign", "done", "Signed.");
    this.steps.set("submitted", "done", txLink(this.config.explorerTxUrl, record.hash, "buy-tx"));
    if (provider) {
      await this.confirm(provider, record);
    } else {
      this.steps.set("confirming", "active", "Following the purchase on the marketplace (connect your wallet to see confirmations).");
    }
    this.steps.set("access", "active", "Waiting for the marketplace to record your licence…");
    await this.waitForAccess(record);
    pendingRemove(record.listing);
    this.steps.set("confirming", "done");
    const link = record.kind === "compute"
      ? element("a", { href: this.config.listingUrl, text: "Open the listing", testid: "buy-access-link" })
      : element("a", { href: this.config.downloadsUrl, text: "Go to downloads", testid: "buy-access-link" });
    // The files list is rendered by the server for the viewer's access: load it again.
    link.addEventListener("click", (event) => {
      if (new URL(link.href).pathname !== window.location.pathname) return;
      event.preventDefault();
      window.location.hash = new URL(link.href).hash;
      window.location.reload();
    });
    this.steps.set("access", "done", [element("strong", { text: "Access granted", testid: "access-granted" }), " · ", link]);
    showMessage("Access granted: the licence is in your wallet.", "success");
  }

  async confirm(provider, record) {
    const wanted = this.config.confirmations;
    this.steps.set("confirming", "active", "Waiting for the transaction to be mined…");
    const receipt = await waitForReceipt(provider, record.hash, { intervalMs: POLL_MS });
    if (BigInt(receipt.status) !== 1n) {
      pendingRemove(record.listing);
      const name = await revertReason(provider, record.tx, receipt, this.config.revertReasons);
      this.steps.set("confirming", "failed", "Reverted.");
      const why = name ? revertMessage(name) : "The contract refused it.";
      throw new BuyError(`The transaction was reverted: ${why} Nothing was bought; only the gas was spent.`);
    }
    await waitForConfirmations(provider, receipt, wanted, (count) => this.steps.set("confirming", "active", this.confirmations(count)), { intervalMs: POLL_MS });
    this.steps.set("confirming", "done", this.confirmations(wanted));
  }

  async waitForAccess(record) {
    const started = Date.now();
    const wanted = BigInt(record.before) + BigInt(record.quantity);
    for (;;) {
      try {
        if ((await this.tierBalance(record.account, record.tier)) >= wanted) return;
      } catch (error) {
        if (!(error instanceof ApiRequestError)) throw error; // the site blinked: keep polling
      }
      if (Date.now() - started > SLOW_ACCESS_MS) {
        this.steps.set("access", "active", "Still waiting for the marketplace to record your licence. It is safe on chain: you can leave and find it under My licences.");
      }
      await sleep(ACCESS_POLL_MS);
    }
  }

  // After a reload: follow the purchase without asking the wallet anything (no prompts).
  async resume() {
    const record = pendingGet(this.config.listing);
    this.steps.reset();
    await this.track(await this.quietProvider(), record);
  }

  async quietProvider() {
    const wallets = await discoverWallets();
    const preferred = localStorage.getItem("wallet.rdns");
    const wallet = wallets.find((w) => w.info.rdns && w.info.rdns === preferred) ?? (wallets.length === 1 ? wallets[0] : null);
    if (!wallet) return null;
    const chainId = await wallet.provider.request({ method: "eth_chainId" });
    return BigInt(chainId) === BigInt(pageConfig().chain.chainId) ? wallet.provider : null;
  }
}

const section = document.querySelector("[data-buy]");
const configNode = document.getElementById("purchase-config");
if (section && configNode) new BuyArea(section, JSON.parse(configNode.textContent)).start();
