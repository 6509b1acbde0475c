// Elder pickers (elders.forms.ElderPicker): choosing a search result fills the hidden
// input; "Change" opens the search again.
(function () {
  document.addEventListener("click", function (event) {
    var picker = event.target.closest("[data-elder-picker]");
    if (!picker) { return; }
    var chosen = picker.querySelector("[data-picker-chosen]");
    var search = picker.querySelector("[data-picker-search]");
    var result = event.target.closest("[data-pick-id]");
    if (result) {
      picker.querySelector("[data-picker-value]").value = result.dataset.pickId;
      picker.querySelector("[data-picker-label]").textContent = result.dataset.pickLabel;
      picker.querySelector("[data-picker-detail]").textContent = result.dataset.pickDetail;
      picker.querySelector(".elder-picker-results").innerHTML = "";
      chosen.classList.remove("d-none");
      search.classList.add("d-none");
      picker.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (event.target.closest("[data-picker-change]")) {
      chosen.classList.add("d-none");
      search.classList.remove("d-none");
      picker.querySelector("[data-picker-query]").focus();
    }
  });
  // Enter in the search box must not submit the form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("[data-picker-query]")) {
      event.preventDefault();
    }
  });
})();
