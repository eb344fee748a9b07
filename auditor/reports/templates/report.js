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
  // Printed reports show every detail; they are closed again afterwards.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
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
