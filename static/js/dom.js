// Small DOM helpers shared by the page modules.

// A new element with attributes and, optionally, its text.
export function el(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

// A status line: its state (data-state, which the CSS colours) and its text.
export function setStatus(node, state, text) {
  node.dataset.state = state;
  node.textContent = text;
}
