// Makes a refused form's mistakes easy to reach, with a screen reader or without: the summary of
// problems takes the focus as the page opens (so it is read out first), each of its links names
// the field by its label and goes to it, and each field with a mistake is marked invalid and
// described by its message. Without script the summary still lists the messages and links to
// them.
(function () {
  "use strict";
  var CONTROLS = "input:not([type=hidden]), select, textarea";

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

  // A message is written just before its field, or before the fieldset of a group of boxes: the
  // element straight after it, and nothing further on (that is another field).
  function fieldOf(message) {
    var next = message.nextElementSibling;
    if (!next) {
      return null;
    }
    if (next.matches(CONTROLS)) {
      return { described: next, control: next, name: labelOf(next) };
    }
    if (next.tagName === "LABEL") {
      // A box inside its own label (a label naming a field by `for` comes before the message).
      var boxed = next.querySelector(CONTROLS);
      return boxed && { described: boxed, control: boxed, name: next.textContent.trim() };
    }
    if (next.tagName === "FIELDSET") {
      var first = next.querySelector(CONTROLS);
      var legend = next.querySelector("legend");
      return first && { described: next, control: first, name: legend && legend.textContent.trim() };
    }
    return null;
  }

  var messages = document.querySelectorAll(".field-error[id$='-error']");
  Array.prototype.forEach.call(messages, function (message) {
    var field = fieldOf(message);
    if (!field) {
      return;
    }
    if (field.described === field.control) {
      field.control.setAttribute("aria-invalid", "true");
    }
    var described = field.described.getAttribute("aria-describedby");
    field.described.setAttribute("aria-describedby", described ? described + " " + message.id : message.id);
  });

  var summary = document.querySelector(".error-summary");
  if (!summary) {
    return;
  }
  var links = summary.querySelectorAll("a[href$='-error']");
  Array.prototype.forEach.call(links, function (link) {
    var message = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    var field = message && fieldOf(message);
    if (!field) {
      return;
    }
    if (field.name) {
      link.textContent = field.name + ": " + message.textContent.trim();
    }
    if (field.control.id) {
      link.setAttribute("href", "#" + field.control.id);
    }
  });
  summary.focus();
})();
