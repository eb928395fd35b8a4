// Rows of the tier and split editors (Django formsets). "Add" copies the formset's empty
// form from a <template>; "Remove" is the formset's own DELETE checkbox (CSS dims the row),
// so the forms still post without scripts.

export function initFormsets(root) {
  root.querySelectorAll("[data-formset]").forEach((form) => {
    const prefix = form.dataset.formset;
    const total = form.querySelector(`[name="${prefix}-TOTAL_FORMS"]`);
    const max = Number(form.querySelector(`[name="${prefix}-MAX_NUM_FORMS"]`)?.value || 1000);
    const rows = form.querySelector("[data-formset-rows]");
    const template = form.querySelector("[data-formset-template]");
    const add = form.querySelector("[data-formset-add]");
    if (!total || !rows || !template || !add) return;
    const update = () => {
      add.disabled = Number(total.value) >= max;
    };
    add.hidden = false;
    add.addEventListener("click", () => {
      const index = Number(total.value);
      // The template is our own server-rendered empty form; only its index changes.
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", index));
      total.value = String(index + 1);
      update();
      rows.lastElementChild?.querySelector("input:not([type=hidden]), select")?.focus();
      form.dispatchEvent(new Event("input", { bubbles: true }));
    });
    update();
  });
}

// Percentages in hundredths of a percent (basis points), as integers: no float rounding.
function toBps(text) {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
}

function formatBps(bps) {
  const whole = Math.floor(bps / 100);
  const cents = String(bps % 100).padStart(2, "0").replace(/0+$/, "");
  return cents ? `${whole}.${cents}%` : `${whole}%`;
}

export function initSplitTotal(root) {
  const form = root.querySelector('[data-formset="splits"]');
  const output = form?.querySelector("[data-split-total]");
  if (!output) return;
  const recount = () => {
    let total = 0;
    let unreadable = false;
    for (const row of form.querySelectorAll("[data-formset-rows] [data-formset-row]")) {
      if (row.querySelector('[name$="-DELETE"]')?.checked) continue;
      const input = row.querySelector('[name$="-percent"]');
      if (!input || !input.value.trim()) continue;
      const bps = toBps(input.value);
      if (bps === null) unreadable = true;
      else total += bps;
    }
    const ok = total === 10_000 && !unreadable;
    output.classList.toggle("is-ok", ok);
    output.classList.toggle("is-off", !ok);
    output.textContent = unreadable
      ? "Write each share as a number such as 12.5."
      : `Total ${formatBps(total)}${ok ? " ✓" : `: the shares must add up to 100%.`}`;
  };
  form.addEventListener("input", recount);
  form.addEventListener("change", recount);
  recount();
}
