// A test wallet injected before any page script runs: an EIP-1193 provider announced through
// EIP-6963 (and, optionally, as window.ethereum). Every request goes to Python through a
// Playwright binding, where a real key signs (tests/e2e/wallet.py); this file only carries
// messages and emits the events Python asks for.
(() => {
  const config = __WALLET_CONFIG__;
  const listeners = new Map();

  function emit(event, payload) {
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        console.error(error);
      }
    }
  }

  const provider = {
    isTestWallet: true,
    async request(args) {
      if (!args || typeof args.method !== "string") {
        throw Object.assign(new Error("Invalid request: expected { method, params }"), { code: -32600 });
      }
      const call = JSON.stringify({ method: args.method, params: args.params ?? [] });
      const { result, error, events } = JSON.parse(await window[config.binding](call));
      for (const [event, payload] of events ?? []) emit(event, payload);
      if (error) throw Object.assign(new Error(error.message), { code: error.code, data: error.data });
      return result;
    },
    on(event, listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return provider;
    },
    removeListener(event, listener) {
      listeners.set(event, (listeners.get(event) ?? []).filter((l) => l !== listener));
      return provider;
    },
  };
  provider.addListener = provider.on;
  provider.off = provider.removeListener;

  // Tests reach a wallet's event emitter here (InjectedWallet.emit).
  window.__testWallets = window.__testWallets ?? {};
  const listenerCount = (event) => (listeners.get(event) ?? []).length;
  window.__testWallets[config.info.uuid] = { provider, emit, listenerCount };

  if (config.eip6963) {
    const detail = Object.freeze({ info: Object.freeze({ ...config.info }), provider });
    const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
    window.addEventListener("eip6963:requestProvider", announce);
    announce();
  }
  if (config.legacy && !window.ethereum) {
    Object.defineProperty(window, "ethereum", { value: provider, configurable: true });
  }
})();
