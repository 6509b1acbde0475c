// Every page's print buttons (data-print): no inline onclick, so the
// Content-Security-Policy can forbid inline script.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
