// Chunked, resumable uploads of one or many (multi-GB) files to the artifacts API
// (/api/v1/artifacts/uploads/, see artifacts/apis.py). Files go one after another, in chunks
// (8 MiB unless the server says otherwise), each with its sha256 so corruption on the way is
// caught per chunk. A dropped connection is retried with backoff from the offset the server
// confirms; after a page reload, selecting the same file again resumes it (the upload id is kept
// in localStorage under the file's name, size and modification time).
//
// Markup: <div data-upload-zone data-create-url="/api/v1/artifacts/uploads/"
//              data-csrf-token="…" data-max-bytes="…" data-allowed-extensions=".bin,.csv"></div>
// Every [data-upload-zone] on the page is mounted when this module loads; call
// mountUploadZone(element) for zones added later. When a file is stored the zone dispatches
// `artifact:uploaded` (bubbles) with detail {cid, sha256, size, filename, contentType, uploadId};
// a file that cannot be uploaded dispatches `upload:error` with {filename, code, message}.
import { el } from "./dom.js";

const STORAGE_PREFIX = "artifacts.upload:";
const STORAGE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
const MAX_RETRIES = 8;
const zones = new WeakMap();
const PENDING = ["queued", "uploading", "paused"]; // states of a file not stored yet
const PACE_WINDOW_MS = 5000;

export function initUploadZones(root = document) {
  root.querySelectorAll("[data-upload-zone]").forEach((element) => mountUploadZone(element));
}

export function mountUploadZone(element, options = {}) {
  if (!zones.has(element)) zones.set(element, new UploadZone(element, options));
  return zones.get(element);
}

class UploadError extends Error {
  constructor(message, { code = "error", status = 0, offset, retry = false } = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.offset = offset;
    this.retry = retry; // worth trying again (network, busy, server or store hiccup)
  }
}

export function formatBytes(bytes) {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit) return `${value.toFixed(1)} ${units[unit]}`;
  return bytes === 1 ? "1 byte" : `${bytes} bytes`;
}

export function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return "a while";
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min`;
  const hours = Math.floor(seconds / 3600);
  return `about ${hours} h ${Math.round((seconds % 3600) / 60)} min`;
}

function cookie(name) {
  const entry = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
  return entry ? decodeURIComponent(entry.slice(name.length + 1)) : "";
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// 1 s, 2 s, 4 s … capped at 30 s, with jitter so many tabs do not retry in step.
const backoff = (attempt) =>
  Math.min(30_000, 1000 * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2);

async function sha256Base64(blob) {
  if (!globalThis.crypto?.subtle) return ""; // not a secure context: send without a checksum
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

class UploadZone {
  constructor(element, options) {
    const data = element.dataset;
    this.element = element;
    this.createUrl = options.createUrl || data.createUrl;
    this.csrfToken = options.csrfToken || data.csrfToken || "";
    this.maxBytes = Number(options.maxBytes || data.maxBytes || Infinity);
    this.extensions = (options.allowedExtensions || data.allowedExtensions || "*")
      .split(",")
      .map((ext) => ext.trim().toLowerCase())
      .filter(Boolean);
    this.chunkBytes = Number(options.chunkBytes || data.chunkBytes || 0);
    this.items = [];
    this.pending = 0;
    this.running = false;
    this.render();
    this.showUnfinished();
    window.addEventListener("online", () => this.resumePaused());
    window.addEventListener("beforeunload", (event) => {
      if (this.items.some((item) => item.state === "uploading")) event.preventDefault();
    });
  }

  get csrf() {
    return this.csrfToken || cookie("csrftoken");
  }

  render() {
    this.input = el("input", { type: "file", multiple: "", class: "upload-input" });
    this.input.hidden = true;
    const prompt = el("p", { class: "upload-prompt" });
    const choose = el("button", { type: "button", class: "button", "data-upload-choose": "" });
    choose.textContent = "choose files";
    prompt.append("Drop files here or ", choose);
    this.overall = el("progress", { class: "upload-overall", max: "1", value: "0" });
    this.overall.setAttribute("aria-label", "All uploads");
    this.overall.dataset.uploadOverall = "";
    this.overallText = el("span", { class: "upload-overall-text muted" });
    this.notice = el("p", { class: "upload-notice muted", "data-upload-notice": "" });
    this.list = el("ul", { class: "upload-list", "data-upload-list": "" });
    const overallRow = el("div", { class: "upload-overall-row" });
    overallRow.append(this.overall, this.overallText);
    overallRow.hidden = true;
    this.overallRow = overallRow;
    this.element.classList.add("upload-zone");
    this.element.append(this.input, prompt, this.notice, overallRow, this.list);
    choose.addEventListener("click", () => this.input.click());
    this.input.addEventListener("change", () => {
      this.addFiles(this.input.files);
      this.input.value = "";
    });
    this.element.addEventListener("dragover", (event) => {
      event.preventDefault();
      this.element.classList.add("is-dragover");
    });
    this.element.addEventListener("dragleave", () => this.element.classList.remove("is-dragover"));
    this.element.addEventListener("drop", (event) => {
      event.preventDefault();
      this.element.classList.remove("is-dragover");
      this.addFiles(event.dataTransfer.files);
    });
  }

  showUnfinished() {
    const names = [];
    for (const [key, saved] of savedUploads()) {
      if (Date.now() - saved.savedAt > STORAGE_MAX_AGE_MS) localStorage.removeItem(key);
      else names.push(`${saved.filename} (${formatBytes(saved.size)})`);
    }
    this.notice.textContent = names.length
      ? `Unfinished: ${names.join(", ")}. Select the same file again to continue where it stopped.`
      : "";
  }

  addFiles(files) {
    for (const file of files) {
      const item = new FileUpload(file, this);
      this.items.push(item);
      this.list.append(item.row);
      const problem = this.check(file);
      if (problem) item.fail(new UploadError(problem, { code: "rejected" }));
    }
    this.updateOverall();
    this.pump();
  }

  check(file) {
    if (file.size > this.maxBytes) {
      const limit = formatBytes(this.maxBytes);
      return `${file.name} is ${formatBytes(file.size)}; the largest file accepted is ${limit}.`;
    }
    const dot = file.name.lastIndexOf(".");
    const extension = dot > 0 ? file.name.slice(dot).toLowerCase() : "";
    if (!this.extensions.includes("*") && !this.extensions.includes(extension)) {
      return `${file.name}: files of type ${extension || "(no extension)"} are not accepted.`;
    }
    return "";
  }

  // One file at a time: the connection is the bottleneck, and a finished file is worth more
  // than several half-sent ones if the page is closed.
  async pump() {
    if (this.running) return;
    this.running = true;
    try {
      let next;
      while ((next = this.items.find((item) => item.state === "queued"))) await next.run();
    } finally {
      this.running = false;
    }
  }

  resumePaused() {
    for (const item of this.items) if (item.state === "paused") item.setState("queued");
    this.pump();
  }

  updateOverall() {
    const counted = this.items.filter((item) => !["error", "cancelled"].includes(item.state));
    const total = counted.reduce((sum, item) => sum + item.file.size, 0);
    const sent = counted.reduce((sum, item) => sum + item.sent, 0);
    this.overallRow.hidden = counted.length === 0;
    this.overall.max = Math.max(total, 1);
    this.overall.value = sent;
    const done = counted.filter((item) => item.state === "done").length;
    const bytes = `${formatBytes(sent)} of ${formatBytes(total)}`;
    const pending = this.items.filter((item) => PENDING.includes(item.state)).length;
    const pace = pending ? this.pace(sent, total) : "";
    this.overallText.textContent = `${done} of ${counted.length} files · ${bytes}${pace}`;
    if (pending !== this.pending) {
      this.pending = pending;
      // Listeners (the version builder) wait for this before anything may use the files.
      this.emit("upload:activity", { pending });
    }
  }

  // Speed over the last few seconds (not since the start: a connection's pace changes) and the
  // time left at that speed.
  pace(sent, total) {
    const now = performance.now();
    this.samples = (this.samples || []).filter(([time]) => now - time < PACE_WINDOW_MS);
    this.samples.push([now, sent]);
    const [firstTime, firstSent] = this.samples[0];
    const seconds = (now - firstTime) / 1000;
    if (seconds < 0.5 || sent <= firstSent) return "";
    const rate = (sent - firstSent) / seconds;
    return ` · ${formatBytes(rate)}/s · ${formatDuration((total - sent) / rate)} left`;
  }

  emit(name, detail) {
    this.element.dispatchEvent(new CustomEvent(name, { detail, bubbles: true }));
  }
}

function* savedUploads() {
  for (let index = 0; index < localStorage.length; index += 1) {
    const key = localStorage.key(index);
    if (!key?.startsWith(STORAGE_PREFIX)) continue;
    try {
      yield [key, JSON.parse(localStorage.getItem(key))];
    } catch {
      localStorage.removeItem(key);
    }
  }
}

class FileUpload {
  constructor(file, zone) {
    this.file = file;
    this.zone = zone;
    this.key = `${STORAGE_PREFIX}${file.name}:${file.size}:${file.lastModified}`;
    this.offset = 0; // bytes the server has confirmed
    this.sent = 0; // bytes on their way, for the progress bar
    this.upload = null;
    this.xhr = null;
    this.renderRow();
    this.setState("queued");
  }

  renderRow() {
    this.row = el("li", { class: "upload-item", "data-upload-item": "" });
    this.row.dataset.filename = this.file.name;
    const name = el("span", { class: "upload-name" }, this.file.name);
    const size = el("span", { class: "upload-size muted" }, formatBytes(this.file.size));
    const max = String(Math.max(this.file.size, 1));
    this.bar = el("progress", { class: "upload-progress", max, value: "0" });
    this.bar.setAttribute("aria-label", `Upload of ${this.file.name}`);
    this.bar.dataset.uploadProgress = "";
    this.status = el("span", { class: "upload-status", "data-upload-status": "", role: "status" });
    this.action = el("button", { type: "button", class: "button button-ghost upload-action" });
    this.action.addEventListener("click", () => this.onAction());
    this.result = el("code", { class: "upload-cid", "data-upload-cid": "" });
    this.row.append(name, size, this.bar, this.status, this.action, this.result);
  }

  setState(state, message = "") {
    this.state = state;
    this.row.dataset.state = state;
    const labels = {
      queued: "Waiting…",
      uploading: "Uploading…",
      paused: "Paused",
      done: "Stored",
      error: "",
      cancelled: "Cancelled",
    };
    this.status.textContent = message || labels[state];
    const actions = { queued: "Cancel", uploading: "Cancel", paused: "Resume", error: "Retry" };
    this.action.textContent = actions[state] || "";
    this.action.hidden = !actions[state] || (state === "error" && this.code === "rejected");
    this.zone.updateOverall();
  }

  onAction() {
    if (this.state === "paused" || this.state === "error") {
      this.setState("queued");
      this.zone.pump();
    } else {
      this.cancel();
    }
  }

  setProgress(bytes) {
    this.sent = bytes;
    this.bar.value = this.file.size ? bytes : 1;
    this.zone.updateOverall();
  }

  async run() {
    this.setState("uploading");
    try {
      await this.withRetries(() => this.start());
      const artifact = await this.withRetries(() => this.sendAllAndFinish());
      this.done(artifact);
    } catch (error) {
      if (this.state === "cancelled") return;
      if (!error.retry) this.fail(error);
      else this.setState("paused", `${error.message} Resuming when the connection is back.`);
    }
  }

  async withRetries(step) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await step();
      } catch (error) {
        if (!error.retry || attempt > MAX_RETRIES || this.state === "cancelled") throw error;
        const wait = backoff(attempt);
        this.setState("uploading", `Connection problem; retrying in ${Math.round(wait / 1000)} s…`);
        await sleep(wait);
        if (this.state === "cancelled") throw error;
        this.setState("uploading");
      }
    }
  }

  // Resume the upload remembered for this file (after a reload), or open a new one.
  async start() {
    if (this.upload) return this.refresh();
    const remembered = JSON.parse(localStorage.getItem(this.key) || "null");
    if (remembered) {
      try {
        this.upload = await this.request("GET", remembered.detail);
        if (this.upload.status === "open" || this.upload.status === "complete") {
          this.offset = this.upload.offset;
          this.setProgress(this.offset);
          return;
        }
      } catch (error) {
        if (error.retry) throw error;
      }
      localStorage.removeItem(this.key); // expired, failed or gone: start over
    }
    this.upload = await this.request("POST", this.zone.createUrl, {
      filename: this.file.name,
      size: this.file.size,
      content_type: this.file.type,
    });
    const { name: filename, size } = this.file;
    const saved = { detail: this.upload.urls.detail, filename, size, savedAt: Date.now() };
    localStorage.setItem(this.key, JSON.stringify(saved));
  }

  // After a failure the server is the judge of how much arrived.
  async refresh() {
    this.upload = await this.request("GET", this.upload.urls.detail);
    this.offset = this.upload.offset;
    this.setProgress(this.offset);
  }

  async sendAllAndFinish() {
    if (this.upload.status === "complete") return this.upload.artifact;
    const chunkBytes = this.zone.chunkBytes || this.upload.chunk_size || DEFAULT_CHUNK_BYTES;
    let failures = 0;
    while (this.offset < this.file.size) {
      try {
        this.offset = await this.sendChunk(chunkBytes);
        failures = 0;
      } catch (error) {
        if (error.code === "offset_mismatch") {
          this.offset = error.offset; // the server knows best; carry on from there
          continue;
        }
        failures += 1;
        if (!error.retry || failures > MAX_RETRIES || this.state === "cancelled") throw error;
        const wait = backoff(failures);
        this.setState("uploading", `Connection lost; retrying in ${Math.round(wait / 1000)} s…`);
        await sleep(wait);
        this.setState("uploading");
        await this.refresh().catch(() => this.setProgress(this.offset));
      }
    }
    try {
      this.upload = await this.request("POST", this.upload.urls.finish, {});
    } catch (error) {
      if (error.code !== "offset_mismatch") throw error;
      this.offset = error.offset; // bytes went missing on the server: send them again
      throw new UploadError(error.message, { retry: true });
    }
    return this.upload.artifact;
  }

  async sendChunk(chunkBytes) {
    const start = this.offset;
    const blob = this.file.slice(start, Math.min(start + chunkBytes, this.file.size));
    const checksum = await sha256Base64(blob);
    const xhr = new XMLHttpRequest();
    this.xhr = xhr;
    const done = new Promise((resolve, reject) => {
      xhr.upload.onprogress = (event) => this.setProgress(start + event.loaded);
      xhr.onload = () => {
        if (xhr.status === 200) resolve(Number(xhr.getResponseHeader("Upload-Offset")));
        else reject(errorFromResponse(xhr.status, parseJson(xhr.responseText)));
      };
      xhr.onerror = () => reject(new UploadError("The connection dropped.", { retry: true }));
      xhr.onabort = () =>
        reject(new UploadError("Stopped.", { retry: this.state !== "cancelled" }));
    });
    xhr.open("PATCH", this.upload.urls.chunk);
    xhr.setRequestHeader("Content-Type", "application/offset+octet-stream");
    xhr.setRequestHeader("Upload-Offset", String(start));
    xhr.setRequestHeader("X-CSRFToken", this.zone.csrf);
    xhr.setRequestHeader("Accept", "application/json");
    if (checksum) xhr.setRequestHeader("Upload-Checksum", `sha256 ${checksum}`);
    xhr.send(blob);
    try {
      return await done;
    } finally {
      this.xhr = null;
    }
  }

  async request(method, url, body) {
    let response;
    try {
      response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": this.zone.csrf,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new UploadError("Could not reach the site.", { retry: true });
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw errorFromResponse(response.status, data);
    return data;
  }

  done(artifact) {
    localStorage.removeItem(this.key);
    this.zone.showUnfinished();
    this.setProgress(this.file.size);
    this.result.textContent = artifact.cid;
    this.result.title = `sha256 ${artifact.sha256}`;
    this.setState("done");
    this.zone.emit("artifact:uploaded", {
      cid: artifact.cid,
      sha256: artifact.sha256,
      size: artifact.size,
      filename: this.upload.filename,
      contentType: this.upload.content_type,
      uploadId: this.upload.id,
    });
  }

  fail(error) {
    this.code = error.code;
    if (["upload_closed", "sha256_mismatch", "not_found"].includes(error.code)) {
      localStorage.removeItem(this.key); // nothing left to resume: a retry starts over
      this.upload = null;
      this.offset = 0;
    }
    this.setProgress(this.offset);
    this.setState("error", error.message);
    this.row.dataset.error = error.code;
    const { code, message } = error;
    this.zone.emit("upload:error", { filename: this.file.name, code, message });
  }

  async cancel() {
    this.setState("cancelled");
    this.xhr?.abort();
    localStorage.removeItem(this.key);
    this.zone.showUnfinished();
    if (this.upload?.status === "open") {
      await this.request("POST", this.upload.urls.cancel).catch(() => {});
    }
  }
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

function errorFromResponse(status, data) {
  const error = data?.error || {};
  const message = error.message || `The site answered ${status}.`;
  // Busy, checksum mismatch (the chunk is resent), server errors and an unavailable store are
  // passing troubles; anything else the user caused and retrying would not change.
  const retry = status >= 500 || status === 460 || error.code === "upload_busy" || status === 429;
  const code = error.code || String(status);
  return new UploadError(message, { code, status, offset: error.offset, retry });
}

initUploadZones(document);
