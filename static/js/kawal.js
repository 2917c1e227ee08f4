// Small progressive enhancements; every page works without them.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = form.dataset.confirm || event.submitter?.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Clicking an existing theme adds it to the comma-separated theme field (of its own item, in a pasted list).
document.addEventListener("click", (event) => {
  const chip = event.target.closest("[data-theme]");
  if (!chip) return;
  const input = (chip.closest("[data-theme-scope]") || document).querySelector("[data-suggest=themes]");
  const themes = input.value.split(",").map((t) => t.trim()).filter(Boolean);
  if (!themes.includes(chip.dataset.theme)) themes.push(chip.dataset.theme);
  input.value = themes.join(", ");
  input.focus();
});

// A table wider than its box scrolls sideways: the box joins the Tab order, so the keyboard can scroll it too.
function focusableScrollers() {
  for (const box of document.querySelectorAll(".table-wrap")) {
    if (box.scrollWidth > box.clientWidth) box.tabIndex = 0;
    else box.removeAttribute("tabindex");
  }
}
document.addEventListener("DOMContentLoaded", focusableScrollers);
window.addEventListener("resize", focusableScrollers);
