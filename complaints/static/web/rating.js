/* The consumer's rating of a closed complaint: posted as JSON to the API
   (POST /api/v1/complaints/{reference}/rating/, session + CSRF), which owns the rule
   (reporting.services.rating_record). Static file: the CSP forbids inline script. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "rating-form") { return; }
    event.preventDefault();
    var status = document.getElementById("rating-status");
    var checked = form.querySelector("input[name=score]:checked");
    if (!checked) { checked = form.querySelector("input[name=score]"); checked.focus(); return; }
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("data-url"));
    request.setRequestHeader("Content-Type", "application/json");
    request.setRequestHeader("X-CSRFToken", token);
    request.onload = function () {
      if (request.status === 201) {
        status.textContent = form.getAttribute("data-done");
        form.querySelector("button[type=submit]").disabled = true;
      } else {
        status.textContent = form.getAttribute("data-failed");
      }
    };
    request.onerror = function () { status.textContent = form.getAttribute("data-failed"); };
    request.send(JSON.stringify({
      score: parseInt(checked.value, 10),
      comment: form.querySelector("[name=comment]").value
    }));
  });
})();
