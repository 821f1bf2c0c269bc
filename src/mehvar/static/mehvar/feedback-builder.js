// The survey builder: add, remove and reorder question blocks, show the fields each type needs,
// and keep the "ask only if" pickers listing the earlier questions. The form posts ordinary
// questions-<n>-<field> fields; this script only renumbers them to follow the blocks' order.
// Without it the page still works: every field shows, and an empty block waits at the end.
(function () {
  "use strict";

  var form = document.getElementById("survey-builder");
  var list = document.getElementById("question-blocks");
  var template = document.getElementById("question-template");
  if (!form || !list || !template) {
    return;
  }
  var persian = document.body.dataset.lang === "fa";
  var ATTRS = ["name", "id", "for", "aria-describedby"];

  function digits(number) {
    var text = String(number);
    return persian ? text.replace(/[0-9]/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹"[d]; }) : text;
  }

  function blocks() {
    return Array.prototype.slice.call(list.querySelectorAll("[data-question-block]"));
  }

  function keyOf(block) {
    var input = block.querySelector('[data-field="key"]');
    return input ? input.value.trim() : "";
  }

  function showKindFields(block) {
    var select = block.querySelector('[data-field="kind"]');
    var kind = select ? select.value : "";
    block.dataset.kind = kind;
    block.querySelectorAll("[data-for]").forEach(function (part) {
      part.hidden = part.dataset.for.split(" ").indexOf(kind) === -1;
    });
  }

  function refreshConditions() {
    var keys = [];
    blocks().forEach(function (block) {
      var select = block.querySelector('[data-field="show_if_key"]');
      if (select) {
        var current = select.value;
        var first = select.options[0];
        select.innerHTML = "";
        select.appendChild(first);
        var choices = keys.slice();
        if (current && choices.indexOf(current) === -1) {
          choices.push(current); // kept so the person sees what was chosen (and its error)
        }
        choices.forEach(function (key) {
          var option = document.createElement("option");
          option.value = key;
          option.textContent = key;
          option.selected = key === current;
          select.appendChild(option);
        });
      }
      if (keyOf(block)) {
        keys.push(keyOf(block));
      }
    });
  }

  function renumber() {
    blocks().forEach(function (block, index) {
      block.querySelectorAll("*").forEach(function (element) {
        ATTRS.forEach(function (attr) {
          var value = element.getAttribute(attr);
          if (value) {
            element.setAttribute(
              attr,
              value
                .replace(/^questions-(\d+|__N__)-/, "questions-" + index + "-")
                .replace(/(^|\s)q(\d+|__N__)-/g, "$1q" + index + "-")
            );
          }
        });
      });
      var number = block.querySelector("[data-question-number]");
      if (number) {
        number.textContent = digits(index + 1);
      }
      var up = block.querySelector('[data-move="up"]');
      var down = block.querySelector('[data-move="down"]');
      if (up) { up.disabled = index === 0; }
      if (down) { down.disabled = index === blocks().length - 1; }
    });
    refreshConditions();
  }

  function suggestKey() {
    var keys = blocks().map(keyOf);
    var number = keys.length + 1;
    while (keys.indexOf("q" + number) !== -1) {
      number += 1;
    }
    return "q" + number;
  }

  function prepare(block) {
    block.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
    block.querySelectorAll("[data-no-js]").forEach(function (el) { el.hidden = true; });
    showKindFields(block);
  }

  function addQuestion() {
    var fragment = template.content.cloneNode(true);
    var block = fragment.querySelector("[data-question-block]");
    var key = block.querySelector('[data-field="key"]');
    if (key) {
      key.value = suggestKey();
    }
    list.appendChild(fragment);
    prepare(block);
    renumber();
    var text = block.querySelector('input[name$="-text_fa"]');
    if (text) {
      text.focus();
    }
  }

  function addChoice(block) {
    var rows = block.querySelector("[data-choices]");
    var last = rows.querySelector("[data-choice]:last-child");
    if (!last) {
      return;
    }
    var copy = last.cloneNode(true);
    var next = rows.querySelectorAll("[data-choice]").length;
    copy.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.name = input.name.replace(/-choices-\d+-/, "-choices-" + next + "-");
    });
    rows.appendChild(copy);
    copy.querySelector("input").focus();
  }

  list.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target || !list.contains(target)) {
      return;
    }
    var block = target.closest("[data-question-block]");
    if (target.hasAttribute("data-remove")) {
      block.remove();
      renumber();
    } else if (target.dataset.move === "up" && block.previousElementSibling) {
      list.insertBefore(block, block.previousElementSibling);
      renumber();
      target.focus();
    } else if (target.dataset.move === "down" && block.nextElementSibling) {
      list.insertBefore(block.nextElementSibling, block);
      renumber();
      target.focus();
    } else if (target.hasAttribute("data-add-choice")) {
      addChoice(block);
    }
  });

  list.addEventListener("change", function (event) {
    var field = event.target.dataset ? event.target.dataset.field : "";
    if (field === "kind") {
      showKindFields(event.target.closest("[data-question-block]"));
    } else if (field === "key") {
      refreshConditions();
    }
  });

  document.getElementById("add-question").addEventListener("click", addQuestion);
  document.getElementById("add-question").hidden = false;
  form.querySelectorAll("[data-no-js]").forEach(function (el) {
    if (!el.closest("[data-question-block]")) {
      el.hidden = true;
    }
  });
  blocks().forEach(prepare);
  renumber();
})();
