// The warning above a follow-up form's button: it names the chosen OPDs nobody would hear for, as one ticks or
// picks them. The page draws it as it stood when made; this only keeps it in step. The lead and one-OPD lists are
// selects marked data-opd-lead or data-opd-pick; ticked boxes name their OPDs in data-opds.
document.querySelectorAll("[data-reach-warning]").forEach((warning) => {
  const form = warning.closest("form");
  const update = () => {
    const chosen = new Set();
    form.querySelectorAll("input[type=checkbox][data-opds]:checked").forEach((box) => {
      box.dataset.opds.split(" ").filter(Boolean).forEach((id) => chosen.add(id));
    });
    form.querySelectorAll("select[data-opd-lead], select[data-opd-pick]").forEach((select) => {
      if (select.value) chosen.add(select.value);
    });
    let shown = 0;
    warning.querySelectorAll("[data-reach-opd]").forEach((item) => {
      item.hidden = !chosen.has(item.dataset.reachOpd);
      if (!item.hidden) shown += 1;
    });
    warning.hidden = shown === 0;
  };
  form.addEventListener("change", update);
  update();
});
