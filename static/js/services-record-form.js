// The service record form: show only the choice of the deliverer picked above it.
(function () {
  var radios = document.querySelectorAll("input[name=delivered_by]");
  function update() {
    radios.forEach(function (radio) {
      var box = document.getElementById("div_id_" + radio.value);
      if (box) { box.parentElement.hidden = !radio.checked; }
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
