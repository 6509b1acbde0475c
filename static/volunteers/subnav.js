// On a phone the section tabs scroll sideways: bring the current one into view.
(function () {
  var active = document.querySelector(".volunteer-subnav .active");
  if (active && active.scrollIntoView) {
    active.scrollIntoView({ block: "nearest", inline: "center" });
  }
})();
