// The listing edit page (templates/listings/edit.html): card preview, tier and split rows,
// and the new-version builder fed by the upload zone. Every section also works as a plain
// form post except the upload and the release, which need scripts.
import "./upload.js"; // mounts the page's [data-upload-zone]
import { initCardPreview } from "./listing-card-preview.js";
import { initFormDrafts } from "./form-drafts.js";
import { initFormsets, initSplitTotal } from "./listing-formsets.js";
import { initNewVersion } from "./listing-version.js";
import { showMessage } from "./messages.js";
import { initTokenize } from "./tokenize.js";

// A message to show after the page reloads itself (releasing a version reloads the page so
// the server renders the new version; Django's messages cannot be set from the JSON API).
const FLASH_KEY = "listings.edit:flash";
const flash = sessionStorage.getItem(FLASH_KEY);
if (flash) {
  sessionStorage.removeItem(FLASH_KEY);
  showMessage(flash, "success");
}

initCardPreview(document);
initFormsets(document);
initSplitTotal(document);
initFormDrafts(document); // after the formsets: a draft may add rows with their buttons
function reloadWith(message) {
  sessionStorage.setItem(FLASH_KEY, message);
  window.location.reload();
}

initNewVersion(document, { reloadWith });
initTokenize(document, { reloadWith });
