/* Weiquan web pages: small progressive enhancements; every page works without them.
   Loaded as a static file because the Content Security Policy forbids inline script. */
(function () {
  "use strict";

  /* <form data-confirm="..."> asks before submitting (withdrawing, declining...). */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  /* <select data-autosubmit> submits its form on change (the language switch). */
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.hasAttribute && select.hasAttribute("data-autosubmit") && select.form) {
      select.form.submit();
    }
  });
})();
