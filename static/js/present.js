// The review meeting's presentation (templates/reports/present.html): the keyboard steps through the slides and the
// address follows (?opd=), so a reload stays on the slide. Without this file every slide is a link.
(() => {
  const deck = document.getElementById("deck");
  if (!deck) return;
  const slides = [...deck.querySelectorAll(".slide")];
  let current = Math.max(0, slides.findIndex((slide) => !slide.hidden));

  function show(index) {
    const next = Math.max(0, Math.min(slides.length - 1, index));
    if (next === current) return;
    slides.forEach((slide, i) => { slide.hidden = i !== next; });
    current = next;
    history.replaceState(null, "", slides[next].dataset.url);
    slides[next].querySelector("h1").focus({ preventScroll: false });
  }

  // Keys typed into the form stay there; Space on a button, a link or a form's toggle presses it.
  const typing = (event) =>
    event.target.closest("input, textarea, select, [contenteditable]") ||
    (event.key === " " && event.target.closest("button, a, summary"));
  const keys = {
    ArrowRight: () => current + 1, PageDown: () => current + 1, " ": () => current + 1,
    ArrowLeft: () => current - 1, PageUp: () => current - 1,
    Home: () => 0, End: () => slides.length - 1,
  };
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event)) return;
    let target = keys[event.key]?.();
    if (target === undefined && /^[1-9]$/.test(event.key)) target = Number(event.key);  // the OPD ranked so
    if (target === undefined && event.key === "Escape" && !document.fullscreenElement) {
      window.location.assign(document.getElementById("present-exit").href);
      return;
    }
    if (target === undefined) return;
    event.preventDefault();
    show(target);
  });

  // Words typed into a review form and not saved are not lost to a key (Esc), a link or a closed tab: the browser
  // asks first. A form shown again with its errors (data-unsaved) holds such words from the start.
  const unsaved = () => [...deck.querySelectorAll("form[method=post]")].some((form) =>
    form.hasAttribute("data-unsaved") ||
    [...form.querySelectorAll("textarea, input:not([type=hidden])")].some((input) => input.value !== input.defaultValue));
  let saving = false;
  deck.addEventListener("submit", (event) => { saving = event.target.method === "post"; });
  window.addEventListener("beforeunload", (event) => {
    if (saving || !unsaved()) return;
    event.preventDefault();
    event.returnValue = "";
  });

  const fullscreen = document.getElementById("fullscreen");
  if (fullscreen && document.fullscreenEnabled) {
    fullscreen.hidden = false;
    fullscreen.addEventListener("click", () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen();
    });
    // A toggle: a screen reader says whether the deck is in full screen (Esc leaves it without this button).
    document.addEventListener("fullscreenchange", () => {
      fullscreen.setAttribute("aria-pressed", String(Boolean(document.fullscreenElement)));
    });
  }
})();
