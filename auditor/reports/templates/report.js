(function () {
  "use strict";
  // The filter needs a script, so its control is hidden until this runs: without JS every row shows.
  var control = document.getElementById("filter");
  var box = document.getElementById("only-problems");
  function apply() {
    document.body.classList.toggle("only-problems", !!(box && box.checked));
  }
  if (control && box) {
    control.hidden = false;
    box.addEventListener("change", apply);
    apply();
  }
  // A link to a folded scenario (or to something inside it) unfolds what it points at.
  function reveal() {
    var id;
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch (e) {
      return; // a malformed address: nothing of ours to unfold
    }
    var target = id && document.getElementById(id);
    if (!target) return;
    var body = target.matches("section.scenario") ? target.querySelector(".scenario-body") : null;
    for (var node = body || target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
  }
  window.addEventListener("hashchange", reveal);
  reveal();
  // Printed, the failed, errored and flaky scenarios show every detail; they are folded again afterwards.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll('.scenario[data-problem="yes"] details:not([open])').forEach(function (d) {
      d.open = true;
      d.setAttribute("data-print-opened", "");
    });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-print-opened]").forEach(function (d) {
      d.open = false;
      d.removeAttribute("data-print-opened");
    });
  });
})();
