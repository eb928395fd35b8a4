// The "new version" builder of the edit page. Each file the upload zone stores
// (`artifact:uploaded`) joins the list with an editable path; "Release version" posts the list
// to POST /api/v1/listings/<slug>/versions. The list is kept in localStorage per listing, so a
// reload in the middle of a long upload loses neither the files already stored nor their paths.
import { apiPost } from "./api.js";
import { formatBytes } from "./upload.js";
import { el } from "./dom.js";

const STORAGE_PREFIX = "listings.new-version:";

function load(key) {
  try {
    const files = JSON.parse(localStorage.getItem(key) || "[]");
    return Array.isArray(files) ? files.filter((f) => f && f.cid && typeof f.path === "string") : [];
  } catch {
    return [];
  }
}

export function initNewVersion(root, { reloadWith }) {
  const box = root.querySelector("[data-new-version]");
  if (!box) return;
  const key = STORAGE_PREFIX + box.dataset.slug;
  const ui = {
    table: box.querySelector("[data-new-version-table]"),
    body: box.querySelector("[data-new-version-files]"),
    empty: box.querySelector("[data-new-version-empty]"),
    tag: box.querySelector("[data-version-tag]"),
    changelog: box.querySelector("[data-version-changelog]"),
    error: box.querySelector("[data-version-error]"),
    release: box.querySelector("[data-release-version]"),
    waiting: box.querySelector("[data-release-waiting]"),
  };
  let files = load(key);

  const save = () => localStorage.setItem(key, JSON.stringify(files));
  let uploading = 0; // files of the upload zone not stored yet
  // A version never changes once released: wait until every chosen file is stored.
  const refreshButton = () => {
    ui.release.disabled = uploading > 0 || !files.length || !ui.tag.value.trim();
    ui.waiting.textContent = uploading
      ? `Waiting for ${uploading} upload${uploading === 1 ? "" : "s"} to finish before releasing.`
      : "";
  };
  const showError = (message) => {
    ui.error.textContent = message;
    ui.error.hidden = !message;
  };

  function render() {
    ui.body.replaceChildren(...files.map((file, index) => fileRow(file, index)));
    ui.table.hidden = !files.length;
    ui.empty.hidden = Boolean(files.length);
    refreshButton();
  }

  function fileRow(file, index) {
    const row = el("tr", { "data-new-file": "", "data-cid": file.cid });
    const path = el("input", { value: file.path, "aria-label": `Path of ${file.filename}` });
    path.dataset.newFilePath = "";
    path.addEventListener("input", () => {
      files[index].path = path.value.trim();
      save();
    });
    const remove = el("button", { type: "button", class: "button button-ghost" }, "Remove");
    remove.setAttribute("aria-label", `Remove ${file.filename} from the version`);
    remove.addEventListener("click", () => {
      files.splice(index, 1);
      save();
      render();
    });
    const cells = [
      path,
      el("span", { class: "nowrap" }, formatBytes(file.size)),
      el("code", { class: "hash", title: `sha256 ${file.sha256}` }, file.cid),
      remove,
    ];
    row.append(...cells.map((content) => el("td").appendChild(content).parentNode));
    return row;
  }

  document.addEventListener("artifact:uploaded", (event) => {
    const { cid, sha256, size, filename } = event.detail;
    // The same name again replaces the earlier file: most likely a corrected upload.
    files = files.filter((file) => file.path !== filename && file.cid !== cid);
    files.push({ path: filename, filename, cid, sha256, size });
    save();
    render();
    showError("");
  });

  document.addEventListener("upload:activity", (event) => {
    uploading = event.detail.pending;
    refreshButton();
  });
  ui.tag.addEventListener("input", refreshButton);
  ui.release.addEventListener("click", async () => {
    const tag = ui.tag.value.trim();
    const paths = files.map((file) => file.path);
    if (paths.some((path) => !path)) return showError("Give every file a path.");
    if (new Set(paths).size !== paths.length) return showError("Two files have the same path.");
    showError("");
    ui.release.disabled = true;
    ui.release.classList.add("is-busy");
    try {
      await apiPost(box.dataset.releaseUrl, {
        tag,
        changelog: ui.changelog.value,
        files: files.map(({ path, cid }) => ({ path, cid })),
      });
      localStorage.removeItem(key);
      reloadWith(`Version ${tag} released.`);
    } catch (error) {
      showError(error.message);
      ui.release.classList.remove("is-busy");
      refreshButton();
    }
  });

  render();
}
