// On a narrow screen a long main menu (staff with several roles) folds behind a "Menu" button, so the page itself —
// the till, the desk — starts on the first screen. Without JavaScript the menu simply stays open.
(function () {
  "use strict";
  const nav = document.querySelector("[data-site-nav].site-nav--many");
  if (!nav) return;
  const toggle = nav.querySelector(".site-nav__toggle");
  nav.classList.add("is-collapsible");
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    const open = nav.classList.toggle("is-open");
    toggle.setAttribute("aria-expanded", String(open));
  });
})();
