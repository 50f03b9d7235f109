/* The web chat page (/chat): sends messages as JSON, shows replies as plain text (textContent, never HTML),
   buttons as real <button>s, later messages from /chat/events. No build step, no inline script (CSP). */
(function () {
  "use strict";

  var log, form, input, status, newButton;
  var events = null;
  var busy = false;
  var starting = false;
  var generation = 0; /* a new conversation drops the replies still on their way to the old one */

  function messageId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function setStatus(text, isError) {
    status.textContent = text || "";
    status.classList.toggle("chat-error", Boolean(isError));
  }

  function bubble(kind, who, text) {
    var block = document.createElement("div");
    block.className = kind;
    var label = document.createElement("span");
    label.className = "chat-who";
    label.textContent = who;
    block.appendChild(label);
    block.appendChild(document.createTextNode(text));
    return block;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function addMine(text) {
    if (text) {
      log.appendChild(bubble("chat-mine", "Bạn: ", text));
      scrollDown();
    }
  }

  function addReply(reply) {
    var turn = document.createElement("div");
    turn.className = "chat-turn";
    if (reply.text) {
      turn.appendChild(bubble("chat-bot", "Bot: ", reply.text));
    }
    var buttons = reply.buttons || [];
    if (buttons.length) {
      var group = document.createElement("div");
      group.className = "chat-buttons";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Lựa chọn");
      buttons.forEach(function (item) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = item.text;
        button.addEventListener("click", function () {
          send({ press: item.press, label: item.text }, item.text);
        });
        group.appendChild(button);
      });
      turn.appendChild(group);
    }
    log.appendChild(turn);
    scrollDown();
  }

  function showTurns(turns) {
    (turns || []).forEach(function (turn) {
      addMine(turn.said);
      (turn.replies || []).forEach(addReply);
    });
  }

  function openEvents() {
    if (events || !window.EventSource) {
      return;
    }
    events = new EventSource("/chat/events");
    events.addEventListener("message", function (event) {
      try {
        addReply(JSON.parse(event.data));
      } catch (error) {
        /* a message this page cannot read: ignore it */
      }
    });
  }

  function closeEvents() {
    if (events) {
      events.close();
      events = null;
    }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    });
  }

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  async function deliver(message) {
    /* the same client_msg_id on each try: the server answers it once and repeats that answer */
    for (var attempt = 0; attempt < 3; attempt += 1) {
      try {
        return await post("/chat/messages", message);
      } catch (error) {
        await wait(1000 * (attempt + 1));
      }
    }
    return null;
  }

  async function send(message, shown) {
    if (busy) {
      return;
    }
    busy = true;
    var mine = generation;
    message.client_msg_id = messageId();
    addMine(shown);
    setStatus("Đang trả lời…");
    try {
      var response = await deliver(message);
      if (!response) {
        setStatus("Không gửi được tin nhắn. Bạn kiểm tra kết nối mạng rồi thử lại.", true);
        return;
      }
      var data = await response.json().catch(function () { return null; });
      if (mine !== generation) {
        return;
      }
      if (!response.ok) {
        setStatus((data && data.error) || "Có lỗi xảy ra. Bạn vui lòng thử lại sau.", true);
        return;
      }
      setStatus("");
      (data.replies || []).forEach(addReply);
      openEvents();
    } finally {
      if (mine === generation) {
        busy = false;
      }
    }
  }

  async function load() {
    try {
      var response = await fetch("/chat/history", { credentials: "same-origin", headers: { "Accept": "application/json" } });
      var data = await response.json();
      showTurns(data.turns);
      if (data.session) {
        openEvents();
      }
    } catch (error) {
      setStatus("Không tải được cuộc trò chuyện. Bạn thử tải lại trang.", true);
    }
  }

  async function startAfresh() {
    if (starting) {
      return;
    }
    starting = true;
    try {
      var response = await post("/chat/new", {});
      var data = await response.json();
      if (!response.ok) {
        setStatus((data && data.error) || "Có lỗi xảy ra. Bạn vui lòng thử lại sau.", true);
        return;
      }
      generation += 1;
      busy = false;
      closeEvents();
      log.textContent = "";
      showTurns(data.turns);
      setStatus("Đã bắt đầu cuộc trò chuyện mới.");
      openEvents();
      input.value = "";
      input.focus();
    } catch (error) {
      setStatus("Không gửi được yêu cầu. Bạn kiểm tra kết nối mạng rồi thử lại.", true);
    } finally {
      starting = false;
    }
  }

  function start() {
    log = document.getElementById("chat-log");
    form = document.getElementById("chat-form");
    input = document.getElementById("chat-input");
    status = document.getElementById("chat-status");
    newButton = document.getElementById("chat-new");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text || busy) {
        return;
      }
      input.value = "";
      input.focus();
      send({ text: text }, text);
    });
    newButton.addEventListener("click", startAfresh);
    load();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
