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

// A row of tabs wider than the screen (the pass's pages on a phone) scrolls sideways: it opens on the current tab, not
// on the first ones, and fades at an edge where there are more tabs to scroll to.
(function () {
  "use strict";
  document.querySelectorAll("[data-tabs]").forEach(function (bar) {
    const current = bar.querySelector('[aria-current="page"]');
    if (current) {
      const box = bar.getBoundingClientRect();
      const tab = current.getBoundingClientRect();
      if (tab.left < box.left || tab.right > box.right) {
        bar.scrollLeft += tab.left - box.left - (box.width - tab.width) / 2;
      }
    }
    function edges() {
      bar.classList.toggle("tabs--more-before", bar.scrollLeft > 1);
      bar.classList.toggle("tabs--more-after", bar.scrollLeft + bar.clientWidth < bar.scrollWidth - 1);
    }
    edges();
    bar.addEventListener("scroll", edges, { passive: true });
    window.addEventListener("resize", edges);
  });
})();

// The menu under a staff member's name closes as a menu does: on Escape, and on a click anywhere else.
(function () {
  "use strict";
  const menu = document.querySelector("[data-personal-menu]");
  if (!menu) return;
  document.addEventListener("click", function (event) {
    if (menu.open && !menu.contains(event.target)) menu.open = false;
  });
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
})();
