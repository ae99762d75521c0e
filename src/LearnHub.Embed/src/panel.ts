// <learnhub-recommendations>: the site's 直播推荐 side panel as a web component for any page.
// One <script src=".../embed/learnhub-recommendations.js"> defines it; everything is configured through attributes
// (no inline script, so host pages with a strict CSP can use it). Styles and markup live in a shadow root, so neither
// leaks into the host page. API strings only ever reach the page through textContent / attributes, never innerHTML.
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { SessionService, SessionStatus, type Recommendation } from "../gen/learnhub/v1/sessions_pb.js";
import { PresenceService, WatchSessionUpdate_Kind } from "../gen/learnhub/v1/presence_pb.js";
import { panelCss } from "./styles.js";
import { Backoff, sleep } from "./backoff.js";

/** The origin this script was loaded from: the API's default address (the server serves both). */
const scriptOrigin = (() => {
  const src = (document.currentScript as HTMLScriptElement | null)?.src;
  try {
    return src ? new URL(src).origin : location.origin;
  } catch {
    return location.origin;
  }
})();

/** Screen readers hear count changes at most this often (the badges themselves change at once). */
const announceEveryMs = 15_000;
/** The list is read again this often: upcoming sessions go live, new ones are scheduled. */
const refreshEveryMs = 60_000;

interface Item {
  rec: Recommendation;
  watching: number;
  countNode?: Text;
  row?: HTMLLIElement;
}

export class LearnHubRecommendations extends HTMLElement {
  static readonly observedAttributes = ["api", "more-href", "session-href", "time-zone", "limit"];

  private readonly root: ShadowRoot;
  private readonly list: HTMLUListElement;
  private readonly status: HTMLParagraphElement;
  private readonly announcer: HTMLParagraphElement;
  private readonly more: HTMLAnchorElement;
  private life?: AbortController;
  private items: Item[] = [];
  private readonly streams = new Map<string, AbortController>();
  private lastAnnounce = 0;
  private announceTimer?: number;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
    adoptStyles(this.root);

    const section = el("section", { class: "panel", "aria-labelledby": "lh-title" });
    const header = el("div", { class: "head" });
    const title = el("h2", { id: "lh-title" });
    title.textContent = "直播推荐";
    this.more = el("a", { class: "more", "aria-label": "更多直播推荐" });
    this.more.append("更多", el("span", { "aria-hidden": "true" }, " >"));
    header.append(title, this.more);
    this.status = el("p", { class: "status", role: "status" });
    this.list = el("ul", { class: "list", "aria-labelledby": "lh-title" });
    // One polite region for count changes, throttled: a busy live session must not talk over the page.
    this.announcer = el("p", { class: "sr", "aria-live": "polite" });
    section.append(header, this.status, this.list, this.announcer);
    this.root.append(section);
  }

  connectedCallback(): void {
    this.updateMoreLink();
    this.start();
  }

  disconnectedCallback(): void {
    this.stop();
  }

  attributeChangedCallback(name: string, oldValue: string | null, newValue: string | null): void {
    // Attributes present at upgrade arrive before connectedCallback: only a running panel restarts.
    if (oldValue === newValue || !this.life) {
      return;
    }
    if (name === "more-href") {
      this.updateMoreLink();
    } else if (name === "session-href") {
      this.renderList();
    } else {
      // The address, zone or size changed: start over with the new settings.
      this.stop();
      this.start();
    }
  }

  private updateMoreLink(): void {
    const href = this.getAttribute("more-href");
    if (href) {
      this.more.setAttribute("href", href);
      this.more.hidden = false;
    } else {
      this.more.removeAttribute("href");
      this.more.hidden = true;
    }
  }

  private start(): void {
    this.stop();
    const life = new AbortController();
    this.life = life;
    const transport = createGrpcWebTransport({ baseUrl: this.getAttribute("api") || scriptOrigin });
    const sessions = createClient(SessionService, transport);
    const presence = createClient(PresenceService, transport);
    void this.loadLoop(sessions, presence, life.signal);
  }

  private stop(): void {
    this.life?.abort();
    this.life = undefined;
    for (const stream of this.streams.values()) {
      stream.abort();
    }
    this.streams.clear();
    window.clearTimeout(this.announceTimer);
  }

  /** Loads the list, retrying with backoff after a failure, and reads it again every minute. */
  private async loadLoop(sessions: Client<typeof SessionService>, presence: Client<typeof PresenceService>, signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(2_000, 60_000);
    const timeZone = this.getAttribute("time-zone") || Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    const limit = Math.min(50, Math.max(1, Number.parseInt(this.getAttribute("limit") ?? "", 10) || 3));
    while (!signal.aborted) {
      let waitMs = refreshEveryMs;
      try {
        const answer = await sessions.listRecommendations({ timeZone, pageSize: limit }, { signal });
        backoff.reset();
        this.setStatus("");
        this.show(answer.items, presence, signal);
      } catch (error) {
        if (signal.aborted) {
          return;
        }
        // A short message while nothing could be shown; a list already on screen stays as it is.
        if (this.items.length === 0) {
          this.setStatus("直播推荐暂时无法加载，正在重试…");
        }
        waitMs = backoff.next();
        console.debug("learnhub-recommendations: loading failed", error);
      }
      await sleep(waitMs, signal);
    }
  }

  private show(recs: Recommendation[], presence: Client<typeof PresenceService>, signal: AbortSignal): void {
    const previous = new Map(this.items.map((i) => [i.rec.session?.id ?? "", i]));
    this.items = recs
      .filter((r) => r.session)
      .map((rec) => ({ rec, watching: previous.get(rec.session!.id)?.watching ?? rec.viewerCount }));
    const live = new Set(this.items.filter((i) => i.rec.session!.status === SessionStatus.LIVE).map((i) => i.rec.session!.id));
    // Streams for sessions no longer listed (or no longer live) close; new live sessions get one.
    for (const [id, stream] of this.streams) {
      if (!live.has(id)) {
        stream.abort();
        this.streams.delete(id);
      }
    }
    for (const id of live) {
      if (!this.streams.has(id)) {
        const stream = new AbortController();
        signal.addEventListener("abort", () => stream.abort(), { once: true });
        this.streams.set(id, stream);
        void this.watch(presence, id, stream.signal);
      }
    }
    this.renderList();
  }

  /** Keeps one live session's count current; reconnects with backoff until the session ends or the panel goes. */
  private async watch(presence: Client<typeof PresenceService>, sessionId: string, signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(1_000, 30_000);
    while (!signal.aborted) {
      try {
        for await (const update of presence.watchSession({ sessionId }, { signal })) {
          backoff.reset();
          const state = update.state;
          if (update.kind === WatchSessionUpdate_Kind.FINAL || (state && state.status !== SessionStatus.LIVE)) {
            this.drop(sessionId);
            return;
          }
          if (state) {
            this.setCount(sessionId, state.watching);
          }
        }
      } catch (error) {
        if (signal.aborted) {
          return;
        }
        const code = error instanceof ConnectError ? error.code : Code.Unknown;
        if (code === Code.NotFound || code === Code.FailedPrecondition) {
          this.drop(sessionId);
          return;
        }
      }
      await sleep(backoff.next(), signal);
    }
  }

  private drop(sessionId: string): void {
    this.items = this.items.filter((i) => i.rec.session?.id !== sessionId);
    this.streams.get(sessionId)?.abort();
    this.streams.delete(sessionId);
    this.renderList();
  }

  private setCount(sessionId: string, watching: number): void {
    const item = this.items.find((i) => i.rec.session?.id === sessionId);
    if (!item || item.watching === watching) {
      return;
    }
    item.watching = watching;
    if (item.countNode) {
      item.countNode.data = String(watching);
    }
    this.sortLive();
    this.announce(`${item.rec.session!.title} 直播中 ${watching}`);
  }

  /** Live sessions stay first, most viewers first (a stable sort keeps equal counts in the server's order). */
  private sortLive(): void {
    const live = this.items.filter((i) => i.rec.session!.status === SessionStatus.LIVE);
    const sorted = [...live].sort((a, b) => b.watching - a.watching);
    if (sorted.every((item, index) => item === live[index])) {
      return;
    }
    this.items = [...sorted, ...this.items.filter((i) => !live.includes(i))];
    for (const item of this.items) {
      if (item.row) {
        this.list.append(item.row);
      }
    }
  }

  private renderList(): void {
    this.sortLive();
    const rows = this.items.map((item) => this.row(item));
    this.list.replaceChildren(...rows);
    if (rows.length === 0 && !this.status.textContent) {
      this.setStatus("暂无直播");
    } else if (rows.length > 0 && this.status.textContent === "暂无直播") {
      this.setStatus("");
    }
  }

  private row(item: Item): HTMLLIElement {
    const session = item.rec.session!;
    const li = el("li", { class: "item" });
    const href = this.getAttribute("session-href");
    const title = href ? el("a", { class: "title", href: href.replaceAll("{id}", encodeURIComponent(session.id)) }) : el("span", { class: "title" });
    title.textContent = session.title;
    const instructor = el("span", { class: "instructor" });
    instructor.textContent = session.instructorName;
    const badge = el("span", { class: "badge" });
    if (session.status === SessionStatus.LIVE) {
      badge.classList.add("live");
      item.countNode = document.createTextNode(String(item.watching));
      badge.append("直播中 ", item.countNode);
    } else {
      item.countNode = undefined;
      // The server's own badge ("05-04 19:30 · 54"), built in the zone asked for.
      badge.textContent = item.rec.badge || `${item.rec.displayTime} · ${session.reservationCount}`;
    }
    const meta = el("div", { class: "meta" });
    meta.append(instructor, badge);
    li.append(title, meta);
    item.row = li;
    return li;
  }

  private setStatus(text: string): void {
    this.status.textContent = text;
    this.status.hidden = text === "";
  }

  private announce(text: string): void {
    window.clearTimeout(this.announceTimer);
    const due = this.lastAnnounce + announceEveryMs - Date.now();
    const say = () => {
      this.lastAnnounce = Date.now();
      this.announcer.textContent = text;
    };
    if (due <= 0) {
      say();
    } else {
      this.announceTimer = window.setTimeout(say, due);
    }
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** Constructable style sheets need no 'unsafe-inline' in the host page's CSP; older browsers get a <style>. */
function adoptStyles(root: ShadowRoot): void {
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet !== "undefined" && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(panelCss);
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement("style");
    style.textContent = panelCss;
    root.append(style);
  }
}

if (!customElements.get("learnhub-recommendations")) {
  customElements.define("learnhub-recommendations", LearnHubRecommendations);
}
