// Makes a refused form's mistakes easy to reach, with a screen reader or without: the summary of
// problems takes the focus as the page opens (so it is read out first), each of its links names
// the field by its label and goes to it, and each field with a mistake is marked invalid and
// described by its message. Without script the summary still lists the messages and links to
// them.
(function () {
  "use strict";
  var CONTROLS = "input:not([type=hidden]), select, textarea";

  // The message is written just before its field (or before the fieldset holding it).
  function controlAfter(message) {
    for (var el = message.nextElementSibling; el; el = el.nextElementSibling) {
      if (el.matches(CONTROLS)) {
        return el;
      }
      var inside = el.querySelector(CONTROLS);
      if (inside) {
        return inside;
      }
    }
    return null;
  }

  function labelOf(control) {
    if (!control.id) {
      return null;
    }
    var labels = document.querySelectorAll("label[for]");
    for (var i = 0; i < labels.length; i++) {
      if (labels[i].getAttribute("for") === control.id) {
        return labels[i].textContent.trim();
      }
    }
    return null;
  }

  var messages = document.querySelectorAll(".field-error[id$='-error']");
  Array.prototype.forEach.call(messages, function (message) {
    var control = controlAfter(message);
    if (!control) {
      return;
    }
    control.setAttribute("aria-invalid", "true");
    var described = control.getAttribute("aria-describedby");
    control.setAttribute("aria-describedby", described ? described + " " + message.id : message.id);
  });

  var summary = document.querySelector(".error-summary");
  if (!summary) {
    return;
  }
  var links = summary.querySelectorAll("a[href$='-error']");
  Array.prototype.forEach.call(links, function (link) {
    var message = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    var control = message && controlAfter(message);
    var label = control && labelOf(control);
    if (label) {
      link.textContent = label + ": " + message.textContent.trim();
      link.setAttribute("href", "#" + control.id);
    }
  });
  summary.focus();
})();
