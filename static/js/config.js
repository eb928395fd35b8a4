// Page configuration rendered by the server with json_script (no inline scripts: CSP-ready).
let cached;

export function pageConfig() {
  if (!cached) {
    const node = document.getElementById("wallet-config");
    cached = node ? JSON.parse(node.textContent) : { chain: null, api: {}, signedInAddress: null };
  }
  return cached;
}
