// The card editor's Write / Preview tabs. The preview is rendered by the server
// (POST /api/v1/listings/preview-card), with the same Markdown parser and sanitiser as the
// public page, so what the creator sees is what buyers will see.
import { apiPost } from "./api.js";

const META_LABELS = {
  license: "Licence",
  task: "Task",
  library: "Library",
  base_model: "Base model",
  datasets: "Datasets",
  language: "Language",
  parameter_count: "Parameters",
  tags: "Tags",
};

export function initCardPreview(root) {
  const editor = root.querySelector("[data-card-editor]");
  if (!editor) return;
  const textarea = editor.querySelector("textarea");
  const tabs = [...editor.querySelectorAll("[data-card-tab]")];
  const panel = (name) => editor.querySelector(`[data-card-panel="${name}"]`);
  const preview = editor.querySelector("[data-card-preview]");
  const meta = editor.querySelector("[data-card-preview-meta]");
  const errors = editor.querySelector("[data-card-error]");
  let latest = 0; // only the newest request may fill the panel

  function setError(message) {
    errors.replaceChildren();
    editor.classList.toggle("field-invalid", Boolean(message));
    if (!message) return;
    const line = document.createElement("p");
    line.className = "error";
    line.textContent = message;
    errors.append(line);
  }

  async function render() {
    const request = ++latest;
    preview.setAttribute("aria-busy", "true");
    preview.textContent = "Rendering…";
    try {
      const data = await apiPost(editor.dataset.previewUrl, { card: textarea.value });
      if (request !== latest) return;
      // Sanitised by the server (nh3), exactly as on the listing page.
      preview.innerHTML = data.html || "<p class=\"muted\">Nothing to preview yet.</p>";
      renderMeta(meta, data.metadata || {});
      setError("");
    } catch (error) {
      if (request !== latest) return;
      preview.textContent = "";
      meta.replaceChildren();
      setError(error.message);
    } finally {
      if (request === latest) preview.removeAttribute("aria-busy");
    }
  }

  function select(name, { focus = false } = {}) {
    for (const tab of tabs) {
      const on = tab.dataset.cardTab === name;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      panel(tab.dataset.cardTab).hidden = !on;
      if (on && focus) tab.focus();
    }
    if (name === "preview") render();
  }

  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab.dataset.cardTab));
    tab.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const next = tabs[(tabs.indexOf(tab) + 1) % tabs.length];
      select(next.dataset.cardTab, { focus: true });
    });
  }
}

function renderMeta(list, metadata) {
  list.replaceChildren();
  for (const [key, label] of Object.entries(META_LABELS)) {
    const value = metadata[key];
    if (value === undefined || value === "" || (Array.isArray(value) && !value.length)) continue;
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.textContent = Array.isArray(value) ? value.join(", ") : String(value);
    list.append(term, detail);
  }
}
