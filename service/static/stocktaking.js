// The scan page: a keyboard-wedge scanner types the tag and Enter. htmx posts the scan and swaps the results;
// this keeps the scan field focused (and empty after a recorded scan) so the next scan needs no tap.
(function () {
  function scanPage(elt) { return elt && elt.closest && elt.closest("[data-scan-page]"); }
  function field() { return document.querySelector("[data-scan-form] input[name=term]"); }
  // A refused scan (422 empty, 409 closed) carries its message: show it instead of dropping the response.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (scanPage(event.detail.elt) && (status === 409 || status === 422)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!scanPage(event.detail.elt)) return;
    var input = field();
    if (!input) return;
    var status = event.detail.xhr.status;
    if (event.detail.elt.matches("[data-scan-form]") && status >= 200 && status < 300) input.value = "";
    input.focus();
    input.select();
  });
})();
