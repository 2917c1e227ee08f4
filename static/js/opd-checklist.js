// The supporting OPDs' checklist: a search box that filters the list as one types, and a live count of the OPDs
// the follow-up will go to (lead, supporters, whole governments, everyone present). Without it the list still works.
document.querySelectorAll("[data-opd-checklist]").forEach((checklist) => {
  const form = checklist.closest("form");
  const tools = checklist.querySelector("[data-checklist-tools]");
  const search = checklist.querySelector("[data-checklist-search]");
  const count = checklist.querySelector("[data-checklist-count]");
  const none = checklist.querySelector("[data-checklist-none]");
  const fold = (text) => text.toLocaleLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  tools.hidden = false;

  const filter = () => {
    const words = fold(search.value).split(/\s+/).filter(Boolean);
    const matches = (text) => words.every((word) => fold(text).includes(word));
    let shown = 0;
    checklist.querySelectorAll("[data-checklist-group]").forEach((group) => {
      const legend = group.querySelector("legend");
      const wholeGroup = legend !== null && words.length > 0 && matches(legend.textContent);
      let inGroup = 0;
      group.querySelectorAll("[data-checklist-option]").forEach((option) => {
        option.hidden = !(wholeGroup || matches(option.textContent));
        if (!option.hidden) inGroup += 1;
      });
      const all = group.querySelector("[data-checklist-all]");
      all.hidden = words.length > 0 && !wholeGroup && !matches(all.textContent);
      if (!all.hidden) inGroup += 1;
      group.hidden = inGroup === 0;
      shown += inGroup;
    });
    none.hidden = shown > 0;
  };

  const recount = () => {
    const chosen = new Set();
    form.querySelectorAll("input[type=checkbox][data-opds]:checked").forEach((box) => {
      box.dataset.opds.split(" ").filter(Boolean).forEach((id) => chosen.add(id));
    });
    const lead = form.querySelector("[data-opd-lead]");
    if (lead && lead.value) chosen.add(lead.value);
    const n = chosen.size;
    count.textContent = n === 1 ? count.dataset.one : count.dataset.many.replace("{n}", n);
  };

  search.addEventListener("input", filter);
  // Enter in the search box filters; it must not send the form.
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  form.addEventListener("change", recount);
  filter();
  recount();
});
