// Autosaved drafts for pages made of several forms (the listing edit page: details, tiers,
// split). Each section posts on its own and the page reloads, so without this, saving one
// section silently dropped what was typed in another. Every change to a form marked
// [data-draft="<name>"] is kept in localStorage under the page's [data-draft-scope]; after the
// reload the other sections get their unsaved input back, with a note and a "Discard" button.
// The section that was just submitted is the server's to render (saved, or re-shown with its
// errors), so its draft is dropped.

const PREFIX = "form-draft:";
const SUBMITTED = "form-draft:submitted";

function readDraft(key) {
  try {
    const draft = JSON.parse(localStorage.getItem(key) || "null");
    return draft && Array.isArray(draft.fields) ? draft : null;
  } catch {
    return null;
  }
}

// Named fields a person can change; the CSRF token and formset bookkeeping stay the server's.
function editable(form) {
  return [...form.elements].filter(
    (field) =>
      field.name &&
      field.name !== "csrfmiddlewaretoken" &&
      !/-(INITIAL|MIN_NUM|MAX_NUM)_FORMS$/.test(field.name) &&
      !["button", "submit", "file"].includes(field.type),
  );
}

function snapshot(form) {
  return editable(form).map((field) =>
    ["checkbox", "radio"].includes(field.type)
      ? [field.name, field.value, field.checked]
      : [field.name, field.value],
  );
}

// A formset draft may have more rows than the page: add them with the formset's own button.
function growRows(form, fields) {
  const total = form.querySelector('[name$="-TOTAL_FORMS"]');
  const wanted = Number(fields.find(([name]) => name === total?.name)?.[1] || 0);
  const add = form.querySelector("[data-formset-add]");
  while (total && add && !add.disabled && Number(total.value) < wanted) add.click();
}

function restore(form, fields) {
  growRows(form, fields);
  const byName = new Map();
  for (const field of editable(form)) {
    if (!byName.has(field.name)) byName.set(field.name, []);
    byName.get(field.name).push(field);
  }
  for (const [name, value, checked] of fields) {
    for (const field of byName.get(name) || []) {
      if (field.type === "radio") field.checked = field.value === value && checked;
      else if (field.type === "checkbox") field.checked = Boolean(checked);
      else if (field.value !== value) field.value = value;
    }
  }
  form.dispatchEvent(new Event("input", { bubbles: true })); // previews and totals recount
}

function showNote(form, onDiscard) {
  const note = document.createElement("div");
  note.className = "message message-info draft-note";
  note.dataset.draftNote = "";
  note.setAttribute("role", "status");
  note.append("Your unsaved changes here were kept. Save them, or ");
  const discard = document.createElement("button");
  discard.type = "button";
  discard.className = "button button-ghost button-small";
  discard.textContent = "discard them";
  discard.addEventListener("click", () => {
    note.remove();
    onDiscard();
  });
  note.append(discard, ".");
  form.prepend(note);
  return note;
}

export function initFormDrafts(root = document) {
  const scope = root.querySelector("[data-draft-scope]")?.dataset.draftScope;
  if (!scope) return;
  const submitted = sessionStorage.getItem(SUBMITTED);
  sessionStorage.removeItem(SUBMITTED);
  root.querySelectorAll("form[data-draft]").forEach((form) => {
    const key = `${PREFIX}${scope}:${form.dataset.draft}`;
    const draft = readDraft(key);
    if (draft && submitted === key) localStorage.removeItem(key);
    else if (draft) {
      restore(form, draft.fields);
      form.dataset.draftRestored = "";
      showNote(form, () => {
        localStorage.removeItem(key);
        window.location.reload(); // the server's copy, as saved
      });
    }
    const save = () =>
      localStorage.setItem(key, JSON.stringify({ fields: snapshot(form), savedAt: Date.now() }));
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", () => sessionStorage.setItem(SUBMITTED, key));
  });
}
