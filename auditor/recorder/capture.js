/* Browser side of `checkout-auditor record`: names elements and reports what the person does.
 *
 * Evaluated as `(this function)(config)` in every document of the recording (all frames, before the
 * page's own scripts), and by the recorder to name an iframe element in its parent document.
 *
 * config: {binding: name of the exposed function, install: true to listen to the person,
 *          shop: {root: "shop.example", extra: ["pay-back.example", "*.cdn.example"]}}
 *
 * Every selector sent is verified here, at the moment of the event, to match exactly one visible
 * element (exactly one element for iframes): the one the person used. Candidates come in the order of
 * scenario-language.md: test ids, id, name, role and accessible name, visible text, a short CSS path.
 * Values typed into card, security-code, expiry and password fields on payment hosts never leave the
 * page: the event says which kind of secret it was, without the value.
 */
(function (config) {
  "use strict";

  var TEST_ID_ATTRS = ["data-testid", "data-test", "data-qa"];
  var NAMED_TAGS = ["input", "select", "textarea", "button", "iframe", "form", "a"];
  var MAX_TEXT = 80;
  var ROLES = ["button", "link", "checkbox", "radio", "textbox", "combobox", "listbox", "searchbox",
    "tab", "menuitem", "option", "switch"];
  var ACTIONABLE = "button, a[href], input, select, textarea, label, summary, [role=button], [role=link], " +
    "[role=checkbox], [role=radio], [role=tab], [role=menuitem], [role=option], [role=switch], [onclick]";
  var TEXT_INPUT_TYPES = ["", "text", "email", "tel", "url", "search", "password", "number", "date",
    "datetime-local", "month", "week", "time"];

  function normalize(text) {
    return String(text || "").replace(/[\s\u00a0]+/g, " ").trim();
  }

  // A value a selector may quote: one line, no control characters.
  function clean(text) {
    return typeof text === "string" && text.length > 0 && text.length <= 200 && !/[\u0000-\u001f\u007f]/.test(text);
  }

  function quote(text) {
    return '"' + text.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
  }

  function hostMatches(host, pattern) {
    if (pattern.indexOf("*.") === 0) {
      var base = pattern.slice(2);
      return host === base || host.slice(-(base.length + 1)) === "." + base;
    }
    return host === pattern;
  }

  function isShopHost(host) {
    var shop = config.shop || {root: "", extra: []};
    if (!host) {
      return false;
    }
    if (shop.root && (host === shop.root || host.slice(-(shop.root.length + 1)) === "." + shop.root)) {
      return true;
    }
    return (shop.extra || []).some(function (pattern) { return hostMatches(host, pattern); });
  }

  function isConnectifHost(host) {
    return host === "cdn.connectif.cloud" || /^[a-z0-9-]+-api\.connectif\.cloud$/.test(host);
  }

  // This document's host; about:blank and srcdoc frames take their creator's.
  function documentHost() {
    try {
      if (window.origin && window.origin !== "null") {
        return new URL(window.origin).hostname.toLowerCase();
      }
    } catch (e) { /* fall through */ }
    return (location.hostname || "").toLowerCase();
  }

  // ------------------------------------------------------------------ visibility and roots

  // Playwright's rule: a non-empty box and visibility: visible.
  function visible(el) {
    if (!el || !el.isConnected) {
      return false;
    }
    var style = getComputedStyle(el);
    if (style.display === "contents") {
      return Array.prototype.some.call(el.children, visible);
    }
    if (style.visibility !== "visible") {
      return false;
    }
    var box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  }

  // The document and every open shadow root below it: Playwright's selectors pierce them.
  function rootsOf(doc) {
    var roots = [doc];
    for (var i = 0; i < roots.length; i++) {
      var all = roots[i].querySelectorAll("*");
      for (var j = 0; j < all.length; j++) {
        if (all[j].shadowRoot) {
          roots.push(all[j].shadowRoot);
        }
      }
    }
    return roots;
  }

  function queryAll(selector, roots) {
    var found = [];
    for (var i = 0; i < roots.length; i++) {
      var list;
      try {
        list = roots[i].querySelectorAll(selector);
      } catch (e) {
        return null;
      }
      for (var j = 0; j < list.length; j++) {
        found.push(list[j]);
      }
    }
    return found;
  }

  function allElements(roots) {
    return queryAll("*", roots) || [];
  }

  // ------------------------------------------------------------------ what an element is called

  function stableId(id) {
    // ids that frameworks generate change from one visit to the next: a replay would miss them
    return clean(id) && id.length <= 64 && !/\d{3,}/.test(id) && !/^[\d:_-]/.test(id) && !/[:\s]/.test(id) &&
      !(/[0-9a-f]{8,}/i.test(id) && /\d/.test(id)) &&
      !/^(ember|react-|radix-|headlessui-|mui-|rc-|ext-gen|yui_)/i.test(id);
  }

  function idSelector(id) {
    return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(id) ? "#" + id : "[id=" + quote(id) + "]";
  }

  function inputType(el) {
    return el.localName === "input" ? (el.getAttribute("type") || "text").toLowerCase() : "";
  }

  function roleOf(el) {
    var explicit = (el.getAttribute("role") || "").trim().split(/\s+/)[0];
    if (explicit) {
      return ROLES.indexOf(explicit) >= 0 ? explicit : null;
    }
    var tag = el.localName;
    var type = inputType(el);
    if (tag === "button") {
      return "button";
    }
    if (tag === "a") {
      return el.hasAttribute("href") ? "link" : null;
    }
    if (tag === "input") {
      if (["button", "submit", "reset", "image"].indexOf(type) >= 0) {
        return "button";
      }
      if (type === "checkbox" || type === "radio") {
        return type;
      }
      if (type === "search") {
        return "searchbox";
      }
      if (["text", "email", "tel", "url"].indexOf(type) >= 0) {
        return el.hasAttribute("list") ? "combobox" : "textbox";
      }
      return null;
    }
    if (tag === "textarea") {
      return "textbox";
    }
    if (tag === "select") {
      return el.multiple || el.size > 1 ? "listbox" : "combobox";
    }
    return null;
  }

  function textOf(el) {
    return typeof el.innerText === "string" ? el.innerText : el.textContent;
  }

  // The accessible name, for the common cases (aria-labelledby, aria-label, labels, value, content).
  function accessibleName(el) {
    var labelledBy = el.getAttribute("aria-labelledby");
    if (labelledBy) {
      var doc = el.ownerDocument;
      var parts = labelledBy.split(/\s+/).map(function (id) {
        var ref = doc.getElementById(id);
        return ref ? textOf(ref) : "";
      });
      var joined = normalize(parts.join(" "));
      if (joined) {
        return joined;
      }
    }
    var aria = normalize(el.getAttribute("aria-label"));
    if (aria) {
      return aria;
    }
    var tag = el.localName;
    var type = inputType(el);
    if (tag === "input" && ["button", "submit", "reset"].indexOf(type) >= 0) {
      return normalize(el.value) || (type === "submit" ? "Submit" : type === "reset" ? "Reset" : "");
    }
    if (tag === "input" && type === "image") {
      return normalize(el.getAttribute("alt")) || normalize(el.title);
    }
    if (tag === "input" || tag === "textarea" || tag === "select") {
      var labels = el.labels ? Array.prototype.map.call(el.labels, textOf).join(" ") : "";
      return normalize(labels) || normalize(el.title) || normalize(el.getAttribute("placeholder"));
    }
    return normalize(textOf(el)) || normalize(el.title);
  }

  function hiddenFromAccessibility(el) {
    return !!el.closest('[aria-hidden="true"]');
  }

  function roleMatches(role, name, roots) {
    return allElements(roots).filter(function (el) {
      return roleOf(el) === role && visible(el) && !hiddenFromAccessibility(el) && accessibleName(el) === name;
    });
  }

  // The element's only text, when it holds exactly one non-blank text node.
  function soleText(el) {
    var walker = el.ownerDocument.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    var found = null;
    while (walker.nextNode()) {
      if (normalize(walker.currentNode.nodeValue)) {
        if (found) {
          return null;
        }
        found = walker.currentNode;
      }
    }
    return found;
  }

  function textMatches(text, roots) {
    var matches = [];
    roots.forEach(function (root) {
      var doc = root.ownerDocument || root;
      var walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        var node = walker.currentNode;
        var parent = node.parentElement;
        if (parent && normalize(node.nodeValue) === text && visible(parent) &&
            ["script", "style", "noscript", "template"].indexOf(parent.localName) < 0) {
          matches.push(parent);
        }
      }
    });
    return matches;
  }

  // A short CSS path: tag names with :nth-of-type where needed, up to the first unique one
  // (anchored at an ancestor with a stable id when there is one).
  function stableClass(name) {
    return /^[A-Za-z][A-Za-z0-9_-]*$/.test(name) && name.length <= 40 && !/\d{2,}/.test(name) &&
      !/^(css|sc|jsx|emotion|svelte)-/.test(name);
  }

  function cssPath(el) {
    var root = el.getRootNode();
    // the element's tag and one of its classes, when that is enough (strong.order-number)
    var classes = Array.prototype.filter.call(el.classList || [], stableClass);
    for (var i = 0; i < classes.length; i++) {
      var byClass = el.localName + "." + classes[i];
      if (countIn(root, byClass) === 1) {
        return byClass;
      }
    }
    var parts = [];
    var node = el;
    while (node && node.nodeType === 1) {
      if (node !== el && node.id && stableId(node.id)) {
        parts.unshift(idSelector(node.id));
        var anchored = parts.join(" > ");
        if (countIn(root, anchored) === 1) {
          return anchored;
        }
        parts.shift();
      }
      var part = node.localName;
      var parent = node.parentElement;
      if (parent) {
        var same = Array.prototype.filter.call(parent.children, function (child) {
          return child.localName === node.localName;
        });
        if (same.length > 1) {
          part += ":nth-of-type(" + (same.indexOf(node) + 1) + ")";
        }
      }
      parts.unshift(part);
      var path = parts.join(" > ");
      if (countIn(root, path) === 1) {
        return path;
      }
      node = parent;
    }
    return parts.join(" > ");
  }

  function countIn(root, selector) {
    try {
      return root.querySelectorAll(selector).length;
    } catch (e) {
      return -1;
    }
  }

  function candidatesFor(el, options) {
    var out = [];
    var tag = el.localName;
    TEST_ID_ATTRS.forEach(function (attr) {
      var value = el.getAttribute(attr);
      if (clean(value)) {
        out.push({kind: "testid", selector: "[" + attr + "=" + quote(value) + "]"});
      }
    });
    if (el.id && stableId(el.id)) {
      out.push({kind: "id", selector: idSelector(el.id)});
    }
    var name = el.getAttribute("name");
    // a form field's name is the server's and stays; an iframe's is often generated per page view
    var nameStays = tag === "iframe" ? stableId(name) : clean(name);
    if (nameStays && NAMED_TAGS.indexOf(tag) >= 0) {
      var byName = tag + "[name=" + quote(name) + "]";
      out.push({kind: "name", selector: byName});
      var type = inputType(el);
      if ((type === "radio" || type === "checkbox") && clean(el.value)) {
        out.push({kind: "name", selector: byName + "[value=" + quote(el.value) + "]"});
      }
    }
    if (options.frame) {
      var title = el.getAttribute("title");
      if (clean(title)) {
        out.push({kind: "title", selector: tag + "[title=" + quote(title) + "]"});
      }
    } else {
      var role = roleOf(el);
      if (role) {
        var accessible = accessibleName(el);
        if (accessible && accessible.length <= MAX_TEXT) {
          out.push({kind: "role", selector: "role=" + role + "[name=" + quote(accessible) + "]", role: role,
            name: accessible});
        }
      }
      if (options.text !== false) {
        var node = soleText(el);
        var text = node ? normalize(node.nodeValue) : "";
        if (text && text.length <= MAX_TEXT && text.indexOf(">>") < 0) {
          out.push({kind: "text", selector: "text=" + quote(text), text: text, node: node});
        }
      }
    }
    out.push({kind: "css", selector: cssPath(el)});
    if (options.avoid) {
      out = out.filter(function (c) { return c.selector.indexOf(options.avoid) < 0; });
    }
    return out;
  }

  function verified(candidate, el, roots, options) {
    var matches;
    if (candidate.kind === "role") {
      matches = roleMatches(candidate.role, candidate.name, roots);
      return matches.length === 1 && matches[0] === el;
    }
    if (candidate.kind === "text") {
      matches = textMatches(candidate.text, roots);
      return matches.length === 1 && (matches[0] === el || el.contains(matches[0]));
    }
    matches = queryAll(candidate.selector, roots);
    if (matches === null) {
      return false;
    }
    if (options.frame) {
      return matches.length === 1 && matches[0] === el;  // frame_locator does not look at visibility
    }
    var shown = matches.filter(visible);
    return shown.length === 1 && shown[0] === el;
  }

  // Every candidate that names exactly this element, best first: [{kind, selector}].
  function describe(el, options) {
    options = options || {};
    var roots = rootsOf(el.ownerDocument);
    return candidatesFor(el, options).filter(function (candidate) {
      try {
        return verified(candidate, el, roots, options);
      } catch (e) {
        return false;
      }
    }).map(function (candidate) {
      return {kind: candidate.kind, selector: candidate.selector};
    });
  }

  // ------------------------------------------------------------------ secrets

  function luhn(value) {
    var digits = String(value || "").replace(/[\s-]/g, "");
    if (!/^[0-9]{13,19}$/.test(digits)) {
      return false;
    }
    var sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var d = digits.charCodeAt(digits.length - 1 - i) - 48;
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
    }
    return sum % 10 === 0;
  }

  // "cardNumber cc-number exp_date" -> " card number cc number exp date "
  function words(el) {
    var raw = [el.getAttribute("name"), el.id, el.getAttribute("autocomplete")].filter(Boolean).join(" ");
    return " " + raw.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().replace(/[^a-z0-9]+/g, " ") + " ";
  }

  function secretKind(el, value, onPaymentHost) {
    var w = words(el);
    var password = inputType(el) === "password" || / (current|new) password /.test(w) ||
      / (password|passwd|pwd) /.test(w);
    if (onPaymentHost) {
      if (/ cc number /.test(w) || / (card ?number|card ?num|card ?no|ccnum|cardnumber|pan|credit card) /.test(w)) {
        return "card_number";
      }
      if (/ cc csc /.test(w) || / (cvc|cvc2|cvv|cvv2|csc|cvn|security ?code|card ?code|securitycode) /.test(w)) {
        return "security_code";
      }
      if (/ cc exp /.test(w) || / (exp|expiry|expiration|expires|expdate|caducidad|valid ?thru|mm ?yy) /.test(w)) {
        return "expiry";
      }
      if (password || / pass /.test(w)) {
        return "password";
      }
    } else if (password) {
      return "password";  // a shop's own login: never written either
    }
    return luhn(value) ? "card_number" : null;
  }

  // ------------------------------------------------------------------ listening

  function install() {
    if (window.__auditorRecorderInstalled) {
      return;
    }
    Object.defineProperty(window, "__auditorRecorderInstalled", {value: true});
    var doc = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
    var host = documentHost();
    var onPaymentHost = !!host && !isShopHost(host) && !isConnectifHost(host);
    var elementIds = new WeakMap();
    var nextElement = 0;
    var targets = new Map();
    var seq = 0;
    var enterForm = null;
    var pendingLabel = null;

    Object.defineProperty(window, "__auditorRecorderTarget", {
      value: function (n) { return targets.get(n) || null; }
    });

    var sent = 0;
    Object.defineProperty(window, "__auditorRecorderSent", {get: function () { return sent; }});

    function send(payload) {
      try {
        sent += 1;
        window[config.binding](payload);
      } catch (e) { /* the binding is gone: the recording has ended */ }
    }

    function elementId(el) {
      if (!elementIds.has(el)) {
        nextElement += 1;
        elementIds.set(el, nextElement);
      }
      return elementIds.get(el);
    }

    function emit(type, el, extra, named) {
      seq += 1;
      targets.set(seq, el);
      if (targets.size > 200) {
        targets.delete(targets.keys().next().value);
      }
      var candidates = named;
      if (!candidates) {
        try {
          candidates = describe(el, {});
        } catch (e) {
          candidates = [];
        }
      }
      var payload = {
        type: type, seq: seq, doc: doc, url: location.href, element: elementId(el),
        top: window === window.top, candidates: candidates, fallback: candidates.length ? null : cssPath(el)
      };
      Object.keys(extra || {}).forEach(function (key) { payload[key] = extra[key]; });
      send(payload);
    }

    function target(event) {
      var path = event.composedPath ? event.composedPath() : [];
      var first = path.length ? path[0] : event.target;
      while (first && first.nodeType !== 1) {
        first = first.parentNode;
      }
      return first || null;
    }

    function isTextEntry(el) {
      if (!el) {
        return false;
      }
      if (el.localName === "textarea" || el.isContentEditable) {
        return true;
      }
      return el.localName === "input" && TEXT_INPUT_TYPES.indexOf(inputType(el)) >= 0;
    }

    function isToggle(el) {
      var type = inputType(el);
      return type === "checkbox" || type === "radio";
    }

    function fieldLike(el) {
      return isTextEntry(el) || el.localName === "select" || el.localName === "option" ||
        inputType(el) === "file" || inputType(el) === "range" || inputType(el) === "color";
    }

    var lastValues = new WeakMap();

    function emitFill(el) {
      var value = el.isContentEditable ? el.innerText : el.value;
      if (lastValues.get(el) === value) {
        return;  // a change event after the input events (blur, Enter): nothing new
      }
      lastValues.set(el, value);
      var kind = secretKind(el, value, onPaymentHost);
      emit("fill", el, kind ? {secret: kind} : {value: value});
    }

    addEventListener("click", function (event) {
      if (!event.isTrusted) {
        return;
      }
      var leaf = target(event);
      if (!leaf) {
        return;
      }
      var form = leaf.closest("form");
      if (event.detail === 0 && enterForm && form === enterForm) {
        enterForm = null;  // the click a browser makes on the default button after Enter: the press says it
        return;
      }
      var el = leaf.closest(ACTIONABLE);
      if (!el && getComputedStyle(leaf).cursor === "pointer") {
        el = leaf;  // a clickable <div>: the page says so with its cursor
      }
      if (!el || fieldLike(el) || isToggle(el)) {
        return;  // clicks into fields and on boxes: the fill, select and check steps say it
      }
      if (el.localName === "label") {
        var control = el.control;
        if (control && isToggle(control)) {
          // remembered in case the box itself is hidden (a styled box): then the label is what to click
          pendingLabel = {control: control, label: el, named: describe(el, {})};
          return;
        }
        if (control && fieldLike(control)) {
          return;
        }
      }
      emit("click", el);
    }, true);

    // Values are taken from untrusted input and change events too, on fields a person can see: tools
    // that choose an option (and some widgets) set the value and dispatch the events themselves.
    function usable(event, el) {
      return !!el && (event.isTrusted || visible(el));
    }

    addEventListener("input", function (event) {
      var el = target(event);
      if (usable(event, el) && isTextEntry(el)) {
        emitFill(el);
      }
    }, true);

    addEventListener("change", function (event) {
      var el = target(event);
      if (!usable(event, el)) {
        return;
      }
      if (el.localName === "select") {
        var option = el.selectedOptions && el.selectedOptions[0];
        emit("select", el, {value: el.value, label: option ? normalize(option.textContent) : null});
      } else if (isToggle(el)) {
        var kind = inputType(el) === "radio" || el.checked ? "check" : "uncheck";
        var label = pendingLabel && pendingLabel.control === el ? pendingLabel : null;
        pendingLabel = null;
        if (!visible(el) && label && label.named.length) {
          emit("click", label.label, {}, label.named);
        } else {
          emit(kind, el);
        }
      } else if (isTextEntry(el)) {
        emitFill(el);
      }
    }, true);

    addEventListener("keydown", function (event) {
      if (!event.isTrusted || event.key !== "Enter" || event.isComposing) {
        return;
      }
      var el = target(event);
      if (!el || el.localName !== "input" || !el.form || !isTextEntry(el)) {
        return;
      }
      enterForm = el.form;
      emit("press", el, {key: "Enter"});
    }, true);

    addEventListener("pointerdown", function () { enterForm = null; }, true);

    // On a shop page: its title, and the order number it shows when it carries Connectif's tag.
    if (window === window.top && isShopHost(host)) {
      addEventListener("load", function () {
        try {
          send(pageInfo(doc));
        } catch (e) { /* a page we cannot read: nothing to report */ }
      }, {once: true});
    }
  }

  function insideTag(el) {
    return !!el.closest(".cn_purchase, .cn_client_info, .cn_cart, .cn_product_visited, script, style, noscript, template");
  }

  // The deepest visible element outside the tags whose text shows `text`.
  function shownElement(text) {
    var best = null;
    var all = document.body ? document.body.querySelectorAll("*") : [];
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (insideTag(el) || !visible(el) || textOf(el).indexOf(text) < 0) {
        continue;
      }
      if (!best || best.contains(el)) {
        best = el;
      }
    }
    return best;
  }

  function pageInfo(doc) {
    var info = {type: "page", doc: doc, url: location.href, title: normalize(document.title), purchase: null};
    var tag = document.getElementsByClassName("cn_purchase")[0];
    if (!tag) {
      return info;
    }
    var idEl = tag.getElementsByClassName("purchase_id")[0];  // first descendant by class, as Connectif reads
    var id = idEl ? normalize(idEl.innerText || idEl.textContent) : "";
    info.purchase = {id: id, products: tag.getElementsByClassName("product_basket_item").length, shown: null};
    var shown = id ? shownElement(id) : null;
    if (shown) {
      var named = describe(shown, {text: false, avoid: id});
      if (named.length) {
        info.purchase.shown = {candidates: named, text: normalize(textOf(shown))};
      }
    }
    return info;
  }

  // What a shop window's load reports, read on demand: Ctrl-C may end the recording before that load.
  function shopPage() {
    return window === window.top && isShopHost(documentHost()) ? pageInfo(null) : null;
  }

  if (config.install) {
    install();
  }
  return {describe: describe, cssPath: cssPath, luhn: luhn, shopPage: shopPage};
})
