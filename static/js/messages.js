// Flash messages shown by scripts, in the same place and style as Django's messages.
const LEVELS = new Set(["info", "success", "warning", "error"]);

export function showMessage(text, level = "info") {
  const box = document.querySelector("[data-messages]");
  if (!box) return;
  // One script message at a time: a retry replaces the previous outcome instead of piling up.
  box.querySelectorAll("[data-script-message]").forEach((node) => node.remove());
  const node = document.createElement("div");
  node.className = `message message-${LEVELS.has(level) ? level : "info"}`;
  node.dataset.scriptMessage = "";
  node.setAttribute("role", level === "error" ? "alert" : "status");
  node.textContent = text;
  box.append(node);
}

export function clearMessages() {
  document.querySelectorAll("[data-script-message]").forEach((node) => node.remove());
}
