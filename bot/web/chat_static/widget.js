/* The web chat on an office's own site, with one tag:
     <script src="https://chat.example.gov.vn/chat/widget.js" defer></script>
   It adds a launcher button (bottom right) that opens the chat (/chat on the server the script came from) in a
   frame, and a close button; Escape closes it too. Styles are set from the script (no stylesheet to load on
   the host page, nothing inline the host's CSP would block). Options on the tag: data-label (the launcher's
   text), data-position="left". */
(function () {
  "use strict";
  if (window.__bhxhChatWidget) {
    return;
  }
  window.__bhxhChatWidget = true;

  var script = document.currentScript;
  var source = script && script.src ? new URL(script.src, window.location.href) : null;
  if (!source) {
    return;
  }
  var chatUrl = source.origin + "/chat";
  var label = (script.getAttribute("data-label") || "Hỏi đáp BHXH").slice(0, 40);
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var panelId = "bhxh-chat-panel";

  function css(element, styles) {
    Object.keys(styles).forEach(function (name) { element.style[name] = styles[name]; });
  }

  function start() {
    var launcher = document.createElement("button");
    launcher.type = "button";
    launcher.textContent = label;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", panelId);
    css(launcher, {
      position: "fixed", bottom: "16px", zIndex: "2147483000", minHeight: "48px", minWidth: "48px",
      padding: "10px 18px", border: "2px solid #ffffff", borderRadius: "24px", background: "#0b4f8a",
      color: "#ffffff", font: "600 16px/1.3 system-ui, 'Segoe UI', Roboto, Arial, sans-serif", cursor: "pointer",
      boxShadow: "0 2px 8px rgba(0,0,0,.35)"
    });
    launcher.style[side] = "16px";

    var panel = document.createElement("div");
    panel.id = panelId;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "Hỏi đáp BHXH, BHYT");
    panel.hidden = true;
    css(panel, {
      position: "fixed", bottom: "76px", zIndex: "2147483001", background: "#ffffff",
      border: "1px solid #6b7682", borderRadius: "8px", boxShadow: "0 4px 16px rgba(0,0,0,.35)",
      overflow: "hidden", display: "flex", flexDirection: "column"
    });
    panel.style[side] = "16px";

    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Đóng ✕";
    close.setAttribute("aria-label", "Đóng khung hỏi đáp");
    css(close, {
      alignSelf: "flex-end", minHeight: "44px", minWidth: "44px", margin: "2px", padding: "6px 12px",
      border: "1px solid #0b4f8a", borderRadius: "6px", background: "#ffffff", color: "#0b4f8a",
      font: "600 16px/1.3 system-ui, 'Segoe UI', Roboto, Arial, sans-serif", cursor: "pointer"
    });

    var frame = null;

    function size() {
      var small = window.innerWidth < 600;
      css(panel, small
        ? { width: "calc(100vw - 16px)", height: "calc(100vh - 92px)" }
        : { width: "400px", height: "min(640px, calc(100vh - 100px))" });
      panel.style[side] = small ? "8px" : "16px";
    }

    function open() {
      if (!frame) {
        frame = document.createElement("iframe");
        frame.src = chatUrl;
        frame.title = "Hỏi đáp BHXH, BHYT";
        css(frame, { border: "0", width: "100%", flex: "1 1 auto" });
        panel.appendChild(frame);
      }
      size();
      panel.hidden = false;
      panel.style.display = "flex";
      launcher.setAttribute("aria-expanded", "true");
      frame.focus();
    }

    function shut() {
      panel.hidden = true;
      panel.style.display = "none";
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }

    launcher.addEventListener("click", function () {
      if (panel.hidden) { open(); } else { shut(); }
    });
    close.addEventListener("click", shut);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { shut(); }
    });
    window.addEventListener("resize", function () { if (!panel.hidden) { size(); } });

    panel.style.display = "none";
    panel.appendChild(close);
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
