// The header's menu button on small screens. Without scripts the navigation simply shows in
// full; with them it folds behind "Menu" (CSS hides it under 760 px unless it is open).
export function initNavMenu(root) {
  const toggle = root.querySelector("[data-nav-toggle]");
  const nav = toggle && root.getElementById(toggle.getAttribute("aria-controls"));
  if (!nav) return;
  nav.classList.add("nav-collapsible");
  toggle.hidden = false;
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("is-open", open);
  };
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("is-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
}
