// The ticket page: a canned reply fills the reply box (htmx GET of the rendered text), and the
// "wait for the customer" box is only offered with a reply (a note does not stop the clock).
// Without this script the page still works: the picker's "Insert" reloads with the text filled.
(function () {
  "use strict";

  function syncWaitBox() {
    var form = document.getElementById("reply-form");
    if (!form) {
      return;
    }
    var wait = form.querySelector("input[name=wait_for_customer]");
    var chosen = form.querySelector("input[name=kind]:checked");
    if (wait) {
      var isNote = chosen && chosen.value === "note";
      wait.disabled = isNote;
      if (isNote) {
        wait.checked = false;
      }
    }
  }

  function hideNoJs(root) {
    (root || document).querySelectorAll("[data-no-js]").forEach(function (el) {
      el.hidden = true;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    if (target.matches("select[data-canned]")) {
      var option = target.selectedOptions[0];
      if (option && option.dataset.url && window.htmx) {
        window.htmx.ajax("GET", option.dataset.url, {
          target: "#reply-body-box",
          swap: "outerHTML",
        });
      }
      return;
    }
    if (target.matches("#reply-form input[name=kind]")) {
      syncWaitBox();
    }
  });

  function setUp(root) {
    if (window.htmx) {
      hideNoJs(root);
    }
    syncWaitBox();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUp(document);
  });
  // The work column is swapped after every action: set the new elements up too.
  document.addEventListener("htmx:load", function (event) {
    setUp(event.target instanceof Element ? event.target : document);
  });
})();
