// The upload demo page (templates/artifacts/upload_demo.html): mounts the zone and lists what
// it stored, the way a listing page would attach each `artifact:uploaded` to a version.
import { formatBytes, initUploadZones } from "./upload.js";

initUploadZones(document);
const stored = document.querySelector("[data-uploaded-artifacts]");
document.addEventListener("artifact:uploaded", (event) => {
  const { filename, cid, sha256, size } = event.detail;
  const item = document.createElement("li");
  item.dataset.cid = cid;
  item.dataset.sha256 = sha256;
  item.textContent = `${filename} · ${formatBytes(size)} · ${cid}`;
  stored?.append(item);
});
