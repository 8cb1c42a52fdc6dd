/* Evidence upload progress: htmx posts the form (hx-post) and fires htmx:xhr:progress
   while the file goes up; this fills the <progress>. Without script the form posts as
   usual. A static file because the Content Security Policy forbids inline script. */
(function () {
  "use strict";
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("#upload-form") : null;
    if (!form || !event.detail.lengthComputable) { return; }
    var group = document.getElementById("upload-progress-group");
    var bar = document.getElementById("upload-progress");
    group.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var button = document.getElementById("upload-submit");
    if (button && event.target.id === "upload-form") { button.disabled = true; }
  });
})();
