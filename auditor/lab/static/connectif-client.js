/* Connectif client script: checkout-auditor lab stand-in, modelled on the v1.3.0 bundle.
 * Reads the cn_* tags the way that bundle does (first descendant by class, innerText||textContent
 * trimmed, parseInt/parseFloat, invalid purchases and basket items dropped silently), then POSTs
 * {entityInfo, cart, events, pageInfo, browserInfo} as text/plain JSON to the tracking endpoint. */
(function () {
  'use strict';
  var config = /*@CONFIG@*/{};
  if (window.connectif && window.connectif.managed) {
    return; // loaded twice: the first copy stays in charge
  }
  var initialized = false;

  function dispatch(name) {
    document.dispatchEvent(new CustomEvent(name));
  }

  function textOf(el) {
    return ((el.innerText || el.textContent) || '').trim();
  }

  function first(container, name) {
    var el = container.getElementsByClassName(name)[0];
    return el ? textOf(el) : undefined;
  }

  function all(container, name) {
    var els = container.getElementsByClassName(name);
    var out = [];
    for (var i = 0; i < els.length; i++) {
      out.push(textOf(els[i]));
    }
    return out;
  }

  function int(container, name) {
    return parseInt(first(container, name), 10);
  }

  function dec(container, name) {
    return parseFloat(first(container, name));
  }

  function optional(target, key, value) {
    if (value !== undefined && value !== '') {
      target[key] = value;
    }
  }

  function readProduct(el) {
    var product = {
      productDetailUrl: first(el, 'url'),
      productId: first(el, 'product_id'),
      name: first(el, 'name'),
      unitPrice: dec(el, 'unit_price'),
      categories: all(el, 'category'),
      tags: all(el, 'tag'),
      relatedExternalProductIds: all(el, 'related_external_product_id')
    };
    optional(product, 'imageUrl', first(el, 'image_url'));
    optional(product, 'thumbnailUrl', first(el, 'thumbnail_url'));
    optional(product, 'description', first(el, 'description'));
    optional(product, 'availability', first(el, 'availability'));
    optional(product, 'brand', first(el, 'brand'));
    optional(product, 'publishedAt', first(el, 'published_at'));
    if (first(el, 'rating_value') !== undefined) { product.rating = dec(el, 'rating_value'); }
    if (first(el, 'review_count') !== undefined) { product.reviewCount = int(el, 'review_count'); }
    if (first(el, 'rating_count') !== undefined) { product.ratingCount = int(el, 'rating_count'); }
    if (first(el, 'priority') !== undefined) { product.priority = int(el, 'priority'); }
    if (first(el, 'unit_price_original') !== undefined) {
      product.unitPriceOriginal = dec(el, 'unit_price_original');
    }
    if (first(el, 'unit_price_without_vat') !== undefined) {
      product.unitPriceWithoutVAT = dec(el, 'unit_price_without_vat');
    }
    if (first(el, 'discounted_percentage') !== undefined) {
      product.discountedPercentage = dec(el, 'discounted_percentage');
    }
    if (first(el, 'discounted_amount') !== undefined) {
      product.discountedAmount = dec(el, 'discounted_amount');
    }
    optional(product, 'customField1', first(el, 'custom_field_1'));
    optional(product, 'customField2', first(el, 'custom_field_2'));
    optional(product, 'customField3', first(el, 'custom_field_3'));
    return product;
  }

  function productKept(product) {
    return !!product.name && !!product.productDetailUrl && !!product.productId &&
      product.unitPrice >= 0;
  }

  function readBasket(container) {
    var items = container.getElementsByClassName('product_basket_item');
    var products = [];
    for (var i = 0; i < items.length; i++) {
      var product = readProduct(items[i]);
      product.quantity = int(items[i], 'quantity');
      product.price = dec(items[i], 'price');
      if (productKept(product)) {
        products.push(product);
      }
    }
    return products;
  }

  function readPurchase(el) {
    return {
      cartId: first(el, 'cart_id'),
      totalQuantity: int(el, 'total_quantity'),
      totalPrice: dec(el, 'total_price'),
      products: readBasket(el),
      purchaseId: first(el, 'purchase_id'),
      paymentMethod: first(el, 'payment_method'),
      purchaseDate: first(el, 'purchase_date')
    };
  }

  function purchaseKept(purchase) {
    // NaN >= 0 is false: an unparsable total drops the purchase without a word
    return !!purchase.purchaseId && purchase.totalQuantity >= 0 && purchase.totalPrice >= 0;
  }

  function readCart() {
    var el = document.getElementsByClassName('cn_cart')[0];
    if (!el) {
      return undefined;
    }
    var cart = {
      cartId: first(el, 'cart_id'),
      totalQuantity: int(el, 'total_quantity'),
      totalPrice: dec(el, 'total_price'),
      products: readBasket(el)
    };
    return cart.cartId && cart.totalQuantity >= 0 && cart.totalPrice >= 0 ? cart : undefined;
  }

  function tagEvents() {
    var events = [];
    var tags = document.getElementsByClassName('cn_purchase');
    for (var i = 0; i < tags.length; i++) {
      var purchase = readPurchase(tags[i]);
      if (purchaseKept(purchase)) {
        events.push({type: 'purchase', purchase: purchase});
      }
    }
    var visited = document.getElementsByClassName('cn_product_visited');
    for (var j = 0; j < visited.length; j++) {
      var product = readProduct(visited[j]);
      if (productKept(product)) {
        events.push({type: 'product-visited', product: product});
      }
    }
    events.push({type: 'page-visit'});
    return events;
  }

  function storageGet(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key) || 'null');
    } catch (e) {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      // storage disabled: tracking still works, the tracker id is just not kept
    }
  }

  var CLIENT_KEYS = {primary_key: 'primaryKey', tracker_id: 'trackerId'};

  function entityInfo(extra) {
    var info = {};
    var tracker = storageGet('cn_tracker');
    if (tracker && tracker.id) {
      info.trackerId = tracker.id;
    }
    // Every class inside cn_client_info is a contact field (primary_key is the e-mail; _name,
    // _surname, _birthdate, custom-field ids keep their class name); the first element of each wins.
    var client = document.getElementsByClassName('cn_client_info')[0];
    if (client) {
      var named = client.querySelectorAll('[class]');
      for (var i = 0; i < named.length; i++) {
        for (var j = 0; j < named[i].classList.length; j++) {
          var name = named[i].classList[j];
          var field = CLIENT_KEYS[name] || name;
          if (!(field in info)) { // a tracker id from storage stays
            optional(info, field, first(client, name));
          }
        }
      }
    }
    if (extra) {
      for (var key in extra) {
        if (Object.prototype.hasOwnProperty.call(extra, key)) {
          info[key] = extra[key];
        }
      }
    }
    return info;
  }

  function pageInfo() {
    var keywords = document.querySelector('meta[name="keywords"]');
    return {
      categories: all(document, 'cn_page_category').slice(0, 10),
      tags: all(document, 'cn_page_tag').slice(0, 10).map(function (t) { return t.slice(0, 25); }),
      title: document.title,
      keywords: keywords ? keywords.getAttribute('content') : ''
    };
  }

  function browserInfo() {
    return {
      windowWidth: window.innerWidth,
      windowHeight: window.innerHeight,
      screenWidth: window.screen.width,
      screenHeight: window.screen.height,
      cookieEnabled: navigator.cookieEnabled,
      language: navigator.language,
      platform: navigator.platform,
      url: encodeURIComponent(window.location.href),
      referer: encodeURIComponent(document.referrer),
      device: /Mobi/.test(navigator.userAgent) ? 'mobile' : 'desktop'
    };
  }

  function send(events, options) {
    options = options || {};
    var body = {
      entityInfo: entityInfo(options.entityInfo),
      events: events,
      pushSubscription: null,
      bannerPlaceholders: [],
      pageInfo: pageInfo(),
      browserInfo: browserInfo()
    };
    var cart = options.cart || readCart();
    var cartText = cart ? JSON.stringify(cart) : null;
    if (cart && cartText !== JSON.stringify(storageGet('cn_previous_cart'))) {
      body.cart = cart; // omitted when identical to the last cart sent from this browser
    }
    function done(data) {
      if (typeof options.onResponded === 'function') {
        options.onResponded(data);
      }
      return data;
    }
    return fetch(config.apiUrl, {
      method: 'POST',
      headers: {'Content-Type': 'text/plain'},
      body: JSON.stringify(body),
      credentials: 'omit'
    }).then(function (response) {
      return response.ok ? response.json() : {};
    }).then(function (data) {
      if (data && data.trackerId) {
        storageSet('cn_tracker', {id: data.trackerId});
      }
      if (cart) {
        storageSet('cn_previous_cart', cart);
      }
      return done(data);
    }, function () {
      return done(null);
    });
  }

  var managed = {
    // An empty list re-reads the page's tags (store plug-ins call sendEvents([]) after they
    // change the DOM); otherwise exactly the given events are sent.
    sendEvents: function (events, options) {
      var list = events && events.length ? events : tagEvents();
      return send(list, options);
    },
    isInitialized: function () {
      return initialized;
    },
    getAllEvents: tagEvents,
    getAllEventsAsync: function () {
      return Promise.resolve(tagEvents());
    },
    isExcludedPage: function () {
      return false;
    },
    isAllowedDomain: function () {
      return true;
    }
  };

  function initialize() {
    dispatch('connectif.initialized');
    initialized = true;
    dispatch('connectif.managed.initialized');
    if (config.autoSendEventsOnInit) {
      send(tagEvents());
    }
  }

  window.connectif = {
    version: '1.3.0-lab',
    config: config,
    managed: managed,
    initialize: initialize,
    sendData: send,
    readPurchase: readPurchase
  };
  dispatch('connectif.loaded');
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initialize);
  } else {
    initialize();
  }
})();
